"""The integration suite: real PostgreSQL, Redis and a Celery worker process.

Run it with ``make integration`` (or ``.ci/run``) with ``DATABASE_URL`` pointing at
PostgreSQL and ``REDIS_URL`` at Redis. A service that is missing or unreachable
fails the run with a message naming it: this suite never skips.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
WORKER_READY_SECONDS = 60
WORKER_QUIET_SECONDS = 30

# The hostname of the session's worker once celery_worker_process started it.
_worker: dict[str, str] = {}


def _require_services() -> None:
    """Fail the session, naming the service, unless PostgreSQL, Redis and the broker answer."""
    import psycopg
    import redis
    from django.conf import settings

    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        pytest.fail(
            "The integration suite needs PostgreSQL: set DATABASE_URL=postgres://... "
            f"(got {database_url or 'nothing'}).",
            pytrace=False,
        )
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url.startswith("redis://"):
        pytest.fail(
            f"The integration suite needs Redis: set REDIS_URL=redis://... "
            f"(got {redis_url or 'nothing'}).",
            pytrace=False,
        )
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.fail(
            "The integration suite needs the Celery broker on Redis: unset CELERY_BROKER_URL "
            f"or point it at Redis (got {settings.CELERY_BROKER_URL}).",
            pytrace=False,
        )
    if settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.fail("CELERY_TASK_ALWAYS_EAGER must be off: a real worker runs the tasks.")

    database = settings.DATABASES["default"]
    try:
        psycopg.connect(
            host=database["HOST"] or "localhost",
            port=database["PORT"] or 5432,
            user=database["USER"],
            password=database["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=5,
        ).close()
    except psycopg.Error as error:
        pytest.fail(f"PostgreSQL is unreachable at {database_url}: {error}", pytrace=False)
    for name, url in (("Redis", redis_url), ("the Celery broker", settings.CELERY_BROKER_URL)):
        try:
            redis.Redis.from_url(url, socket_connect_timeout=5).ping()
        except redis.RedisError as error:
            pytest.fail(f"{name} is unreachable at {url}: {error}", pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def _real_services():
    """Every integration test needs the real services: check them once, before the database."""
    _require_services()


@pytest.fixture(scope="session", autouse=True)
def stripe_server(_real_services):
    """A fake Stripe (tests/fakestripe) on a local port, with billing configured against it.

    Set in the environment before the worker starts (it reads the same settings) and in
    this process's settings. Webhooks are posted by the tests themselves unless a test
    points ``webhook_url`` at the live server and sets ``deliver = "auto"``.
    """
    from django.conf import settings

    from tests.fakestripe import FakeStripe

    server = FakeStripe(deliver="manual", webhook_secret="whsec_integration").start()
    values = {
        "STRIPE_TEST_SECRET_KEY": "sk_test_integration",
        "STRIPE_API_BASE": server.url,
        "DJSTRIPE_WEBHOOK_SECRET": server.webhook_secret,
    }
    os.environ.update(values)
    for name, value in values.items():
        setattr(settings, name, value)
    settings.STRIPE_IS_CONFIGURED = True
    yield server
    server.stop()


@pytest.fixture(scope="session", autouse=True)
def live_callback_secret(_real_services):
    """nginx-rtmp's callback secret, so live ingest is configured (here and for the worker)."""
    from django.conf import settings

    os.environ["LIVE_CALLBACK_SECRET"] = "integration-live-callbacks"
    settings.LIVE_CALLBACK_SECRET = os.environ["LIVE_CALLBACK_SECRET"]
    return settings.LIVE_CALLBACK_SECRET


@pytest.fixture(scope="session", autouse=True)
def live_recordings_dir(_real_services, tmp_path_factory) -> Path:
    """nginx-rtmp's recordings directory, the same for nginx, this process (its
    on_record_done checks the path) and the worker (it turns a recording into the replay).

    Set in the environment before the session's worker starts, as is the worker's
    MEDIA_ROOT (a session folder, not the checkout's var/: replays are written there).
    """
    from django.conf import settings

    path = tmp_path_factory.mktemp("live-recordings")
    os.environ["LIVE_RECORDINGS_DIR"] = str(path)
    os.environ.setdefault("MEDIA_ROOT", str(tmp_path_factory.mktemp("worker-media")))
    settings.LIVE_RECORDINGS_DIR = str(path)
    return path


@pytest.fixture(scope="session")
def django_db_setup(_real_services, django_db_setup):
    """pytest-django's test database (``test_<name>``), created only once the services answer."""
    return django_db_setup


@pytest.fixture(autouse=True)
def _isolated_state(settings, tmp_path):
    """Media in a temporary folder; the shared Redis is left alone.

    Replaces the suite-wide fixture of the same name, which clears the cache: on Redis
    that flushes the database the broker and channel layer use too, and would drop the
    running worker's queue bindings.
    """
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/media/"},
        },
    }


def _test_database_url() -> str:
    """DATABASE_URL with the database name pytest-django created (``test_<name>``)."""
    from django.db import connection

    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


# The session's worker consumes every queue (CELERY_TASK_QUEUES), as `make run`'s does.
ALL_QUEUES = "celery,media,moderation"


def worker_command(hostname: str, *, queue: str = ALL_QUEUES, pool: str = "solo") -> list[str]:
    """A ``celery worker`` on the solo pool (tasks and their children run in it), or
    ``pool`` with one process or thread."""
    return [
        str(Path(sys.executable).with_name("celery")),
        "--workdir", "platform", "-A", "config", "worker",
        "--pool", pool, "--loglevel", "INFO", "--without-gossip", "--without-mingle",
        "--hostname", hostname, "--queues", queue,
        *([] if pool == "solo" else ["--concurrency", "1"]),
    ]  # fmt: skip


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup,
    django_db_blocker,
    tmp_path_factory,
    stripe_server,
    live_callback_secret,
    live_recordings_dir,
):
    """A real ``celery worker`` process on the Redis broker, writing to the test database.

    Started as ``make run`` and the deployment start it; waits until the worker
    answers a ping; stopped at the end of the session. Yields the process.
    """
    from config.celery import app

    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    hostname = f"integration-{os.getpid()}@{socket.gethostname()}"
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "LOG_FORMAT": "text"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603
            worker_command(hostname),
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def worker_log() -> str:
        return log_path.read_text(errors="replace")[-4000:]

    try:
        deadline = time.monotonic() + WORKER_READY_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"The Celery worker exited with {process.returncode}:\n{worker_log()}",
                    pytrace=False,
                )
            if app.control.ping(destination=[hostname], timeout=1.0):
                break
            if time.monotonic() > deadline:
                pytest.fail(
                    f"The Celery worker did not answer within {WORKER_READY_SECONDS}s:\n"
                    f"{worker_log()}",
                    pytrace=False,
                )
        process.worker_log = worker_log
        _worker["hostname"] = hostname
        yield process
    finally:
        _worker.clear()
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _worker_busy(hostname: str) -> bool:
    """Whether the worker holds or runs a task, or the broker's queue still has one."""
    import redis
    from django.conf import settings

    from config.celery import app

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    if any(broker.llen(queue) for queue in ALL_QUEUES.split(",")):
        return True
    inspect = app.control.inspect(destination=[hostname], timeout=2.0)
    for answer in (inspect.active(), inspect.reserved()):
        if answer is None or any(answer.values()):
            return True
    return False


@pytest.fixture(autouse=True)
def _worker_quiet_before_flush(request):
    """After a transactional test, wait for the worker to finish what the test queued.

    pytest-django empties the tables with one TRUNCATE when such a test ends; a task
    the test queued, still writing, deadlocks with it and the flush fails. Set up
    after the database fixture, so this runs before its teardown.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None
        and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))
    )
    if transactional:
        request.getfixturevalue("_django_db_helper")
    yield
    hostname = _worker.get("hostname")
    if not transactional or hostname is None:
        return
    deadline = time.monotonic() + WORKER_QUIET_SECONDS
    while _worker_busy(hostname):
        if time.monotonic() > deadline:
            pytest.fail(f"The Celery worker was still busy {WORKER_QUIET_SECONDS}s after the test.")
        time.sleep(0.2)

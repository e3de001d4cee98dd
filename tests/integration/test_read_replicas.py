"""Read replicas end to end: a private PostgreSQL primary, its streaming replica, Agora under uvicorn.

The shared PostgreSQL takes no replication connections, so the test starts its own
primary cluster (initdb), loads the session's migrated test database into it
(pg_dump/pg_restore: seconds, where migrating takes minutes), clones it into a
streaming replica (pg_basebackup -R -X stream) and serves Agora over HTTP with
``DATABASE_REPLICA_URLS`` pointing at the replica. Pausing the replica's replay makes
what it serves observably stale: a status the primary has and the replica has not
replayed is 404 where the replica answers, 200 where the primary does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from tests.integration.conftest import _test_database_url
from tests.integration.uvicorn import Uvicorn, free_port

# The session's test database must exist and be migrated: it is what the private
# primary is loaded from (transactional: the test itself writes nothing there).
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_TOOLS = ("initdb", "pg_ctl", "pg_basebackup", "pg_dump", "pg_restore")
DATABASE = "agora"
PIN_SECONDS = 2
MAX_LAG_SECONDS = 8
CHECK_SECONDS = 1
STARTUP_SECONDS = 60
CATCH_UP_SECONDS = 30


def _require_tools() -> None:
    missing = [tool for tool in PG_TOOLS if not (PG_BIN / tool).exists()]
    if not missing:
        return
    # The integration suite never skips (in CI or out of it): a missing tool fails.
    pytest.fail(
        f"PostgreSQL 15's server tools are missing ({', '.join(missing)} in {PG_BIN}): "
        "install the postgresql-15 package (deploy/system-packages.sh).",
        pytrace=False,
    )


def _run(*args: str | Path, as_postgres: bool = True, **kwargs) -> subprocess.CompletedProcess:
    """Runs a PostgreSQL tool; as the postgres user when we are root (initdb refuses root)."""
    command = [str(arg) for arg in args]
    if as_postgres and os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    result = subprocess.run(  # noqa: S603
        command, capture_output=True, text=kwargs.pop("text", True), timeout=120, **kwargs
    )
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@dataclass
class Cluster:
    """A PostgreSQL cluster of the test's own, on 127.0.0.1:port."""

    data_dir: Path
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.data_dir.parent} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        _run(
            PG_BIN / "pg_ctl", "-D", self.data_dir, "-l", f"{self.data_dir}.log",
            "-w", "-t", "60", "-o", options, "start",
        )  # fmt: skip

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            subprocess.run(  # noqa: S603
                [
                    *(["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []),
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],  # fmt: skip
                capture_output=True,
                timeout=60,
                check=False,
            )

    def connect(self, dbname: str = DATABASE) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, autocommit=True
        )

    def execute(self, sql: str, dbname: str = DATABASE) -> None:
        with self.connect(dbname) as connection:
            connection.execute(sql)

    def value(self, sql: str, dbname: str = DATABASE):
        with self.connect(dbname) as connection:
            row = connection.execute(sql).fetchone()
        return None if row is None else row[0]


@dataclass
class Replication:
    primary: Cluster
    replica: Cluster

    def caught_up(self) -> None:
        """Waits until the replica has replayed everything the primary wrote until now."""
        target = self.primary.value("SELECT pg_current_wal_lsn()::text")
        deadline = time.monotonic() + CATCH_UP_SECONDS
        while time.monotonic() < deadline:
            replayed = self.replica.value(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")
            if replayed:
                return
            time.sleep(0.05)
        pytest.fail(f"The replica did not replay up to {target} in {CATCH_UP_SECONDS}s")

    def pause_after_heartbeat(self) -> float:
        """A fresh commit replayed, then replay paused: lag starts counting from now.

        The replica measures its lag from the last transaction it replayed; without a
        fresh one, an idle primary's old commit would count as lag at once.
        """
        with self.primary.connect() as connection:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS replica_heartbeat (at timestamptz NOT NULL)"
            )
            connection.execute("INSERT INTO replica_heartbeat VALUES (now())")
        self.caught_up()
        started = time.monotonic()
        with self.replica.connect() as connection:
            connection.execute("SELECT pg_wal_replay_pause()")
            while connection.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0] != (
                "paused"
            ):
                time.sleep(0.02)
        return started

    def resume(self) -> None:
        self.replica.execute("SELECT pg_wal_replay_resume()")
        self.caught_up()


class Agora(Uvicorn):
    """Agora's ASGI application under uvicorn, on the private primary and its replica."""

    def __init__(self, log_path: Path, env: dict[str, str]) -> None:
        super().__init__(log_path, env, startup_seconds=STARTUP_SECONDS)
        # (when, method, path, authenticated, status) of every request, for the failures.
        self.answers: list[tuple] = []

    def request(
        self, method: str, path: str, *, token: str | None = None, body: dict | None = None
    ) -> tuple[int, dict, dict]:
        """(status, headers, JSON body); a 5xx other than 503 fails the test on the spot."""
        request = urllib.request.Request(  # noqa: S310 (a local http URL)
            f"http://127.0.0.1:{self.port}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                **({"Authorization": f"Bearer {token}"} if token else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status, raw_headers, content = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, raw_headers, content = error.code, error.headers, error.read()
        headers = {name.lower(): value for name, value in raw_headers.items()}
        self.answers.append((round(time.monotonic(), 2), method, path, bool(token), status))
        if status >= 500:
            assert status == 503, f"{method} {path}: {status} {content!r}\n{self.log()}"
            assert "retry-after" in headers, headers
        return status, headers, json.loads(content or b"{}")

    def status_of(self, status_id: str, token: str | None = None) -> int:
        return self.request("GET", f"/api/v1/statuses/{status_id}", token=token)[0]


@pytest.fixture
def replication(django_db_setup) -> Iterator[Replication]:
    """A private primary holding a copy of the session's test database, and its replica."""
    _require_tools()
    root = Path(tempfile.mkdtemp(prefix="agora-replicas-"))
    primary = Cluster(root / "primary")
    replica = Cluster(root / "replica")
    try:
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        root.chmod(0o700)
        _run(
            PG_BIN / "initdb", "-D", primary.data_dir, "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        with (primary.data_dir / "pg_hba.conf").open("a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        primary.start()
        primary.execute(f"CREATE DATABASE {DATABASE}", dbname="postgres")
        dump = _run(
            PG_BIN / "pg_dump", "-Fc", "-d", _test_database_url(), as_postgres=False, text=False
        )
        restore = subprocess.run(  # noqa: S603
            [str(PG_BIN / "pg_restore"), "--no-owner", "--no-acl", "-d", primary.url],
            input=dump.stdout,
            capture_output=True,
            timeout=300,
            check=False,
        )
        assert restore.returncode == 0, restore.stderr.decode(errors="replace")
        assert primary.value("SELECT to_regclass('accounts_user') IS NOT NULL"), (
            "the session's test database was not migrated"
        )
        _run(
            PG_BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-D", replica.data_dir, "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        replica.start()
        replication = Replication(primary, replica)
        assert replica.value("SELECT pg_is_in_recovery()") is True
        replication.caught_up()
        yield replication
    finally:
        replica.stop()
        primary.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def agora(replication, tmp_path) -> Iterator[Agora]:
    # Nothing shared with the session's server and worker: no Redis (its cache, rate limits
    # and channel layer live in the one process; the pins too) and tasks that stay in the
    # process. On the session's Redis its moderation marked a drain as queued that no worker
    # would ever run, and the session's later posts waited for it.
    env = {
        **{name: value for name, value in os.environ.items() if name != "REDIS_URL"},
        "DATABASE_URL": replication.primary.url,
        "DATABASE_REPLICA_URLS": replication.replica.url,
        "DATABASE_REPLICA_PIN_SECONDS": str(PIN_SECONDS),
        "DATABASE_REPLICA_MAX_LAG_SECONDS": str(MAX_LAG_SECONDS),
        "DATABASE_REPLICA_CHECK_SECONDS": str(CHECK_SECONDS),
        "DATABASE_POOL_TIMEOUT": "1",
        "CELERY_BROKER_URL": "memory://",
        "LOG_FORMAT": "text",
    }
    server = Agora(tmp_path / "uvicorn.log", env)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def _token(env: dict[str, str]) -> str:
    """An account and its token, created in the private primary."""
    code = (
        "from tests.accounts.factories import AccessTokenFactory; print(AccessTokenFactory().token)"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_reads_go_to_the_replica_except_own_writes_lag_and_failure(replication, agora):
    try:
        _exercise(replication, agora)
    except AssertionError as error:
        raise AssertionError(f"{error}\nanswers: {agora.answers}\n{agora.log()}") from error


def _exercise(replication: Replication, agora: Agora) -> None:
    author = _token(agora.env)
    replication.caught_up()

    # 1. Routing: the replica has not replayed the new status; anonymous reads go there.
    paused_at = replication.pause_after_heartbeat()
    status, _, posted = agora.request(
        "POST", "/api/v1/statuses", token=author, body={"status": "on the primary"}
    )
    assert status == 200, posted
    assert agora.status_of(posted["id"]) == 404

    # 2. Read-your-writes: the author reads the primary for PIN_SECONDS, then the replica.
    assert agora.status_of(posted["id"], token=author) == 200
    time.sleep(PIN_SECONDS + 0.3)
    assert agora.status_of(posted["id"], token=author) == 404
    assert time.monotonic() - paused_at < MAX_LAG_SECONDS, "too slow to see the replica"

    # 3. Lag: past MAX_LAG_SECONDS (and the next check) the replica is skipped.
    deadline = paused_at + MAX_LAG_SECONDS + CHECK_SECONDS + 5
    while (answer := agora.status_of(posted["id"])) == 404 and time.monotonic() < deadline:
        time.sleep(0.2)
    switched_after = time.monotonic() - paused_at
    assert answer == 200
    assert switched_after >= MAX_LAG_SECONDS - 1, switched_after

    # ... and used again once it caught up: it has the first status now, not a new one.
    replication.resume()
    time.sleep(CHECK_SECONDS + 0.5)
    replication.pause_after_heartbeat()
    status, _, second = agora.request(
        "POST", "/api/v1/statuses", token=author, body={"status": "also on the primary"}
    )
    assert status == 200, second
    assert agora.status_of(second["id"]) == 404
    assert agora.status_of(posted["id"]) == 200
    replication.resume()

    # 4. Failover: the replica crashes; within CHECK_SECONDS the primary answers every read.
    replication.replica.stop()
    crashed_at = time.monotonic()
    # The first read may still pick the crashed replica (its last check said healthy):
    # 200 or 503 with Retry-After (request() checks), never a 500.
    first = agora.status_of(second["id"])
    assert first in (200, 503)
    assert [answer for answer in agora.answers if answer[0] < crashed_at and answer[4] >= 500] == []
    time.sleep(max(0.0, crashed_at + CHECK_SECONDS + 0.5 - time.monotonic()))
    answers = [agora.status_of(status_id) for status_id in [posted["id"], second["id"]] * 5]
    assert answers == [200] * 10
    assert agora.status_of(second["id"], token=author) == 200

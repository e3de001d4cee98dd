"""Helpers of the crash tests: Celery workers this test starts itself, to kill."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.integration.conftest import (
    BASE_DIR,
    WORKER_READY_SECONDS,
    _test_database_url,
    worker_command,
)

S3_STORAGE_VARIABLES = ("AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL")


class Worker:
    """A ``celery worker`` process (solo pool unless ``pool`` says otherwise: tasks and
    their children run in it)."""

    def __init__(
        self,
        *,
        name: str,
        log_dir: Path,
        env: dict[str, str],
        queue: str = "celery",
        pool: str = "solo",
    ):
        self.hostname = f"{name}-{os.getpid()}@{socket.gethostname()}"
        self.log_path = log_dir / f"{name}.log"
        command = worker_command(self.hostname, queue=queue, pool=pool)
        environment = {
            # Local media: not the S3 bucket test_media_s3 puts in the environment on import.
            **{k: v for k, v in os.environ.items() if k not in S3_STORAGE_VARIABLES},
            "DATABASE_URL": _test_database_url(),
            "LOG_FORMAT": "text",
            **env,
        }
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                command, cwd=BASE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def wait_ready(self) -> None:
        """Wait for the worker's "ready" line (a solo worker busy on a task answers no ping)."""
        deadline = time.monotonic() + WORKER_READY_SECONDS
        while f"{self.hostname} ready." not in self.log():
            time.sleep(0.2)
            if self.process.poll() is not None:
                pytest.fail(f"worker exited with {self.process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"worker not ready in {WORKER_READY_SECONDS}s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL the worker process alone (not its process group): a crash."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def children_of(pid: int) -> list[int]:
    """The live child processes of ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def is_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@contextmanager
def private_queue():
    """A queue of this test's own: what this process enqueues goes there, and only the
    workers started with ``queue=`` it consume it, never the session's shared worker
    (which ``test_media_s3`` points at its bucket).

    Yields the queue's name.
    """
    from config.celery import app

    name = f"crash-{os.getpid()}-{time.monotonic_ns()}"
    default, routes = app.conf.task_default_queue, app.conf.task_routes

    def route(*, default_queue: str, task_routes: object) -> None:
        # Without routes every task goes to the default queue (media.process too, which
        # is routed to "media" otherwise). Celery caches its router: rebuild it.
        app.conf.task_default_queue = default_queue
        app.conf.task_routes = task_routes
        app.amqp.flush_routes()
        app.amqp.router = app.amqp.Router()

    route(default_queue=name, task_routes={})
    try:
        yield name
    finally:
        route(default_queue=default, task_routes=routes)

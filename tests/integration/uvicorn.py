"""Agora's ASGI application under a real uvicorn process, for the integration tests that
need a server (sockets, several processes, a restart)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Uvicorn:
    """``config.asgi:application`` served as ``make run`` serves it, on a free port, with
    ``env`` (the caller's settings) and its output in ``log_path``; ``extra`` arguments
    follow uvicorn's own."""

    def __init__(
        self,
        log_path: Path,
        env: dict[str, str],
        *,
        extra: tuple[str, ...] = (),
        startup_seconds: float = 30,
    ) -> None:
        self.port = free_port()
        self.log_path = log_path
        self.env = env
        self.extra = extra
        self.startup_seconds = startup_seconds
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start it and wait until it listens; fails the test with its log otherwise."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    str(Path(sys.executable).with_name("uvicorn")),
                    "config.asgi:application",
                    "--app-dir",
                    "platform",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--lifespan",
                    "off",
                    "--no-proxy-headers",
                    *self.extra,
                ],  # fmt: skip
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + self.startup_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"uvicorn exited:\n{self.log()}", pytrace=False)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"uvicorn did not listen within {self.startup_seconds}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

"""ffmpeg dies with the worker that started it (PR_SET_PDEATHSIG on Linux)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
PARENT = """
import subprocess, sys, time
from apps.media.ffmpeg import child_options
child = subprocess.Popen(["sleep", "60"], **child_options())
print(child.pid, flush=True)
time.sleep(60)
"""


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie waiting for its (new) parent to reap it is dead too.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_child_dies_when_its_worker_is_killed():
    # given a worker process that started a long-running child
    parent = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", PARENT],
        cwd=BASE_DIR,
        env={**os.environ, "PYTHONPATH": f"{BASE_DIR}:{BASE_DIR / 'platform'}"},
        stdout=subprocess.PIPE,
    )
    child_pid = int(parent.stdout.readline())
    assert is_alive(child_pid)

    # when the worker is killed with SIGKILL
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    parent.stdout.close()

    # then the child is gone within a second
    deadline = time.monotonic() + 1
    while is_alive(child_pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not is_alive(child_pid)

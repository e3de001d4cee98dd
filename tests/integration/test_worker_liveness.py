"""A real prefork worker's liveness file: touched while its main loop turns, left alone once
the loop stops (the process stopped, or its consumer reconnecting to a broker that went
away), and judged by the probe command of the worker manifests.

The workers are this test's own, on a queue nobody sends to (they take no task of the
session's), touching every second instead of the production ten.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.core.test_outages import RedisServer
from tests.deploy.test_k8s_manifests import liveness_of, probe_passes, workers
from tests.integration.crash import Worker, children_of

pytestmark = pytest.mark.integration


def touched_after(path, moment: float, *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_mtime > moment:
            return True
        time.sleep(0.1)
    return False


def liveness_worker(tmp_path, path, **env) -> Worker:
    return Worker(
        name="liveness",
        log_dir=tmp_path,
        env={"WORKER_LIVENESS_FILE": str(path), "WORKER_LIVENESS_SECONDS": "1", **env},
        queue=f"liveness-{os.getpid()}",
        pool="prefork",
    )


def test_the_worker_loop_touches_its_liveness_file_and_stops_when_the_loop_stops(tmp_path):
    path = tmp_path / "alive"
    worker = liveness_worker(tmp_path, path)
    try:
        worker.wait_ready()
        # the loop touches the file every second, and the manifests' probe passes
        assert touched_after(path, 0, seconds=5), worker.log()
        first = path.stat().st_mtime
        assert touched_after(path, first, seconds=5), worker.log()
        named, _startup, command = liveness_of(workers()["agora-worker-default"])
        assert probe_passes(command, named, path)

        # the main process stopped (its pool's child still alive): no more touches
        assert children_of(worker.pid)
        os.kill(worker.pid, signal.SIGSTOP)
        try:
            time.sleep(1.5)  # a touch under way when it stopped lands
            stopped_at = path.stat().st_mtime
            assert not touched_after(path, stopped_at, seconds=3)
        finally:
            os.kill(worker.pid, signal.SIGCONT)

        # and once it turns again, so do the touches
        assert touched_after(path, stopped_at, seconds=5), worker.log()
    finally:
        worker.stop()


def test_a_worker_whose_broker_went_away_stops_touching_till_it_reconnects(tmp_path):
    # a broker of this test's own, which it stops and starts again on the same port
    broker = RedisServer(tmp_path)
    broker.start()
    path = tmp_path / "alive"
    worker = liveness_worker(tmp_path, path, CELERY_BROKER_URL=broker.url)
    try:
        worker.wait_ready()
        assert touched_after(path, 0, seconds=5), worker.log()

        # the broker goes away: the consumer reconnects outside the loop, which stops
        broker.stop()
        time.sleep(2)
        gone_at = path.stat().st_mtime
        assert not touched_after(path, gone_at, seconds=4), worker.log()

        # the broker is back: the consumer reconnects (its retries wait 2, 4, 6... s)
        broker.start()
        assert touched_after(path, gone_at, seconds=30), worker.log()
        assert worker.process.poll() is None
    finally:
        worker.stop()
        broker.stop()

"""A Celery worker killed with SIGKILL mid-transcode: the task is redelivered once its
visibility timeout passes, the job finishes, and no ffmpeg outlives the worker.

The workers here are this test's own (solo pool, so ffmpeg is the worker's child), with
a 20-second visibility timeout instead of the production value sized to the longest task.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from apps.media import services
from apps.media.models import MediaAttachment, ProcessingState
from core.models import BackgroundJob
from tests.accounts.factories import UserFactory
from tests.integration.crash import Worker, children_of, command_of, is_alive, private_queue

pytestmark = pytest.mark.integration

VISIBILITY_TIMEOUT = 20
WORKER_ENV = {
    "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
    "JOBS_HEARTBEAT_SECONDS": "1",
    "EVENTS_RELAY_IN_PROCESS": "false",
}


@pytest.fixture
def long_video(tmp_path) -> Path:
    """A 720p clip long enough that its transcode takes several seconds."""
    path = tmp_path / "long.mp4"
    subprocess.run(  # noqa: S603
        ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y"]  # noqa: S607
        + ["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi"]
        + ["-i", "sine=frequency=440", "-t", "40", "-c:v", "libx264", "-preset", "ultrafast"]
        + ["-c:a", "aac", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )
    return path


def wait_for(predicate, *, seconds: float, what: str, worker: Worker | None = None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    log = worker.log() if worker is not None else ""
    pytest.fail(f"{what} did not happen within {seconds}s\n{log}")


@pytest.fixture
def private_queue_name():
    with private_queue() as name:
        yield name


def test_a_worker_killed_mid_transcode_is_redelivered_and_leaves_no_ffmpeg(
    transactional_db, settings, tmp_path, long_video, private_queue_name
):
    # given a worker transcoding a video (the media storage shared with it)
    env = {**WORKER_ENV, "MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    queue = private_queue_name
    first = Worker(name="doomed", log_dir=tmp_path, env=env, queue=queue)
    second = None
    try:
        first.wait_ready()
        owner = UserFactory(username="crash_owner")
        with long_video.open("rb") as handle:
            media = services.media_create(account=owner, file=handle)
        job_id = media.job_id

        def ffmpeg_running() -> list[int]:
            return [pid for pid in children_of(first.pid) if "ffmpeg" in command_of(pid)]

        ffmpeg_pids = wait_for(ffmpeg_running, seconds=120, what="ffmpeg starting", worker=first)
        wait_for(
            lambda: BackgroundJob.objects.get(pk=job_id).progress > 0,
            seconds=60,
            what="transcode progress",
            worker=first,
        )
        job = BackgroundJob.objects.get(pk=job_id)
        assert job.status == BackgroundJob.Status.PROGRESS
        assert job.progress < 100

        # when the worker is killed with SIGKILL mid-transcode
        killed_at = time.monotonic()
        first.kill()

        # then its ffmpeg dies with it
        wait_for(
            lambda: not any(is_alive(pid) for pid in ffmpeg_pids),
            seconds=2,
            what="ffmpeg exiting with its worker",
        )

        # when another worker comes up
        second = Worker(name="survivor", log_dir=tmp_path, env=env, queue=queue)
        second.wait_ready()

        # then the task is redelivered after the visibility timeout and the job finishes
        def finished() -> BackgroundJob | None:
            job = BackgroundJob.objects.get(pk=job_id)
            return job if job.is_finished else None

        job = wait_for(
            finished, seconds=VISIBILITY_TIMEOUT + 180, what="the job finishing", worker=second
        )
        assert time.monotonic() - killed_at < VISIBILITY_TIMEOUT + 180
        assert job.status == BackgroundJob.Status.SUCCESS, second.log()
        assert job.attempts == 2
        media = MediaAttachment.objects.get(pk=media.pk)
        assert media.state == ProcessingState.READY
        # and no ffmpeg is left anywhere under either worker
        assert ffmpeg_running() == []
        assert [pid for pid in children_of(second.pid) if "ffmpeg" in command_of(pid)] == []
    finally:
        first.stop()
        if second is not None:
            second.stop()

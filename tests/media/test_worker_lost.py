"""A transcode whose worker vanished stops answering 206: the reaper fails it with a reason."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from apps.media.models import MediaAttachment, ProcessingState
from core.jobs import WORKER_LOST_FAILURE
from core.models import BackgroundJob
from core.tasks import jobs_reap_task


def test_media_whose_worker_vanished_too_often_fails_with_a_reason(alice, samples, settings):
    # given a video whose processing job stopped hearing from its worker at 19%
    settings.JOBS_HEARTBEAT_TIMEOUT = 60
    settings.JOBS_LOST_MAX_ATTEMPTS = 3
    media_id = alice.upload(samples["video"]).json()["id"]
    media = MediaAttachment.objects.get(pk=media_id)
    MediaAttachment.objects.filter(pk=media.pk).update(state=ProcessingState.PROCESSING)
    silent_since = timezone.now() - timedelta(minutes=5)
    BackgroundJob.objects.filter(pk=media.job_id).update(
        status=BackgroundJob.Status.PROGRESS,
        progress=19,
        attempts=3,
        task_id="lost",
        task_name="media.process",
        task_kwargs={"job_id": media.job_id, "media_id": media.pk},
        heartbeat_at=silent_since,
    )
    assert alice.client.get(f"/api/v1/media/{media_id}").status_code == 206

    # when the reaper runs
    assert jobs_reap_task() == {"retried": 0, "failed": 1}

    # then the job and the media failed with the same reason, and the API says so
    job = BackgroundJob.objects.get(pk=media.job_id)
    media.refresh_from_db()
    assert job.status == BackgroundJob.Status.FAILURE
    assert job.error == WORKER_LOST_FAILURE
    assert media.state == ProcessingState.FAILED
    assert media.failure_reason == WORKER_LOST_FAILURE
    response = alice.client.get(f"/api/v1/media/{media_id}")
    assert response.status_code == 422
    assert response.json()["error"] == WORKER_LOST_FAILURE

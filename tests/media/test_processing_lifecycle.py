"""Failures, retries, readiness without ffmpeg, and the periodic clean-up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.media import services
from apps.media.models import MediaAttachment, ProcessingState
from apps.media.tasks import media_remove_unattached_task
from core import errors
from core.models import BackgroundJob
from tests.media.conftest import stored_files


@pytest.fixture
def processed(django_capture_on_commit_callbacks, eager):
    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            return call()

    return run


def test_failing_transcode_is_retried_then_fails_with_a_reason(alice, samples, processed, settings):
    # given ffmpeg cannot finish in the time allowed
    settings.MEDIA_TRANSCODE_TIMEOUT = 0.001
    settings.MEDIA_PROCESS_MAX_RETRIES = 2

    # when a video is uploaded and processed
    media_id = processed(lambda: alice.upload(samples["video"])).json()["id"]

    # then the job was tried three times and failed with a reason the owner can read
    media = MediaAttachment.objects.get(pk=media_id)
    job = BackgroundJob.objects.get(pk=media.job_id)
    assert job.status == "FAILURE"
    assert job.attempts == 3
    assert job.error == "Transcoding failed: ffmpeg timed out"
    assert media.state == ProcessingState.FAILED
    assert media.failure_reason == "Transcoding failed: ffmpeg timed out"
    response = alice.client.get(f"/api/v1/media/{media_id}")
    assert response.status_code == 422
    assert response.json()["error"] == "Transcoding failed: ffmpeg timed out"
    # and nothing half-made stays in storage: only the upload, kept for a retry
    assert [name.rsplit("/", 1)[1] for name in stored_files()] == ["source.mp4"]

    # when the operator retries once ffmpeg has its time again
    settings.MEDIA_TRANSCODE_TIMEOUT = 600
    processed(lambda: services.media_retry(media=media))

    # then it succeeds with a new job
    media.refresh_from_db()
    assert media.state == ProcessingState.READY
    assert media.job_id != job.pk
    assert alice.client.get(f"/api/v1/media/{media_id}").status_code == 200


def test_only_failed_media_can_be_retried(alice, samples):
    media = MediaAttachment.objects.get(pk=alice.upload(samples["jpeg"]).json()["id"])
    with pytest.raises(errors.Unprocessable):
        services.media_retry(media=media)


def test_progress_is_visible_to_the_owner_as_the_job(alice, samples, processed):
    media_id = processed(lambda: alice.upload(samples["video"])).json()["id"]
    job_id = MediaAttachment.objects.get(pk=media_id).job_id
    answer = alice.client.get(f"/api/agora/v1/jobs/{job_id}")
    assert answer.status_code == 200
    assert answer.json()["progress"] == 100
    assert answer.json()["status"] in ("SUCCESS", "success")


# Without ffmpeg -----------------------------------------------------------------


@pytest.fixture
def without_ffprobe(settings):
    settings.MEDIA_FFPROBE_BINARY = "/nonexistent/ffprobe"


def test_readyz_reports_media_processing_unavailable(db, worker_alive, client, without_ffprobe):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert "media_processing" in body["degraded"]
    check = body["optional"]["media_processing"]
    assert check["status"] == "error"
    assert check["detail"] == "media processing unavailable: ffprobe not installed"


def test_readyz_reports_media_processing_ok_with_ffmpeg(db, worker_alive, client):
    body = client.get("/readyz").json()
    assert body["optional"]["media_processing"]["status"] == "ok"
    assert "media_processing" not in body["degraded"]


def test_video_upload_says_processing_is_unavailable(alice, samples, without_ffprobe):
    response = alice.upload(samples["video"])
    assert response.status_code == 503
    assert response.json()["error"] == (
        "Media processing is unavailable: ffprobe not installed on this server."
    )
    assert response["Retry-After"] == "5"
    assert MediaAttachment.objects.count() == 0
    assert stored_files() == []


def test_images_still_work_without_ffmpeg(alice, samples, without_ffprobe):
    assert alice.upload(samples["jpeg"]).status_code == 200


# Clean-up -----------------------------------------------------------------------


def test_unattached_media_older_than_a_day_is_removed(
    alice, samples, django_capture_on_commit_callbacks
):
    old = alice.upload(samples["jpeg"]).json()["id"]
    old_attached = alice.upload(samples["png_alpha"]).json()["id"]
    fresh = alice.upload(samples["png_with_zip"]).json()["id"]
    day_ago = timezone.now() - timedelta(hours=25)
    MediaAttachment.objects.filter(pk__in=[old, old_attached]).update(created_at=day_ago)
    MediaAttachment.objects.filter(pk=old_attached).update(status_id=123)
    old_files = list(MediaAttachment.objects.get(pk=old).files.values())

    with django_capture_on_commit_callbacks(execute=True):
        removed = media_remove_unattached_task()

    assert removed == 1
    assert set(MediaAttachment.objects.values_list("pk", flat=True)) == {
        int(old_attached),
        int(fresh),
    }
    remaining = stored_files()
    assert not any(name in remaining for name in old_files)
    assert len(remaining) == 4

"""A refused file is explained to the uploader without the server's paths; the log keeps them."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from apps.media.models import MediaAttachment
from core.models import BackgroundJob
from tests.media.conftest import stored_files

pytestmark = pytest.mark.django_db


def _truncated(source: Path, path: Path, keep: float) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


@pytest.mark.parametrize("keep", [0.6, 0.1], ids=["cut-at-60-percent", "cut-at-10-percent"])
def test_a_truncated_mp4_is_422_without_server_paths(alice, samples, tmp_path, caplog, keep):
    # given an MP4 cut short
    path = _truncated(samples["video"], tmp_path / "cut.mp4", keep)

    # when alice uploads it
    with caplog.at_level(logging.INFO, logger="apps.media"):
        response = alice.upload(path)

    # then she reads what is wrong, and nothing of the server's folders
    assert response.status_code == 422, response.json()
    assert response.json() == {
        "error": "The file could not be read as video: it is truncated or corrupt."
    }
    body = response.content.decode()
    for secret in (str(django_settings.MEDIA_WORK_DIR), str(django_settings.MEDIA_ROOT), "/tmp"):  # noqa: S108
        assert secret not in body
    assert "media-" not in body
    # and the operator finds ffprobe's own words in the log
    assert any(record.getMessage().startswith("ffprobe refused") for record in caplog.records)
    # and nothing was written
    assert MediaAttachment.objects.count() == 0
    assert BackgroundJob.objects.count() == 0
    assert stored_files() == []


def test_a_failing_transcode_tells_the_owner_without_server_paths(
    alice, samples, settings, tmp_path, caplog, eager, django_capture_on_commit_callbacks
):
    # given an ffmpeg that fails naming the files it was given, as ffmpeg's errors do
    fake = tmp_path / "ffmpeg"
    fake.write_text('#!/bin/sh\necho "$@: Invalid argument" >&2\nexit 1\n')
    fake.chmod(0o755)
    settings.MEDIA_FFMPEG_BINARY = str(fake)
    settings.MEDIA_PROCESS_MAX_RETRIES = 0

    # when a video is uploaded and processed
    with caplog.at_level(logging.INFO, logger="apps.media"):
        with django_capture_on_commit_callbacks(execute=True):
            media_id = alice.upload(samples["video"]).json()["id"]

    # then the owner reads that transcoding failed, and nothing of the server's folders
    response = alice.client.get(f"/api/v1/media/{media_id}")
    assert response.status_code == 422
    assert response.json() == {"error": "Transcoding failed: ffmpeg could not convert the file."}
    assert MediaAttachment.objects.get().failure_reason == response.json()["error"]
    # and the operator finds ffmpeg's own words in the log
    assert any(record.getMessage().startswith("ffmpeg failed: ") for record in caplog.records)

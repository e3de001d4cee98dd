"""Replays: nginx-rtmp's closed recording becomes the stream's replay through the media pipeline."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from apps.live.models import Stream
from apps.live.services import replays
from apps.media.models import MediaAttachment
from apps.media.services import media_remove_unattached
from config.celery import app as celery_app
from core import entitlements

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _dirs(settings, tmp_path):
    settings.LIVE_RECORDINGS_DIR = str(tmp_path / "recordings")
    settings.MEDIA_WORK_DIR = str(tmp_path / "work")
    (tmp_path / "recordings").mkdir()


@pytest.fixture
def eager(settings):
    """Celery runs tasks in place; failures are recorded (not raised) and retries re-run."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_eager_propagates = True


@pytest.fixture(scope="module")
def flv(tmp_path_factory) -> Path:
    """Two seconds of 320x240 video with sound, as nginx-rtmp records it (FLV, H.264, AAC)."""
    path = tmp_path_factory.mktemp("flv") / "source.flv"
    subprocess.run(  # noqa: S603
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=25:duration=2",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=2",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            "-f",
            "flv",
            str(path),
        ],  # fmt: skip
        check=True,
    )
    return path


@pytest.fixture
def recorded(streamer, create_stream, nginx, settings, flv):
    """``recorded(contents=None)``: a stream that went live and ended, and its recording on disk."""

    def make(contents: bytes | None = None):
        created = create_stream(streamer)
        assert nginx("on_publish", created["ingest"]["stream_key"]).status_code == 302
        stream = Stream.objects.get(pk=created["id"])
        assert nginx("on_publish_done", stream.internal_name).status_code == 204
        path = Path(settings.LIVE_RECORDINGS_DIR) / f"{stream.internal_name}-1764892800.flv"
        path.write_bytes(flv.read_bytes() if contents is None else contents)
        return stream, path

    return make


@pytest.fixture
def record_done(nginx, django_capture_on_commit_callbacks):
    """``record_done(stream, path)``: nginx's callback, and the tasks it queues run at commit."""

    def post(stream, path, *, where="/var/lib/nginx/recordings"):
        # nginx reports the path on its own host: only the file's name is taken.
        with django_capture_on_commit_callbacks(execute=True):
            return nginx("on_record_done", stream.internal_name, path=f"{where}/{path.name}")

    return post


def test_the_recording_becomes_the_replay_and_is_then_deleted(
    eager, recorded, record_done, client_for, streamer
):
    # given a stream that ended, and the recording nginx closed
    stream, path = recorded()

    # when nginx says the recording is done
    response = record_done(stream, path)

    # then the media pipeline made a replay of it: HLS ladder, MP4 and a poster
    assert response.status_code == 204
    stream.refresh_from_db()
    media = stream.replay
    assert media is not None
    assert media.state == "ready"
    assert media.type == "video"
    assert {"hls", "mp4", "poster"} <= set(media.files)
    assert media.kept_by == f"live:{stream.pk}"
    assert media.perceptual_hashes
    assert not path.exists()

    # and viewers see it with the stream
    answer = client_for(streamer).get(f"/api/agora/v1/live/streams/{stream.pk}").json()
    assert answer["replay"]["state"] == "ready"
    assert answer["replay"]["media_attachment"]["type"] == "video"
    assert answer["replay"]["media_attachment"]["id"] == str(media.pk)

    # and the clean-up of unattached media keeps it
    MediaAttachment.objects.filter(pk=media.pk).update(
        created_at=media.created_at - timedelta(days=30)
    )
    media_remove_unattached()
    assert MediaAttachment.objects.filter(pk=media.pk).exists()


def test_a_second_record_done_changes_nothing(eager, recorded, record_done):
    # given a replay made from the recording
    stream, path = recorded()
    record_done(stream, path)
    stream.refresh_from_db()
    first = stream.replay_id

    # when the task is delivered again (the recording is gone by now)
    replays.replay_create(stream_id=stream.pk, file_name=path.name)

    # then
    stream.refresh_from_db()
    assert stream.replay_id == first
    assert MediaAttachment.objects.filter(kept_by=f"live:{stream.pk}").count() == 1


def test_a_replay_may_be_longer_than_the_plan_allows_uploads(
    eager, recorded, record_done, settings
):
    # given a plan allowing one-second uploads, and replays of up to a minute
    previous = entitlements._provider
    entitlements.set_provider(lambda user: entitlements.Entitlements(tier="t", max_video_seconds=1))
    settings.LIVE_REPLAY_MAX_SECONDS = 60
    try:
        stream, path = recorded()

        # when
        record_done(stream, path)
    finally:
        entitlements.set_provider(previous)

    # then the two-second recording became a replay
    stream.refresh_from_db()
    assert stream.replay is not None
    assert stream.replay.state == "ready"


def test_a_recording_longer_than_replays_may_be_is_kept_with_the_reason(
    eager, recorded, record_done, settings
):
    # given replays of at most one second
    settings.LIVE_REPLAY_MAX_SECONDS = 1
    stream, path = recorded()

    # when
    record_done(stream, path)

    # then no replay, the reason is on the stream, and the recording is not lost
    stream.refresh_from_db()
    assert stream.replay is None
    assert "2 seconds long" in stream.replay_failure
    assert path.exists()
    assert not MediaAttachment.objects.exists()


def test_a_recording_ffmpeg_cannot_read_is_retried_then_kept_with_the_reason(
    eager, recorded, record_done
):
    # given a recording that is not a video
    stream, path = recorded(contents=b"FLV\x01 this is not a recording" * 100)

    # when
    record_done(stream, path)

    # then
    stream.refresh_from_db()
    assert stream.replay is None
    assert stream.replay_failure.startswith("The recording could not be read")
    assert path.exists()


@pytest.mark.parametrize(
    "reported",
    [
        "../../etc/passwd",
        "/var/lib/nginx/recordings/somebody-else-1764892800.flv",
        "/var/lib/nginx/recordings/",
        "",
    ],
)
def test_a_path_that_is_not_this_streams_recording_is_refused(eager, recorded, nginx, reported):
    # given
    stream, path = recorded()

    # when
    response = nginx("on_record_done", stream.internal_name, path=reported)

    # then
    assert response.status_code == 422
    assert b"not a recording of this stream" in response.content
    stream.refresh_from_db()
    assert stream.replay is None
    assert path.exists()


def test_a_recording_that_is_not_there_is_404(eager, streamer, create_stream, nginx):
    created = create_stream(streamer)
    stream = Stream.objects.get(pk=created["id"])

    response = nginx(
        "on_record_done", stream.internal_name, path=f"/rec/{stream.internal_name}-1.flv"
    )

    assert response.status_code == 404
    stream.refresh_from_db()
    assert stream.replay is None


def test_record_done_needs_the_secret(recorded, nginx):
    stream, path = recorded()

    response = nginx("on_record_done", stream.internal_name, path=path.name, secret="wrong")

    assert response.status_code == 403
    assert path.exists()


def test_the_stream_list_renders_replays_without_a_query_per_stream(
    eager, recorded, record_done, client_for, streamer, django_assert_max_num_queries
):
    # given two ended streams with replays
    for _ in range(2):
        stream, path = recorded()
        record_done(stream, path)
    client = client_for(streamer)
    url = "/api/agora/v1/live/streams/{}"

    # then one stream's page costs the same with a replay as without
    with django_assert_max_num_queries(8):
        answer = client.get(url.format(stream.pk))
    assert answer.json()["replay"]["state"] == "ready"

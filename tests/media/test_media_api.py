"""Mastodon's media API end to end with real Pillow, ffprobe and ffmpeg."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from apps.media.models import MediaAttachment, ProcessingState
from core import events
from core.models import BackgroundJob
from tests.media.conftest import stored_files


@pytest.fixture
def processed(django_capture_on_commit_callbacks, eager):
    """``processed(call)``: run ``call`` and every task it enqueues, return its response."""

    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            return call()

    return run


@pytest.fixture
def published():
    """MediaProcessed events delivered during the test."""
    seen: list[events.MediaProcessed] = []
    events.subscribe(events.MediaProcessed, seen.append)
    yield seen
    events.unsubscribe(events.MediaProcessed, seen.append)


def local_path(url: str) -> Path:
    """The storage file behind a local media URL."""
    name = url.split("/media/", 1)[1]
    return Path(default_storage.path(name))


def parse_playlist(path: Path) -> tuple[list[str], list[str]]:
    """(tags, URIs) of an m3u8 file; it must start with #EXTM3U."""
    lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    assert lines[0] == "#EXTM3U"
    return [line for line in lines if line.startswith("#")], [
        line for line in lines if not line.startswith("#")
    ]


def probe(path: Path) -> dict:
    answer = subprocess.run(  # noqa: S603
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],  # noqa: S607
        capture_output=True,
        check=True,
        timeout=30,
    )
    return json.loads(answer.stdout)


# Images ---------------------------------------------------------------------


def test_small_image_is_processed_at_once_without_exif(alice, samples, published, processed):
    # when alice uploads a photo carrying GPS EXIF
    response = processed(
        lambda: alice.upload(samples["jpeg"], description="a grid", focus="0.5,-0.25")
    )

    # then it is ready at once (200) as Mastodon's MediaAttachment
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["type"] == "image"
    assert body["description"] == "a grid"
    assert body["meta"]["original"] == {"width": 800, "height": 600, "size": "800x600",
                                        "aspect": round(800 / 600, 6)}  # fmt: skip
    assert body["meta"]["small"]["width"] == 640
    assert body["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    assert body["blurhash"]
    assert len(body["blurhash"]) >= 6
    assert body["agora"]["state"] == "ready"
    assert body["url"].startswith("http://localhost:8000/media/media/")
    # and the stored image is re-encoded without EXIF (no GPS, no maker)
    with Image.open(local_path(body["url"])) as stored:
        assert stored.size == (800, 600)
        assert dict(stored.getexif()) == {}
    with Image.open(local_path(body["preview_url"])) as small:
        assert small.size == (640, 480)
    # and it has a perceptual hash, announced to moderation
    media = MediaAttachment.objects.get(pk=body["id"])
    assert len(media.perceptual_hashes) == 1
    assert len(media.perceptual_hashes[0]) == 16
    assert [(e.media_id, e.perceptual_hashes) for e in published] == [
        (media.pk, tuple(media.perceptual_hashes))
    ]
    # and GET answers 200 with the same entity
    again = alice.client.get(f"/api/v1/media/{body['id']}")
    assert again.status_code == 200
    assert again.json() == body


def test_transparent_png_stays_png(alice, samples):
    response = alice.upload(samples["png_alpha"])
    assert response.status_code == 200
    with Image.open(local_path(response.json()["url"])) as stored:
        assert stored.format == "PNG"
        assert stored.mode == "RGBA"


def test_polyglot_png_with_trailing_archive_is_neutralised(alice, samples):
    # given a PNG with a ZIP and a script appended (a polyglot)
    response = alice.upload(samples["png_with_zip"])
    # then only the re-encoded image is stored: the trailing bytes are gone
    assert response.status_code == 200
    stored = local_path(response.json()["url"]).read_bytes()
    assert b"PK\x03\x04" not in stored
    assert b"<script>" not in stored
    assert all(b"<script>" not in Path(default_storage.path(n)).read_bytes()
               for n in stored_files())  # fmt: skip


# Video ----------------------------------------------------------------------


def test_video_becomes_an_hls_ladder_and_plays(alice, samples, processed, published):
    # when alice uploads a 640x360 clip
    response = processed(lambda: alice.upload(samples["video"]))

    # then the upload answers 202 with no URL yet (processing in the background)
    assert response.status_code == 202, response.json()
    accepted = response.json()
    assert accepted["type"] == "video"
    assert accepted["url"] is None
    assert accepted["agora"]["job_id"]

    # and once processed, GET answers 200 with the MP4 and the HLS master playlist
    answer = alice.client.get(f"/api/v1/media/{accepted['id']}")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["url"].endswith("/video.mp4")
    assert body["preview_url"].endswith("/poster.jpg")
    assert body["agora"]["hls_url"].endswith("/master.m3u8")
    assert body["agora"] == {**body["agora"], "state": "ready", "progress": 100, "error": None}
    meta = body["meta"]
    assert meta["original"]["width"] == 640
    assert meta["original"]["height"] == 360
    assert meta["original"]["frame_rate"] == "25/1"
    assert meta["fps"] == 25
    assert meta["duration"] == pytest.approx(1.5, abs=0.1)
    assert meta["width"] == 640
    assert meta["height"] == 360
    assert body["blurhash"]

    # and the master playlist lists 240p and 360p (never above the source)
    master = local_path(body["agora"]["hls_url"])
    tags, variants = parse_playlist(master)
    assert variants == ["240p.m3u8", "360p.m3u8"]
    resolutions = [t.split("RESOLUTION=")[1].split(",")[0] for t in tags if "STREAM-INF" in t]
    assert resolutions == ["426x240", "640x360"]
    # and every rendition's segments exist
    for variant in variants:
        rendition = master.parent / variant
        rendition_tags, segments = parse_playlist(rendition)
        assert "#EXT-X-ENDLIST" in rendition_tags
        assert segments
        for segment in segments:
            assert (master.parent / segment).stat().st_size > 0
    # and the whole ladder decodes end to end (played by ffmpeg, all programs)
    subprocess.run(  # noqa: S603
        ["ffmpeg", "-v", "error", "-i", str(master), "-map", "0", "-f", "null", "-"],  # noqa: S607
        check=True,
        timeout=60,
    )
    # and the MP4 fallback is H.264 + AAC without the source's location metadata
    info = probe(local_path(body["url"]))
    assert sorted(s["codec_name"] for s in info["streams"]) == ["aac", "h264"]
    assert "location" not in json.dumps(info["format"].get("tags", {}))
    # and the upload as it came is gone; only renditions stay
    assert not any("source." in name for name in stored_files())

    # and the job succeeded with its progress, and hashes of the sampled frames were published
    job = BackgroundJob.objects.get(pk=accepted["agora"]["job_id"])
    assert (job.status, job.progress, job.kind) == ("SUCCESS", 100, "media.process")
    media = MediaAttachment.objects.get(pk=accepted["id"])
    assert len(media.perceptual_hashes) >= 5
    assert published[-1].perceptual_hashes == tuple(media.perceptual_hashes)


def test_video_is_206_while_processing(alice, samples):
    # given a video whose processing has not run (no worker in this test)
    response = alice.upload(samples["video"])
    assert response.status_code == 202

    # then GET says 206 with the processing state
    answer = alice.client.get(f"/api/v1/media/{response.json()['id']}")
    assert answer.status_code == 206
    assert answer.json()["url"] is None
    assert answer.json()["agora"]["state"] == "pending"


def test_webm_and_animated_gif_are_processed(alice, samples, processed):
    webm = processed(lambda: alice.upload(samples["webm"]))
    gif = processed(lambda: alice.upload(samples["gif_animated"]))
    assert (webm.status_code, gif.status_code) == (202, 202)
    assert gif.json()["type"] == "gifv"
    for media_id in (webm.json()["id"], gif.json()["id"]):
        body = alice.client.get(f"/api/v1/media/{media_id}").json()
        assert body["url"].endswith("/video.mp4")
        assert probe(local_path(body["url"]))["streams"][0]["codec_name"] == "h264"


# Audio ----------------------------------------------------------------------


def test_audio_gets_a_normalised_rendition(alice, samples, processed):
    response = processed(lambda: alice.upload(samples["audio"]))
    assert response.status_code == 202
    body = alice.client.get(f"/api/v1/media/{response.json()['id']}").json()
    assert body["type"] == "audio"
    assert body["url"].endswith("/audio.mp3")
    assert body["meta"]["duration"] == pytest.approx(1.5, abs=0.15)
    info = probe(local_path(body["url"]))
    assert info["streams"][0]["codec_name"] == "mp3"
    assert info["streams"][0]["channels"] == 2


# Describe -------------------------------------------------------------------


def test_owner_updates_description_and_focus(alice, samples):
    media_id = alice.upload(samples["jpeg"]).json()["id"]
    response = alice.client.put(
        f"/api/v1/media/{media_id}", {"description": "new words", "focus": "-1,1"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["description"] == "new words"
    assert response.json()["meta"]["focus"] == {"x": -1.0, "y": 1.0}


@pytest.mark.parametrize(
    "focus", ["2,0", "a,b", "0.5"], ids=["out-of-range", "not-numbers", "one-number"]
)
def test_bad_focus_is_422_and_changes_nothing(alice, samples, focus):
    media_id = alice.upload(samples["jpeg"], focus="0.1,0.1").json()["id"]
    response = alice.client.put(f"/api/v1/media/{media_id}", {"focus": focus}, format="json")
    assert response.status_code == 422
    assert "focus" in response.json()["error"]
    media = MediaAttachment.objects.get(pk=media_id)
    assert (media.focus_x, media.focus_y) == (0.1, 0.1)


def test_upload_with_bad_focus_stores_nothing(alice, samples):
    response = alice.upload(samples["jpeg"], focus="9,9")
    assert response.status_code == 422
    assert MediaAttachment.objects.count() == 0
    assert stored_files() == []


# Privacy --------------------------------------------------------------------


def test_another_account_cannot_read_or_change_media(alice, bob, samples):
    media_id = alice.upload(samples["jpeg"], description="mine").json()["id"]

    assert bob.client.get(f"/api/v1/media/{media_id}").status_code == 404
    changed = bob.client.put(f"/api/v1/media/{media_id}", {"description": "x"}, format="json")
    assert changed.status_code == 404
    assert MediaAttachment.objects.get(pk=media_id).description == "mine"


def test_media_api_needs_a_token(api_client, alice, samples):
    media_id = alice.upload(samples["jpeg"]).json()["id"]
    assert api_client.get(f"/api/v1/media/{media_id}").status_code == 401


@pytest.mark.parametrize("media_id", ["abc", "99999999999999999999999", "-1"])
def test_malformed_media_ids_are_404(alice, media_id):
    assert alice.client.get(f"/api/v1/media/{media_id}").status_code == 404


def test_processing_state_is_recorded(alice, samples):
    response = alice.upload(samples["video"])
    media = MediaAttachment.objects.get(pk=response.json()["id"])
    assert media.state == ProcessingState.PENDING
    assert media.job.status == "PENDING"


def test_video_with_a_custom_thumbnail(alice, samples, processed):
    with samples["video"].open("rb") as video, samples["jpeg"].open("rb") as thumbnail:
        response = processed(
            lambda: alice.client.post(
                "/api/v2/media", {"file": video, "thumbnail": thumbnail}, format="multipart"
            )
        )
    assert response.status_code == 202
    body = alice.client.get(f"/api/v1/media/{response.json()['id']}").json()
    assert "/thumbnail.jpg" in body["preview_url"]
    with Image.open(local_path(body["preview_url"])) as preview:
        assert preview.size == (640, 480)
        assert dict(preview.getexif()) == {}
    assert body["url"].endswith("/video.mp4")


def test_a_thumbnail_that_is_not_an_image_is_422(alice, samples):
    with samples["video"].open("rb") as video, samples["audio"].open("rb") as thumbnail:
        response = alice.client.post(
            "/api/v2/media", {"file": video, "thumbnail": thumbnail}, format="multipart"
        )
    assert response.status_code == 422
    assert "thumbnail" in response.json()["error"]
    assert MediaAttachment.objects.count() == 0
    assert stored_files() == []


def test_deprecated_v1_upload_still_works(alice, samples):
    with samples["jpeg"].open("rb") as handle:
        response = alice.client.post("/api/v1/media", {"file": handle}, format="multipart")
    assert response.status_code == 200
    assert response.json()["type"] == "image"


def test_owner_replaces_a_videos_thumbnail(alice, samples, processed):
    media_id = processed(lambda: alice.upload(samples["video"])).json()["id"]
    poster = alice.client.get(f"/api/v1/media/{media_id}").json()["preview_url"]
    with samples["png_alpha"].open("rb") as thumbnail:
        response = alice.client.put(
            f"/api/v1/media/{media_id}", {"thumbnail": thumbnail}, format="multipart"
        )
    assert response.status_code == 200, response.json()
    first = response.json()["preview_url"]
    assert first != poster
    assert "/thumbnail.png" in first
    # and a second replacement deletes the first thumbnail
    with samples["jpeg"].open("rb") as thumbnail:
        second = processed(
            lambda: alice.client.put(
                f"/api/v1/media/{media_id}", {"thumbnail": thumbnail}, format="multipart"
            )
        ).json()["preview_url"]
    assert "/thumbnail.jpg" in second
    assert local_path(second).exists()
    assert not local_path(first).exists()


def test_images_take_no_thumbnail(alice, samples):
    media_id = alice.upload(samples["jpeg"]).json()["id"]
    with samples["png_alpha"].open("rb") as thumbnail:
        response = alice.client.put(
            f"/api/v1/media/{media_id}", {"thumbnail": thumbnail}, format="multipart"
        )
    assert response.status_code == 422
    assert len(stored_files()) == 2

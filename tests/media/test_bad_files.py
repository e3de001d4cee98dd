"""Every class of bad file gets a 422 that says what is wrong, and leaves nothing behind."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from apps.media import ffmpeg
from apps.media.models import MediaAttachment
from core.models import BackgroundJob
from tests.media.conftest import stored_files


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(path: Path) -> Path:
    """A few hundred bytes that claim 30000 x 30000 pixels (900 megapixels)."""
    header = struct.pack(">IIBBBBB", 30000, 30000, 1, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 4000)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )
    return path


def truncated(source: Path, path: Path, keep: float = 0.5) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


@pytest.fixture
def bad(samples, tmp_path):
    """Bad files by class: name -> (path, words the error must contain)."""
    playlist = tmp_path / "playlist.mp4"
    playlist.write_text(
        "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"
    )
    html = tmp_path / "page.jpg"
    html.write_bytes(b"<html><script>alert(1)</script></html>")
    polyglot = tmp_path / "polyglot.jpg"
    polyglot.write_bytes(b"\xff\xd8\xff\xe0" + b"PK\x03\x04" + b"<script>alert(1)</script>" * 10)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    avi = tmp_path / "clip.avi"
    ffmpeg_cmd = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=5:duration=0.4"]
    from tests.media.conftest import make

    make(avi, *ffmpeg_cmd)
    fake_mp4 = tmp_path / "fake.mp4"
    fake_mp4.write_bytes(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64)
    return {
        "empty": (empty, "empty"),
        "html-named-jpg": (html, "not supported"),
        "hls-playlist-named-mp4": (playlist, "not supported"),
        "avi-container": (avi, "not supported"),
        "polyglot-jpeg-zip": (polyglot, "corrupt"),
        "truncated-jpeg": (truncated(samples["jpeg"], tmp_path / "half.jpg"), "truncated"),
        "truncated-mp4": (truncated(samples["video"], tmp_path / "half.mp4", 0.6), "corrupt"),
        "mp4-header-only": (fake_mp4, "corrupt"),
        "decompression-bomb": (bomb_png(tmp_path / "bomb.png"), "decompression bomb"),
    }


BAD_CLASSES = [
    "empty",
    "html-named-jpg",
    "hls-playlist-named-mp4",
    "avi-container",
    "polyglot-jpeg-zip",
    "truncated-jpeg",
    "truncated-mp4",
    "mp4-header-only",
    "decompression-bomb",
]


@pytest.mark.parametrize("kind", BAD_CLASSES)
def test_bad_file_is_422_and_leaves_nothing(alice, bad, kind):
    path, words = bad[kind]
    response = alice.upload(path)
    assert response.status_code == 422, response.json()
    assert words in response.json()["error"]
    assert MediaAttachment.objects.count() == 0
    assert BackgroundJob.objects.count() == 0
    assert stored_files() == []


def test_image_over_the_plan_limit_is_422(alice, samples, plan):
    plan(max_image_bytes=1000)
    response = alice.upload(samples["jpeg"])
    assert response.status_code == 422
    assert "at most 1000 bytes" in response.json()["error"]
    assert stored_files() == []


def test_video_over_the_plan_limit_is_422(alice, samples, plan):
    plan(max_video_bytes=1000)
    response = alice.upload(samples["video"])
    assert response.status_code == 422
    assert "at most 1000 bytes" in response.json()["error"]
    assert stored_files() == []


def test_video_longer_than_the_plan_allows_is_422(alice, samples, plan):
    plan(max_video_seconds=2)
    response = alice.upload(samples["long_video"])
    assert response.status_code == 422
    assert "3 seconds long" in response.json()["error"]
    assert "at most 2" in response.json()["error"]
    assert MediaAttachment.objects.count() == 0


def test_image_with_more_pixels_than_allowed_is_422(alice, samples, settings):
    settings.MEDIA_MAX_IMAGE_PIXELS = 100_000
    response = alice.upload(samples["jpeg"])
    assert response.status_code == 422
    assert "800 x 600" in response.json()["error"]


def test_missing_file_field_is_a_validation_error(alice):
    response = alice.client.post("/api/v2/media", {"description": "x"}, format="multipart")
    assert response.status_code == 422
    assert "file" in response.json()["error"]


def test_too_long_description_is_422(alice, samples):
    response = alice.upload(samples["jpeg"], description="x" * 1501)
    assert response.status_code == 422
    assert "description" in response.json()["error"]
    assert stored_files() == []


def test_probe_never_reads_a_playlist_as_one(tmp_path):
    # a playlist pointing at a local file, read with the demuxer its sniffed type allows
    playlist = tmp_path / "x.mp4"
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    playlist.write_text(f"#EXTM3U\n#EXTINF:1,\n{secret}\n#EXT-X-ENDLIST\n")
    with pytest.raises(ffmpeg.ToolFailed):
        ffmpeg.probe(playlist, demuxer="mov")


def test_probe_refuses_other_protocols(tmp_path):
    # even with the hls demuxer forced, only the file protocol may be opened
    playlist = tmp_path / "x.m3u8"
    playlist.write_text(
        "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nhttp://127.0.0.1:9/x.ts\n#EXT-X-ENDLIST\n"
    )
    with pytest.raises(ffmpeg.ToolFailed):
        ffmpeg.probe(playlist, demuxer="hls")

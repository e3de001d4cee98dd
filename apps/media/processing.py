"""Turning a validated file into renditions: image variants, the HLS ladder, normalised audio.

Functions here work on local scratch files and write results to the default
storage under names the server makes. They return what the attachment row should
record; :mod:`apps.media.services` writes it. Nothing here touches the database.
"""

from __future__ import annotations

import secrets
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import blurhash
import imagehash
from django.core.files import File
from django.core.files.storage import default_storage
from PIL import Image

from apps.media import ffmpeg
from apps.media.validation import ValidatedMedia, reencode_image

SMALL_BOX = (640, 640)
Progress = Callable[[int], None]


class StorageNameTaken(Exception):
    """Storage renamed a file (its generated name existed): playlists would point elsewhere."""


@dataclass
class Renditions:
    """What processing made: storage names, Mastodon ``meta``, blurhash, perceptual hashes."""

    files: dict[str, str] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    blurhash: str = ""
    perceptual_hashes: list[str] = field(default_factory=list)


def storage_prefix(media_id: int) -> str:
    """A fresh, unguessable folder for one processing run of ``media_id``."""
    return f"media/{media_id}/{secrets.token_hex(12)}/"


def store(path: Path, name: str, saved: list[str]) -> str:
    """Save the local file ``path`` to the default storage as exactly ``name``."""
    with path.open("rb") as handle:
        stored = default_storage.save(name, File(handle, name=path.name))
    saved.append(stored)
    if stored != name:
        raise StorageNameTaken(name)
    return stored


def delete_stored(names) -> None:
    """Delete storage files, ignoring those already gone."""
    for name in names:
        if name:
            default_storage.delete(name)


def fetch(name: str, destination: Path) -> Path:
    """Copy the storage file ``name`` to the local ``destination``."""
    with default_storage.open(name, "rb") as source, destination.open("wb") as target:
        shutil.copyfileobj(source, target, length=1024 * 1024)
    return destination


def _size(width: int, height: int) -> dict:
    return {
        "width": width,
        "height": height,
        "size": f"{width}x{height}",
        "aspect": round(width / height, 6) if height else 0,
    }


def image_hashes(image: Image.Image) -> tuple[str, str]:
    """(blurhash, pHash) of ``image``, both from a small copy."""
    small = image.convert("RGB")
    small.thumbnail((64, 64))
    phash = str(imagehash.phash(small))
    with warnings.catch_warnings():
        # blurhash-python reads pixels with Image.getdata, deprecated since Pillow 12.
        warnings.filterwarnings(
            "ignore", message=r".*getdata is deprecated", category=DeprecationWarning
        )
        hash_blur = blurhash.encode(small.copy(), x_components=4, y_components=3)
    return hash_blur, phash


def _length(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}.{int(seconds % 1 * 100):02d}"


def process_image(source: Path, *, work: Path, prefix: str, saved: list[str]) -> Renditions:
    """Re-encode the image (no EXIF, no location) and make the small variant."""
    clean, image = reencode_image(source, work)
    extension = clean.suffix
    original_name = store(clean, f"{prefix}original{extension}", saved)
    small = image.copy()
    small.thumbnail(SMALL_BOX)
    small_path = work / f"small{extension}"
    small.save(small_path, format="PNG" if extension == ".png" else "JPEG", quality=85)
    small_name = store(small_path, f"{prefix}small{extension}", saved)
    hash_blur, phash = image_hashes(image)
    meta = {
        "original": _size(*image.size),
        "small": _size(*small.size),
    }
    image.close()
    return Renditions(
        files={"original": original_name, "small": small_name},
        meta=meta,
        blurhash=hash_blur,
        perceptual_hashes=[phash],
    )


def master_playlist(
    rungs: list[tuple[ffmpeg.Rung, int, int]], out_dir: Path, duration: float
) -> str:
    """The HLS master playlist over the rung playlists, with measured bandwidths."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rung, width, height in rungs:
        segments = sorted(out_dir.glob(f"{rung.name}_*.ts"))
        total = sum(path.stat().st_size for path in segments)
        average = int(total * 8 / max(duration, 0.1))
        peak = max(
            [int(p.stat().st_size * 8 / max(min(duration, 4), 0.1)) for p in segments] or [average]
        )
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={max(peak, average)},AVERAGE-BANDWIDTH={average},"
            f'RESOLUTION={width}x{height},CODECS="avc1.640028,mp4a.40.2"'
        )
        lines.append(f"{rung.name}.m3u8")
    return "\n".join(lines) + "\n"


def _scaled_progress(progress: Progress | None, start: int, end: int) -> Progress | None:
    if progress is None:
        return None

    def report(percent: int) -> None:
        progress(start + (end - start) * percent // 100)

    return report


def process_video(
    source: Path,
    *,
    info: ValidatedMedia,
    work: Path,
    prefix: str,
    saved: list[str],
    progress: Progress | None = None,
) -> Renditions:
    """The HLS ladder, the MP4 fallback, a poster and perceptual hashes of sampled frames."""
    out_dir = work / "out"
    out_dir.mkdir()
    plan = ffmpeg.video_plan(
        source=source, demuxer=info.demuxer, out_dir=out_dir, width=info.width,
        height=info.height, duration=info.duration or 1.0, has_audio=info.has_audio,
    )  # fmt: skip
    ffmpeg.run_with_progress(
        plan.command, duration=info.duration or 1.0, on_progress=_scaled_progress(progress, 0, 95)
    )
    (out_dir / "master.m3u8").write_text(master_playlist(plan.rungs, out_dir, info.duration or 1.0))
    hashes = []
    for frame in sorted(out_dir.glob(plan.frames_pattern)):
        with Image.open(frame) as image:
            hashes.append(str(imagehash.phash(image)))
        frame.unlink()
    files: dict[str, str] = {}
    for path in sorted(out_dir.iterdir()):
        store(path, f"{prefix}{path.name}", saved)
    files["mp4"] = f"{prefix}{plan.mp4}"
    files["hls"] = f"{prefix}master.m3u8"
    files["poster"] = f"{prefix}{plan.poster}"
    with Image.open(out_dir / plan.poster) as poster:
        poster.load()
        hash_blur, poster_hash = image_hashes(poster)
        small = _size(*poster.size)
    if progress is not None:
        progress(99)
    mp4_rung = [item for item in plan.rungs if item[0].height <= ffmpeg.MP4_MAX_HEIGHT]
    _rung, mp4_w, mp4_h = (mp4_rung or plan.rungs[:1])[-1]
    fps = _fps_number(info.frame_rate)
    meta = {
        "length": _length(info.duration),
        "duration": round(info.duration, 3),
        "fps": fps,
        "size": f"{mp4_w}x{mp4_h}",
        "width": mp4_w,
        "height": mp4_h,
        "aspect": round(mp4_w / mp4_h, 6),
        **info.audio,
        "original": {
            "width": info.width,
            "height": info.height,
            "frame_rate": info.frame_rate,
            "duration": round(info.duration, 3),
            "bitrate": info.bitrate,
        },
        "small": small,
        "renditions": [f"{w}x{h}" for _rung, w, h in plan.rungs],
    }
    return Renditions(
        files=files,
        meta=meta,
        blurhash=hash_blur,
        perceptual_hashes=[poster_hash, *hashes],
    )


def _fps_number(rate: str) -> int:
    numerator, _slash, denominator = rate.partition("/")
    try:
        return round(float(numerator) / float(denominator or 1))
    except (ValueError, ZeroDivisionError):
        return 0


def process_audio(
    source: Path,
    *,
    info: ValidatedMedia,
    work: Path,
    prefix: str,
    saved: list[str],
    progress: Progress | None = None,
) -> Renditions:
    """A loudness-normalised stereo MP3."""
    out = work / "audio.mp3"
    command = ffmpeg.audio_command(source=source, demuxer=info.demuxer, out=out)
    ffmpeg.run_with_progress(
        command, duration=info.duration or 1.0, on_progress=_scaled_progress(progress, 0, 95)
    )
    name = store(out, f"{prefix}audio.mp3", saved)
    meta = {
        "length": _length(info.duration),
        "duration": round(info.duration, 3),
        **info.audio,
        "original": {"duration": round(info.duration, 3), "bitrate": info.bitrate},
    }
    return Renditions(files={"audio": name}, meta=meta)

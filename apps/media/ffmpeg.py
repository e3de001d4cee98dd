"""ffprobe and ffmpeg, run safely: a time limit, only the file protocol, a forced demuxer.

Every command reads exactly one input whose demuxer is chosen from the sniffed
content type (``-f mov``, ``-f matroska`` ...), so a file that is secretly an HLS
playlist or a concat script is never parsed as one, and ``-protocol_whitelist
file`` keeps ffmpeg from opening anything but files. Outputs go to a scratch
directory the caller owns. On Linux each child is bound to the worker that started
it (``PR_SET_PDEATHSIG``): a worker killed with SIGKILL takes its ffmpeg with it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import logging
import os
import shutil
import signal
import subprocess  # noqa: S404 (fixed argument lists, never a shell)
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

# Sniffed MIME type -> the only ffmpeg demuxer that may read it.
DEMUXERS = {
    "video/mp4": "mov",
    "video/quicktime": "mov",
    "video/x-m4v": "mov",
    "video/webm": "matroska",
    "video/x-matroska": "matroska",
    "image/gif": "gif",
    "audio/mpeg": "mp3",
    "audio/mp4": "mov",
    "audio/ogg": "ogg",
    "audio/x-flac": "flac",
    "audio/x-wav": "wav",
}
SAFE_INPUT = ["-protocol_whitelist", "file"]
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


@cache
def _prctl():
    """libc's ``prctl``, loaded once in the parent (a forked child must not import)."""
    if os.uname().sysname != "Linux":
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    return libc.prctl


def child_options() -> dict:
    """``Popen`` options that make the child die with the process that started it.

    On Linux the child asks the kernel (``prctl(PR_SET_PDEATHSIG, SIGKILL)``) for
    SIGKILL when its parent dies, and exits at once if the parent is already gone.
    The kernel ties this to the starting thread, so the thread must outlive the
    child, as Celery's pool threads and processes do. Elsewhere: no options.
    """
    prctl = _prctl()
    if prctl is None:
        return {}
    parent = os.getpid()

    def die_with_parent() -> None:  # runs in the child between fork and exec
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)

    return {"preexec_fn": die_with_parent}


class ToolMissing(Exception):
    """ffmpeg or ffprobe is not installed (or not executable)."""


class ToolFailed(Exception):
    """ffmpeg or ffprobe exited with an error or ran out of time."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


def binary(name: str) -> str:
    """The full path of ``ffmpeg`` or ``ffprobe`` as configured; raises :class:`ToolMissing`."""
    configured = settings.MEDIA_FFMPEG_BINARY if name == "ffmpeg" else settings.MEDIA_FFPROBE_BINARY
    found = shutil.which(configured)
    if not found:
        raise ToolMissing(name)
    return found


def missing_tools() -> list[str]:
    """Names of the tools media processing needs that are not available."""
    missing = []
    for name in ("ffmpeg", "ffprobe"):
        try:
            binary(name)
        except ToolMissing:
            missing.append(name)
    return missing


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def probe(path: Path, *, demuxer: str) -> dict:
    """ffprobe's JSON (format and streams) of ``path`` read with ``demuxer``.

    Raises :class:`ToolFailed` when ffprobe cannot read it or exceeds
    ``MEDIA_FFPROBE_TIMEOUT``, :class:`ToolMissing` without ffprobe.
    """
    command = [
        binary("ffprobe"),
        "-v", "error",
        *SAFE_INPUT,
        "-f", demuxer,
        "-show_format", "-show_streams",
        "-of", "json",
        str(path),
    ]  # fmt: skip
    try:
        finished = subprocess.run(  # noqa: S603
            command,
            capture_output=True,
            timeout=settings.MEDIA_FFPROBE_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
            **child_options(),
        )
    except subprocess.TimeoutExpired:
        raise ToolFailed("ffprobe timed out", timed_out=True) from None
    if finished.returncode != 0:
        raise ToolFailed(_last_line(finished.stderr.decode(errors="replace")) or "ffprobe failed")
    try:
        return json.loads(finished.stdout or b"{}")
    except ValueError:
        raise ToolFailed("ffprobe answered something that is not JSON") from None


def run_with_progress(
    command: list[str],
    *,
    duration: float,
    on_progress: Callable[[int], None] | None = None,
    timeout: float | None = None,
) -> None:
    """Run an ffmpeg ``command`` that has ``-progress pipe:1``, reporting 0..100 as it goes.

    Progress is ffmpeg's own ``out_time_us`` over ``duration``; ``on_progress`` is
    called when the whole percentage changes. Raises :class:`ToolFailed` on a
    non-zero exit or after ``timeout`` seconds (the process is killed).
    """
    timeout = settings.MEDIA_TRANSCODE_TIMEOUT if timeout is None else timeout
    started = time.monotonic()
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(  # noqa: S603
            command,
            stdout=subprocess.PIPE,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            **child_options(),
        )
        last = -1
        try:
            assert process.stdout is not None  # noqa: S101 (Popen with PIPE)
            for raw in process.stdout:
                if time.monotonic() - started > timeout:
                    process.kill()
                    raise ToolFailed("ffmpeg timed out", timed_out=True)
                key, _, value = raw.decode(errors="replace").strip().partition("=")
                if key not in ("out_time_us", "out_time_ms", "progress") or on_progress is None:
                    continue
                if key == "progress":
                    percent = 100 if value == "end" else last
                else:
                    try:
                        micros = int(value)
                    except ValueError:
                        continue
                    percent = int(min(99, max(0, micros / 1_000_000 / duration * 100)))
                if percent > last:
                    last = percent
                    on_progress(percent)
            remaining = max(1.0, timeout - (time.monotonic() - started))
            returncode = process.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise ToolFailed("ffmpeg timed out", timed_out=True) from None
        except BaseException:
            if process.poll() is None:
                process.kill()
                process.wait()
            raise
        finally:
            if process.stdout is not None:
                process.stdout.close()
        if returncode != 0:
            stderr.seek(0)
            message = _last_line(stderr.read().decode(errors="replace"))
            raise ToolFailed(message or f"ffmpeg exited with {returncode}")


def run(command: list[str], *, timeout: float | None = None) -> None:
    """Run a short ffmpeg ``command``; raises :class:`ToolFailed` on error or timeout."""
    timeout = settings.MEDIA_TRANSCODE_TIMEOUT if timeout is None else timeout
    try:
        finished = subprocess.run(  # noqa: S603
            command,
            capture_output=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
            **child_options(),
        )
    except subprocess.TimeoutExpired:
        raise ToolFailed("ffmpeg timed out", timed_out=True) from None
    if finished.returncode != 0:
        raise ToolFailed(_last_line(finished.stderr.decode(errors="replace")) or "ffmpeg failed")


@dataclass(frozen=True)
class Rung:
    """One rendition of the HLS ladder."""

    height: int
    video_kbps: int
    audio_kbps: int

    @property
    def name(self) -> str:
        return f"{self.height}p"


LADDER = (
    Rung(240, 400, 64),
    Rung(360, 800, 96),
    Rung(480, 1400, 128),
    Rung(720, 2800, 128),
    Rung(1080, 5000, 160),
)
MP4_MAX_HEIGHT = 720


def ladder_for(*, width: int, height: int) -> list[Rung]:
    """The rungs for a ``width`` x ``height`` source: never above it (by its short side).

    A source smaller than the lowest rung gets one rendition at its own size.
    """
    short = min(width, height)
    rungs = [rung for rung in LADDER if rung.height <= short]
    if not rungs:
        base = LADDER[0]
        rungs = [Rung(max(2, short - short % 2), base.video_kbps, base.audio_kbps)]
    return rungs


def scaled_size(*, width: int, height: int, short_side: int) -> tuple[int, int]:
    """``width`` x ``height`` scaled so its short side is ``short_side``; both sides even."""
    if width <= height:
        new_width = short_side
        new_height = round(height * short_side / width)
    else:
        new_height = short_side
        new_width = round(width * short_side / height)
    return new_width - new_width % 2, new_height - new_height % 2


@dataclass(frozen=True)
class TranscodePlan:
    """The one ffmpeg command that makes every output of a video, and what it makes."""

    command: list[str]
    rungs: list[tuple[Rung, int, int]]
    mp4: str
    poster: str
    frames_pattern: str


def video_plan(
    *,
    source: Path,
    demuxer: str,
    out_dir: Path,
    width: int,
    height: int,
    duration: float,
    has_audio: bool,
    frame_samples: int = 8,
) -> TranscodePlan:
    """Build the single ffmpeg invocation: HLS ladder + MP4 fallback + poster + hash frames.

    H.264 (yuv420p) and AAC; each rung an HLS VOD playlist with its own segments;
    the MP4 fallback at the highest rung up to 720p with ``+faststart``; the
    poster from the first second; ``frame_samples`` frames spread over the clip
    (for perceptual hashes). Metadata (location included) is dropped everywhere.
    """
    rungs = ladder_for(width=width, height=height)
    sized = [
        (rung, *scaled_size(width=width, height=height, short_side=rung.height)) for rung in rungs
    ]
    fallback = [item for item in sized if item[0].height <= MP4_MAX_HEIGHT] or sized[:1]
    mp4_rung, mp4_w, mp4_h = fallback[-1]
    preset = settings.MEDIA_X264_PRESET
    segment = settings.MEDIA_HLS_SEGMENT_SECONDS
    outputs = len(sized) + 3
    sample_rate = max(frame_samples / max(duration, 0.1), 0.05)
    graph = [f"[0:v:0]split={outputs}" + "".join(f"[s{i}]" for i in range(outputs))]
    for index, (_rung, w, h) in enumerate(sized):
        graph.append(f"[s{index}]scale={w}:{h},setsar=1,format=yuv420p[v{index}]")
    graph.append(f"[s{len(sized)}]scale={mp4_w}:{mp4_h},setsar=1,format=yuv420p[vmp4]")
    poster_w, poster_h = scaled_size(
        width=width, height=height, short_side=min(min(width, height), MP4_MAX_HEIGHT)
    )
    graph.append(f"[s{len(sized) + 1}]trim=end=1,scale={poster_w}:{poster_h}[vposter]")
    graph.append(f"[s{len(sized) + 2}]fps={sample_rate:.4f},scale=64:64[vframes]")
    command = [
        binary("ffmpeg"),
        "-hide_banner", "-nostdin", "-y", "-v", "error",
        "-progress", "pipe:1", "-nostats",
        *SAFE_INPUT,
        "-f", demuxer,
        "-i", str(source),
        "-filter_complex", ";".join(graph),
    ]  # fmt: skip
    # Key frames on segment boundaries, whatever the frame rate: every rung cuts alike.
    gop = ["-force_key_frames", f"expr:gte(t,n_forced*{segment})", "-sc_threshold", "0"]
    for index, (rung, _w, _h) in enumerate(sized):
        command += ["-map", f"[v{index}]"]
        if has_audio:
            command += ["-map", "0:a:0", "-c:a", "aac", "-b:a", f"{rung.audio_kbps}k", "-ac", "2"]
        command += [
            "-c:v", "libx264", "-preset", preset, "-profile:v", "high",
            "-b:v", f"{rung.video_kbps}k", "-maxrate", f"{int(rung.video_kbps * 1.07)}k",
            "-bufsize", f"{rung.video_kbps * 2}k", *gop,
            "-map_metadata", "-1", "-map_chapters", "-1",
            "-f", "hls", "-hls_time", str(segment), "-hls_playlist_type", "vod",
            "-hls_flags", "independent_segments",
            "-hls_segment_filename", str(out_dir / f"{rung.name}_%04d.ts"),
            str(out_dir / f"{rung.name}.m3u8"),
        ]  # fmt: skip
    command += ["-map", "[vmp4]"]
    if has_audio:
        command += ["-map", "0:a:0", "-c:a", "aac", "-b:a", "128k", "-ac", "2"]
    command += [
        "-c:v", "libx264", "-preset", preset, "-profile:v", "high",
        "-b:v", f"{mp4_rung.video_kbps}k", "-maxrate", f"{int(mp4_rung.video_kbps * 1.07)}k",
        "-bufsize", f"{mp4_rung.video_kbps * 2}k",
        "-map_metadata", "-1", "-map_chapters", "-1", "-movflags", "+faststart",
        "-f", "mp4", str(out_dir / "video.mp4"),
        "-map", "[vposter]", "-frames:v", "1", "-map_metadata", "-1",
        "-f", "image2", "-update", "1", str(out_dir / "poster.jpg"),
        "-map", "[vframes]", "-map_metadata", "-1", "-f", "image2",
        str(out_dir / "frame_%03d.png"),
    ]  # fmt: skip
    return TranscodePlan(
        command=command,
        rungs=sized,
        mp4="video.mp4",
        poster="poster.jpg",
        frames_pattern="frame_*.png",
    )


def audio_command(*, source: Path, demuxer: str, out: Path) -> list[str]:
    """Normalise loudness (EBU R128, -16 LUFS) into a stereo MP3 without metadata."""
    return [
        binary("ffmpeg"),
        "-hide_banner", "-nostdin", "-y", "-v", "error",
        "-progress", "pipe:1", "-nostats",
        *SAFE_INPUT,
        "-f", demuxer,
        "-i", str(source),
        "-map", "0:a:0", "-vn", "-map_metadata", "-1",
        "-af", "loudnorm=I=-16:TP=-1.5:LRA=11",
        "-ar", "44100", "-ac", "2",
        "-c:a", "libmp3lame", "-b:a", "192k",
        "-f", "mp3", str(out),
    ]  # fmt: skip

"""Media benchmark: Agora's transcoding pipeline against the same ffmpeg command by hand,
and chunked-upload throughput against a plain copy of the same bytes.

Generates a clip with ffmpeg's lavfi ``testsrc`` and a sine tone (30 s at 1080p;
``--small``: 4 s at 720p), then prints, measured in the same run:

- the pipeline: validation (ffprobe), the one ffmpeg run that makes the HLS ladder,
  MP4 fallback, poster and hash frames (progress parsed from ``-progress pipe:1``),
  the master playlist, perceptual hashes and writing every file to storage;
- the same ffmpeg invocation (the pipeline's own argument list) run by hand with
  ``subprocess.run``, output discarded; and the overhead ratio pipeline / by hand;
- chunked-upload throughput: ``POST /api/agora/v1/uploads`` and every chunk sent
  with ``Content-Range`` through the API (Django's test client, so no network),
  against ``shutil.copyfile`` of the same file (128 MB of random bytes; small: 16 MB).

The database is a private copy of the tests' migrated SQLite template (or
``DATABASE_URL``, which must then be migrated). Media go to a temporary folder.

    .venv/bin/python bench/media.py --small
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess  # noqa: S404
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")

SIZES = {"full": (1920, 1080, 30), "small": (1280, 720, 4)}


def generate(path: Path, width: int, height: int, seconds: int) -> None:
    subprocess.run(  # noqa: S603
        [
            "ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc=size={width}x{height}:rate=30:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-shortest", str(path),
        ],  # noqa: S607
        check=True,
    )  # fmt: skip


def pipeline_once(source: Path, work_root: Path) -> tuple[float, list[str]]:
    """Validation plus processing as the worker runs them; returns (seconds, ffmpeg command)."""
    from apps.media import processing
    from apps.media.validation import validate
    from core.entitlements import FREE

    with tempfile.TemporaryDirectory(dir=work_root) as folder:
        work = Path(folder)
        started = time.perf_counter()
        info = validate(source, entitlements=FREE)
        saved: list[str] = []
        reported: list[int] = []
        processing.process_video(
            source,
            info=info,
            work=work,
            prefix=processing.storage_prefix(1),
            saved=saved,
            progress=reported.append,
        )
        elapsed = time.perf_counter() - started
        processing.delete_stored(saved)
    command = _plan_command(source, info, work_root)
    return elapsed, command


def _plan_command(source: Path, info, work_root: Path) -> list[str]:
    from apps.media import ffmpeg

    out = work_root / "by-hand"
    out.mkdir(exist_ok=True)
    plan = ffmpeg.video_plan(
        source=source, demuxer=info.demuxer, out_dir=out, width=info.width,
        height=info.height, duration=info.duration, has_audio=info.has_audio,
    )  # fmt: skip
    return plan.command


def by_hand_once(command: list[str], out: Path) -> float:
    for path in out.glob("*"):
        path.unlink()
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    return time.perf_counter() - started


def upload_once(source: Path) -> float:
    """Create an upload and send every chunk through the API; returns seconds."""
    from django.conf import settings
    from rest_framework.test import APIClient

    from tests.accounts.factories import AccessTokenFactory, UserFactory

    data = source.read_bytes()
    user = UserFactory()
    client = APIClient(HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessTokenFactory(user=user).token}")
    chunk = settings.MEDIA_UPLOAD_PART_SIZE
    started = time.perf_counter()
    created = client.post(
        "/api/agora/v1/uploads",
        {"size": len(data), "checksum": hashlib.sha256(data).hexdigest()},
        format="json",
    )
    assert created.status_code == 201, created.status_code  # noqa: S101
    upload_id = created.json()["id"]
    position = 0
    while position < len(data):
        end = min(position + chunk, len(data))
        answer = client.generic(
            "PUT",
            f"/api/agora/v1/uploads/{upload_id}",
            data[position:end],
            content_type="application/octet-stream",
            HTTP_CONTENT_RANGE=f"bytes {position}-{end - 1}/{len(data)}",
        )
        assert answer.status_code == 200, answer.status_code  # noqa: S101
        position = end
    elapsed = time.perf_counter() - started
    client.delete(f"/api/agora/v1/uploads/{upload_id}")
    return elapsed


def copy_once(source: Path, target: Path) -> float:
    started = time.perf_counter()
    shutil.copyfile(source, target)
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="4 s at 720p instead of 30 s at 1080p")
    parser.add_argument(
        "--repeat", type=int, default=None, help="runs of each (default 2, small 3)"
    )
    parser.add_argument("--no-warmup", action="store_true", help="skip the untimed first run")
    args = parser.parse_args()
    width, height, seconds = SIZES["small" if args.small else "full"]
    repeat = args.repeat or (3 if args.small else 2)

    scratch = Path(tempfile.mkdtemp(prefix="agora-bench-media-"))
    os.environ["MEDIA_ROOT"] = str(scratch / "media")
    os.environ["MEDIA_WORK_DIR"] = str(scratch / "work")
    os.environ["MEDIA_UPLOAD_DIR"] = str(scratch / "uploads")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    if not os.environ.get("DATABASE_URL"):
        from tests import db_template

        copy = db_template.private_copy()
        connections["default"].close()
        settings.DATABASES["default"]["NAME"] = str(copy)
        connections["default"].settings_dict["NAME"] = str(copy)
    else:
        copy = None

    try:
        source = scratch / "clip.mp4"
        started = time.perf_counter()
        generate(source, width, height, seconds)
        size = source.stat().st_size
        print(f"clip: {width}x{height}, {seconds} s, {size / 1e6:.1f} MB "
              f"(generated in {time.perf_counter() - started:.1f} s)")  # fmt: skip
        print(f"x264 preset {settings.MEDIA_X264_PRESET}, {os.cpu_count()} CPUs")

        work_root = scratch / "work"
        work_root.mkdir(parents=True, exist_ok=True)
        pipeline, by_hand = [], []
        command: list[str] = []
        command = [] if args.no_warmup else pipeline_once(source, work_root)[1]  # untimed warm-up
        for run in range(repeat):
            # Alternate the order so drift in machine load does not favour either side.
            if run % 2 and command:
                by_hand.append(by_hand_once(command, work_root / "by-hand"))
            seconds_taken, command = pipeline_once(source, work_root)
            pipeline.append(seconds_taken)
            if not run % 2:
                by_hand.append(by_hand_once(command, work_root / "by-hand"))
        rungs = [arg.rsplit("/", 1)[1] for arg in command if arg.endswith(".m3u8")]
        print(f"renditions: {', '.join(r.removesuffix('.m3u8') for r in rungs)} + MP4 + poster")
        p_med, h_med = statistics.median(pipeline), statistics.median(by_hand)
        print(f"transcode, Agora pipeline : {p_med:8.2f} s  (runs: "
              f"{', '.join(f'{t:.2f}' for t in pipeline)})")  # fmt: skip
        print(f"transcode, ffmpeg by hand : {h_med:8.2f} s  (runs: "
              f"{', '.join(f'{t:.2f}' for t in by_hand)})")  # fmt: skip
        pairs = sorted(p / h for p, h in zip(pipeline, by_hand, strict=True))
        best = min(pipeline) / min(by_hand)
        print(f"overhead pipeline / by hand: best of runs {best:.3f} ({(best - 1) * 100:+.1f} %), "
              f"median of adjacent pairs {statistics.median(pairs):.3f}, "
              f"medians {p_med / h_med:.3f}")  # fmt: skip
        print(f"realtime factor (clip seconds per transcode second): {seconds / p_med:.2f}")

        # Upload throughput needs more bytes than a testsrc clip compresses to.
        payload = scratch / "payload.bin"
        payload.write_bytes(os.urandom((16 if args.small else 128) * 1024 * 1024))
        size = payload.stat().st_size
        uploads = [upload_once(payload) for _ in range(3)]
        copies = [copy_once(payload, scratch / "copy.bin") for _ in range(3)]
        u_med, c_med = statistics.median(uploads), statistics.median(copies)
        print(f"upload payload: {size / 1e6:.1f} MB of random bytes")
        chunks = -(-size // settings.MEDIA_UPLOAD_PART_SIZE)
        print(f"chunked upload via API    : {size / u_med / 1e6:8.1f} MB/s  "
              f"({chunks} chunks of {settings.MEDIA_UPLOAD_PART_SIZE // 1024 // 1024} MiB, "
              f"{u_med * 1000:.1f} ms)")  # fmt: skip
        print(
            f"plain file copy           : {size / c_med / 1e6:8.1f} MB/s  ({c_med * 1000:.1f} ms)"
        )
        print(f"upload / copy throughput  : {c_med / u_med:.3f}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if copy is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()

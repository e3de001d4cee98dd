"""Fixtures of the media suite: small real inputs made by ffmpeg and Pillow, two members."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from config.celery import app as celery_app
from core import entitlements
from tests.feed.conftest import Member as FeedMember

FFMPEG = ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y"]


class Member(FeedMember):
    """An account with an API client signed in as it, uploading media."""

    def upload(self, path: Path, **fields):
        with path.open("rb") as handle:
            return self.client.post("/api/v2/media", {"file": handle, **fields}, format="multipart")


@pytest.fixture
def alice(db):
    return Member("alice")


@pytest.fixture
def bob(db):
    return Member("bob")


@pytest.fixture(autouse=True)
def _media_dirs(settings, tmp_path):
    settings.MEDIA_WORK_DIR = str(tmp_path / "work")
    settings.MEDIA_UPLOAD_DIR = str(tmp_path / "uploads")


@pytest.fixture
def eager(settings):
    """Celery runs tasks in place; failures are recorded (not raised) and retries re-run."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_eager_propagates = True


@pytest.fixture
def plan():
    """``plan(**limits)`` gives every signed-in user a plan with those limits."""

    previous = entitlements._provider  # billing's, which later tests rely on

    def install(**limits):
        limited = entitlements.Entitlements(tier="test", **limits)
        entitlements.set_provider(lambda user: limited)

    yield install
    entitlements.set_provider(previous)


def stored_files() -> list[str]:
    """Every file in the default (local) storage."""
    root = Path(default_storage.location)
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def make(path: Path, *args: str) -> Path:
    if shutil.which("ffmpeg") is None:
        # Never a skip: `make test` installs it (make system), so a missing ffmpeg is a
        # broken setup, and a skipped media test would hide it.
        pytest.fail("ffmpeg is not installed: run `make system` (Debian's ffmpeg package)")
    subprocess.run([*FFMPEG, *args, str(path)], check=True, timeout=60)  # noqa: S603
    return path


@pytest.fixture(scope="session")
def samples(tmp_path_factory) -> dict[str, Path]:
    """Tiny real files: video with audio, audio, images (one with GPS EXIF), bad ones."""
    root = tmp_path_factory.mktemp("samples")
    found: dict[str, Path] = {}
    found["video"] = make(
        root / "clip.mp4",
        "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25:duration=1.5",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=1.5",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
        "-shortest", "-metadata", "location=+48.8584+002.2945/",
    )  # fmt: skip
    found["long_video"] = make(
        root / "long.mp4",
        "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=3",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
    )  # fmt: skip
    found["webm"] = make(
        root / "clip.webm",
        "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15:duration=1",
        "-c:v", "libvpx", "-b:v", "200k",
    )  # fmt: skip
    found["audio"] = make(
        root / "tone.mp3",
        "-f", "lavfi", "-i", "sine=frequency=330:duration=1.5", "-c:a", "libmp3lame",
    )  # fmt: skip
    image = Image.new("RGB", (800, 600), (30, 120, 200))
    for x in range(0, 800, 40):
        for y in range(0, 600, 40):
            image.paste((x % 255, y % 255, 90), (x, y, x + 20, y + 20))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}  # GPS
    found["jpeg"] = root / "photo.jpg"
    image.save(found["jpeg"], format="JPEG", exif=exif, quality=90)
    found["png_alpha"] = root / "alpha.png"
    Image.new("RGBA", (120, 80), (255, 0, 0, 128)).save(found["png_alpha"], format="PNG")
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (0, 200, 0)).save(buffer, format="PNG")
    found["png_with_zip"] = root / "polyglot.png"
    found["png_with_zip"].write_bytes(
        buffer.getvalue() + b"PK\x03\x04" + b"<script>alert(1)</script>" * 20
    )
    found["gif_animated"] = make(
        root / "anim.gif", "-f", "lavfi", "-i", "testsrc=size=96x64:rate=5:duration=1"
    )
    return found

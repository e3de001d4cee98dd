"""Mastodon.py uploads media the way Mastodon apps do, against pytest-django's live server:
an image (processed during the request), a video (processed in the background, which
``media_post(synchronous=True)`` waits for by polling ``GET /api/v1/media/:id``), a status
carrying both, and an edit that keeps one. Celery runs in place (the live server's thread).
"""

import io
import subprocess

import pytest
from mastodon import Mastodon
from PIL import Image

from config.celery import app as celery_app
from tests.accounts.factories import AccessTokenFactory, UserFactory


@pytest.fixture
def eager_celery(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def clip(tmp_path):
    path = tmp_path / "clip.mp4"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y",
         "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15",
         "-f", "lavfi", "-i", "sine=frequency=440",
         "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)],
        check=True,
    )  # fmt: skip
    return path


def client_for(username: str, base_url: str) -> Mastodon:
    token = AccessTokenFactory(user=UserFactory(username=username), scope="read write").token
    return Mastodon(access_token=token, api_base_url=base_url, version_check_mode="none")


def test_mastodon_py_posts_an_image_and_a_video(live_server, transactional_db, eager_celery, clip):
    ann = client_for("ann", live_server.url)
    ben = client_for("ben", live_server.url)
    png = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(png, format="PNG")

    image = ann.media_post(png.getvalue(), mime_type="image/png", description="a blue square")
    with clip.open("rb") as handle:  # given a path, Mastodon.py leaves the file open
        video = ann.media_post(handle, mime_type="video/mp4", synchronous=True)

    assert image["type"] == "image"
    assert image["url"]
    assert image["description"] == "a blue square"
    assert (image["meta"]["original"]["width"], image["meta"]["original"]["height"]) == (64, 48)
    assert image["blurhash"]
    assert video["type"] == "video"
    assert video["url"].endswith(".mp4")
    assert video["agora"]["hls_url"].endswith(".m3u8")
    assert video["agora"]["state"] == "ready"

    status = ann.status_post("look at these", media_ids=[image, video])
    assert [str(m["id"]) for m in status["media_attachments"]] == [
        str(image["id"]),
        str(video["id"]),
    ]
    seen = ben.status(status["id"])
    assert [m["type"] for m in seen["media_attachments"]] == ["image", "video"]

    edited = ann.status_update(status["id"], "only the video", media_ids=[video])
    assert [str(m["id"]) for m in edited["media_attachments"]] == [str(video["id"])]

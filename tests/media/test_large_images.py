"""A large image is decoded by the worker, not the request: 202 at once, ready later."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from apps.media.models import MediaAttachment, ProcessingState
from apps.media.services import SYNC_IMAGE_PIXELS
from core.models import BackgroundJob
from tests.media.conftest import stored_files

pytestmark = pytest.mark.django_db


def _striped(path: Path, width: int, height: int) -> Path:
    image = Image.new("RGB", (width, height), (30, 120, 200))
    for x in range(0, width, 400):
        image.paste((x % 255, 90, 40), (x, 0, x + 200, height))
    image.save(path, format="PNG")
    image.close()
    return path


@pytest.fixture(scope="module")
def huge_png(tmp_path_factory) -> Path:
    """8000 x 8000 pixels in about 200 KB: cheap to send, seconds to decode."""
    return _striped(tmp_path_factory.mktemp("huge") / "huge.png", 8000, 8000)


@pytest.fixture(scope="module")
def large_png(tmp_path_factory) -> Path:
    """Just over the request's pixel budget."""
    path = _striped(tmp_path_factory.mktemp("large") / "large.png", 4200, 4100)
    assert 4200 * 4100 > SYNC_IMAGE_PIXELS
    return path


def test_a_huge_image_is_accepted_with_202_and_left_to_the_worker(alice, huge_png):
    response = alice.upload(huge_png)

    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["type"] == "image"
    assert body["url"] is None
    assert body["meta"]["original"]["width"] == 8000
    media = MediaAttachment.objects.get()
    assert media.state == ProcessingState.PENDING
    assert list(media.files) == ["source"]
    assert media.blurhash == ""
    assert BackgroundJob.objects.count() == 1
    assert alice.client.get(f"/api/v1/media/{body['id']}").status_code == 206


def test_the_worker_makes_the_renditions_of_a_large_image(
    alice, large_png, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice.upload(large_png)

    assert response.status_code == 202, response.json()
    done = alice.client.get(f"/api/v1/media/{response.json()['id']}")
    assert done.status_code == 200, done.json()
    body = done.json()
    assert body["url"]
    assert body["blurhash"]
    assert body["meta"]["original"]["width"] == 4200
    assert body["meta"]["small"]["width"] == 640
    media = MediaAttachment.objects.get()
    assert media.state == ProcessingState.READY
    assert "source" not in media.files


def test_a_large_truncated_image_fails_in_the_worker_with_a_reason(
    alice, large_png, eager, tmp_path, django_capture_on_commit_callbacks
):
    cut = tmp_path / "cut.png"
    data = large_png.read_bytes()
    cut.write_bytes(data[: len(data) // 2])

    with django_capture_on_commit_callbacks(execute=True):
        response = alice.upload(cut)

    assert response.status_code == 202, response.json()
    failed = alice.client.get(f"/api/v1/media/{response.json()['id']}")
    assert failed.status_code == 422
    assert failed.json() == {"error": "The image is truncated."}
    assert MediaAttachment.objects.get().state == ProcessingState.FAILED


def test_a_small_image_is_still_processed_within_the_request(alice, samples):
    response = alice.upload(samples["jpeg"])

    assert response.status_code == 200, response.json()
    assert MediaAttachment.objects.get().state == ProcessingState.READY
    assert BackgroundJob.objects.count() == 0
    assert len(stored_files()) == 2


def test_a_huge_thumbnail_is_refused_before_it_is_decoded(alice, samples, huge_png):
    with samples["video"].open("rb") as video, huge_png.open("rb") as thumbnail:
        response = alice.client.post(
            "/api/v2/media", {"file": video, "thumbnail": thumbnail}, format="multipart"
        )

    assert response.status_code == 422, response.json()
    assert response.json() == {
        "error": "thumbnail: the image is 8000 x 8000 pixels; at most 4096 x 4096 are allowed."
    }
    assert MediaAttachment.objects.count() == 0
    assert BackgroundJob.objects.count() == 0
    assert stored_files() == []


def test_replacing_a_thumbnail_with_a_huge_one_is_refused_and_changes_nothing(
    alice, samples, huge_png
):
    created = alice.upload(samples["audio"]).json()

    with huge_png.open("rb") as thumbnail:
        response = alice.client.put(
            f"/api/v1/media/{created['id']}", {"thumbnail": thumbnail}, format="multipart"
        )

    assert response.status_code == 422, response.json()
    assert "8000 x 8000" in response.json()["error"]
    assert "thumbnail" not in MediaAttachment.objects.get().files

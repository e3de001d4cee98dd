"""Resumable uploads through /api/agora/v1/uploads on local storage."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from apps.media.models import MediaAttachment, Upload
from apps.media.tasks import uploads_expire_task
from tests.media.conftest import stored_files

CHUNK = 16 * 1024


@pytest.fixture(autouse=True)
def _small_chunks(settings):
    settings.MEDIA_UPLOAD_PART_SIZE = CHUNK


def start(member, data: bytes, **extra):
    return member.client.post(
        "/api/agora/v1/uploads",
        {"size": len(data), "checksum": hashlib.sha256(data).hexdigest(), **extra},
        format="json",
    )


def send(member, upload_id, data: bytes, start_at: int, end_at: int):
    return member.client.generic(
        "PUT",
        f"/api/agora/v1/uploads/{upload_id}",
        data[start_at:end_at],
        content_type="application/octet-stream",
        HTTP_CONTENT_RANGE=f"bytes {start_at}-{end_at - 1}/{len(data)}",
    )


def test_interrupted_upload_resumes_and_becomes_media(alice, samples, eager, settings):
    data = Path(samples["video"]).read_bytes()
    assert len(data) > 2 * CHUNK

    # when alice starts an upload
    created = start(alice, data, description="resumed")
    assert created.status_code == 201, created.json()
    upload = created.json()
    assert (upload["offset"], upload["chunk_size"], upload["state"]) == (0, CHUNK, "open")
    assert "parts" not in upload  # local storage: no presigned URLs

    # and sends the first chunk, then the connection drops mid-way through the second
    assert send(alice, upload["id"], data, 0, CHUNK).json()["offset"] == CHUNK
    half = alice.client.generic(
        "PUT",
        f"/api/agora/v1/uploads/{upload['id']}",
        data[CHUNK : CHUNK + 100],
        content_type="application/octet-stream",
        HTTP_CONTENT_RANGE=f"bytes {CHUNK}-{2 * CHUNK - 1}/{len(data)}",
    )
    assert half.status_code == 416

    # then HEAD and GET tell her where to continue from
    head = alice.client.head(f"/api/agora/v1/uploads/{upload['id']}")
    assert head.status_code == 200
    assert head["Upload-Offset"] == str(CHUNK)
    assert head["Range"] == f"bytes=0-{CHUNK - 1}"
    assert alice.client.get(f"/api/agora/v1/uploads/{upload['id']}").json()["offset"] == CHUNK

    # and a chunk sent from the wrong place is refused with the offset
    wrong = send(alice, upload["id"], data, 2 * CHUNK, 3 * CHUNK)
    assert wrong.status_code == 409
    assert wrong.json() == {
        "error": f"The chunk starts at {2 * CHUNK} but the upload is at {CHUNK}.",
        "offset": CHUNK,
    }
    assert wrong["Upload-Offset"] == str(CHUNK)

    # when she continues from the offset to the end and finishes
    position = CHUNK
    while position < len(data):
        end = min(position + CHUNK, len(data))
        assert send(alice, upload["id"], data, position, end).status_code == 200
        position = end
    finished = alice.client.post(f"/api/agora/v1/uploads/{upload['id']}/finish")

    # then it is a video attachment in processing, with her description
    assert finished.status_code == 202, finished.json()
    media = MediaAttachment.objects.get(pk=finished.json()["id"])
    assert (media.type, media.description, media.account_id) == (
        "video",
        "resumed",
        alice.account.pk,
    )
    row = Upload.objects.get(pk=upload["id"])
    assert (row.state, row.media_id) == ("finished", media.pk)
    # and the chunk file is gone
    assert not Path(row.local_path).exists()
    # and finishing again answers the same attachment
    again = alice.client.post(f"/api/agora/v1/uploads/{upload['id']}/finish")
    assert again.json()["id"] == str(media.pk)


def test_image_upload_finishes_ready(alice, samples):
    data = Path(samples["jpeg"]).read_bytes()
    upload = start(alice, data).json()
    position = 0
    while position < len(data):
        end = min(position + CHUNK, len(data))
        send(alice, upload["id"], data, position, end)
        position = end
    finished = alice.client.post(f"/api/agora/v1/uploads/{upload['id']}/finish")
    assert finished.status_code == 200
    assert finished.json()["type"] == "image"
    assert finished.json()["url"]


def test_checksum_mismatch_is_422_and_discards(alice, samples):
    data = Path(samples["jpeg"]).read_bytes()[:CHUNK]
    upload = alice.client.post(
        "/api/agora/v1/uploads", {"size": len(data), "checksum": "0" * 64}, format="json"
    ).json()
    send(alice, upload["id"], data, 0, len(data))
    finished = alice.client.post(f"/api/agora/v1/uploads/{upload['id']}/finish")
    assert finished.status_code == 422
    assert "checksum" in finished.json()["error"]
    assert MediaAttachment.objects.count() == 0
    assert not Path(Upload.objects.get(pk=upload["id"]).local_path).exists()
    expired = alice.client.get(f"/api/agora/v1/uploads/{upload['id']}")
    assert expired.status_code == 410
    assert expired.json() == {"error": "This upload has expired; start a new one."}


def test_finishing_early_is_422_and_keeps_the_upload(alice, samples):
    data = Path(samples["jpeg"]).read_bytes()
    upload = start(alice, data).json()
    send(alice, upload["id"], data, 0, CHUNK)
    finished = alice.client.post(f"/api/agora/v1/uploads/{upload['id']}/finish")
    assert finished.status_code == 422
    assert f"{CHUNK} of {len(data)} bytes" in finished.json()["error"]
    assert alice.client.get(f"/api/agora/v1/uploads/{upload['id']}").json()["offset"] == CHUNK


def test_refused_file_leaves_nothing(alice):
    data = b"<html>not media</html>" * 10
    upload = start(alice, data).json()
    send(alice, upload["id"], data, 0, len(data))
    finished = alice.client.post(f"/api/agora/v1/uploads/{upload['id']}/finish")
    assert finished.status_code == 422
    assert "not supported" in finished.json()["error"]
    assert stored_files() == []
    assert not Path(Upload.objects.get(pk=upload["id"]).local_path).exists()


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 416),
        ("bytes 0-10/5", 416),
        ("bytes 5-1/100", 416),
        ("items 0-1/100", 416),
    ],
    ids=["missing", "past-the-end", "backwards", "wrong-unit"],
)
def test_bad_content_range(alice, header, status):
    data = b"x" * 100
    upload = start(alice, data).json()
    extra = {"HTTP_CONTENT_RANGE": header} if header else {}
    response = alice.client.generic(
        "PUT",
        f"/api/agora/v1/uploads/{upload['id']}",
        data[:10],
        content_type="application/octet-stream",
        **extra,
    )
    assert response.status_code == status
    assert list(response.json()) == ["error"]
    assert response.json()["error"]
    assert Upload.objects.get(pk=upload["id"]).offset == 0


@pytest.mark.parametrize(
    "body",
    [
        {"size": 0, "checksum": "a" * 64},
        {"size": 10, "checksum": "xyz"},
        {"checksum": "a" * 64},
    ],
    ids=["zero-size", "bad-checksum", "no-size"],
)
def test_bad_upload_creation_is_422(alice, body):
    response = alice.client.post("/api/agora/v1/uploads", body, format="json")
    assert response.status_code == 422
    assert Upload.objects.count() == 0


def test_upload_over_the_plan_limit_is_422(alice, plan):
    plan(max_upload_bytes=1000)
    response = alice.client.post(
        "/api/agora/v1/uploads", {"size": 1001, "checksum": "a" * 64}, format="json"
    )
    assert response.status_code == 422
    assert "at most 1000 bytes" in response.json()["error"]


def test_another_account_cannot_touch_an_upload(alice, bob):
    data = b"y" * 100
    upload = start(alice, data).json()
    url = f"/api/agora/v1/uploads/{upload['id']}"
    assert bob.client.get(url).status_code == 404
    assert bob.client.head(url).status_code == 404
    assert send(bob, upload["id"], data, 0, 100).status_code == 404
    assert bob.client.post(f"{url}/finish").status_code == 404
    assert bob.client.delete(url).status_code == 404
    assert Upload.objects.get(pk=upload["id"]).offset == 0


def test_abandoned_upload_expires_and_its_bytes_are_deleted(alice):
    data = b"z" * 100
    upload = start(alice, data).json()
    send(alice, upload["id"], data, 0, 50)
    path = Path(Upload.objects.get(pk=upload["id"]).local_path)
    assert path.stat().st_size == 50
    Upload.objects.filter(pk=upload["id"]).update(expires_at=timezone.now() - timedelta(minutes=1))

    assert uploads_expire_task() == 1

    assert not path.exists()
    assert Upload.objects.get(pk=upload["id"]).state == "expired"
    assert alice.client.get(f"/api/agora/v1/uploads/{upload['id']}").status_code == 410


def test_abort_deletes_the_bytes(alice):
    data = b"z" * 100
    upload = start(alice, data).json()
    send(alice, upload["id"], data, 0, 50)
    path = Path(Upload.objects.get(pk=upload["id"]).local_path)
    assert alice.client.delete(f"/api/agora/v1/uploads/{upload['id']}").status_code == 204
    assert not path.exists()

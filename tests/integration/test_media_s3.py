"""The whole media flow on S3-compatible storage (moto's server), PostgreSQL, Redis and a
real Celery worker: a resumable upload as an S3 multipart upload (one part PUT straight
to S3 through its presigned URL, the rest through Agora), processing by the worker, the
HLS ladder played over HTTP from the bucket, an image, expiry of an abandoned upload.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/agora_media \\
    REDIS_URL=redis://127.0.0.1:6379/11 \\
    .venv/bin/pytest -m integration --create-db tests/integration/test_media_s3.py

The moto server starts when this module is imported during an integration run, and
the S3 settings go into the environment then, so the worker process (started by
``tests/integration/conftest.py``) stores media in the same bucket.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import time
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.media.models import MediaAttachment, Upload
from tests.accounts.factories import AccessTokenFactory, UserFactory
from tests.api_client import APIClient

pytestmark = pytest.mark.integration

BUCKET = "agora-media-test"
PART = 5 * 1024 * 1024
TASK_SECONDS = 120
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_s3() -> str:
    """moto in server mode on a free local port, with the bucket; returns its endpoint."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=BUCKET)
    # Media buckets are read publicly (by unguessable names): players fetch segments by
    # relative URL, which a signed playlist URL cannot pass on (AWS_QUERYSTRING_AUTH off).
    client.put_bucket_policy(
        Bucket=BUCKET,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{BUCKET}/media/*",
                    }
                ],
            }
        ),
    )
    return endpoint


ENDPOINT = ""
if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    ENDPOINT = _start_s3()
    os.environ.update(
        {
            **CREDENTIALS,
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": ENDPOINT,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_QUERYSTRING_AUTH": "false",
            "MEDIA_UPLOAD_PART_SIZE": str(PART),
        }
    )


@pytest.fixture
def s3(settings, tmp_path):
    """This process's settings on the bucket too (they were read before the import)."""
    settings.AWS_STORAGE_BUCKET_NAME = BUCKET
    settings.AWS_S3_ENDPOINT_URL = ENDPOINT
    settings.AWS_S3_REGION_NAME = "us-east-1"
    settings.AWS_ACCESS_KEY_ID = "testing"
    settings.AWS_SECRET_ACCESS_KEY = "testing"  # noqa: S105
    settings.AWS_QUERYSTRING_AUTH = False
    settings.MEDIA_UPLOAD_PART_SIZE = PART
    settings.MEDIA_WORK_DIR = str(tmp_path / "work")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    }
    import boto3

    return boto3.client(
        "s3", endpoint_url=ENDPOINT, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip


@pytest.fixture
def alice(transactional_db, celery_worker_process):
    client = APIClient()
    user = UserFactory(username="alice")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessTokenFactory(user=user).token}")
    client.worker = celery_worker_process
    return client


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A 2 s 1280x720 clip with sound and noise, over 10 MiB (three S3 parts or more)."""
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    subprocess.run(  # noqa: S603
        [
            "ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", "testsrc=size=1280x720:rate=25:duration=2,noise=alls=30:allf=t",
            "-f", "lavfi", "-i", "anoisesrc=duration=2",
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-shortest", str(path),
        ],  # noqa: S607
        check=True,
        timeout=120,
    )  # fmt: skip
    assert path.stat().st_size > 2 * PART
    return path


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 (local moto)
        return answer.read()


def put_part(url: str, data: bytes) -> None:
    request = urllib.request.Request(  # noqa: S310
        url, data=data, method="PUT", headers={"Content-Type": "application/octet-stream"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        assert answer.status == 200


def wait_ready(client, media_id: str) -> dict:
    deadline = time.monotonic() + TASK_SECONDS
    while time.monotonic() < deadline:
        answer = client.get(f"/api/v1/media/{media_id}")
        if answer.status_code == 200:
            return answer.json()
        assert answer.status_code == 206, answer.json()
        time.sleep(0.2)
    pytest.fail(f"media not processed in time; worker log:\n{client.worker.worker_log()}")


def test_resumable_video_upload_to_s3_is_processed_and_plays(alice, s3, clip):
    data = clip.read_bytes()

    # given an upload, which on S3 storage is a multipart upload with presigned part URLs
    created = alice.post(
        "/api/agora/v1/uploads",
        {"size": len(data), "checksum": hashlib.sha256(data).hexdigest()},
        format="json",
    )
    assert created.status_code == 201, created.json()
    upload = created.json()
    assert upload["chunk_size"] == PART
    assert [p["number"] for p in upload["parts"]] == list(range(1, -(-len(data) // PART) + 1))

    # when the client PUTs the first part straight to S3
    put_part(upload["parts"][0]["url"], data[:PART])
    # then Agora sees it as the offset
    head = alice.head(f"/api/agora/v1/uploads/{upload['id']}")
    assert head["Upload-Offset"] == str(PART)

    # when the rest goes through Agora, chunk by chunk, one out of order first
    wrong = alice.generic(
        "PUT", f"/api/agora/v1/uploads/{upload['id']}", data[2 * PART :],
        content_type="application/octet-stream",
        HTTP_CONTENT_RANGE=f"bytes {2 * PART}-{len(data) - 1}/{len(data)}",
    )  # fmt: skip
    assert wrong.status_code == 409
    assert wrong.json()["offset"] == PART
    for start in range(PART, len(data), PART):
        end = min(start + PART, len(data))
        answer = alice.generic(
            "PUT", f"/api/agora/v1/uploads/{upload['id']}", data[start:end],
            content_type="application/octet-stream",
            HTTP_CONTENT_RANGE=f"bytes {start}-{end - 1}/{len(data)}",
        )  # fmt: skip
        assert answer.status_code == 200, answer.json()
    finished = alice.post(f"/api/agora/v1/uploads/{upload['id']}/finish")
    assert finished.status_code == 202, finished.json()

    # then the worker processes it into the bucket
    body = wait_ready(alice, finished.json()["id"])
    assert body["url"].startswith(f"{ENDPOINT}/{BUCKET}/media/")
    master_url = body["agora"]["hls_url"]
    master = fetch(master_url).decode()
    variants = [line for line in master.splitlines() if line and not line.startswith("#")]
    assert variants == ["240p.m3u8", "360p.m3u8", "480p.m3u8", "720p.m3u8"]
    base = master_url.rsplit("/", 1)[0]
    for variant in variants:
        playlist = fetch(f"{base}/{variant}").decode()
        segments = [line for line in playlist.splitlines() if line and not line.startswith("#")]
        assert segments
        for segment in segments:
            assert len(fetch(f"{base}/{segment}")) > 0
    # and the ladder plays over HTTP from the bucket
    subprocess.run(  # noqa: S603
        ["ffmpeg", "-v", "error", "-i", master_url, "-map", "0", "-f", "null", "-"],  # noqa: S607
        check=True,
        timeout=120,
    )
    # and the raw upload object and its multipart upload are gone
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert not any(key.startswith(f"uploads/{upload['id']}") for key in keys)
    # (the bucket is the session's: other tests' media, a live replay, may be in it)
    media_prefix = f"media/{finished.json()['id']}/"
    assert any(key.startswith(media_prefix) for key in keys)
    assert not any(key.startswith(media_prefix) and "/source." in key for key in keys)
    assert Upload.objects.get(pk=upload["id"]).state == "finished"


def test_image_goes_to_s3_at_once(alice, s3):
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (320, 200), (10, 200, 10)).save(buffer, format="JPEG")
    buffer.seek(0)
    buffer.name = "x.jpg"
    response = alice.post("/api/v2/media", {"file": buffer}, format="multipart")
    assert response.status_code == 200, response.json()
    with Image.open(BytesIO(fetch(response.json()["url"]))) as stored:
        assert stored.size == (320, 200)


def test_abandoned_s3_upload_expires_and_its_parts_are_aborted(alice, s3):
    from apps.media.uploads import uploads_expire

    data = os.urandom(PART + 10)
    upload = alice.post(
        "/api/agora/v1/uploads",
        {"size": len(data), "checksum": hashlib.sha256(data).hexdigest()},
        format="json",
    ).json()
    put_part(upload["parts"][0]["url"], data[:PART])
    assert len(s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])) == 1
    Upload.objects.filter(pk=upload["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert uploads_expire() == 1

    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    assert alice.get(f"/api/agora/v1/uploads/{upload['id']}").status_code == 410
    assert MediaAttachment.objects.count() == 0

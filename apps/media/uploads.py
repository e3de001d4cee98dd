"""Resumable uploads: create, send chunks with Content-Range, ask the offset, finish.

With local storage, chunks are written in place into one file under
``MEDIA_UPLOAD_DIR``. With S3 storage (django-storages' S3Storage as the default
storage), the upload is an S3 multipart upload: each chunk is one part (all of
``part_size`` except the last), sent through Agora or PUT by the client straight
to S3 with the presigned part URLs given at creation; the offset is what S3 holds
contiguously. Finishing checks the size and the SHA-256 checksum, then the file
goes through the same validation as ``POST /api/v2/media``. Unfinished uploads
expire after ``MEDIA_UPLOAD_EXPIRY_HOURS`` and their bytes are deleted.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.media import services
from apps.media.models import MediaAttachment, Upload
from core.entitlements import entitlements_for
from core.errors import Conflict, Gone, NotFound, RangeNotSatisfiable, Unprocessable

logger = logging.getLogger(__name__)

CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
COPY_BUFFER = 1024 * 1024
PRESIGN_SECONDS = 6 * 3600
S3_MIN_PART = 5 * 1024 * 1024
S3_MAX_PARTS = 10000


class OffsetMismatch(Conflict):
    """A chunk that does not start where the upload stands (409).

    A class of its own so the API can answer it with the offset to continue from.
    """

    default_message = "The chunk does not start at the upload's offset."
    default_code = "offset_mismatch"


def is_s3() -> bool:
    """Whether the default storage is an S3 bucket (django-storages)."""
    return hasattr(default_storage, "bucket_name") and hasattr(default_storage, "connection")


def _s3():
    return default_storage.connection.meta.client, default_storage.bucket_name


def _part_size(size: int) -> int:
    part = max(settings.MEDIA_UPLOAD_PART_SIZE, S3_MIN_PART if is_s3() else 1)
    while is_s3() and -(-size // part) > S3_MAX_PARTS:
        part *= 2
    return part


def _local_path(upload: Upload) -> Path:
    return Path(settings.MEDIA_UPLOAD_DIR) / f"{upload.pk}.part"


def presigned_parts(upload: Upload) -> list[dict] | None:
    """Presigned PUT URLs of every part (S3 only; ``None`` with local storage)."""
    if upload.backend != "s3" or upload.state != Upload.State.OPEN:
        return None
    client, bucket = _s3()
    count = max(1, -(-upload.size // upload.part_size))
    return [
        {
            "number": number,
            "url": client.generate_presigned_url(
                "upload_part",
                Params={
                    "Bucket": bucket,
                    "Key": upload.s3_key,
                    "UploadId": upload.s3_upload_id,
                    "PartNumber": number,
                },
                ExpiresIn=PRESIGN_SECONDS,
            ),
        }
        for number in range(1, count + 1)
    ]


def upload_create(
    *, account, size: int, checksum: str, content_type: str = "", description: str = ""
) -> Upload:
    """Start a resumable upload of ``size`` bytes. Raises Unprocessable above the plan's limit."""
    limit = entitlements_for(account).max_upload_bytes
    if size > limit:
        raise Unprocessable(
            _("The file is %(size)d bytes; your plan allows at most %(limit)d bytes.")
            % {"size": size, "limit": limit}
        )
    services._check_description(description)
    upload = Upload(
        account=account,
        size=size,
        checksum=checksum.lower().removeprefix("sha256:"),
        content_type=content_type[:100],
        description=description,
        expires_at=timezone.now() + timedelta(hours=settings.MEDIA_UPLOAD_EXPIRY_HOURS),
        part_size=_part_size(size),
    )
    if is_s3():
        client, bucket = _s3()
        upload.backend = "s3"
        upload.s3_key = f"uploads/{upload.pk}"
        answer = client.create_multipart_upload(
            Bucket=bucket, Key=upload.s3_key, ContentType="application/octet-stream"
        )
        upload.s3_upload_id = answer["UploadId"]
    else:
        folder = Path(settings.MEDIA_UPLOAD_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        upload.local_path = str(_local_path(upload))
        Path(upload.local_path).touch()
    upload.full_clean(exclude=["account", "media"])
    try:
        upload.save(force_insert=True)
    except BaseException:
        _discard_bytes(upload)
        raise
    return upload


def upload_get_own(*, account, upload_id: int, lock: bool = False) -> Upload:
    """``account``'s upload; NotFound for anybody else's; Gone once it expired or was aborted.

    ``upload_id`` is an int: the API's path converter refuses anything else with a 404.
    """
    queryset = Upload.objects.select_for_update() if lock else Upload.objects
    try:
        upload = queryset.get(pk=upload_id, account=account)
    except Upload.DoesNotExist:
        raise NotFound(_("Record not found")) from None
    if upload.state in (Upload.State.EXPIRED, Upload.State.ABORTED) or (
        upload.state == Upload.State.OPEN and upload.expires_at <= timezone.now()
    ):
        raise Gone(_("This upload has expired; start a new one."))
    return upload


def _s3_offset(upload: Upload) -> int:
    """Bytes S3 holds contiguously from the start (parts 1..n without a gap)."""
    client, bucket = _s3()
    sizes: dict[int, int] = {}
    marker = 0
    while True:
        answer = client.list_parts(
            Bucket=bucket, Key=upload.s3_key, UploadId=upload.s3_upload_id, PartNumberMarker=marker
        )
        for part in answer.get("Parts", []):
            sizes[part["PartNumber"]] = part["Size"]
        if not answer.get("IsTruncated"):
            break
        marker = answer["NextPartNumberMarker"]
    offset, number = 0, 1
    while number in sizes:
        offset += sizes[number]
        number += 1
    return min(offset, upload.size)


def upload_offset(*, account, upload_id: int) -> Upload:
    """The upload with its current offset (for S3, read back from S3: direct PUTs count)."""
    upload = upload_get_own(account=account, upload_id=upload_id)
    if upload.backend == "s3" and upload.state == Upload.State.OPEN:
        offset = _s3_offset(upload)
        if offset != upload.offset:
            Upload.objects.filter(pk=upload.pk).update(offset=offset, updated_at=timezone.now())
            upload.offset = offset
    return upload


def parse_content_range(header: str | None, *, size: int) -> tuple[int, int]:
    """``bytes start-end/total`` -> (start, end exclusive); RangeNotSatisfiable when it does not fit."""
    match = CONTENT_RANGE.match((header or "").strip())
    if not match:
        raise RangeNotSatisfiable(_("Send each chunk with Content-Range: bytes start-end/total."))
    start, last, total = (int(value) for value in match.groups())
    if total != size or start > last or last >= size:
        raise RangeNotSatisfiable(
            _("Content-Range %(range)s does not fit an upload of %(size)d bytes.")
            % {"range": header, "size": size}
        )
    return start, last + 1


def upload_chunk(
    *, account, upload_id: int, content_range: str | None, body, length: int | None
) -> Upload:
    """Write one chunk (``body``: a readable stream of exactly the range's length).

    Raises RangeNotSatisfiable (416) for a bad range, OffsetMismatch (409) when it
    does not start at the offset (the answer carries the offset to continue from),
    Unprocessable (422) for a chunk of the wrong size.
    """
    with transaction.atomic():
        upload = upload_get_own(account=account, upload_id=upload_id, lock=True)
        if upload.state != Upload.State.OPEN:
            raise Unprocessable(_("This upload is already finished."))
        start, end = parse_content_range(content_range, size=upload.size)
        expected = end - start
        if length is not None and length != expected:
            raise RangeNotSatisfiable(_("The body's length does not match Content-Range."))
        if upload.backend == "s3":
            return _s3_chunk(upload, start=start, end=end, body=body)
        if start != upload.offset:
            raise OffsetMismatch(
                _("The chunk starts at %(start)d but the upload is at %(offset)d.")
                % {"start": start, "offset": upload.offset}
            )
        if expected > upload.part_size:
            raise Unprocessable(
                _("A chunk may be at most %(limit)d bytes.") % {"limit": upload.part_size}
            )
        written = 0
        with open(upload.local_path, "r+b") as target:
            target.seek(start)
            while written < expected:
                piece = body.read(min(COPY_BUFFER, expected - written))
                if not piece:
                    break
                target.write(piece)
                written += len(piece)
            target.truncate(start + written)
        if written != expected:
            raise RangeNotSatisfiable(_("The body ended before the end of Content-Range."))
        upload.offset = end
        upload.save(update_fields=["offset", "updated_at"])
    return upload


def _s3_chunk(upload: Upload, *, start: int, end: int, body) -> Upload:
    offset = _s3_offset(upload)
    if start != offset:
        upload.offset = offset
        upload.save(update_fields=["offset", "updated_at"])
        raise OffsetMismatch(
            _("The chunk starts at %(start)d but the upload is at %(offset)d.")
            % {"start": start, "offset": offset}
        )
    if start % upload.part_size or (end - start != upload.part_size and end != upload.size):
        raise Unprocessable(
            _("With this storage every chunk but the last must be exactly %(size)d bytes.")
            % {"size": upload.part_size}
        )
    client, bucket = _s3()
    with tempfile.SpooledTemporaryFile(max_size=COPY_BUFFER * 8) as spool:
        copied = 0
        while copied < end - start:
            piece = body.read(min(COPY_BUFFER, end - start - copied))
            if not piece:
                break
            spool.write(piece)
            copied += len(piece)
        if copied != end - start:
            raise RangeNotSatisfiable(_("The body ended before the end of Content-Range."))
        spool.seek(0)
        client.upload_part(
            Bucket=bucket,
            Key=upload.s3_key,
            UploadId=upload.s3_upload_id,
            PartNumber=start // upload.part_size + 1,
            Body=spool,
            ContentLength=copied,
        )
    upload.offset = end
    upload.save(update_fields=["offset", "updated_at"])
    return upload


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while piece := handle.read(COPY_BUFFER):
            digest.update(piece)
    return digest.hexdigest()


def upload_finish(*, account, upload_id: int) -> MediaAttachment:
    """Check size and checksum, then validate the file into a media attachment.

    A finished upload answers with its attachment again. Raises 422 when bytes
    are missing, the checksum differs, or the file is refused (the upload stays
    open in the first case, and is discarded in the others).
    """
    upload = upload_offset(account=account, upload_id=upload_id)
    if upload.state == Upload.State.FINISHED and upload.media_id:
        return MediaAttachment.objects.select_related("job").get(pk=upload.media_id)
    if upload.offset != upload.size:
        raise Unprocessable(
            _("The upload holds %(offset)d of %(size)d bytes; send the rest first.")
            % {"offset": upload.offset, "size": upload.size}
        )
    with services.scratch_dir() as folder:
        if upload.backend == "s3":
            path = Path(folder) / "upload"
            _s3_complete(upload, path)
        else:
            path = Path(upload.local_path)
        try:
            if _sha256(path) != upload.checksum:
                raise Unprocessable(
                    _("The checksum does not match the bytes received; the upload is discarded.")
                )
            media = services.media_create_from_path(
                account=account, path=path, description=upload.description
            )
        except BaseException:
            _abort(upload)
            raise
    with transaction.atomic():
        Upload.objects.filter(pk=upload.pk).update(
            state=Upload.State.FINISHED, media=media, updated_at=timezone.now()
        )
    _discard_bytes(upload)
    return media


def _s3_complete(upload: Upload, path: Path) -> None:
    client, bucket = _s3()
    parts = []
    marker = 0
    while True:
        answer = client.list_parts(
            Bucket=bucket, Key=upload.s3_key, UploadId=upload.s3_upload_id, PartNumberMarker=marker
        )
        parts += [
            {"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in answer.get("Parts", [])
        ]
        if not answer.get("IsTruncated"):
            break
        marker = answer["NextPartNumberMarker"]
    client.complete_multipart_upload(
        Bucket=bucket,
        Key=upload.s3_key,
        UploadId=upload.s3_upload_id,
        MultipartUpload={"Parts": sorted(parts, key=lambda p: p["PartNumber"])},
    )
    upload.s3_upload_id = ""
    Upload.objects.filter(pk=upload.pk).update(s3_upload_id="")
    client.download_file(bucket, upload.s3_key, str(path))


def _discard_bytes(upload: Upload) -> None:
    """Delete what an upload holds (local file, S3 parts or the assembled object)."""
    try:
        if upload.backend == "s3":
            client, bucket = _s3()
            if upload.s3_upload_id:
                client.abort_multipart_upload(
                    Bucket=bucket, Key=upload.s3_key, UploadId=upload.s3_upload_id
                )
            client.delete_object(Bucket=bucket, Key=upload.s3_key)
        elif upload.local_path:
            Path(upload.local_path).unlink(missing_ok=True)
    except Exception:
        logger.warning("could not delete an upload's bytes", exc_info=True,
                       extra={"upload_id": upload.pk})  # fmt: skip


def _abort(upload: Upload, state: str = Upload.State.ABORTED) -> None:
    _discard_bytes(upload)
    Upload.objects.filter(pk=upload.pk).update(state=state, updated_at=timezone.now())


def upload_abort(*, account, upload_id: int) -> None:
    """Cancel an open upload and delete its bytes."""
    upload = upload_get_own(account=account, upload_id=upload_id)
    if upload.state == Upload.State.OPEN:
        _abort(upload)


def uploads_expire(*, now=None) -> int:
    """Expire open uploads past ``expires_at``, deleting their bytes. Returns how many."""
    now = now or timezone.now()
    count = 0
    for upload in Upload.objects.filter(state=Upload.State.OPEN, expires_at__lte=now).iterator():
        _abort(upload, state=Upload.State.EXPIRED)
        count += 1
    return count

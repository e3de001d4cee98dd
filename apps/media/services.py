"""Writes of the media app: upload, process, describe, attach, retry and clean up.

Refusals raise the platform's errors (:mod:`core.errors`), which the API answers
in Mastodon's error shape and the admin shows as a message: NotFound for media
the actor may not see, Unprocessable (422) for a file or value that is refused,
Unavailable (503) when ffmpeg or ffprobe is missing. A refused upload leaves nothing behind: the row is written last, in a transaction, and
every stored file is deleted when anything fails.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.media import ffmpeg, processing, validation
from apps.media.models import MediaAttachment, MediaType, ProcessingState
from apps.media.validation import MediaRejected, ValidatedMedia, validate
from core import events, queue
from core.entitlements import Entitlements, entitlements_for
from core.errors import NotFound, Unavailable, Unprocessable
from core.ids import parse_id
from core.jobs import job_create

logger = logging.getLogger(__name__)

JOB_KIND = "media.process"
# Images with more pixels are decoded, thumbnailed and hashed by the worker (202), as
# Mastodon processes large media: an 8000 x 8000 image took the request 4 s. A 12 MP
# phone photo stays within the request.
SYNC_IMAGE_SIDE = 4096
SYNC_IMAGE_PIXELS = SYNC_IMAGE_SIDE * SYNC_IMAGE_SIDE
DESCRIPTION_MAX = 1500


class ProcessingFailed(Exception):
    """A processing run failed in a way a retry may fix; ``str(exc)`` is readable."""


def unavailable_message(missing: Iterable[str]) -> str:
    return _("Media processing is unavailable: %(tools)s not installed on this server.") % {
        "tools": ", ".join(missing)
    }


def _unavailable() -> Unavailable:
    return Unavailable(unavailable_message(ffmpeg.missing_tools() or ["ffmpeg"]))


def scratch_dir() -> tempfile.TemporaryDirectory:
    """A private scratch folder under ``MEDIA_WORK_DIR``, removed when the block ends."""
    root = Path(settings.MEDIA_WORK_DIR)
    root.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(dir=root, prefix="media-")


def parse_focus(value: str | None) -> tuple[float, float] | None:
    """``"x,y"`` with both from -1.0 to 1.0; ``None`` for no value. Raises 422 otherwise."""
    if value is None or value == "":
        return None
    try:
        x_text, y_text = str(value).split(",")
        x, y = float(x_text), float(y_text)
    except ValueError:
        raise Unprocessable(_("focus must be two numbers: x,y")) from None
    if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
        raise Unprocessable(_("focus must be two numbers from -1.0 to 1.0"))
    return x, y


def _check_description(description: str) -> str:
    if len(description) > DESCRIPTION_MAX:
        raise Unprocessable(
            _("description is too long (at most %(limit)d characters)") % {"limit": DESCRIPTION_MAX}
        )
    return description


def _copy_to(source, destination: Path) -> Path:
    """Copy an uploaded file (any object with ``chunks()`` or ``read()``) to ``destination``."""
    with destination.open("wb") as target:
        if hasattr(source, "chunks"):
            for chunk in source.chunks():
                target.write(chunk)
        else:
            shutil.copyfileobj(source, target, length=1024 * 1024)
    return destination


# The plan limits a file may replace (``MediaAttachment.limits``).
LIMIT_NAMES = frozenset({"max_video_seconds", "max_video_bytes"})


def _limits_for(account, limits: dict | None = None) -> Entitlements:
    """``account``'s plan with ``limits`` (of :data:`LIMIT_NAMES`) in place of its own."""
    plan = entitlements_for(account)
    wanted: dict[str, Any] = {
        name: int(value) for name, value in (limits or {}).items() if name in LIMIT_NAMES
    }
    return dataclasses.replace(plan, **wanted) if wanted else plan


def _validate(path: Path, *, account, limits: dict | None = None) -> ValidatedMedia:
    try:
        return validate(path, entitlements=_limits_for(account, limits))
    except MediaRejected as exc:
        raise Unprocessable(str(exc)) from None
    except ffmpeg.ToolMissing:
        raise _unavailable() from None


def media_create(
    *, account, file, description: str = "", focus: str | None = None, thumbnail=None
) -> MediaAttachment:
    """Validate an upload and create its attachment.

    Small images are processed at once (the attachment comes back ready); video,
    audio, animated GIFs and large images (over :data:`SYNC_IMAGE_PIXELS` or
    ``MEDIA_SYNC_IMAGE_BYTES``, read from the header) are stored as they came and processed
    by a :data:`JOB_KIND` background job. ``file`` is an uploaded file or any
    readable binary file object; ``thumbnail`` an optional image shown as the
    preview of video and audio (validated and re-encoded like any image).
    Raises Unprocessable, Unavailable.
    """
    description = _check_description(description or "")
    point = parse_focus(focus)
    with scratch_dir() as folder:
        work = Path(folder)
        source = _copy_to(file, work / "upload")
        thumbnail_path = _copy_to(thumbnail, work / "thumbnail-upload") if thumbnail else None
        return _create_from_local(
            account=account, source=source, work=work, description=description, focus=point,
            thumbnail=thumbnail_path,
        )  # fmt: skip


def media_create_from_path(
    *,
    account,
    path: Path,
    description: str = "",
    focus: str | None = None,
    kept_by: str = "",
    limits: dict | None = None,
) -> MediaAttachment:
    """Like :func:`media_create` for a local file (a finished resumable upload); leaves it.

    Another app that keeps the media without a status (a live replay) names itself in
    ``kept_by``, so it is never removed as unattached, and may give ``limits`` (of
    :data:`LIMIT_NAMES`) that replace the owner's plan for this file.
    """
    description = _check_description(description or "")
    point = parse_focus(focus)
    with scratch_dir() as folder:
        return _create_from_local(
            account=account, source=path, work=Path(folder), description=description, focus=point,
            kept_by=kept_by, limits=limits or {},
        )  # fmt: skip


def _store_thumbnail(path: Path, *, work: Path, prefix: str, saved: list[str]) -> tuple[str, str]:
    """Validate, re-encode and store a custom thumbnail; returns (storage name, blurhash)."""
    if validation.sniff(path) not in validation.IMAGE_TYPES:
        raise Unprocessable(_("thumbnail must be a JPEG, PNG, GIF or WebP image"))
    try:
        width, height = validation.image_size(path)
    except MediaRejected as exc:
        raise Unprocessable(_("thumbnail: %(reason)s") % {"reason": exc}) from None
    # A thumbnail is decoded within the request: no larger than an image processed there.
    if width * height > SYNC_IMAGE_PIXELS:
        raise Unprocessable(
            _("thumbnail: the image is %(width)d x %(height)d pixels; at most %(side)d x %(side)d "
              "are allowed.") % {"width": width, "height": height, "side": SYNC_IMAGE_SIDE}
        )  # fmt: skip
    folder = work / "thumbnail"
    folder.mkdir()
    try:
        clean, image = validation.reencode_image(path, folder)
    except MediaRejected as exc:
        raise Unprocessable(_("thumbnail: %(reason)s") % {"reason": exc}) from None
    image.thumbnail(processing.SMALL_BOX)
    small = folder / f"small{clean.suffix}"
    image.save(small, format="PNG" if clean.suffix == ".png" else "JPEG", quality=85)
    hash_blur, _phash = processing.image_hashes(image)
    image.close()
    return processing.store(small, f"{prefix}thumbnail{clean.suffix}", saved), hash_blur


def _create_from_local(
    *,
    account,
    source: Path,
    work: Path,
    description: str,
    focus: tuple[float, float] | None,
    thumbnail: Path | None = None,
    kept_by: str = "",
    limits: dict | None = None,
) -> MediaAttachment:
    info = _validate(source, account=account, limits=limits)
    media = MediaAttachment(
        account=account,
        type=info.type,
        content_type=info.content_type,
        file_size=info.size,
        description=description,
        kept_by=kept_by,
        limits=limits or {},
    )
    if focus is not None:
        media.focus_x, media.focus_y = focus
    prefix = processing.storage_prefix(media.pk)
    saved: list[str] = []
    try:
        if (
            info.type == MediaType.IMAGE
            and info.size <= settings.MEDIA_SYNC_IMAGE_BYTES
            and info.width * info.height <= SYNC_IMAGE_PIXELS
        ):
            try:
                result = processing.process_image(source, work=work, prefix=prefix, saved=saved)
            except MediaRejected as exc:
                raise Unprocessable(str(exc)) from None
            _apply(media, result)
            media.full_clean(exclude=["account", "job"])
            with transaction.atomic():
                media.save(force_insert=True)
                _published(media)
            return media
        name = processing.store(source, f"{prefix}source.{info.extension}", saved)
        media.files = {"source": name}
        if thumbnail is not None and info.type != MediaType.IMAGE:
            media.files["thumbnail"], media.blurhash = _store_thumbnail(
                thumbnail, work=work, prefix=prefix, saved=saved
            )
        media.meta = {"original": {"width": info.width, "height": info.height}}
        media.full_clean(exclude=["account", "job"])
        with transaction.atomic():
            media.save(force_insert=True)
            _enqueue(media)
        return media
    except BaseException:
        processing.delete_stored(saved)
        raise


def _apply(media: MediaAttachment, result: processing.Renditions) -> None:
    media.files = result.files
    media.meta = {**result.meta, "focus": {"x": media.focus_x, "y": media.focus_y}}
    media.blurhash = result.blurhash
    media.perceptual_hashes = result.perceptual_hashes
    media.state = ProcessingState.READY
    media.failure_reason = ""
    media.processed_at = timezone.now()


def _published(media: MediaAttachment) -> None:
    events.publish(
        events.MediaProcessed(
            media_id=media.pk,
            owner_id=media.account_id,
            perceptual_hashes=tuple(media.perceptual_hashes),
        )
    )


def _enqueue(media: MediaAttachment) -> None:
    """Create the processing job and send its task once the transaction commits."""
    job = job_create(owner=media.account, kind=JOB_KIND)
    media.job = job
    media.state = ProcessingState.PENDING
    media.failure_reason = ""
    media.save(update_fields=["job", "state", "failure_reason", "updated_at"])
    media_id, job_id = media.pk, job.pk
    queue.send_on_commit("media.process", job_id=job_id, media_id=media_id)


def media_process(*, media_id: int, progress: Callable[[int], None] | None = None) -> dict:
    """Make the renditions of a stored upload and mark the attachment ready.

    Safe to run twice: a ready attachment is left alone. Raises
    :class:`~apps.media.validation.MediaRejected` for a file that cannot be
    processed (no retry helps) and :class:`ProcessingFailed` for what a retry may
    fix (ffmpeg failing or timing out, storage errors, a missing tool).
    """
    media = MediaAttachment.objects.get(pk=media_id)
    if media.is_ready:
        return {"media_id": str(media.pk), "state": media.state}
    source_name = media.files.get("source")
    if not source_name:
        raise MediaRejected(_("The uploaded file is gone."))
    MediaAttachment.objects.filter(pk=media.pk).update(
        state=ProcessingState.PROCESSING, updated_at=timezone.now()
    )
    prefix = processing.storage_prefix(media.pk)
    saved: list[str] = []
    try:
        with scratch_dir() as folder:
            work = Path(folder)
            try:
                source = processing.fetch(source_name, work / "source")
            except OSError as exc:
                raise ProcessingFailed(_("The uploaded file could not be read.")) from exc
            info = validate(source, entitlements=_limits_for(media.account, media.limits))
            if info.type == MediaType.IMAGE:
                result = processing.process_image(source, work=work, prefix=prefix, saved=saved)
                if progress is not None:
                    progress(90)
            elif info.type == MediaType.AUDIO:
                result = processing.process_audio(
                    source, info=info, work=work, prefix=prefix, saved=saved, progress=progress
                )
            else:
                result = processing.process_video(
                    source, info=info, work=work, prefix=prefix, saved=saved, progress=progress
                )
    except ffmpeg.ToolMissing as exc:
        processing.delete_stored(saved)
        raise ProcessingFailed(unavailable_message(ffmpeg.missing_tools() or [str(exc)])) from None
    except ffmpeg.ToolFailed as exc:
        processing.delete_stored(saved)
        if exc.timed_out:
            raise ProcessingFailed(_("Transcoding failed: ffmpeg timed out")) from None
        # ffmpeg's words name the server's scratch folder: they go to the log only.
        logger.warning("ffmpeg failed: %s", exc, extra={"media_id": media_id})
        raise ProcessingFailed(
            _("Transcoding failed: ffmpeg could not convert the file.")
        ) from None
    except (OSError, processing.StorageNameTaken) as exc:
        processing.delete_stored(saved)
        logger.warning("media storage failed", exc_info=True, extra={"media_id": media_id})
        raise ProcessingFailed(_("Storing the processed file failed.")) from exc
    except BaseException:
        processing.delete_stored(saved)
        raise
    with transaction.atomic():
        locked = MediaAttachment.objects.select_for_update().get(pk=media_id)
        if locked.is_ready:
            processing.delete_stored(saved)
            return {"media_id": str(locked.pk), "state": locked.state}
        thumbnail = locked.files.get("thumbnail")
        _apply(locked, result)
        if thumbnail:
            locked.files["thumbnail"] = thumbnail
            locked.blurhash = media.blurhash or locked.blurhash
        locked.save()
        _published(locked)
    # The upload as it came may carry location metadata: only the renditions stay.
    transaction.on_commit(lambda: processing.delete_stored([source_name]))
    return {"media_id": str(media_id), "state": ProcessingState.READY, "files": len(saved)}


def media_mark_failed(*, media_id: int, reason: str) -> None:
    """Record that processing gave up, with ``reason`` for the owner."""
    MediaAttachment.objects.filter(pk=media_id).exclude(state=ProcessingState.READY).update(
        state=ProcessingState.FAILED, failure_reason=reason[:500], updated_at=timezone.now()
    )


def media_retry(*, media: MediaAttachment) -> MediaAttachment:
    """Process a failed attachment again with a new job. Raises 422 unless it failed."""
    with transaction.atomic():
        locked = MediaAttachment.objects.select_for_update().get(pk=media.pk)
        if locked.state != ProcessingState.FAILED:
            raise Unprocessable(_("Only media whose processing failed can be retried."))
        if not locked.files.get("source"):
            raise Unprocessable(_("The uploaded file is gone; it cannot be processed again."))
        _enqueue(locked)
    return locked


def media_get_own(*, account, media_id: int) -> MediaAttachment:
    """``account``'s own attachment ``media_id``; NotFound for others' and unknown ids.

    ``media_id`` is an int: the API's path converter refuses anything else with a 404.
    """
    try:
        return MediaAttachment.objects.select_related("job").get(pk=media_id, account=account)
    except MediaAttachment.DoesNotExist:
        raise NotFound(_("Record not found")) from None


def media_update(
    *,
    account,
    media_id: int,
    description: str | None = None,
    focus: str | None = None,
    thumbnail=None,
) -> MediaAttachment:
    """Change the description, focus or thumbnail of one's own attachment not yet on a status.

    Mastodon refuses changes to attached media the same way (NotFound). A
    thumbnail is for video and audio only (422 otherwise); the one it replaces is
    deleted once the change commits.
    """
    media = media_get_own(account=account, media_id=media_id)
    if media.status_id is not None:
        raise NotFound(_("Record not found"))
    if description is not None:
        _check_description(description)
    point = parse_focus(focus)
    saved: list[str] = []
    new_thumbnail = blur = ""
    if thumbnail is not None:
        if media.type == MediaType.IMAGE:
            raise Unprocessable(_("Only video and audio take a thumbnail."))
        with scratch_dir() as folder:
            work = Path(folder)
            path = _copy_to(thumbnail, work / "thumbnail-upload")
            new_thumbnail, blur = _store_thumbnail(
                path, work=work, prefix=processing.storage_prefix(media.pk), saved=saved
            )
    try:
        with transaction.atomic():
            # Only the attachment's row: PostgreSQL cannot lock the nullable side of the
            # outer join to its job (and the job is not changed here).
            media = (
                MediaAttachment.objects.select_for_update(of=("self",))
                .select_related("job")
                .get(pk=media.pk)
            )
            if media.status_id is not None:
                raise NotFound(_("Record not found"))
            if description is not None:
                media.description = description
            if point is not None:
                media.focus_x, media.focus_y = point
                if media.meta:
                    media.meta = {**media.meta, "focus": {"x": point[0], "y": point[1]}}
            if new_thumbnail:
                replaced = media.files.get("thumbnail")
                media.files = {**media.files, "thumbnail": new_thumbnail}
                media.blurhash = blur
                if replaced:
                    transaction.on_commit(lambda: processing.delete_stored([replaced]))
            media.full_clean(exclude=["account", "job"])
            media.save()
    except BaseException:
        processing.delete_stored(saved)
        raise
    return media


def _parse_media_ids(account, media_ids: list) -> list[int]:
    limit = entitlements_for(account).max_media_attachments
    if len(media_ids) > limit:
        raise Unprocessable(
            _("A status can have at most %(limit)d media attachments.") % {"limit": limit}
        )
    ids = []
    for value in media_ids:
        media_id = parse_id(value)
        if media_id is None:
            raise Unprocessable(_("media_ids must be media attachment ids"))
        ids.append(media_id)
    if len(set(ids)) != len(ids):
        raise Unprocessable(_("The same media attachment is listed twice."))
    return ids


def media_attach(
    *, account, media_ids: list, status_id: int, replace: bool = False
) -> list[MediaAttachment]:
    """Attach ``account``'s processed, unattached media to the status ``status_id``, in order.

    Call inside the transaction that creates (or edits) the status. With
    ``replace`` (an edit), ``media_ids`` is the status's whole new list: media
    already on it may stay, and media left out are detached (and later removed
    as unattached). Raises 422 for too many ids, duplicates, media that is
    someone else's, unknown, on another status or not processed yet (nothing
    changes then).
    """
    if not media_ids and not replace:
        return []
    ids = _parse_media_ids(account, media_ids)
    with transaction.atomic():
        found = {
            media.pk: media
            for media in MediaAttachment.objects.select_for_update()
            .filter(pk__in=ids, account=account)
            .order_by("pk")
        }
        if len(found) != len(ids):
            raise Unprocessable(_("Media attachment not found: it is not yours."))
        for media in found.values():
            if media.status_id is not None and not (replace and media.status_id == status_id):
                raise Unprocessable(_("Media attachment is already attached to a status."))
            if not media.is_ready:
                raise Unprocessable(
                    _(
                        "Cannot attach files that have not finished processing. Try again in a moment!"
                    )
                )
        if replace:
            MediaAttachment.objects.filter(status_id=status_id).exclude(pk__in=ids).update(
                status_id=None, position=0, updated_at=timezone.now()
            )
        attached = []
        for position, media_id in enumerate(ids):
            media = found[media_id]
            media.status_id = status_id
            media.position = position
            media.save(update_fields=["status_id", "position", "updated_at"])
            attached.append(media)
    return attached


def media_delete(*, media: MediaAttachment) -> None:
    """Delete an attachment's row and then its files."""
    names = list(media.files.values())
    with transaction.atomic():
        media.delete()
        transaction.on_commit(lambda: processing.delete_stored(names))


def media_delete_for_status(*, status_id: int) -> int:
    """Delete the attachments of a deleted status. Returns how many."""
    count = 0
    for media in MediaAttachment.objects.filter(status_id=status_id):
        media_delete(media=media)
        count += 1
    return count


def media_moderate(*, media_id: int, action: str) -> bool:
    """Carry out moderation's decision on media not attached to a status (``ContentActioned``).

    ``remove`` deletes the attachment and its files. Other decisions change nothing here:
    unattached media is visible to its owner alone, and once a status attaches it the
    status is assessed with the media's hashes. Media on a status follows its status.
    Returns whether anything was deleted.
    """
    if action != "remove":
        return False
    media = MediaAttachment.objects.filter(pk=media_id, status_id__isnull=True).first()
    if media is None:
        return False
    media_delete(media=media)
    return True


def media_remove_unattached(*, older_than: timedelta | None = None) -> int:
    """Delete media no status attached that is older than ``MEDIA_UNATTACHED_MAX_HOURS``."""
    age = older_than or timedelta(hours=settings.MEDIA_UNATTACHED_MAX_HOURS)
    cutoff = timezone.now() - age
    count = 0
    for media in MediaAttachment.objects.unattached().filter(created_at__lt=cutoff).iterator():
        media_delete(media=media)
        count += 1
    return count

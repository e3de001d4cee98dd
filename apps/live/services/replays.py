"""Replays: a stream's recording, through the media pipeline, becomes the stream's replay.

nginx-rtmp records every stream into ``LIVE_RECORDINGS_DIR`` as FLV and, when the
recording is closed (the encoder stopped, its owner ended it, or the kill switch dropped
it), calls ``on_record_done`` with the file's path. :func:`recording_done` checks the
file is a recording of that stream in that directory and queues :func:`replay_create`,
which remuxes it to MP4 (no re-encoding) and hands it to the media pipeline: the HLS
ladder, the MP4, a poster, perceptual hashes and moderation, as for any uploaded video.
The media is kept by the stream (never removed as unattached) and may be as long as
``LIVE_REPLAY_MAX_SECONDS``, whatever the owner's plan allows for uploads.

Nothing is lost on failure: the recording is deleted only once the media pipeline has
its own copy; a recording it refuses stays, with the reason on the stream.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from apps.live.models import Stream
from apps.live.services.ingest import stream_named
from apps.media import ffmpeg
from apps.media.services import media_create_from_path, media_delete, scratch_dir
from core import errors, queue

logger = logging.getLogger(__name__)

REPLAY_TASK = "live.replay_create"


def _recordings_dir() -> Path:
    return Path(settings.LIVE_RECORDINGS_DIR).resolve()


def recording_path(*, stream: Stream, reported: str) -> Path:
    """The recording nginx reported as ``reported``, checked to be ``stream``'s.

    Only the file's name is taken from nginx: it must start with the stream's internal
    name and lie in ``LIVE_RECORDINGS_DIR``. Raises :class:`core.errors.Invalid` for a
    name that is not the stream's, :class:`core.errors.NotFound` for a file that is not there.
    """
    name = Path(reported or "").name
    if not name.startswith(stream.internal_name) or not name.endswith(".flv"):
        raise errors.Invalid({"path": [_("not a recording of this stream")]})
    path = _recordings_dir() / name
    if not path.is_file():
        raise errors.NotFound(_("The recording is not in the recordings directory."))
    return path


def recording_done(*, internal_name: str, reported: str) -> Stream:
    """nginx closed the recording of the stream it names ``internal_name`` (by its internal
    name or its key, as :func:`~apps.live.services.ingest.stream_named`; the file is named by
    the internal name, which finds it too after the kill switch rotated the key): make it
    the replay. Queues :data:`REPLAY_TASK` once this transaction commits. Raises NotFound
    or Invalid.
    """
    stream = stream_named(Stream.objects.all(), internal_name)
    if stream is None:
        stem = Path(reported or "").name.split(".", 1)[0]
        stream = Stream.objects.filter(internal_name=stem).first() if stem else None
    if stream is None:
        raise errors.NotFound(_("Record not found"))
    path = recording_path(stream=stream, reported=reported)
    queue.send_on_commit(REPLAY_TASK, stream_id=stream.pk, file_name=path.name)
    logger.info("live recording %s done", path.name, extra={"stream_id": stream.pk})
    return stream


def _remux(source: Path, out: Path) -> None:
    """FLV to MP4 without re-encoding (the media pipeline takes MP4, not FLV)."""
    ffmpeg.run(
        [
            ffmpeg.binary("ffmpeg"),
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-i",
            str(source),
            "-map",
            "0",
            "-c",
            "copy",
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
            str(out),
        ]  # fmt: skip
    )


def replay_fail(*, stream_id: int, reason: str) -> None:
    """Record why the recording of ``stream_id`` did not become a replay (it stays on disk)."""
    Stream.objects.filter(pk=stream_id, replay__isnull=True).update(replay_failure=reason[:500])


def replay_create(*, stream_id: int, file_name: str) -> int | None:
    """Turn the recording ``file_name`` of stream ``stream_id`` into its replay.

    Safe to run twice: a stream with a replay is left alone. Returns the media id.
    Raises :class:`apps.media.ffmpeg.ToolFailed` or ``ToolMissing`` when the remux
    fails (a retry may help) and :class:`core.errors.Unprocessable` when the media
    pipeline refuses the file (no retry helps; :func:`replay_fail` records it).
    """
    stream = Stream.objects.select_related("account").filter(pk=stream_id).first()
    if stream is None:  # deleted since
        return None
    if stream.replay_id is not None:
        return stream.replay_id
    source = recording_path(stream=stream, reported=file_name)
    with scratch_dir() as folder:
        remuxed = Path(folder) / "replay.mp4"
        _remux(source, remuxed)
        media = media_create_from_path(
            account=stream.account,
            path=remuxed,
            description=_("Replay of the live stream “%(title)s”") % {"title": stream.title},
            kept_by=f"live:{stream.pk}",
            limits={
                "max_video_seconds": settings.LIVE_REPLAY_MAX_SECONDS,
                "max_video_bytes": settings.LIVE_REPLAY_MAX_BYTES,
            },
        )
    with transaction.atomic():
        locked = Stream.objects.select_for_update().get(pk=stream_id)
        if locked.replay_id is not None:  # another delivery of the task won
            media_delete(media=media)
            return locked.replay_id
        locked.replay = media
        locked.replay_failure = ""
        locked.save(update_fields=["replay", "replay_failure", "updated_at"])
        transaction.on_commit(lambda: source.unlink(missing_ok=True))
    logger.info("live replay of stream %s is media %s", stream_id, media.pk)
    return media.pk


def replay_moderate(*, media_id: int, action: str) -> bool:
    """Carry out moderation's decision on media that is a stream's replay.

    ``hide`` keeps the replay from everybody but the streamer; ``approve`` shows it again;
    ``remove`` is carried out by the media app, which deletes the media (the stream's
    ``replay`` becomes null). Returns whether a stream changed.
    """
    hidden = {"hide": True, "approve": False}.get(action)
    if hidden is None:
        return False
    return bool(
        Stream.objects.filter(replay_id=media_id)
        .exclude(replay_hidden=hidden)
        .update(replay_hidden=hidden)
    )

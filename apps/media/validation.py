"""Validation of uploaded files, before anything is stored for good.

The type comes from the content (``filetype``'s magic numbers), never from the
file name or the request's Content-Type. Images are opened by Pillow with its
decompression-bomb warning raised as an error and checked by their header (format,
pixel count); their pixels are decoded in full (so truncation shows) only when they
are re-encoded without EXIF or location, in the worker for large images. Video and audio are inspected by
ffprobe under a time limit, with only the file protocol and the demuxer of the
sniffed type, and their container, codecs, duration, dimensions and stream counts
checked. Size and duration limits come from the owner's plan
(:mod:`core.entitlements`). Everything refused raises :class:`MediaRejected`
with a message for the uploader.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import filetype
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from apps.media import ffmpeg
from apps.media.models import MediaType
from core.entitlements import Entitlements
from core.media_types import AUDIO_TYPES, IMAGE_TYPES, VIDEO_TYPES

logger = logging.getLogger(__name__)

# ffprobe's format_name must include this for each demuxer (a cross-check of the sniffing).
FORMAT_NAMES = {"mov": "mov", "matroska": "matroska", "mp3": "mp3", "ogg": "ogg", "flac": "flac",
                "wav": "wav", "gif": "gif"}  # fmt: skip
VIDEO_CODECS = {"h264", "hevc", "vp8", "vp9", "av1", "mpeg4", "gif"}
AUDIO_CODECS = {"aac", "mp3", "opus", "vorbis", "flac", "alac", "pcm_s16le", "pcm_s24le",
                "pcm_s16be", "pcm_f32le", "pcm_u8"}  # fmt: skip
MAX_STREAMS = 6
SNIFF_BYTES = 8192


class MediaRejected(Exception):
    """The upload is refused; ``str(exc)`` tells the uploader why."""


@dataclass
class ValidatedMedia:
    """What validation learnt about an accepted file."""

    type: str
    content_type: str
    extension: str
    size: int
    demuxer: str = ""
    width: int = 0
    height: int = 0
    duration: float = 0.0
    frame_rate: str = ""
    has_audio: bool = False
    audio: dict = field(default_factory=dict)
    bitrate: int = 0


def sniff(path: Path) -> str:
    """The MIME type the content says (empty when unknown)."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    kind = filetype.guess(head)
    return kind.mime if kind else ""


def _limit_size(size: int, limit: int, what: str) -> None:
    if size > limit:
        raise MediaRejected(
            _("The %(what)s is %(size)d bytes; your plan allows at most %(limit)d bytes.")
            % {"what": what, "size": size, "limit": limit}
        )


def validate(path: Path, *, entitlements: Entitlements) -> ValidatedMedia:
    """Check the file at ``path``; the type decides the rest. Raises :class:`MediaRejected`.

    Raises :class:`apps.media.ffmpeg.ToolMissing` for video and audio when ffprobe
    is not installed.
    """
    size = path.stat().st_size
    if size == 0:
        raise MediaRejected(_("The file is empty."))
    mime = sniff(path)
    if mime in IMAGE_TYPES:
        _limit_size(size, entitlements.max_image_bytes, _("image"))
        return validate_image(path, mime=mime, size=size)
    if mime in VIDEO_TYPES:
        _limit_size(size, entitlements.max_video_bytes, _("video"))
        return validate_av(path, mime=mime, size=size, entitlements=entitlements)
    if mime in AUDIO_TYPES:
        _limit_size(size, entitlements.max_video_bytes, _("audio file"))
        return validate_av(path, mime=mime, size=size, entitlements=entitlements)
    raise MediaRejected(
        _("This file type is not supported (the content is %(what)s). Upload a JPEG, PNG, GIF "
          "or WebP image, an MP4, MOV or WebM video, or an MP3, M4A, Ogg, FLAC or WAV file.")
        % {"what": mime or _("not a recognised image, video or audio format")}
    )  # fmt: skip


def _decode(path: Path, *, load: bool = True) -> Image.Image:
    """Open (and ``load``) ``path``, closing it on any error; at most MEDIA_MAX_IMAGE_PIXELS."""
    limit = settings.MEDIA_MAX_IMAGE_PIXELS
    image = None
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(path)
            width, height = image.size
            if width * height > limit:
                raise MediaRejected(
                    _("The image is %(width)d x %(height)d pixels; at most %(limit)d pixels "
                      "are allowed.") % {"width": width, "height": height, "limit": limit}
                )  # fmt: skip
            if load:
                image.load()
        except BaseException:
            if image is not None:
                image.close()
            raise
    return image


def _open_image(path: Path, *, load: bool = True) -> Image.Image:
    """Open ``path`` and decode it fully (only its header without ``load``).

    Bombs and images over the pixel limit are refused either way; corrupt and
    truncated pixel data only when ``load``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return _decode(path, load=load)
        except MediaRejected:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise MediaRejected(
                _("The image has too many pixels (a decompression bomb).")
            ) from None
        except UnidentifiedImageError:
            raise MediaRejected(_("The image cannot be decoded: it is corrupt.")) from None
        except (OSError, SyntaxError, ValueError) as exc:
            if "truncated" in str(exc):
                raise MediaRejected(_("The image is truncated.")) from None
            raise MediaRejected(_("The image cannot be decoded: it is corrupt.")) from None


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) from the image's header. Raises :class:`MediaRejected` like validation."""
    image = _open_image(path, load=False)
    size = image.size
    image.close()
    return size


def validate_image(path: Path, *, mime: str, size: int) -> ValidatedMedia:
    """Check the image's header: format, pixel count; an animated GIF becomes a ``gifv``.

    The pixels are not decoded here (that is :func:`reencode_image`'s work, in the
    request for small images and in the worker for large ones), so a large image
    costs the request only its header.
    """
    image = _open_image(path, load=False)
    if image.format is None or Image.MIME.get(image.format) != mime:
        image.close()
        raise MediaRejected(
            _("The image's content does not match its type (%(mime)s).") % {"mime": mime}
        )
    animated = getattr(image, "is_animated", False) and getattr(image, "n_frames", 1) > 1
    width, height = image.size
    image.close()
    if animated and mime == "image/gif":
        if ffmpeg.missing_tools():
            raise ffmpeg.ToolMissing("ffmpeg")
        return ValidatedMedia(
            type=MediaType.GIFV, content_type=mime, extension="gif", size=size, demuxer="gif",
            width=width, height=height,
        )  # fmt: skip
    return ValidatedMedia(
        type=MediaType.IMAGE,
        content_type=mime,
        extension=IMAGE_TYPES[mime],
        size=size,
        width=width,
        height=height,
    )


def reencode_image(path: Path, out_dir: Path) -> tuple[Path, Image.Image]:
    """Re-encode ``path`` without EXIF, location or trailing bytes; orientation applied.

    Returns the new file (JPEG, or PNG for images with transparency) and the
    decoded image (RGB or RGBA). Raises :class:`MediaRejected` like validation.
    """
    image = _open_image(path)
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        image = image.convert("RGBA")
        out = out_dir / "clean.png"
        image.save(out, format="PNG", optimize=False)
    else:
        image = image.convert("RGB")
        out = out_dir / "clean.jpg"
        image.save(out, format="JPEG", quality=90, optimize=True)
    return out, image


def _fps(stream: dict) -> str:
    rate = stream.get("avg_frame_rate") or stream.get("r_frame_rate") or "0/0"
    return rate if rate != "0/0" else ""


def validate_av(path: Path, *, mime: str, size: int, entitlements: Entitlements) -> ValidatedMedia:
    """ffprobe the file with the demuxer of its sniffed type and check what it holds."""
    demuxer = ffmpeg.DEMUXERS[mime]
    try:
        info = ffmpeg.probe(path, demuxer=demuxer)
    except ffmpeg.ToolFailed as exc:
        if exc.timed_out:
            raise MediaRejected(_("The file took too long to inspect.")) from None
        # ffprobe's words name the server's scratch folder: they go to the log only.
        logger.info("ffprobe refused an upload (%s): %s", mime, exc)
        if mime.startswith("audio/"):
            message = _("The file could not be read as audio: it is truncated or corrupt.")
        else:
            message = _("The file could not be read as video: it is truncated or corrupt.")
        raise MediaRejected(message) from None
    fmt = info.get("format") or {}
    streams = info.get("streams") or []
    if FORMAT_NAMES[demuxer] not in (fmt.get("format_name") or "").split(","):
        raise MediaRejected(_("The file's container does not match its content."))
    if not streams:
        raise MediaRejected(_("The file holds no audio or video."))
    if len(streams) > MAX_STREAMS:
        raise MediaRejected(
            _("The file holds %(count)d streams; at most %(limit)d are allowed.")
            % {"count": len(streams), "limit": MAX_STREAMS}
        )
    video = [
        s for s in streams
        if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]  # fmt: skip
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    for stream in video:
        if stream.get("codec_name") not in VIDEO_CODECS:
            raise MediaRejected(
                _("The video codec %(codec)s is not supported.")
                % {"codec": stream.get("codec_name") or "?"}
            )
    for stream in audio:
        if stream.get("codec_name") not in AUDIO_CODECS:
            raise MediaRejected(
                _("The audio codec %(codec)s is not supported.")
                % {"codec": stream.get("codec_name") or "?"}
            )
    try:
        duration = float(fmt.get("duration") or 0)
    except ValueError:
        duration = 0.0
    if duration <= 0:
        raise MediaRejected(_("The file has no duration: it is corrupt or truncated."))
    if duration > entitlements.max_video_seconds:
        raise MediaRejected(
            _("The file is %(duration)d seconds long; your plan allows at most %(limit)d.")
            % {"duration": round(duration), "limit": entitlements.max_video_seconds}
        )
    bitrate = int(fmt.get("bit_rate") or 0) if str(fmt.get("bit_rate") or "0").isdigit() else 0
    if mime.startswith("video/"):
        if len(video) != 1:
            raise MediaRejected(_("A video must hold exactly one video stream."))
        if len(audio) > 1:
            raise MediaRejected(_("A video may hold at most one audio stream."))
        width, height = int(video[0].get("width") or 0), int(video[0].get("height") or 0)
        longest = settings.MEDIA_MAX_VIDEO_DIMENSION
        if width < 2 or height < 2 or max(width, height) > longest:
            raise MediaRejected(
                _("The video is %(width)d x %(height)d; each side must be from 2 to %(limit)d "
                  "pixels.") % {"width": width, "height": height, "limit": longest}
            )  # fmt: skip
        return ValidatedMedia(
            type=MediaType.VIDEO, content_type=mime, extension=VIDEO_TYPES[mime], size=size,
            demuxer=demuxer, width=width, height=height, duration=duration,
            frame_rate=_fps(video[0]), has_audio=bool(audio), bitrate=bitrate,
            audio=_audio_meta(audio[0]) if audio else {},
        )  # fmt: skip
    if video:
        raise MediaRejected(_("An audio file may not hold video."))
    if len(audio) != 1:
        raise MediaRejected(_("An audio file must hold exactly one audio stream."))
    return ValidatedMedia(
        type=MediaType.AUDIO, content_type=mime, extension=AUDIO_TYPES[mime], size=size,
        demuxer=demuxer, duration=duration, has_audio=True, bitrate=bitrate,
        audio=_audio_meta(audio[0]),
    )  # fmt: skip


def _audio_meta(stream: dict) -> dict:
    return {
        "audio_encode": stream.get("codec_name") or "",
        "audio_bitrate": stream.get("bit_rate") or "",
        "audio_channels": "stereo" if int(stream.get("channels") or 0) >= 2 else "mono",
    }

"""The kinds of file an upload may be: one list for media validation and the instance entity.

Keys are the MIME types the content sniffs as (``filetype``'s names), values the
extension a stored file gets. ``ALIASES`` are other names clients give the same
formats (a browser calls a WAV ``audio/wav``, ``filetype`` ``audio/x-wav``); the
instance lists them too, so that a client checking a file's type before
uploading it does not refuse a file the server takes.
"""

from __future__ import annotations

IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}
VIDEO_TYPES = {
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/x-m4v": "m4v",
    "video/webm": "webm",
    "video/x-matroska": "mkv",
}
AUDIO_TYPES = {
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/ogg": "ogg",
    "audio/x-flac": "flac",
    "audio/x-wav": "wav",
}
ALIASES = {
    "audio/mp3": "audio/mpeg",
    "audio/m4a": "audio/mp4",
    "audio/x-m4a": "audio/mp4",
    "audio/flac": "audio/x-flac",
    "audio/wav": "audio/x-wav",
    "audio/wave": "audio/x-wav",
    "audio/vnd.wave": "audio/x-wav",
}
SUPPORTED_MIME_TYPES = (*IMAGE_TYPES, *VIDEO_TYPES, *AUDIO_TYPES, *ALIASES)


def canonical_type(mime: str) -> str:
    """The sniffed name of ``mime`` (itself unless it is one of the :data:`ALIASES`)."""
    return ALIASES.get(mime, mime)

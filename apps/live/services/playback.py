"""Playback URLs: plain for public and unlisted streams, signed and short-lived otherwise.

nginx (``deploy/nginx-rtmp/``) serves a stream's HLS ladder from one directory,
``<hls dir>/<internal name>/``: the master playlist ``index.m3u8`` names its variant
playlists relatively (``480p/index.m3u8``), and they name their segments relatively.
So a signature in the URL's *query* would be lost on the first relative step; it goes
in the *path* instead, before the stream's directory::

    <LIVE_HLS_BASE_URL>/s/<expires>/<token>/<internal name>/index.m3u8
    token = base64url(md5("<expires>/<internal name> <LIVE_PLAYBACK_SECRET>")), unpadded

Every variant playlist and segment then resolves under the same signed prefix, which
covers the whole directory and nothing else: a token for one stream opens no other
one, and none after ``expires`` (Unix seconds).

Why nginx's ``secure_link`` rather than ``auth_request`` to Agora for these: a
thousand viewers fetch a playlist every two seconds and a segment each; secure_link
checks each request inside nginx, with no round trip and nothing to cache, and keeps
playing while Agora restarts. MD5 is what secure_link offers; the secret comes last in
the signed string, so MD5's length extension cannot forge a token, and an expiry and
a stream are all a token is good for. The unsigned path of public and unlisted streams
*does* ask Agora (:func:`stream_publicly_playable`, cached by nginx a few seconds),
because nginx alone cannot tell which streams are public.

Who gets a URL is decided before: callers pass a stream fetched for the viewer through
:mod:`apps.live.selectors` (its owner, followers for ``followers``, members for
``subscribers``), which is the one place the rule is written.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time

from django.conf import settings

from apps.accounts.models import able_to_act_q
from apps.live.models import Stream

PUBLIC_VISIBILITIES = (Stream.Visibility.PUBLIC, Stream.Visibility.UNLISTED)
MASTER_PLAYLIST = "index.m3u8"
SIGNED_PREFIX = "s"
_SIGNED_PATH = re.compile(
    r"^/s/(?P<expires>[0-9]{1,12})/(?P<token>[A-Za-z0-9_-]{22})/(?P<name>[0-9a-f]{32})/"
    r"(?P<file>(?:[a-z0-9]{1,16}/)?[a-z0-9_]{1,32}\.(?:m3u8|ts))$"
)


def playback_token(*, internal_name: str, expires: int, secret: str) -> str:
    """nginx secure_link_md5's token for ``"<expires>/<internal name> <secret>"``."""
    digest = hashlib.md5(f"{expires}/{internal_name} {secret}".encode()).digest()  # noqa: S324
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def playback_signed_url(*, stream: Stream, expires: int) -> str:
    """The signed URL of ``stream``'s master playlist, good until ``expires`` (Unix seconds)."""
    token = playback_token(
        internal_name=stream.internal_name,
        expires=expires,
        secret=settings.LIVE_PLAYBACK_SECRET,
    )
    return (
        f"{settings.LIVE_HLS_BASE_URL}/{SIGNED_PREFIX}/{expires}/{token}/"
        f"{stream.internal_name}/{MASTER_PLAYLIST}"
    )


def playback_hls_url(*, stream: Stream, now: float | None = None) -> str | None:
    """The HLS URL to give a viewer allowed to see ``stream`` (see the module's docstring).

    Plain for ``public`` and ``unlisted``; signed, expiring in
    ``LIVE_PLAYBACK_TTL_SECONDS``, for ``followers`` and ``subscribers``; ``None`` for
    those while ``LIVE_PLAYBACK_SECRET`` is not configured (nginx would refuse any URL).
    """
    if stream.visibility in PUBLIC_VISIBILITIES:
        return f"{settings.LIVE_HLS_BASE_URL}/{stream.internal_name}/{MASTER_PLAYLIST}"
    if not settings.LIVE_PLAYBACK_SECRET:
        return None
    expires = int(time.time() if now is None else now) + settings.LIVE_PLAYBACK_TTL_SECONDS
    return playback_signed_url(stream=stream, expires=expires)


def playback_signed_name(*, url: str, now: float | None = None) -> str | None:
    """The internal name of the stream a signed ``url`` opens now, or ``None``.

    What nginx's secure_link location checks, written once more in Python for the tests
    and for tools; nginx stays the gate. ``url`` may name the master playlist, a variant
    playlist or a segment under the signed prefix.
    """
    base = settings.LIVE_HLS_BASE_URL
    if not url.startswith(base + "/"):
        return None
    found = _SIGNED_PATH.match(url[len(base) :])
    if found is None or not settings.LIVE_PLAYBACK_SECRET:
        return None
    expires = int(found["expires"])
    expected = playback_token(
        internal_name=found["name"], expires=expires, secret=settings.LIVE_PLAYBACK_SECRET
    )
    if not hmac.compare_digest(expected, found["token"]):
        return None
    if expires < (time.time() if now is None else now):
        return None
    return found["name"]


def stream_publicly_playable(*, internal_name: str) -> bool:
    """Whether anybody may play the stream named ``internal_name`` unsigned: a public or
    unlisted stream whose owner can act (nginx's auth_request for the plain path)."""
    return (
        Stream.objects.filter(internal_name=internal_name, visibility__in=PUBLIC_VISIBILITIES)
        .filter(able_to_act_q("account__"))
        .exists()
    )

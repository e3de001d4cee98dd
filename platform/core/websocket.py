"""WebSocket authentication by OAuth access token (Mastodon's streaming API).

The token comes from the ``access_token`` query parameter, the
``Sec-WebSocket-Protocol`` header or the ``Authorization`` header, as Mastodon
accepts it. The scope gets ``user`` (anonymous when absent or invalid) and ``token``.

A service out of reach while a socket opens or runs (the database or its pool, Redis or
the channel layer's connection pool: :func:`core.exceptions.is_outage`) is the socket's
503: the handshake is refused with 503 and ``Retry-After`` where the server offers
denial responses (uvicorn does), else closed with 1013 ("try again later"), as an open
socket is; never the server's 500 for an exception the application let out.
"""

from __future__ import annotations

import contextlib
import json
import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import AllowedHostsOriginValidator
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _

from core.exceptions import RETRY_AFTER_SECONDS, is_outage

logger = logging.getLogger(__name__)

# RFC 6455's registered close code 1013, "Try Again Later": the server is overloaded.
CLOSE_TRY_AGAIN_LATER = 1013


def token_user(raw_token: str):
    """``(user, token)`` for a valid, unexpired access token of an account that may act.

    Else ``(anonymous, None)``: unknown, expired, or of an account that is inactive,
    suspended or disabled. The API's own check (:func:`core.authentication.access_token_check`:
    the token found by its indexed checksum) on the primary, so a revoked token or a
    suspended account never opens a socket from a lagging replica.
    """
    from core import replicas
    from core.authentication import access_token_check, account_is_able_to_act

    if not raw_token:
        return AnonymousUser(), None
    with replicas.primary():
        token = access_token_check(raw_token).token
    if token is None or token.user is None or not account_is_able_to_act(token.user):
        return AnonymousUser(), None
    return token.user, token


_token_user = database_sync_to_async(token_user)


def _raw_token(scope) -> str:
    query = parse_qs(scope.get("query_string", b"").decode())
    if query.get("access_token"):
        return query["access_token"][0]
    if scope.get("subprotocols"):
        return scope["subprotocols"][0]
    headers = dict(scope.get("headers", []))
    protocol = headers.get(b"sec-websocket-protocol", b"").decode()
    if protocol:
        return protocol.split(",")[0].strip()
    authorization = headers.get(b"authorization", b"").decode()
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return ""


async def refuse_unavailable(scope, send, *, answered: bool) -> None:
    """Tell a WebSocket client a service is out of reach: before the handshake is
    answered, 503 with ``Retry-After`` (ASGI's denial response, where the server offers
    it) or a close with 1013; after, a close with 1013. A socket already gone is left."""
    if not answered and "websocket.http.response" in scope.get("extensions", {}):
        body = json.dumps(
            {"error": _("The service is temporarily unavailable, try again shortly")}
        ).encode()
        await send(
            {
                "type": "websocket.http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
                ],
            }
        )
        await send({"type": "websocket.http.response.body", "body": body})
        return
    # The socket may be closed already (by the client, or by the application before the
    # error): nothing is left to tell.
    with contextlib.suppress(Exception):
        await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER})


class TokenAuthMiddleware(BaseMiddleware):
    """Authenticates the socket (``scope["user"]``, ``scope["token"]``), and answers an
    outage while it opens or runs as :func:`refuse_unavailable` does.

    Outermost but for the origin check, so the token lookup's own outage (the database
    pool exhausted) is answered the same way. Any other error is re-raised.
    """

    async def __call__(self, scope, receive, send):
        answered = False

        async def tracked_send(message):
            nonlocal answered
            if message["type"] in (
                "websocket.accept",
                "websocket.close",
                "websocket.http.response.start",
            ):
                answered = True
            await send(message)

        try:
            raw = _raw_token(scope)
            if raw:
                scope["user"], scope["token"] = await _token_user(raw)
            else:
                scope["user"], scope["token"] = AnonymousUser(), None
            return await super().__call__(scope, receive, tracked_send)
        except Exception as exc:
            if not is_outage(exc):
                raise
            logger.warning("websocket: service unavailable: %s", type(exc).__name__, exc_info=exc)
            await refuse_unavailable(scope, send, answered=answered)
            return None


class AllowedOriginUnlessToken:
    """Check the ``Origin`` against ``ALLOWED_HOSTS``, except for token-authenticated connections.

    An origin check defends ambient credentials (cookies) against other sites. A connection
    that presents an access token carries its credential explicitly, which another site
    cannot do on the user's behalf; and Mastodon clients connect from anywhere: native apps
    send no ``Origin`` at all, web clients (Elk, Phanpy) their own. So those pass, as they do
    on Mastodon's streaming server, and only connections without a token are origin-checked.
    """

    def __init__(self, application):
        self.application = application
        self.origin_checked = AllowedHostsOriginValidator(application)

    async def __call__(self, scope, receive, send):
        if _raw_token(scope):
            return await self.application(scope, receive, send)
        return await self.origin_checked(scope, receive, send)

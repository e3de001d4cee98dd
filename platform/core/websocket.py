"""WebSocket authentication by OAuth access token (Mastodon's streaming API).

The token comes from the ``access_token`` query parameter, the
``Sec-WebSocket-Protocol`` header or the ``Authorization`` header, as Mastodon
accepts it. The scope gets ``user`` (anonymous when absent or invalid) and ``token``.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import AllowedHostsOriginValidator
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone


def token_user(raw_token: str):
    """``(user, token)`` for a valid, unexpired access token of an account that may act.

    Else ``(anonymous, None)``: unknown, expired, or of an account that is inactive,
    suspended or disabled (:func:`core.authentication.account_is_able_to_act`).
    """
    from oauth2_provider.models import get_access_token_model

    from core.authentication import account_is_able_to_act

    if not raw_token:
        return AnonymousUser(), None

    token_model = get_access_token_model()
    token = (
        token_model.objects.select_related("user")
        .filter(token=raw_token, expires__gt=timezone.now())
        .first()
    )
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


class TokenAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        raw = _raw_token(scope)
        if raw:
            scope["user"], scope["token"] = await _token_user(raw)
        else:
            scope["user"], scope["token"] = AnonymousUser(), None
        return await super().__call__(scope, receive, send)


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

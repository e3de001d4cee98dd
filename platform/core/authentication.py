"""API authentication: OAuth 2 bearer tokens (django-oauth-toolkit), refusing non-functional logins."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.models import get_access_token_model
from rest_framework import exceptions

from core import metrics, replicas
from core.rows import RowShape, rows_by_keys


class LoginDisabled(exceptions.PermissionDenied):
    """The token is valid but its account may not act (Mastodon's ``require_user!``: 403)."""

    default_detail = _("Your login is currently disabled")
    default_code = "login_disabled"


def account_is_able_to_act(user) -> bool:
    """Active and not suspended or disabled right now (``User.is_able_to_act``).

    Read from the row the token check loaded, so it costs no query. Falls back to
    ``is_active`` for a user model without standing.
    """
    return bool(getattr(user, "is_able_to_act", user.is_active))


# How often API use is recorded as the account's last sign-in (Mastodon's
# UserTrackingConcern::SIGN_IN_UPDATE_FREQUENCY): at most one write a day per account.
ACTIVITY_UPDATE_FREQUENCY = timedelta(days=1)


def record_activity(user) -> None:
    """Record that ``user`` used the API, in ``last_login``, at most once a day.

    Mastodon counts a user active in a month by ``current_sign_in_at``, which its
    API requests renew at most once in 24 hours (``update_user_sign_in``); OAuth
    requests here never pass through Django's ``login()``, so without this an
    account using only apps is never active. One ``UPDATE`` on the first request of
    the day, none on the others.
    """
    now = timezone.now()
    if user.last_login is not None and now - user.last_login < ACTIVITY_UPDATE_FREQUENCY:
        return
    type(user)._default_manager.filter(pk=user.pk).update(last_login=now)
    user.last_login = now


@dataclass(frozen=True)
class TokenCheck:
    """What :func:`access_token_check` found: the token when it may be used, else why not
    (an OAuth error for the ``WWW-Authenticate`` challenge, RFC 6750 §3.1)."""

    token: Any  # the AccessToken, or None
    error: dict[str, str]


# An access token by its checksum with its application and user: read on every API call,
# so its SQL is compiled once (core.rows).
TOKEN_ROWS = RowShape(
    "core.access_token",
    lambda: get_access_token_model().objects.select_related("application", "user"),
    key="token_checksum",
)


def _refused(description: str) -> TokenCheck:
    return TokenCheck(None, {"error": "invalid_token", "error_description": description})


def access_token_check(raw_token: str, *, request=None) -> TokenCheck:
    """The access token ``raw_token`` names, with its user and application, if it may be used.

    The same lookup and rules as django-oauth-toolkit's validator
    (``OAuth2Validator.validate_bearer_token``): the token found by its SHA-256 checksum
    (the indexed column; the token itself is not indexed), unexpired, restricted to
    the ``request``'s URI when it names resources (RFC 8707), of an application still usable; in one
    query (:data:`TOKEN_ROWS`, compiled once), without building oauthlib's request (the
    request's headers, parameters and body, copied and re-encoded for every API call). Nothing is cached: a revoked token
    is refused from the moment it is deleted, and the account's standing is read from the
    row this query loads.
    """
    if not raw_token:
        return _refused(_("The access token is invalid."))
    checksum = hashlib.sha256(raw_token.encode("utf-8")).hexdigest()
    found = rows_by_keys(TOKEN_ROWS, [checksum])  # token_checksum is unique
    token = found[0] if found else None
    if token is None:
        return _refused(_("The access token is invalid."))
    if token.is_expired():
        return _refused(_("The access token has expired."))
    if token.resource:
        uri = request.build_absolute_uri(request.path) if request is not None else ""
        if not token.allows_audience(uri):
            return _refused(_("The access token is not valid for this resource."))
    if token.application is not None and not token.application.is_usable(request):
        return _refused(_("The access token is invalid."))
    return TokenCheck(token, {})


def bearer_token_of(request) -> tuple[str | None, bool]:
    """The access token a DRF ``request`` presents, and whether it came as a bearer header.

    As oauthlib reads it (RFC 6750): ``Authorization: Bearer <token>`` (scheme in any
    case, the token the header's only other word), or with no ``Authorization`` header an
    ``access_token`` form parameter in the body. Never from the query string (RFC 9700
    §4.3.2; ``COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT``).
    """
    header = request.META.get("HTTP_AUTHORIZATION")
    if header is not None:
        words = header.split()
        if len(words) == 2 and words[0].lower() == "bearer":
            return words[1], True
        return None, header[:7].lower() == "bearer "
    if "access_token" in request._request.GET:
        return None, False
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        return request._request.POST.get("access_token") or None, False
    return None, False


class BearerTokenAuthentication(OAuth2Authentication):
    """A valid, unexpired, unrevoked token of an account that may act.

    An invalid token answers 401 (Mastodon: "The access token is invalid") instead
    of quietly falling back to anonymous access. A token of an inactive account, or of
    one suspended or disabled by moderation, answers 403 "Your login is currently disabled",
    as Mastodon's ``require_user!`` answers a login that is not functional; so every
    read and write with it is refused from the moment the standing is recorded. A
    token of the app alone (client credentials) authenticates as the anonymous
    user, with the token in ``request.auth``.

    A view that sets ``admits_barred_accounts = True`` also takes the token of an
    account suspended or disabled by moderation (not of a deactivated one): only for
    the reads such an account needs to learn why and till when (the account standing
    page), as Mastodon lets a suspended account sign in to see its strikes.
    """

    www_authenticate_realm = "Agora"

    def authenticate(self, request):
        raw_token, has_bearer = bearer_token_of(request)
        if raw_token is None:
            if has_bearer:
                return self._refuse(request, _refused(_("The access token is invalid.")))
            return None
        # The token and its account from the primary, never a replica: a revoked token
        # or a suspended account is refused from the moment it is recorded.
        with replicas.primary():
            check = access_token_check(raw_token, request=request)
        if check.token is None:
            if has_bearer:
                return self._refuse(request, check)
            return None
        token = check.token
        user = token.user
        if user is None:
            return AnonymousUser(), token
        if not account_is_able_to_act(user) and not (
            user.is_active and _view_admits_barred_accounts(request)
        ):
            raise LoginDisabled()
        record_activity(user)
        replicas.account_authenticated(user.pk)
        return user, token

    def _refuse(self, request, check: TokenCheck):
        request.oauth2_error = check.error
        metrics.authentication_failed(method="token")
        raise exceptions.AuthenticationFailed(_("The access token is invalid"))


def _view_admits_barred_accounts(request) -> bool:
    view = (getattr(request, "parser_context", None) or {}).get("view")
    return bool(getattr(view, "admits_barred_accounts", False))

"""API authentication: OAuth 2 bearer tokens (django-oauth-toolkit), refusing non-functional logins."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import exceptions

from core import metrics, replicas


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
        header = request.META.get("HTTP_AUTHORIZATION", "")
        has_bearer = header[:7].lower() == "bearer "
        # The token and its account from the primary, never a replica: a revoked token
        # or a suspended account is refused from the moment it is recorded.
        with replicas.primary():
            result = super().authenticate(request)
        if result is None:
            if has_bearer:
                metrics.authentication_failed(method="token")
                raise exceptions.AuthenticationFailed(_("The access token is invalid"))
            return None
        user, token = result
        if user is None:
            return AnonymousUser(), token
        if not account_is_able_to_act(user) and not (
            user.is_active and _view_admits_barred_accounts(request)
        ):
            raise LoginDisabled()
        record_activity(user)
        replicas.account_authenticated(user.pk)
        return user, token


def _view_admits_barred_accounts(request) -> bool:
    view = (getattr(request, "parser_context", None) or {}).get("view")
    return bool(getattr(view, "admits_barred_accounts", False))

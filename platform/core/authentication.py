"""API authentication: OAuth 2 bearer tokens (django-oauth-toolkit), refusing disabled accounts."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import exceptions


class BearerTokenAuthentication(OAuth2Authentication):
    """A valid, unexpired, unrevoked token of an active account.

    An invalid token answers 401 (Mastodon: "The access token is invalid") instead
    of quietly falling back to anonymous access. A token of the app alone (client
    credentials) authenticates as the anonymous user, with the token in
    ``request.auth``.
    """

    www_authenticate_realm = "Agora"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        has_bearer = header[:7].lower() == "bearer "
        result = super().authenticate(request)
        if result is None:
            if has_bearer:
                raise exceptions.AuthenticationFailed(_("The access token is invalid"))
            return None
        user, token = result
        if user is None:
            return AnonymousUser(), token
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("Your login is currently disabled"))
        return user, token

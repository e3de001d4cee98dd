"""API authentication: OAuth 2 bearer tokens (django-oauth-toolkit), refusing disabled accounts."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request as OAuthLibRequest
from rest_framework import exceptions


class BearerTokenAuthentication(OAuth2Authentication):
    """A valid, unexpired, unrevoked token of an active account.

    An invalid token answers 401 (Mastodon: "The access token is invalid") instead
    of quietly falling back to anonymous access. A token of the app alone (client
    credentials) authenticates as the anonymous user, with the token in
    ``request.auth``.

    A well-formed ``Authorization: Bearer`` header, which is how every Mastodon
    client sends its token, goes straight to the configured validator's
    ``validate_bearer_token`` (the same check, the same single query): building
    oauthlib's full request from the Django request, headers and body copied, cost
    about as much as the rest of a timeline page. Anything else (no header, another
    scheme, a token in the body) takes django-oauth-toolkit's whole path.
    """

    www_authenticate_realm = "Agora"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        has_bearer = header[:7].lower() == "bearer "
        parts = header.split()
        if has_bearer and len(parts) == 2:
            result = self._authenticate_bearer(request, parts[1])
        else:
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

    def _authenticate_bearer(self, request, token: str):
        # The URI is absolute, as django-oauth-toolkit builds it, for the resource
        # (RFC 8707 audience) check of tokens restricted to one.
        core_request = OAuthLibRequest(request.build_absolute_uri(), http_method=request.method)
        validator = oauth2_settings.OAUTH2_VALIDATOR_CLASS()
        if validator.validate_bearer_token(token, [], core_request):
            return core_request.user, core_request.access_token
        request.oauth2_error = getattr(core_request, "oauth2_error", {})
        return None

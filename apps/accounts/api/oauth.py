"""``/oauth/authorize``, ``/oauth/token`` and ``/oauth/revoke`` as Mastodon serves them.

django-oauth-toolkit does the OAuth; these views add what Mastodon clients rely
on: JSON (and multipart) bodies beside form bodies, the out-of-band redirect that
shows the authorization code on a page, redirects to native apps' own schemes as
registered (``icecubesapp://``), ``force_login=true`` to sign in again (a second
account), and ``{}`` from a successful revocation. Errors keep
OAuth's shape, ``{"error": "...", "error_description": "..."}``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, cast
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from oauth2_provider import views as oauth_views
from oauth2_provider.models import get_application_model

from apps.accounts.oauth import OOB_REDIRECT_URI
from core.params import truthy

if TYPE_CHECKING:
    from django.http.request import _ImmutableQueryDict

JSON_CONTENT_TYPES = ("application/json",)


def oauth_error(*, error: str, description: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": error, "error_description": description}, status=status)


def _as_form_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def use_json_body_as_form(request: HttpRequest) -> HttpResponse | None:
    """Let a JSON body stand in for a form body; an error response if it is malformed.

    Lists become space-separated values (``"scope": ["read", "write"]``), as
    Mastodon accepts them.
    """
    if request.content_type not in JSON_CONTENT_TYPES:
        return None
    malformed = oauth_error(
        error="invalid_request", description=_("The request body is not a valid JSON object.")
    )
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return malformed
    if not isinstance(data, dict):
        return malformed
    form = QueryDict(mutable=True)
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, dict):
            return malformed
        if isinstance(value, list):
            if any(isinstance(item, (dict, list)) for item in value):
                return malformed
            value = " ".join(_as_form_value(item) for item in value)
        form[str(key)] = _as_form_value(value)
    form._mutable = False
    request.POST = cast("_ImmutableQueryDict", form)  # immutable now, as Django's own
    return None


class TokenView(oauth_views.TokenView):
    """``POST /oauth/token``: every grant a Mastodon app may use, form or JSON body."""

    def post(self, request, *args, **kwargs):
        return use_json_body_as_form(request) or super().post(request, *args, **kwargs)


class RevokeTokenView(oauth_views.RevokeTokenView):
    """``POST /oauth/revoke``: the app revokes one of its tokens; Mastodon answers ``{}``."""

    def post(self, request, *args, **kwargs):
        refusal = use_json_body_as_form(request)
        if refusal is not None:
            return refusal
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:
            return JsonResponse({})
        return response


def _keep_empty_authority(redirect_to: str, registered: list[str]) -> str:
    """``icecubesapp://?code=...`` as registered, not ``icecubesapp:?code=...``.

    oauthlib rebuilds the redirect URI with ``urlunparse``, which drops an empty
    authority; Mastodon answers with the URI exactly as the app registered it.
    """
    for uri in registered:
        if uri.endswith("://") and redirect_to.startswith(uri[:-2]):
            rest = redirect_to[len(uri) - 2 :]
            if not rest.startswith("//"):
                return uri + rest
    return redirect_to


class AuthorizationView(oauth_views.AuthorizationView):
    """``/oauth/authorize``: asks the signed-in user to allow the app.

    With the out-of-band redirect URI the result (the code, or the refusal) is
    shown on a page for the user to copy into the app, instead of redirecting.
    """

    template_name = "oauth2_provider/authorize.html"
    oob_template_name = "oauth2_provider/authorized-oob.html"

    def dispatch(self, request, *args, **kwargs):
        if request.method == "GET" and truthy(request.GET.get("force_login", "")):
            return self.sign_in_again(request)
        return super().dispatch(request, *args, **kwargs)

    def sign_in_again(self, request: HttpRequest) -> HttpResponse:
        """``force_login=true``: sign out and send the user to the login page, which
        brings them back to the same authorization request (without ``force_login``,
        so it is asked once), as Mastodon does for apps adding a second account.
        """
        query = request.GET.copy()
        query.pop("force_login", None)
        logout(request)
        response = redirect_to_login(f"{request.path}?{query.urlencode()}", self.get_login_url())
        add_never_cache_headers(response)
        return response

    def redirect(self, redirect_to, application):
        if application is None:
            # django-oauth-toolkit passes no application for errors found while
            # validating the request; the redirect URI was checked against this
            # client's by then, so its own schemes (icecubesapp://...) apply.
            client_id = self.request.GET.get("client_id") or self.request.POST.get("client_id")
            application = (
                get_application_model().objects.filter(client_id=client_id).first()
                if client_id
                else None
            )
        if application is not None:
            redirect_to = _keep_empty_authority(redirect_to, application.redirect_uris.split())
        if redirect_to.split("?", 1)[0] == OOB_REDIRECT_URI:
            query = parse_qs(urlsplit(redirect_to).query)
            context = {
                "application": application,
                "code": (query.get("code") or [""])[0],
                "error": (query.get("error") or [""])[0],
            }
            status = 200 if context["code"] else 403 if context["error"] == "access_denied" else 400
            return render(self.request, self.oob_template_name, context, status=status)
        return super().redirect(redirect_to, application)

"""OAuth 2 the way Mastodon clients expect it, on django-oauth-toolkit.

- :class:`MastodonOAuthLibCore` hands the Django request to the validator, so the
  password grant authenticates through ``django.contrib.auth.authenticate`` with
  the real request: django-axes then counts failures by the real client address
  and its middleware answers a locked-out client with 429.
- :class:`MastodonOAuth2Validator` limits tokens to the scopes the app registered
  (a top-level scope covers its sub-scopes), refuses the password grant to
  accounts with two-factor authentication, as Mastodon does, and issues no token
  (password, authorization code or refresh token) to a suspended or disabled account.
  PKCE is optional, S256 only: ``plain``, a malformed challenge or a malformed
  verifier is ``invalid_request``, a wrong verifier ``invalid_grant``.
- :class:`RedirectURIValidator` accepts the redirect URIs Mastodon accepts: web
  URIs, the out-of-band URI and native apps' private-use schemes (RFC 8252), never
  a scheme that runs code or reads files in the browser.
- :func:`application_create` registers a client app (``POST /api/v1/apps``).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import user_has_device
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import GRANT_TYPE_MAPPING, OAuth2Validator
from oauth2_provider.validators import AllowedURIValidator
from oauthlib.oauth2.rfc6749 import errors as oauth_errors

from core.permissions import scope_is_granted

OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"
#: The key under which the Django request travels in oauthlib's request headers.
#: Not an HTTP header name a client could send: META keys are upper case.
DJANGO_REQUEST_KEY = "agora.django_request"
REDIRECT_URI_MAX_LENGTH = 2000


class _DjangoRequestHolder:
    """Carries the Django request through oauthlib untouched.

    oauthlib converts header values it can iterate (an ``HttpRequest`` iterates its
    body), so the request travels inside this plain holder.
    """

    __slots__ = ("request",)

    def __init__(self, request: HttpRequest) -> None:
        self.request = request


class MastodonOAuthLibCore(OAuthLibCore):
    """django-oauth-toolkit's bridge to oauthlib, carrying the Django request along."""

    def extract_headers(self, request):
        headers = super().extract_headers(request)
        headers[DJANGO_REQUEST_KEY] = _DjangoRequestHolder(request)
        return headers


def django_request_of(request) -> HttpRequest | None:
    """The Django request behind an oauthlib request, when it came through our core."""
    holder = request.headers.get(DJANGO_REQUEST_KEY) if request is not None else None
    return holder.request if isinstance(holder, _DjangoRequestHolder) else None


def _refuse_unless_able_to_act(user, request) -> None:
    """Raise OAuth's ``invalid_grant`` when ``user`` is inactive, suspended or disabled."""
    if user is not None and not user.is_able_to_act:
        raise oauth_errors.InvalidGrantError(
            description=_("Your login is currently disabled"), request=request
        )


#: RFC 7636 §4.1: 43 to 128 unreserved characters.
PKCE_VERIFIER_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}\Z")
#: RFC 7636 §4.2: S256 is BASE64URL(SHA256(verifier)) without padding, 43 characters.
PKCE_S256_CHALLENGE_RE = re.compile(r"^[A-Za-z0-9\-_]{43}\Z")
PKCE_METHODS = ("S256",)


def _refuse_malformed_pkce_challenge(request) -> None:
    """Raise ``invalid_request`` unless the authorization request's PKCE is well formed.

    PKCE stays optional (clients without it keep working), but a client that sends it
    gets S256 only, as Mastodon: no ``plain``, no method without a challenge, and no
    challenge that SHA-256 could not have produced.
    """
    challenge = request.code_challenge
    method = request.code_challenge_method
    if challenge is None and method is None:
        return
    if challenge is None:
        description = _("code_challenge_method was sent without a code_challenge.")
    elif method not in PKCE_METHODS:
        description = _('Unsupported code_challenge_method: only "S256" is supported.')
    elif not PKCE_S256_CHALLENGE_RE.match(challenge):
        description = _("The code_challenge is malformed: it must be 43 base64url characters.")
    else:
        return
    raise oauth_errors.InvalidRequestError(description=description, request=request)


class MastodonOAuth2Validator(OAuth2Validator):
    """Mastodon's rules on top of django-oauth-toolkit's validator."""

    def is_pkce_required(self, client_id, request):
        """PKCE is optional; when an authorization request carries it, it must be S256."""
        if getattr(request, "response_type", None):
            _refuse_malformed_pkce_challenge(request)
        return super().is_pkce_required(client_id, request)

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        """An authorization code of an account that may still act (else ``invalid_grant``).

        A ``code_verifier`` that RFC 7636 could not have produced is ``invalid_request``
        before the code is even looked at.
        """
        verifier = request.code_verifier
        if verifier is not None and not PKCE_VERIFIER_RE.match(verifier):
            raise oauth_errors.InvalidRequestError(
                description=_(
                    "The code_verifier is malformed: it must be 43 to 128 characters "
                    "of A-Z, a-z, 0-9, '-', '.', '_' and '~'."
                ),
                request=request,
            )
        valid = super().validate_code(client_id, code, client, request, *args, **kwargs)
        if valid:
            _refuse_unless_able_to_act(request.user, request)
        return valid

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        """A refresh token of an account that may still act (else ``invalid_grant``)."""
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        if valid:
            _refuse_unless_able_to_act(request.user, request)
        return valid

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        """Only known scopes, and only those the app registered (or sub-scopes of them)."""
        registered = set(getattr(client, "scope_set", set()) or {"read"})
        return all(
            scope_is_granted(registered, scope) for scope in scopes
        ) and super().validate_scopes(client_id, scopes, client, request, *args, **kwargs)

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        """Whether the app may use ``grant_type``.

        The password grant is allowed on purpose: Mastodon clients sign in with it.
        django-oauth-toolkit's RFC 9700 gate would warn on every use, so it is not
        consulted; accounts with two-factor authentication cannot use the grant.
        """
        if grant_type not in GRANT_TYPE_MAPPING:
            return False
        return request.client.allows_grant_type(*GRANT_TYPE_MAPPING[grant_type])

    def validate_user(self, username, password, client, request, *args, **kwargs):
        """The password grant: authenticate with the Django request so django-axes sees it.

        Raises ``InvalidGrantError`` with a clear description when the password is
        right but the account is suspended or disabled, or uses two-factor
        authentication: such accounts sign in through the authorization code flow,
        where the login page asks for the code.
        """
        http_request = django_request_of(request) or self.build_http_request(request)
        try:
            user = authenticate(http_request, username=username, password=password)
        except ValueError:
            # PostgreSQL refuses NUL bytes in a query parameter; no username holds one.
            if "\x00" not in (username or ""):
                raise
            user = None
        if user is None or not user.is_active:
            return False
        _refuse_unless_able_to_act(user, request)
        if user_has_device(user, confirmed=True):
            raise oauth_errors.InvalidGrantError(
                description=_(
                    "This account uses two-factor authentication: "
                    "sign in through the authorization code flow."
                ),
                request=request,
            )
        request.user = user
        return True


def _split_redirect_uris(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split()
    return [str(item).strip() for item in items if str(item).strip()]


_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")


class RedirectURIValidator:
    """One redirect URI of an app registration, as Mastodon accepts them.

    - the out-of-band URI, ``urn:ietf:wg:oauth:2.0:oob``;
    - ``http`` and ``https`` URIs (``OAUTH2_PROVIDER["ALLOWED_REDIRECT_URI_SCHEMES"]``),
      checked by django-oauth-toolkit's :class:`AllowedURIValidator`;
    - private-use schemes of native apps (RFC 8252 §7.1): ``oauth2redirect://com.example/``
      and ``com.example.app:/cb``, checked by the same validator with the URI's own
      scheme, and the bare ``scheme://`` Ice Cubes registers (``icecubesapp://``), which
      that validator does not accept but Mastodon does.

    Schemes that run code or read local files in a browser
    (``AGORA_OAUTH_FORBIDDEN_REDIRECT_URI_SCHEMES``) are refused in any spelling, as
    is anything with whitespace, control characters or a fragment. Raises
    ``ValidationError`` with ``code`` ``"forbidden"`` or ``"invalid"``.
    """

    def __init__(self) -> None:
        provider = settings.OAUTH2_PROVIDER
        self.web_schemes = [s for s in provider["ALLOWED_REDIRECT_URI_SCHEMES"] if s != "urn"]
        self.forbidden_schemes = {
            s.lower() for s in settings.AGORA_OAUTH_FORBIDDEN_REDIRECT_URI_SCHEMES
        }

    def __call__(self, uri: str) -> None:
        if uri == OOB_REDIRECT_URI:
            return
        if len(uri) > REDIRECT_URI_MAX_LENGTH or any(
            char.isspace() or not char.isprintable() for char in uri
        ):
            raise ValidationError("not an absolute URI", code="invalid")
        match = _SCHEME_RE.match(uri)
        if match is None:
            raise ValidationError("not an absolute URI", code="invalid")
        scheme = match.group(1).lower()
        if scheme in self.forbidden_schemes:
            raise ValidationError("forbidden scheme", code="forbidden")
        if scheme == "urn" or "#" in uri:
            raise ValidationError("not a redirect URI", code="invalid")
        if scheme not in self.web_schemes and uri.lower() == f"{scheme}://":
            return
        schemes = self.web_schemes if scheme in self.web_schemes else [scheme]
        AllowedURIValidator(schemes, name="redirect uri", allow_path=True, allow_query=True)(uri)


def validate_redirect_uris(value: str | list[str] | None) -> list[str]:
    """The redirect URIs of an app registration, split on whitespace and checked.

    Raises ``ValidationError`` (keyed ``redirect_uris``) for none at all, for a URI
    with a forbidden scheme (Mastodon's "is forbidden by the server") and for one
    that is not an absolute redirect URI (see :class:`RedirectURIValidator`).
    """
    uris = _split_redirect_uris(value)
    if not uris:
        raise ValidationError({"redirect_uris": [_("can't be blank")]})
    validator = RedirectURIValidator()
    for uri in uris:
        try:
            validator(uri)
        except ValidationError as error:
            message = (
                _("are forbidden by the server")
                if error.code == "forbidden"
                else _("must be absolute URIs")
            )
            raise ValidationError({"redirect_uris": [message]}) from error
    return list(dict.fromkeys(uris))


def validate_scopes(value: str | list[str] | None) -> list[str]:
    """Requested scopes, split on spaces (or '+'), each one Mastodon knows."""
    if value is None or value == "" or value == []:
        return ["read"]
    items = value if isinstance(value, list) else str(value).replace("+", " ").split()
    scopes = list(dict.fromkeys(str(item) for item in items))
    known = settings.OAUTH2_PROVIDER["SCOPES"]
    unknown = [scope for scope in scopes if scope not in known]
    if unknown or not scopes:
        raise ValidationError({"scopes": [_("are invalid")]})
    return scopes


@transaction.atomic
def application_create(
    *,
    name: str,
    redirect_uris: str | list[str] | None,
    scopes: str | list[str] | None = None,
    website: str = "",
):
    """Register a Mastodon client app; returns ``(application, client_secret)``.

    The secret is stored hashed, so this is the only time it is known in clear.
    Raises ``ValidationError`` for a blank name, bad redirect URIs, unknown scopes
    or an invalid website.
    """
    errors: dict[str, list[str]] = {}
    uris: list[str] = []
    scope_list: list[str] = []
    try:
        uris = validate_redirect_uris(redirect_uris)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        scope_list = validate_scopes(scopes)
    except ValidationError as error:
        errors.update(error.message_dict)
    if not (name or "").strip():
        errors["client_name"] = [_("can't be blank")]
    if errors:
        raise ValidationError(errors)

    model = get_application_model()
    client_secret = generate_client_secret()
    application = model(
        name=name.strip(),
        redirect_uris=" ".join(uris),
        scopes=" ".join(scope_list),
        website=website or "",
        client_type=model.CLIENT_CONFIDENTIAL,
        authorization_grant_type=model.GRANT_AUTHORIZATION_CODE,
        client_secret=client_secret,
    )
    # Application.clean() checks redirect URIs against RFC 8252 rules that refuse
    # Mastodon's out-of-band URI; validate_redirect_uris() above took its place.
    application.clean_fields()
    application.validate_unique()
    application.save()
    return application, client_secret

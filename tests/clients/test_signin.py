"""Signing in exactly as each Mastodon client's source does it.

Each scenario replays one client's requests, body encoding and parameters included:

- Tusky (Android, ``LoginActivity`` and ``MastodonApi``): form bodies, the private-use
  redirect ``oauth2redirect://com.keylesspalace.tusky/``, no PKCE.
- Ice Cubes (iOS, ``Apps.swift``, ``Oauth.swift``, ``MastodonClient``): JSON bodies with
  snake-case keys, the bare redirect ``icecubesapp://``, no PKCE.
- Phanpy (a web app, ``src/utils/auth.js``, ``oauth-pkce.js``): form bodies sent
  cross-origin from the browser, so CORS; PKCE S256 when the server's
  ``/.well-known/oauth-authorization-server`` offers it; ``force_login`` for a second
  account.
- Elk (``server/api/[server]/login.ts``, ``oauth/[origin].ts``, ``utils/shared.ts``):
  JSON bodies from its server, an https redirect URI carrying an encoded origin,
  ``force_login=false`` and ``lang`` on the authorization request, no PKCE.

The person's part (the login page, then "Authorize") goes through a browser client
with a session; the app's requests go through a client without cookies.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
)

from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.api_client import APIClient

Application = get_application_model()
AccessToken = get_access_token_model()
Grant = get_grant_model()

SCOPES = "read write follow push"
FORM = "application/x-www-form-urlencoded"

TUSKY_REDIRECT = "oauth2redirect://com.keylesspalace.tusky/"
ICE_CUBES_REDIRECT = "icecubesapp://"
PHANPY_ORIGIN = "https://phanpy.social"
PHANPY_REDIRECT = "https://phanpy.social/"
ELK_ORIGIN = "https://elk.zone"
ELK_REDIRECT = "https://elk.zone/api/localhost:8000/oauth/https%3A%2F%2Felk.zone"

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(db):
    return UserFactory(username="ada", email="ada@example.com")


@pytest.fixture
def app_client():
    """The app's own HTTP client: no cookies, every JSON answer checked against the schema."""
    return APIClient()


@pytest.fixture
def browser():
    """The person's browser, where the login page and the authorization page open."""
    return Client()


# --- the person's part ---------------------------------------------------------------


def sign_in_and_authorize(browser, authorize_url: str, *, user) -> str:
    """Open ``authorize_url``, sign in on the login page, press Authorize.

    Returns where the browser is sent afterwards (the app's redirect URI with the code).
    """
    response = browser.get(authorize_url)
    if response.status_code == 302 and response["Location"].startswith("/auth/login/"):
        login_url = response["Location"]
        response = browser.post(
            login_url,
            {
                "username": user.email,
                "password": DEFAULT_PASSWORD,
                "next": parse_qs(urlsplit(login_url).query)["next"][0],
            },
        )
        assert response.status_code == 302, response.content
        response = browser.get(response["Location"])
    assert response.status_code == 200, response.content
    form = {name: value for name, value in response.context["form"].initial.items() if value}
    decision = browser.post("/oauth/authorize", {**form, "allow": "Authorize"})
    assert decision.status_code == 302, decision.content
    return decision["Location"]


def code_from(location: str, redirect_uri: str) -> str:
    assert location.startswith(redirect_uri), location
    query = parse_qs(urlsplit(location).query)
    assert "error" not in query, query
    return query["code"][0]


def verify_credentials(app_client, token: str, **headers):
    response = app_client.get(
        "/api/v1/accounts/verify_credentials", HTTP_AUTHORIZATION=f"Bearer {token}", **headers
    )
    assert response.status_code == 200, response.content
    return response


def pkce_pair() -> tuple[str, str]:
    """A verifier as Phanpy makes it (56 hex characters) and its S256 challenge."""
    verifier = secrets.token_hex(28)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# --- Tusky ---------------------------------------------------------------------------


def test_tusky_signs_in_with_form_bodies_and_its_private_use_redirect(app_client, browser, ada):
    registration = app_client.post(
        "/api/v1/apps",
        urlencode(
            {
                "client_name": "Tusky",
                "redirect_uris": TUSKY_REDIRECT,
                "scopes": SCOPES,
                "website": "https://tusky.app",
            }
        ),
        content_type=FORM,
    )
    assert registration.status_code == 200, registration.content
    app = registration.json()
    assert app["redirect_uri"] == TUSKY_REDIRECT
    assert app["redirect_uris"] == [TUSKY_REDIRECT]
    authorize = "/oauth/authorize?" + urlencode(
        {
            "client_id": app["client_id"],
            "redirect_uri": TUSKY_REDIRECT,
            "response_type": "code",
            "scope": SCOPES,
        }
    )

    location = sign_in_and_authorize(browser, authorize, user=ada)

    code = code_from(location, TUSKY_REDIRECT)
    # RFC 9207: the response names the issuer the metadata document names.
    issuer = app_client.get("/.well-known/oauth-authorization-server").json()["issuer"]
    assert parse_qs(urlsplit(location).query)["iss"] == [issuer]
    token = app_client.post(
        "/oauth/token",
        urlencode(
            {
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "redirect_uri": TUSKY_REDIRECT,
                "grant_type": "authorization_code",
                "code": code,
            }
        ),
        content_type=FORM,
    )
    assert token.status_code == 200, token.content
    assert token.json()["scope"] == SCOPES
    me = verify_credentials(app_client, token.json()["access_token"])
    assert me.json()["username"] == "ada"


# --- Ice Cubes -----------------------------------------------------------------------


def test_ice_cubes_signs_in_with_json_bodies_and_a_bare_scheme_redirect(app_client, browser, ada):
    # JSONEncoder with convertToSnakeCase and sortedKeys, as MastodonClient sends it.
    registration = app_client.post(
        "/api/v1/apps",
        json.dumps(
            {
                "client_name": "IceCubesApp",
                "redirect_uris": ICE_CUBES_REDIRECT,
                "scopes": SCOPES,
                "website": "https://github.com/Dimillian/IceCubesApp",
            },
            sort_keys=True,
        ),
        content_type="application/json",
    )
    assert registration.status_code == 200, registration.content
    app = registration.json()
    assert app["redirect_uris"] == [ICE_CUBES_REDIRECT]
    authorize = "/oauth/authorize?" + urlencode(
        {
            "response_type": "code",
            "client_id": app["client_id"],
            "redirect_uri": ICE_CUBES_REDIRECT,
            "scope": SCOPES,
        }
    )

    location = sign_in_and_authorize(browser, authorize, user=ada)

    # Exactly the registered URI, its empty authority kept, as Mastodon answers.
    assert location.startswith(f"{ICE_CUBES_REDIRECT}?code=")
    code = code_from(location, ICE_CUBES_REDIRECT)
    token = app_client.post(
        "/oauth/token",
        json.dumps(
            {
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "code": code,
                "grant_type": "authorization_code",
                "redirect_uri": ICE_CUBES_REDIRECT,
                "scope": SCOPES,
            },
            sort_keys=True,
        ),
        content_type="application/json",
    )
    assert token.status_code == 200, token.content
    me = verify_credentials(app_client, token.json()["access_token"])
    assert me.json()["acct"] == "ada"


# --- Phanpy --------------------------------------------------------------------------


def preflight(app_client, path: str, *, method: str, headers: str):
    return app_client.options(
        path,
        HTTP_ORIGIN=PHANPY_ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers,
    )


def assert_cors_allows_any_origin_without_credentials(response):
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response


def test_phanpy_signs_in_from_its_origin_with_pkce_and_cors(app_client, browser, ada):
    # Phanpy checks for PKCE support first, cross-origin.
    metadata = app_client.get("/.well-known/oauth-authorization-server", HTTP_ORIGIN=PHANPY_ORIGIN)
    assert metadata.status_code == 200
    assert_cors_allows_any_origin_without_credentials(metadata)
    assert metadata.json()["code_challenge_methods_supported"] == ["S256"]
    registration = app_client.post(
        "/api/v1/apps",
        urlencode(
            {
                "client_name": "Phanpy",
                "redirect_uris": PHANPY_REDIRECT,
                "scopes": SCOPES,
                "website": PHANPY_REDIRECT,
            }
        ),
        content_type=FORM,
        HTTP_ORIGIN=PHANPY_ORIGIN,
    )
    assert registration.status_code == 200, registration.content
    assert_cors_allows_any_origin_without_credentials(registration)
    app = registration.json()
    verifier, challenge = pkce_pair()
    authorize = "/oauth/authorize?" + urlencode(
        {
            "client_id": app["client_id"],
            "code_challenge_method": "S256",
            "code_challenge": challenge,
            "redirect_uri": PHANPY_REDIRECT,
            "response_type": "code",
            "scope": SCOPES,
        }
    )

    location = sign_in_and_authorize(browser, authorize, user=ada)

    code = code_from(location, PHANPY_REDIRECT)
    token_preflight = preflight(app_client, "/oauth/token", method="POST", headers="content-type")
    assert token_preflight.status_code == 200
    assert_cors_allows_any_origin_without_credentials(token_preflight)
    assert "POST" in token_preflight["Access-Control-Allow-Methods"]
    token = app_client.post(
        "/oauth/token",
        urlencode(
            {
                "client_id": app["client_id"],
                "redirect_uri": PHANPY_REDIRECT,
                "grant_type": "authorization_code",
                "code": code,
                "client_secret": app["client_secret"],
                "code_verifier": verifier,
            }
        ),
        content_type=FORM,
        HTTP_ORIGIN=PHANPY_ORIGIN,
    )
    assert token.status_code == 200, token.content
    assert_cors_allows_any_origin_without_credentials(token)
    api_preflight = preflight(
        app_client,
        "/api/v1/accounts/verify_credentials",
        method="GET",
        headers="authorization,idempotency-key,content-type",
    )
    assert api_preflight.status_code == 200
    allowed = api_preflight["Access-Control-Allow-Headers"].lower()
    assert {"authorization", "content-type", "idempotency-key"} <= {
        header.strip() for header in allowed.split(",")
    }
    me = verify_credentials(app_client, token.json()["access_token"], HTTP_ORIGIN=PHANPY_ORIGIN)
    assert_cors_allows_any_origin_without_credentials(me)
    exposed = {header.strip().lower() for header in me["Access-Control-Expose-Headers"].split(",")}
    assert {"link", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= exposed
    assert me.json()["username"] == "ada"


def test_phanpy_force_login_signs_in_again_for_a_second_account(app_client, browser, ada):
    grace = UserFactory(username="grace", email="grace@example.com")
    app = Application.objects.create(
        name="Phanpy",
        redirect_uris=PHANPY_REDIRECT,
        scopes=SCOPES,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
    )
    browser.force_login(ada)
    params = {
        "client_id": app.client_id,
        "scope": SCOPES,
        "redirect_uri": PHANPY_REDIRECT,
        "response_type": "code",
        "force_login": "true",
    }

    response = browser.get("/oauth/authorize?" + urlencode(params))

    assert response.status_code == 302
    login = urlsplit(response["Location"])
    assert login.path == "/auth/login/"
    next_url = parse_qs(login.query)["next"][0]
    assert "force_login" not in next_url
    assert parse_qs(urlsplit(next_url).query)["client_id"] == [app.client_id]
    # The session is gone: the page asks for a password, not for Ada's consent.
    assert browser.get(next_url).status_code == 302
    location = sign_in_and_authorize(browser, next_url, user=grace)
    grant = Grant.objects.get(code=code_from(location, PHANPY_REDIRECT))
    assert grant.user == grace


# --- Elk -----------------------------------------------------------------------------


def test_elk_signs_in_from_its_server_with_json_bodies(app_client, browser, ada):
    # ofetch sends an object body as JSON.
    registration = app_client.post(
        "/api/v1/apps",
        {
            "client_name": "Elk",
            "website": ELK_ORIGIN,
            "redirect_uris": ELK_REDIRECT,
            "scopes": SCOPES,
        },
        format="json",
    )
    assert registration.status_code == 200, registration.content
    app = registration.json()
    authorize = "/oauth/authorize?" + urlencode(
        {
            "client_id": app["client_id"],
            "force_login": "false",
            "scope": SCOPES,
            "response_type": "code",
            "lang": "en",
            "redirect_uri": ELK_REDIRECT,
        }
    )

    location = sign_in_and_authorize(browser, authorize, user=ada)

    code = code_from(location, ELK_REDIRECT)
    token = app_client.post(
        "/oauth/token",
        {
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "redirect_uri": ELK_REDIRECT,
            "grant_type": "authorization_code",
            "code": code,
            "scope": SCOPES,
        },
        format="json",
    )
    assert token.status_code == 200, token.content
    me = verify_credentials(app_client, token.json()["access_token"])
    assert me.json()["username"] == "ada"


# --- bodies --------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["form", "json", "multipart"])
def test_apps_token_and_revoke_take_form_json_and_multipart_bodies(app_client, ada, encoding):
    def post(path, data):
        if encoding == "form":
            return app_client.post(path, urlencode(data), content_type=FORM)
        if encoding == "json":
            return app_client.post(path, data, format="json")
        return app_client.post(path, data, format="multipart")

    registration = post(
        "/api/v1/apps",
        {"client_name": "Bodies", "redirect_uris": ICE_CUBES_REDIRECT, "scopes": SCOPES},
    )
    assert registration.status_code == 200, registration.content
    app = registration.json()
    credentials = {"client_id": app["client_id"], "client_secret": app["client_secret"]}

    token = post(
        "/oauth/token",
        {
            **credentials,
            "grant_type": "password",
            "username": ada.email,
            "password": DEFAULT_PASSWORD,
            "scope": "read write",
        },
    )
    assert token.status_code == 200, token.content
    revoked = post("/oauth/revoke", {**credentials, "token": token.json()["access_token"]})

    assert revoked.status_code == 200
    assert revoked.json() == {}
    assert not AccessToken.objects.filter(user=ada).exists()


# --- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "redirect_uris",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "  javascript:alert(document.cookie)  ",
        "javascript://example.com/%0aalert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "DATA:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "vbscript:msgbox(1)",
        "https://ok.example/cb\njavascript:alert(1)",
        ["https://ok.example/cb", "javascript:alert(1)"],
    ],
    ids=[
        "javascript",
        "mixed-case",
        "padded",
        "javascript-authority",
        "data",
        "data-upper",
        "file",
        "vbscript",
        "second-of-newline-list",
        "second-of-array",
    ],
)
def test_a_dangerous_redirect_scheme_is_refused_and_nothing_is_written(app_client, redirect_uris):
    response = app_client.post(
        "/api/v1/apps",
        {"client_name": "Evil", "redirect_uris": redirect_uris, "scopes": "read"},
        format="json",
    )

    assert response.status_code == 422
    assert "forbidden" in response.json()["error"]
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    "redirect_uri",
    ["icecubesapp://?x=1", "icecubesapp://evil", "oauth2redirect://com.keylesspalace.tusky/x"],
    ids=["query-added", "host-added", "path-changed"],
)
def test_a_redirect_uri_that_is_not_the_registered_one_is_refused_without_redirecting(
    browser, ada, redirect_uri
):
    app = Application.objects.create(
        name="App",
        redirect_uris=f"{ICE_CUBES_REDIRECT} {TUSKY_REDIRECT}",
        scopes=SCOPES,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
    )
    browser.force_login(ada)

    response = browser.get(
        "/oauth/authorize",
        {"client_id": app.client_id, "redirect_uri": redirect_uri, "response_type": "code"},
    )

    assert response.status_code == 400
    assert response.context["error"].error == "invalid_request"
    assert not Grant.objects.exists()


def registered_app(redirect_uri: str = ICE_CUBES_REDIRECT):
    return Application.objects.create(
        name="PKCE",
        redirect_uris=redirect_uri,
        scopes=SCOPES,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        client_secret="pkce-secret",  # noqa: S106
    )


@pytest.mark.parametrize(
    "pkce",
    [
        {"code_challenge": pkce_pair()[1], "code_challenge_method": "plain"},
        {"code_challenge": pkce_pair()[1]},
        {"code_challenge": "v" * 64, "code_challenge_method": "plain"},
        {"code_challenge": "tooshort", "code_challenge_method": "S256"},
        {"code_challenge": "+" * 43, "code_challenge_method": "S256"},
        {"code_challenge_method": "S256"},
    ],
    ids=[
        "plain",
        "method-missing-means-plain",
        "plain-verifier-as-challenge",
        "short-challenge",
        "not-base64url",
        "method-without-challenge",
    ],
)
def test_pkce_other_than_well_formed_s256_is_refused_and_no_code_is_issued(browser, ada, pkce):
    app = registered_app()
    browser.force_login(ada)

    response = browser.get(
        "/oauth/authorize",
        {
            "client_id": app.client_id,
            "redirect_uri": ICE_CUBES_REDIRECT,
            "response_type": "code",
            "scope": "read",
            **pkce,
        },
    )

    # The redirect URI is the registered one, so the error goes back to the app.
    assert response.status_code == 302
    assert response["Location"].startswith(ICE_CUBES_REDIRECT)
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["error"] == ["invalid_request"]
    assert "code" not in query
    assert not Grant.objects.exists()


def authorized_code(browser, app, challenge: str) -> str:
    authorize = "/oauth/authorize?" + urlencode(
        {
            "client_id": app.client_id,
            "redirect_uri": ICE_CUBES_REDIRECT,
            "response_type": "code",
            "scope": "read",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return code_from(sign_in_and_authorize(browser, authorize, user=None), ICE_CUBES_REDIRECT)


@pytest.mark.parametrize(
    ("verifier", "error"),
    [
        ("short", "invalid_request"),
        ("v" * 129, "invalid_request"),
        ("ä" * 50, "invalid_request"),
        ("has spaces " * 5, "invalid_request"),
        ("w" * 64, "invalid_grant"),
        ("", "invalid_request"),
    ],
    ids=["too-short", "too-long", "not-ascii", "spaces", "wrong", "empty"],
)
def test_a_malformed_or_wrong_verifier_is_a_400_and_issues_nothing(
    app_client, browser, ada, verifier, error
):
    app = registered_app()
    right_verifier, challenge = pkce_pair()
    browser.force_login(ada)
    code = authorized_code(browser, app, challenge)
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": ICE_CUBES_REDIRECT,
        "client_id": app.client_id,
        "client_secret": "pkce-secret",
    }

    response = app_client.post(
        "/oauth/token", urlencode({**exchange, "code_verifier": verifier}), content_type=FORM
    )

    assert response.status_code == 400
    assert response.json()["error"] == error
    assert not AccessToken.objects.exists()
    # The code was not burnt by the bad attempt: the right verifier still buys a token.
    retry = app_client.post(
        "/oauth/token", urlencode({**exchange, "code_verifier": right_verifier}), content_type=FORM
    )
    assert retry.status_code == 200


def test_a_code_is_exchanged_only_with_the_redirect_uri_it_was_issued_for(app_client, browser, ada):
    app = registered_app(f"{ICE_CUBES_REDIRECT} {TUSKY_REDIRECT}")
    verifier, challenge = pkce_pair()
    browser.force_login(ada)
    code = authorized_code(browser, app, challenge)

    response = app_client.post(
        "/oauth/token",
        urlencode(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": TUSKY_REDIRECT,
                "client_id": app.client_id,
                "client_secret": "pkce-secret",
                "code_verifier": verifier,
            }
        ),
        content_type=FORM,
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"  # oauthlib: mismatching redirect URI
    assert not AccessToken.objects.exists()


def test_refusals_carry_cors_so_a_browser_client_can_read_them(app_client):
    unauthorized = app_client.get("/api/v1/accounts/verify_credentials", HTTP_ORIGIN=PHANPY_ORIGIN)
    bad_token_request = app_client.post(
        "/oauth/token",
        urlencode({"grant_type": "authorization_code", "client_id": "nope", "code": "x"}),
        content_type=FORM,
        HTTP_ORIGIN=PHANPY_ORIGIN,
    )

    assert unauthorized.status_code == 401
    assert_cors_allows_any_origin_without_credentials(unauthorized)
    assert bad_token_request.status_code == 401
    assert bad_token_request.json()["error"] == "invalid_client"
    assert_cors_allows_any_origin_without_credentials(bad_token_request)


@pytest.mark.parametrize(
    "path",
    ["/oauth/authorize", "/auth/login/", "/admin/login/", "/admin/"],
    ids=["authorize", "login", "admin-login", "admin"],
)
def test_no_cors_on_the_authorization_login_and_admin_pages(app_client, path):
    page = app_client.get(path, HTTP_ORIGIN=PHANPY_ORIGIN)
    options = preflight(app_client, path, method="POST", headers="content-type")

    assert "Access-Control-Allow-Origin" not in page
    assert "Access-Control-Allow-Origin" not in options


# --- discovery -----------------------------------------------------------------------


def test_oauth_server_metadata_is_mastodons(app_client):
    response = app_client.get("/.well-known/oauth-authorization-server")

    assert response.status_code == 200
    body = response.json()
    base = "http://localhost:8000"
    assert body["issuer"] == f"{base}/"
    assert body["authorization_endpoint"] == f"{base}/oauth/authorize"
    assert body["token_endpoint"] == f"{base}/oauth/token"
    assert body["revocation_endpoint"] == f"{base}/oauth/revoke"
    assert body["app_registration_endpoint"] == f"{base}/api/v1/apps"
    assert body["response_types_supported"] == ["code"]
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert {"authorization_code", "password", "client_credentials", "refresh_token"} == set(
        body["grant_types_supported"]
    )
    assert {"read", "write", "follow", "push", "profile", "read:statuses"} <= set(
        body["scopes_supported"]
    )
    assert "service_documentation" in body
    assert "token_endpoint_auth_methods_supported" in body
    assert "response_modes_supported" in body


def test_nodeinfo_is_discoverable_and_honest(app_client, ada, django_assert_max_num_queries):
    UserFactory(username="quiet", last_login=None)

    discovery = app_client.get("/.well-known/nodeinfo", HTTP_ORIGIN=PHANPY_ORIGIN)
    link = discovery.json()["links"][0]
    with django_assert_max_num_queries(1):
        document = app_client.get(urlsplit(link["href"]).path, HTTP_ORIGIN=PHANPY_ORIGIN)

    assert discovery.status_code == 200
    assert_cors_allows_any_origin_without_credentials(discovery)
    assert link["rel"] == "http://nodeinfo.diaspora.software/ns/schema/2.0"
    assert link["href"] == "http://localhost:8000/nodeinfo/2.0"
    assert document.status_code == 200
    assert_cors_allows_any_origin_without_credentials(document)
    body = document.json()
    assert body["version"] == "2.0"
    assert body["software"] == {"name": "agora", "version": "0.1.0"}
    assert body["protocols"] == []
    assert body["usage"]["users"] == {"total": 2, "activeMonth": 1, "activeHalfyear": 1}
    assert body["usage"]["localPosts"] == 0
    assert isinstance(body["openRegistrations"], bool)
    assert body["metadata"]["nodeName"] == "Agora"


def test_the_version_is_semver_the_clients_parse_and_claims_nothing_unserved(
    app_client, token_for, ada
):
    v1 = app_client.get("/api/v1/instance").json()
    v2 = app_client.get("/api/v2/instance").json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(ada)}")

    assert v1["version"] == v2["version"] == "4.5.0+agora.0.1.0"
    # Ice Cubes: Float(version.prefix(3)) >= 4.3 calls grouped notifications and the
    # link timeline: both are served (the link timeline's 404 is Mastodon's for a link
    # that does not trend, not a missing route).
    assert float(v2["version"][:3]) >= 4.3
    assert client.get("/api/v2/notifications").status_code == 200
    assert client.get("/api/v1/timelines/link", {"url": "https://a.example/"}).json() == {
        "error": "Record not found"
    }
    # Phanpy: api_versions.mastodon >= 2 calls grouped notifications, >= 5 offers the
    # "blur" filter action; >= 7 (Phanpy and Ice Cubes) quotes: quoted_status_id, the
    # statuses' quote and quote_approval, a status's quotes and its interaction policy.
    assert v2["api_versions"] == {"mastodon": 7}
    quoted = client.post("/api/v1/statuses", {"status": "quoted"}, format="json").json()
    assert quoted["quote_approval"]["current_user"] == "automatic"
    quoting = client.post(
        "/api/v1/statuses", {"status": "quoting", "quoted_status_id": quoted["id"]}, format="json"
    ).json()
    assert quoting["quote"]["quoted_status"]["id"] == quoted["id"]
    assert client.get(f"/api/v1/statuses/{quoted['id']}/quotes").status_code == 200
    policy = client.put(
        f"/api/v1/statuses/{quoted['id']}/interaction_policy",
        {"quote_approval_policy": "followers"},
        format="json",
    )
    assert policy.json()["quote_approval"]["automatic"] == ["followers"]
    blur = client.post(
        "/api/v2/filters",
        {"title": "t", "context": ["home"], "filter_action": "blur"},
        format="json",
    )
    assert blur.status_code == 200, blur.json()
    assert v2["configuration"]["translation"] == {"enabled": False}

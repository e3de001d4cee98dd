"""/oauth/token, /oauth/revoke and bearer tokens: every grant, and every way to get it wrong."""

import base64
import hashlib
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from tests.accounts.factories import (
    DEFAULT_PASSWORD,
    AccessTokenFactory,
    ApplicationFactory,
    UserFactory,
)

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
SECRET = "app-secret-for-tests"  # noqa: S105
OOB = "urn:ietf:wg:oauth:2.0:oob"


@pytest.fixture
def app(db):
    return ApplicationFactory(client_secret=SECRET, scopes="read write follow push")


@pytest.fixture
def web():
    return Client()


def token_request(web, **data):
    return web.post("/oauth/token", data)


def password_grant(web, app, user, **extra):
    data = {
        "grant_type": "password",
        "client_id": app.client_id,
        "client_secret": SECRET,
        "username": user.email,
        "password": DEFAULT_PASSWORD,
        "scope": "read write",
        **extra,
    }
    return token_request(web, **data)


def totp_code(device, *, offset=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset * device.step
    return f"{totp.token():06d}"


# --- password grant ---------------------------------------------------------------


@pytest.mark.parametrize("field", ["email", "username"], ids=["email", "username"])
def test_password_grant_issues_a_token_for_the_email_or_username(web, app, user, field):
    response = password_grant(web, app, user, username=getattr(user, field))

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "read write"
    token = AccessToken.objects.get(user=user)
    assert token.application == app
    assert token.scope == "read write"
    assert body["refresh_token"]


def test_password_grant_accepts_a_json_body(web, app, user):
    response = web.post(
        "/oauth/token",
        json.dumps(
            {
                "grant_type": "password",
                "client_id": app.client_id,
                "client_secret": SECRET,
                "username": user.email,
                "password": DEFAULT_PASSWORD,
                "scope": ["read", "write"],
            }
        ),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["scope"] == "read write"


@pytest.mark.parametrize(
    "body",
    ["{not json", "[1, 2]", '{"grant_type": {"nested": true}}', '"string"'],
    ids=["broken", "array", "nested-object", "string"],
)
def test_malformed_json_body_is_a_clear_400(web, app, body):
    response = web.post("/oauth/token", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "The request body is not a valid JSON object.",
    }
    assert AccessToken.objects.count() == 0


def test_wrong_password_is_invalid_grant(web, app, user):
    response = password_grant(web, app, user, password="wrong password")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert AccessToken.objects.count() == 0


def test_disabled_account_cannot_use_the_password_grant(web, app):
    user = UserFactory(is_active=False)

    response = password_grant(web, app, user)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert AccessToken.objects.count() == 0


def test_unknown_client_is_refused(web, user):
    response = token_request(
        web,
        grant_type="password",
        client_id="no-such-client",
        client_secret="whatever",
        username=user.email,
        password=DEFAULT_PASSWORD,
    )

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
    assert AccessToken.objects.count() == 0


def test_wrong_client_secret_is_refused(web, app, user):
    response = password_grant(web, app, user, client_secret="not-the-secret")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert AccessToken.objects.count() == 0


@pytest.mark.parametrize("grant", ["implicit", "urn:bogus", ""], ids=["implicit", "bogus", "blank"])
def test_unsupported_grant_type_is_refused(web, app, grant):
    response = token_request(web, grant_type=grant, client_id=app.client_id, client_secret=SECRET)

    assert response.status_code == 400
    assert response.json()["error"] in {"unsupported_grant_type", "invalid_request"}
    assert AccessToken.objects.count() == 0


@pytest.mark.parametrize(
    "scope",
    ["read admin:read", "admin:write:accounts", "nonsense"],
    ids=["unregistered-admin", "unregistered-sub-scope", "unknown"],
)
def test_scope_wider_than_the_apps_is_refused(web, app, user, scope):
    response = password_grant(web, app, user, scope=scope)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert AccessToken.objects.count() == 0


def test_sub_scope_of_a_registered_scope_is_granted(web, app, user):
    response = password_grant(web, app, user, scope="read:accounts write:statuses")

    assert response.status_code == 200
    assert response.json()["scope"] == "read:accounts write:statuses"


def test_password_grant_is_refused_to_accounts_with_two_factor(web, app, user):
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)

    response = password_grant(web, app, user)

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": (
            "This account uses two-factor authentication: "
            "sign in through the authorization code flow."
        ),
    }
    assert AccessToken.objects.count() == 0


def test_unconfirmed_two_factor_setup_does_not_block_the_password_grant(web, app, user):
    TOTPDevice.objects.create(user=user, name="phone", confirmed=False)

    response = password_grant(web, app, user)

    assert response.status_code == 200


# --- client credentials and refresh -----------------------------------------------


def test_client_credentials_grant_issues_an_app_token(web, app):
    response = token_request(
        web,
        grant_type="client_credentials",
        client_id=app.client_id,
        client_secret=SECRET,
        scope="read",
    )

    assert response.status_code == 200
    token = AccessToken.objects.get(token_checksum=_checksum(response.json()["access_token"]))
    assert token.user is None
    assert token.application == app


def test_refresh_rotates_the_refresh_token(web, app, user):
    first = password_grant(web, app, user).json()

    response = token_request(
        web,
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
        client_id=app.client_id,
        client_secret=SECRET,
    )

    assert response.status_code == 200
    second = response.json()
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["scope"] == "read write"
    replay = token_request(
        web,
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
        client_id=app.client_id,
        client_secret=SECRET,
    )
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"


def test_refresh_cannot_widen_the_scope(web, app, user):
    first = password_grant(web, app, user, scope="read").json()

    response = token_request(
        web,
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
        client_id=app.client_id,
        client_secret=SECRET,
        scope="read write",
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_refresh_token_of_another_app_is_refused(web, app, user):
    first = password_grant(web, app, user).json()
    other = ApplicationFactory(client_secret=SECRET)

    response = token_request(
        web,
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
        client_id=other.client_id,
        client_secret=SECRET,
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


# --- authorization code -----------------------------------------------------------


def _authorize(web, app, *, redirect_uri=OOB, scope="read write", **extra):
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        **extra,
    }
    page = web.get("/oauth/authorize", params)
    assert page.status_code == 200, page.content
    form = {name: value for name, value in page.context["form"].initial.items() if value}
    return web.post("/oauth/authorize", {**form, "allow": "Authorize"})


def _checksum(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _pkce_pair():
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def test_authorize_requires_signing_in_first(web, app):
    response = web.get(
        "/oauth/authorize",
        {"response_type": "code", "client_id": app.client_id, "redirect_uri": OOB},
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/auth/login/?next=/oauth/authorize%3F")


def test_out_of_band_authorization_shows_the_code_which_buys_a_token(web, app, user):
    web.force_login(user)

    page = _authorize(web, app)

    assert page.status_code == 200
    code = page.context["code"]
    assert code
    assert code in page.content.decode()
    response = token_request(
        web,
        grant_type="authorization_code",
        code=code,
        redirect_uri=OOB,
        client_id=app.client_id,
        client_secret=SECRET,
    )
    assert response.status_code == 200
    assert response.json()["scope"] == "read write"
    assert AccessToken.objects.get(user=user).application == app


def test_denying_out_of_band_authorization_issues_no_code(web, app, user):
    web.force_login(user)
    page = web.get(
        "/oauth/authorize",
        {"response_type": "code", "client_id": app.client_id, "redirect_uri": OOB},
    )
    form = {name: value for name, value in page.context["form"].initial.items() if value}

    response = web.post("/oauth/authorize", form)

    assert response.status_code == 403
    assert response.context["code"] == ""
    assert response.context["error"] == "access_denied"


def test_authorization_code_redirects_to_a_registered_uri(web, user):
    app = ApplicationFactory(client_secret=SECRET, redirect_uris="https://client.example/cb")
    web.force_login(user)

    response = _authorize(web, app, redirect_uri="https://client.example/cb", state="xyz")

    assert response.status_code == 302
    assert response["Location"].startswith("https://client.example/cb?code=")
    assert "state=xyz" in response["Location"]


def test_unregistered_redirect_uri_is_refused_without_redirecting(web, user):
    app = ApplicationFactory(client_secret=SECRET, redirect_uris="https://client.example/cb")
    web.force_login(user)

    response = web.get(
        "/oauth/authorize",
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": "https://evil.example/cb",
        },
    )

    assert response.status_code == 400
    assert response.context["error"].error == "invalid_request"


def test_unknown_client_at_authorize_is_refused(web, user):
    web.force_login(user)

    response = web.get(
        "/oauth/authorize",
        {"response_type": "code", "client_id": "nope", "redirect_uri": OOB},
    )

    assert response.status_code == 400
    assert response.context["error"].error == "invalid_request"


def test_authorize_refuses_a_scope_the_app_did_not_register(web, user):
    app = ApplicationFactory(client_secret=SECRET, scopes="read")
    web.force_login(user)

    response = web.get(
        "/oauth/authorize",
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": OOB,
            "scope": "read write",
        },
    )

    # A malformed request is a 400, as Doorkeeper answers; only the user's "Deny" is a 403.
    assert response.status_code == 400
    assert response.context["error"] == "invalid_scope"


def test_pkce_is_honoured_when_the_client_sends_it(web, app, user):
    verifier, challenge = _pkce_pair()
    web.force_login(user)
    code = _authorize(web, app, code_challenge=challenge, code_challenge_method="S256").context[
        "code"
    ]
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": OOB,
        "client_id": app.client_id,
        "client_secret": SECRET,
    }

    wrong = token_request(web, **exchange, code_verifier="w" * 64)
    missing = token_request(web, **exchange)
    right = token_request(web, **exchange, code_verifier=verifier)

    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    assert missing.status_code == 400
    assert right.status_code == 200


def test_authorization_code_works_once(web, app, user):
    web.force_login(user)
    code = _authorize(web, app).context["code"]
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": OOB,
        "client_id": app.client_id,
        "client_secret": SECRET,
    }

    assert token_request(web, **exchange).status_code == 200
    replay = token_request(web, **exchange)

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"


# --- bearer tokens, revocation ----------------------------------------------------


TOTP_URL = "/api/agora/v1/account/totp"


def test_expired_token_is_refused(api_client, user):
    token = AccessTokenFactory(user=user, expires=timezone.now() - timedelta(seconds=1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")

    response = api_client.get("/api/v1/apps/verify_credentials")

    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}


def test_unknown_token_is_refused(api_client, db):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = api_client.get("/api/v1/apps/verify_credentials")

    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}


def test_token_of_a_disabled_account_is_refused(api_client, db):
    user = UserFactory(is_active=False)
    token = AccessTokenFactory(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")

    response = api_client.get("/api/v1/apps/verify_credentials")

    assert response.status_code == 403
    assert response.json() == {"error": "Your login is currently disabled"}


def test_revoke_answers_empty_object_and_the_token_stops_working(web, api_client, app, user):
    issued = password_grant(web, app, user).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued['access_token']}")
    assert api_client.get("/api/v1/apps/verify_credentials").status_code == 200

    response = web.post(
        "/oauth/revoke",
        {"client_id": app.client_id, "client_secret": SECRET, "token": issued["access_token"]},
    )

    assert response.status_code == 200
    assert response.json() == {}
    after = api_client.get("/api/v1/apps/verify_credentials")
    assert after.status_code == 401
    assert after.json() == {"error": "The access token is invalid"}


def test_revoke_accepts_a_json_body(web, app, user):
    issued = password_grant(web, app, user).json()

    response = web.post(
        "/oauth/revoke",
        json.dumps(
            {"client_id": app.client_id, "client_secret": SECRET, "token": issued["access_token"]}
        ),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert not AccessToken.objects.filter(user=user).exists()


def test_revoke_with_another_apps_credentials_revokes_nothing(web, app, user):
    issued = password_grant(web, app, user).json()
    other = ApplicationFactory(client_secret=SECRET)

    response = web.post(
        "/oauth/revoke",
        {"client_id": other.client_id, "client_secret": SECRET, "token": issued["access_token"]},
    )

    assert response.status_code == 200
    assert AccessToken.objects.filter(user=user).count() == 1


def test_revoke_with_a_wrong_secret_is_refused(web, app, user):
    issued = password_grant(web, app, user).json()

    response = web.post(
        "/oauth/revoke",
        {"client_id": app.client_id, "client_secret": "wrong", "token": issued["access_token"]},
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert AccessToken.objects.filter(user=user).count() == 1


def test_revoke_with_malformed_json_is_a_clear_400(web, app):
    response = web.post("/oauth/revoke", "{oops", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_token_without_the_endpoints_scope_gets_403(api_client, user, token_for):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, scope='read')}")

    response = api_client.post(TOTP_URL, {"password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 403
    assert response.json() == {"error": "This action is outside the authorized scopes"}
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_sub_scope_token_is_enough_for_the_endpoint(api_client, user, token_for):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, scope='write:accounts')}")

    response = api_client.post(TOTP_URL, {"password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 200

"""POST /api/v1/apps and GET /api/v1/apps/verify_credentials."""

import pytest
from django.contrib.auth.hashers import check_password
from oauth2_provider.models import get_application_model

from tests.accounts.factories import AccessTokenFactory, ApplicationFactory

Application = get_application_model()
OOB = "urn:ietf:wg:oauth:2.0:oob"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("redirect_uris", "expected"),
    [
        (OOB, [OOB]),
        ("https://a.example/cb https://b.example/cb", ["https://a.example/cb", "https://b.example/cb"]),
        ("https://a.example/cb\nhttp://localhost:4000/cb", ["https://a.example/cb", "http://localhost:4000/cb"]),
        ([OOB, "https://a.example/cb"], [OOB, "https://a.example/cb"]),
    ],
    ids=["oob", "space-separated", "newline-separated", "array"],
)  # fmt: skip
def test_registering_an_app_returns_mastodons_application_entity(
    api_client, redirect_uris, expected
):
    response = api_client.post(
        "/api/v1/apps",
        {
            "client_name": "Tooter",
            "redirect_uris": redirect_uris,
            "scopes": "read write push",
            "website": "https://tooter.example",
        },
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    app = Application.objects.get()
    assert body == {
        "id": str(app.pk),
        "name": "Tooter",
        "website": "https://tooter.example",
        "scopes": ["read", "write", "push"],
        "redirect_uri": "\n".join(expected),
        "redirect_uris": expected,
        "vapid_key": "",
        "client_id": app.client_id,
        "client_secret": body["client_secret"],
        "client_secret_expires_at": 0,
    }
    assert check_password(body["client_secret"], app.client_secret)
    assert app.scopes == "read write push"
    assert app.redirect_uris.split() == expected


@pytest.mark.django_db
def test_form_body_and_default_scope(api_client):
    response = api_client.post("/api/v1/apps", {"client_name": "Form", "redirect_uris": OOB})

    assert response.status_code == 200
    assert response.json()["scopes"] == ["read"]
    assert response.json()["website"] is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"client_name": "X", "redirect_uris": OOB, "scopes": "read launch:missiles"}, "scopes"),
        ({"client_name": "X", "redirect_uris": OOB, "scopes": "admin"}, "scopes"),
        ({"client_name": "X", "redirect_uris": "not a uri"}, "redirect_uris"),
        ({"client_name": "X", "redirect_uris": "javascript:alert(1)"}, "redirect_uris"),
        ({"client_name": "X", "redirect_uris": "https://a.example/cb#frag"}, "redirect_uris"),
        ({"client_name": "X", "redirect_uris": "urn:other:thing"}, "redirect_uris"),
        ({"client_name": "X", "redirect_uris": "myapp:"}, "redirect_uris"),
        ({"client_name": "X", "redirect_uris": "myapp://host/\x07"}, "redirect_uris"),
        ({"client_name": "X", "redirect_uris": "icecubesapp://#frag"}, "redirect_uris"),
        ({"client_name": "X", "redirect_uris": "1app://cb"}, "redirect_uris"),
        ({"client_name": "X", "redirect_uris": ""}, "redirect_uris"),
        ({"client_name": "X", "redirect_uris": [1, 2]}, "redirect_uris"),
        ({"client_name": "X"}, "redirect_uris"),
        ({"client_name": "", "redirect_uris": OOB}, "client_name"),
        ({"client_name": "X", "redirect_uris": OOB, "website": "not a url"}, "website"),
    ],
    ids=[
        "unknown-scope", "bare-admin-scope", "not-a-uri", "javascript", "fragment",
        "other-urn", "bare-scheme", "control-character", "private-use-fragment",
        "scheme-starting-with-digit", "blank-uri", "non-string-uris", "missing-uris", "blank-name", "bad-website",
    ],
)  # fmt: skip
def test_invalid_registration_is_422_and_creates_nothing(api_client, payload, field):
    response = api_client.post("/api/v1/apps", payload, format="json")

    assert response.status_code == 422
    body = response.json()
    assert body["error"].startswith("Validation failed: ")
    assert field in body["details"]
    assert Application.objects.count() == 0


@pytest.mark.django_db
def test_malformed_json_is_400_and_creates_nothing(api_client):
    response = api_client.post("/api/v1/apps", "{oops", content_type="application/json")

    assert response.status_code == 400
    assert "error" in response.json()
    assert Application.objects.count() == 0


@pytest.mark.django_db
def test_verify_credentials_with_a_user_token(api_client):
    token = AccessTokenFactory(application=ApplicationFactory(name="Mine", scopes="read"))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")

    response = api_client.get("/api/v1/apps/verify_credentials")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Mine"
    assert body["scopes"] == ["read"]
    assert "client_secret" not in body
    assert "client_id" not in body


@pytest.mark.django_db
def test_verify_credentials_with_an_app_only_token(api_client):
    token = AccessTokenFactory(user=None, application=ApplicationFactory(name="Bot"))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")

    response = api_client.get("/api/v1/apps/verify_credentials")

    assert response.status_code == 200
    assert response.json()["name"] == "Bot"


@pytest.mark.django_db
def test_verify_credentials_without_a_token_is_401(api_client):
    response = api_client.get("/api/v1/apps/verify_credentials")

    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "redirect_uri",
    [
        "icecubesapp://",
        "oauth2redirect://com.keylesspalace.tusky/",
        "com.tusky://oauth",
        "com.example.app:/oauth2redirect",
        "my-app+x.y://callback?x=1",
        "http://localhost:4000/cb",
        "http://127.0.0.1:7777/",
    ],
)
def test_native_apps_private_use_and_loopback_redirect_uris_register(api_client, redirect_uri):
    response = api_client.post(
        "/api/v1/apps",
        {"client_name": "Native", "redirect_uris": redirect_uri},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["redirect_uris"] == [redirect_uri]
    assert Application.objects.get().redirect_uris == redirect_uri


@pytest.mark.django_db
def test_several_redirect_uris_newline_separated_are_kept_in_order(api_client):
    uris = ["icecubesapp://", "https://a.example/cb", OOB]

    response = api_client.post(
        "/api/v1/apps",
        {"client_name": "Several", "redirect_uris": "\n".join(uris)},
        format="multipart",
    )

    assert response.status_code == 200
    assert response.json()["redirect_uri"] == "\n".join(uris)
    assert response.json()["redirect_uris"] == uris
    assert Application.objects.get().get_allowed_schemes() == [
        "https",
        "http",
        "urn",
        "icecubesapp",
    ]


@pytest.mark.django_db
def test_a_forbidden_scheme_is_refused_with_mastodons_message(api_client):
    response = api_client.post(
        "/api/v1/apps",
        {"client_name": "X", "redirect_uris": "https://ok.example/cb\nJavaScript:alert(1)"},
    )

    assert response.status_code == 422
    assert response.json()["details"]["redirect_uris"][0]["description"] == (
        "are forbidden by the server"
    )
    assert Application.objects.count() == 0

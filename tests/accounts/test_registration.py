"""POST /api/v1/accounts: Mastodon's sign-up, as a client reaches it with an app token."""

import pytest
from oauth2_provider.models import get_access_token_model

from apps.accounts.models import User
from tests.accounts.factories import AccessTokenFactory, ApplicationFactory, UserFactory
from tests.api_client import APIClient

URL = "/api/v1/accounts"
STRONG_PASSWORD = "violet-otter-harbour-91"


@pytest.fixture
def application(db):
    return ApplicationFactory(scopes="read write follow")


@pytest.fixture
def app_client(application):
    """A client holding an app token (client credentials grant: no account)."""
    token = AccessTokenFactory(user=None, application=application, scope="read write")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")
    return client


def sign_up(client, **overrides):
    body = {
        "username": "newcomer",
        "email": "newcomer@example.org",
        "password": STRONG_PASSWORD,
        "agreement": True,
        "locale": "de",
    }
    body.update(overrides)
    return client.post(URL, body, format="json")


@pytest.mark.django_db
def test_sign_up_creates_an_account_and_returns_a_token_with_the_apps_scopes(app_client):
    # When
    response = sign_up(app_client, reason="I like the people here")

    # Then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "read write follow"
    assert isinstance(body["created_at"], int)
    assert body["refresh_token"]
    assert set(body) == {
        "access_token", "token_type", "scope", "created_at", "refresh_token", "expires_in"
    }  # fmt: skip
    account = User.objects.get(username="newcomer")
    assert account.email == "newcomer@example.org"
    assert account.locale == "de"
    assert account.default_language == "de"
    assert account.check_password(STRONG_PASSWORD)
    assert account.is_active is True

    # And the token works for the new account
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    me = client.get("/api/v1/accounts/verify_credentials")
    assert me.status_code == 200
    assert me.json()["username"] == "newcomer"


@pytest.mark.django_db
def test_sign_up_accepts_a_form_body_as_mastodon_clients_send_it(app_client):
    # When
    response = app_client.post(
        URL,
        {
            "username": "formuser",
            "email": "formuser@example.org",
            "password": STRONG_PASSWORD,
            "agreement": "true",
        },
    )

    # Then
    assert response.status_code == 200, response.json()
    assert User.objects.filter(username="formuser").exists()


@pytest.mark.django_db
def test_sign_up_with_a_user_token_is_allowed(user, token_for):
    # Given
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, scope='write')}")

    # When
    response = sign_up(client)

    # Then
    assert response.status_code == 200
    assert User.objects.filter(username="newcomer").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        pytest.param(
            {"username": "NewComer"}, "username", "ERR_TAKEN", id="duplicate-username-case"
        ),
        pytest.param({"username": "Admin"}, "username", "ERR_RESERVED", id="reserved-username"),
        pytest.param({"username": "bad name!"}, "username", "ERR_INVALID", id="invalid-username"),
        pytest.param({"username": "a" * 31}, "username", "ERR_MAX_LENGTH", id="too-long-username"),
        pytest.param({"email": "Taken@Example.org"}, "email", "ERR_TAKEN", id="duplicate-email"),
        pytest.param({"email": "not-an-email"}, "email", "ERR_INVALID", id="invalid-email"),
        pytest.param({"password": "password"}, "password", "ERR_PASSWORD_TOO_COMMON", id="weak"),
        pytest.param({"password": "short"}, "password", "ERR_PASSWORD_TOO_SHORT", id="short"),
        pytest.param(
            {"password": "12345678901"}, "password", "ERR_PASSWORD_ENTIRELY_NUMERIC", id="numeric"
        ),
        pytest.param({"agreement": False}, "agreement", "ERR_ACCEPTED", id="no-agreement"),
        pytest.param({"username": ""}, "username", "ERR_BLANK", id="blank-username"),
    ],
)
@pytest.mark.django_db
def test_refused_sign_up_answers_422_with_details_and_creates_nothing(
    app_client, overrides, field, code
):
    # Given
    UserFactory(username="newcomer", email="taken@example.org")
    overrides = {"username": "fresh_one", **overrides}
    accounts_before = User.objects.count()
    tokens_before = get_access_token_model().objects.count()

    # When
    response = sign_up(app_client, **overrides)

    # Then
    assert response.status_code == 422
    body = response.json()
    assert body["error"].startswith("Validation failed")
    assert code in [item["error"] for item in body["details"][field]]
    assert User.objects.count() == accounts_before
    assert get_access_token_model().objects.count() == tokens_before


@pytest.mark.django_db
def test_sign_up_without_agreement_field_is_refused(app_client):
    # When
    response = app_client.post(
        URL,
        {"username": "noagree", "email": "noagree@example.org", "password": STRONG_PASSWORD},
        format="json",
    )

    # Then
    assert response.status_code == 422
    assert response.json()["details"]["agreement"][0]["error"] == "ERR_ACCEPTED"
    assert not User.objects.filter(username="noagree").exists()


@pytest.mark.django_db
def test_sign_up_with_a_missing_field_names_it(app_client):
    # When
    response = app_client.post(URL, {"username": "nomail", "agreement": True}, format="json")

    # Then
    assert response.status_code == 422
    assert set(response.json()["details"]) == {"email", "password"}
    assert not User.objects.filter(username="nomail").exists()


@pytest.mark.django_db
def test_sign_up_without_a_token_is_refused(api_client):
    # When
    response = sign_up(api_client)

    # Then
    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}
    assert not User.objects.filter(username="newcomer").exists()


@pytest.mark.django_db
def test_sign_up_with_a_read_only_token_is_refused(application):
    # Given
    token = AccessTokenFactory(user=None, application=application, scope="read")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")

    # When
    response = sign_up(client)

    # Then
    assert response.status_code == 403
    assert response.json() == {"error": "This action is outside the authorized scopes"}
    assert not User.objects.filter(username="newcomer").exists()


@pytest.mark.django_db
def test_sign_up_is_refused_when_registrations_are_closed(app_client, settings):
    # Given
    settings.AGORA_REGISTRATIONS_OPEN = False

    # When
    response = sign_up(app_client)

    # Then
    assert response.status_code == 403
    assert response.json() == {"error": "Registrations are closed on this server"}
    assert not User.objects.filter(username="newcomer").exists()


@pytest.mark.django_db
def test_sign_ups_from_one_address_are_throttled(app_client, settings):
    # Given: the anonymous tier allows two sign-ups per window here
    settings.AGORA_THROTTLE_RATES = {
        **settings.AGORA_THROTTLE_RATES,
        "anonymous": {"default": "300/5m", "registration": "2/30m"},
    }
    for number in range(2):
        assert sign_up(app_client, username=f"early{number}", email=f"e{number}@example.org")

    # When
    response = sign_up(app_client, username="late", email="late@example.org")

    # Then
    assert response.status_code == 429
    assert response.json() == {"error": "Too many requests"}
    assert not User.objects.filter(username="late").exists()
    assert User.objects.filter(username__startswith="early").count() == 2


@pytest.mark.django_db
def test_the_refresh_token_from_sign_up_renews_the_access_token(db):
    # Given
    application = ApplicationFactory(scopes="read write", client_secret="registration-secret")
    app_token = AccessTokenFactory(user=None, application=application, scope="write")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {app_token.token}")
    signed_up = sign_up(client).json()

    # When
    response = APIClient().post(
        "/oauth/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": signed_up["refresh_token"],
            "client_id": application.client_id,
            "client_secret": "registration-secret",
        },
    )

    # Then
    assert response.status_code == 200, response.content
    renewed = response.json()["access_token"]
    assert renewed != signed_up["access_token"]
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {renewed}")
    assert me.get("/api/v1/accounts/verify_credentials").json()["username"] == "newcomer"

"""Bearer tokens as clients send them: every header form, through the API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.accounts.factories import AccessTokenFactory, UserFactory
from tests.api_client import APIClient

VERIFY = "/api/v1/accounts/verify_credentials"
INVALID = {"error": "The access token is invalid"}


def get(header: str | None, path: str = VERIFY):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    return client.get(path)


@pytest.fixture
def token(db):
    return AccessTokenFactory(user=UserFactory(username="ada"))


@pytest.mark.parametrize(
    "template",
    ["Bearer {}", "bearer {}", "BEARER {}", "Bearer   {}", "Bearer {}  ", "Bearer\t{}"],
)
@pytest.mark.django_db
def test_a_valid_token_in_any_spelling_of_the_scheme_signs_in(token, template):
    response = get(template.format(token.token))

    assert response.status_code == 200, response.content
    assert response.json()["username"] == "ada"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ",
        "Bearer",
        "Bearer nope",
        "Bearer {token} extra",
        "Bearer {token}x",
        "Bearer {token_upper}",
    ],
)
@pytest.mark.django_db
def test_a_malformed_or_unknown_bearer_token_is_401_and_says_why(token, header):
    response = get(header.format(token=token.token, token_upper=token.token.upper()))

    assert response.status_code == 401
    assert response.json() == INVALID
    assert response["WWW-Authenticate"].startswith('Bearer realm="Agora"')


@pytest.mark.django_db
def test_an_expired_token_is_401_with_the_oauth_error_in_the_challenge(token):
    token.expires = timezone.now() - timedelta(seconds=1)
    token.save()

    response = get(f"Bearer {token.token}")

    assert response.status_code == 401
    assert response.json() == INVALID
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


@pytest.mark.django_db
def test_a_deleted_token_is_401(token):
    value = token.token
    token.delete()

    assert get(f"Bearer {value}").status_code == 401


@pytest.mark.django_db
def test_a_token_of_a_disabled_account_is_403_as_mastodon_answers_a_disabled_login(token):
    token.user.is_active = False
    token.user.save()

    response = get(f"Bearer {token.token}")

    assert response.status_code == 403
    assert response.json() == {"error": "Your login is currently disabled"}


@pytest.mark.django_db
def test_an_app_token_authenticates_the_app_but_no_account(token):
    app_token = AccessTokenFactory(user=None, application=token.application)

    assert get(f"Bearer {app_token.token}", "/api/v1/apps/verify_credentials").status_code == 200
    response = get(f"Bearer {app_token.token}")
    # Mastodon's answer to an app token on an account's endpoint.
    assert response.status_code == 422
    assert response.json() == {"error": "This method requires an authenticated user"}


@pytest.mark.parametrize(("scope", "expected"), [("read", 403), ("write", 422)])
@pytest.mark.django_db
def test_an_app_token_is_checked_for_scope_before_it_is_asked_for_an_account(
    token, scope, expected
):
    # As Mastodon: doorkeeper_authorize! (403) runs before require_user! (422).
    app_token = AccessTokenFactory(user=None, application=token.application, scope=scope)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {app_token.token}")

    response = client.post("/api/v1/statuses", {"status": "hello"}, format="json")

    assert response.status_code == expected


@pytest.mark.parametrize("header", [None, "Basic YWRhOnNlY3JldA==", "Token abc"])
@pytest.mark.django_db
def test_no_bearer_header_is_anonymous(token, header):
    # verify_credentials needs an account; the public timeline takes anyone.
    assert get(header).status_code == 401
    assert get(header, "/api/v1/timelines/public").status_code == 200


@pytest.mark.django_db
def test_a_token_costs_one_query(token, django_assert_num_queries):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")

    # The token with its account and app in one query, then the (empty) page.
    with django_assert_num_queries(2):
        response = client.get("/api/v1/timelines/home")

    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.django_db
def test_an_expired_token_says_it_expired_in_the_challenge(token):
    token.expires = timezone.now() - timedelta(seconds=1)
    token.save()

    response = get(f"Bearer {token.token}")

    assert 'error_description="The access token has expired."' in response["WWW-Authenticate"]


@pytest.mark.django_db
def test_a_token_in_a_form_body_signs_in_as_rfc_6750_allows(token):
    client = APIClient()

    response = client.post(
        "/api/v1/statuses",
        f"status=hello&access_token={token.token}",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200, response.content
    assert response.json()["account"]["username"] == "ada"


@pytest.mark.django_db
def test_a_token_in_the_query_string_is_ignored_as_rfc_9700_asks(token):
    client = APIClient()

    assert client.get(f"{VERIFY}?access_token={token.token}").status_code == 401
    assert client.get(f"/api/v1/timelines/public?access_token={token.token}").status_code == 200


@pytest.mark.django_db
def test_a_revoked_token_is_refused_on_the_next_request(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")
    assert client.get(VERIFY).status_code == 200

    token.revoke()

    assert client.get(VERIFY).status_code == 401


@pytest.mark.django_db
def test_a_suspension_is_refused_on_the_next_request(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")
    assert client.get(VERIFY).status_code == 200

    token.user.is_active = False
    token.user.save()

    assert client.get(VERIFY).status_code == 403


@pytest.mark.django_db
def test_a_token_restricted_to_another_resource_is_refused(token, settings):
    token.resource = ["https://elsewhere.example/"]
    token.save()
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "RESOURCE_SERVER_TOKEN_RESOURCE_VALIDATOR": lambda uri, audiences: any(
            uri.startswith(audience) for audience in audiences
        ),
    }

    response = get(f"Bearer {token.token}")

    assert response.status_code == 401
    assert "not valid for this resource" in response["WWW-Authenticate"]

"""GET /api/v1/instance and /api/v2/instance: Mastodon's instance entities."""

import tomllib
from pathlib import Path

import pytest

from apps.accounts.api.instance import AGORA_VERSION
from core.entitlements import FREE
from tests.accounts.factories import UserFactory


@pytest.mark.django_db
def test_v2_instance_describes_the_server(api_client, settings, django_assert_max_num_queries):
    # Given
    settings.AGORA_DOMAIN = "agora.example"
    settings.AGORA_CONTACT_EMAIL = "team@agora.example"
    UserFactory.create_batch(2)

    # When
    # The server rules (moderation, through core.rules) take one query of the four.
    with django_assert_max_num_queries(4):
        response = api_client.get("/api/v2/instance")

    # Then
    assert response.status_code == 200
    body = response.json()
    assert body["domain"] == "agora.example"
    assert body["version"] == "4.5.0+agora.0.1.0"
    assert body["api_versions"] == {"mastodon": 7}
    assert body["configuration"]["statuses"]["max_characters"] == FREE.max_status_characters
    assert body["configuration"]["statuses"]["max_media_attachments"] == 4
    assert body["configuration"]["media_attachments"]["image_size_limit"] == FREE.max_image_bytes
    assert body["configuration"]["media_attachments"]["video_size_limit"] == FREE.max_video_bytes
    assert body["configuration"]["urls"]["streaming"] == "ws://agora.example"
    assert body["registrations"] == {
        "enabled": True,
        "approval_required": False,
        "message": None,
        "url": None,
    }
    assert body["contact"] == {"email": "team@agora.example", "account": None}
    assert body["languages"] == ["en", "es", "de"]
    assert body["rules"] == []
    # the two accounts signed in lately (the factory's last_login)
    assert body["usage"] == {"users": {"active_month": 2}}


@pytest.mark.django_db
def test_v1_instance_describes_the_server(api_client, settings):
    # Given
    settings.AGORA_REGISTRATIONS_OPEN = False
    UserFactory.create_batch(3)
    UserFactory(is_active=False)

    # When
    response = api_client.get("/api/v1/instance")

    # Then
    assert response.status_code == 200
    body = response.json()
    assert body["uri"] == "localhost:8000"
    assert body["version"].startswith("4.5.0+agora.")
    assert body["registrations"] is False
    assert body["stats"] == {"user_count": 3, "status_count": 0, "domain_count": 0}
    assert body["configuration"]["statuses"]["max_characters"] == 500
    assert body["urls"] == {"streaming_api": "ws://localhost:8000"}
    assert body["thumbnail"] == "http://localhost:8000/static/accounts/header.png"
    assert body["contact_account"] is None
    assert body["rules"] == []


@pytest.mark.django_db
def test_instance_ignores_a_bad_token(api_client):
    # Given: a stale token is no reason to refuse public server information
    api_client.credentials(HTTP_AUTHORIZATION="Bearer stale")

    # When
    response = api_client.get("/api/v2/instance")

    # Then
    assert response.status_code == 200


def test_reported_agora_version_is_the_projects():
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"

    assert tomllib.loads(pyproject.read_text())["project"]["version"] == AGORA_VERSION

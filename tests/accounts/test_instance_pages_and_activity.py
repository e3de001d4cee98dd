"""/api/v2/instance's about and privacy URLs, its thumbnail, and monthly activity from API use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import User
from tests.accounts.factories import AccessTokenFactory, UserFactory
from tests.api_client import APIClient

VERIFY = "/api/v1/accounts/verify_credentials"


@pytest.fixture
def instance_settings(settings):
    settings.AGORA_DOMAIN = "agora.example"
    settings.AGORA_HTTPS = True
    settings.AGORA_TITLE = "Agora Example"
    settings.AGORA_CONTACT_EMAIL = "team@agora.example"
    return settings


@pytest.mark.django_db
def test_v2_instance_names_its_about_and_privacy_pages(api_client, instance_settings):
    urls = api_client.get("/api/v2/instance").json()["configuration"]["urls"]
    assert urls == {
        "streaming": "wss://agora.example",
        "status": None,
        "about": "https://agora.example/about",
        "privacy_policy": "https://agora.example/privacy-policy",
        "terms_of_service": None,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/about", "/privacy-policy"], ids=["about", "privacy"])
def test_the_pages_exist_with_the_title_and_contact(api_client, instance_settings, path):
    response = api_client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Agora Example" in page
    assert "team@agora.example" in page


@pytest.mark.django_db
def test_v2_instance_thumbnail_has_mastodons_fields(api_client, instance_settings):
    thumbnail = api_client.get("/api/v2/instance").json()["thumbnail"]
    url = "https://agora.example/static/accounts/header.png"
    assert thumbnail["url"] == url
    assert thumbnail["versions"] == {"@1x": url, "@2x": url}
    assert isinstance(thumbnail["blurhash"], str)
    assert len(thumbnail["blurhash"]) >= 6


def active_month(client) -> int:
    cache.clear()  # the stats are cached for five minutes
    return client.get("/api/v2/instance").json()["usage"]["users"]["active_month"]


@pytest.mark.django_db
def test_api_use_counts_as_monthly_activity():
    # given an account that never signed in through a page, only with a token
    account = UserFactory(last_login=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessTokenFactory(user=account).token}")
    assert active_month(APIClient()) == 0

    # when it uses the API
    assert client.get(VERIFY).status_code == 200

    # then it is active this month
    account.refresh_from_db()
    assert account.last_login is not None
    assert active_month(APIClient()) == 1


@pytest.mark.django_db
def test_activity_is_recorded_at_most_once_a_day(django_assert_num_queries):
    # given an account last seen two days ago
    two_days_ago = timezone.now() - timedelta(days=2)
    account = UserFactory(last_login=two_days_ago)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessTokenFactory(user=account).token}")

    # when it makes requests: the first records the day's activity (one query more)
    with CaptureQueriesContext(connection) as first:
        assert client.get(VERIFY).status_code == 200
    account.refresh_from_db()
    seen = account.last_login
    assert seen > two_days_ago
    with CaptureQueriesContext(connection) as second:
        assert client.get(VERIFY).status_code == 200
    assert len(first) == len(second) + 1

    # then every later request that day costs the same, and writes nothing
    with django_assert_num_queries(len(second)):
        assert client.get(VERIFY).status_code == 200
    assert User.objects.get(pk=account.pk).last_login == seen

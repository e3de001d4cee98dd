"""Every absolute URL in a response is on the one base URL (core.base_url), whatever Host asked."""

from __future__ import annotations

import pytest

from tests.feed.test_status_media import post_with_media, upload_image


def urls_in(value, key=""):
    """Every ``(key, string)`` in a JSON value that looks like an absolute URL."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from urls_in(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from urls_in(item, key)
    elif isinstance(value, str) and value.startswith(("http://", "https://", "ws://", "wss://")):
        yield key, value


@pytest.fixture
def public_base(settings):
    settings.AGORA_DOMAIN = "agora.example"
    settings.AGORA_HTTPS = True
    settings.ALLOWED_HOSTS = ["testserver", "agora.example", "127.0.0.1"]
    return "https://agora.example/"


def test_status_with_media_uses_one_base_url_whatever_the_host(alice, bob, public_base):
    # given alice's status with an image, mentioning bob and tagged
    media = upload_image(alice)
    status = post_with_media(alice, [media["id"]], text="look @bob #django")

    # when bob reads it through another host the deployment answers to
    response = bob.client.get(f"/api/v1/statuses/{status.pk}", HTTP_HOST="127.0.0.1")

    # then every URL in it, the account's, the media's and the status's, is on the base URL
    assert response.status_code == 200, response.json()
    found = dict(urls_in(response.json()))
    assert {"url", "uri", "avatar", "header", "preview_url"} <= set(found)
    offending = {
        key: url for key, url in urls_in(response.json()) if not url.startswith(public_base)
    }
    assert offending == {}
    # and the rendered HTML's links too
    assert "127.0.0.1" not in response.json()["content"]


def test_instance_urls_use_the_base_url(api_client, db, public_base):
    body = api_client.get("/api/v2/instance", HTTP_HOST="127.0.0.1").json()
    assert body["thumbnail"]["url"].startswith(public_base)
    assert body["configuration"]["urls"]["streaming"] == "wss://agora.example"
    v1 = api_client.get("/api/v1/instance", HTTP_HOST="127.0.0.1").json()
    assert v1["thumbnail"].startswith(public_base)
    assert v1["urls"]["streaming_api"] == "wss://agora.example"


def test_pagination_links_stay_on_the_host_the_client_asked(alice, public_base):
    # Link headers are for the client to follow, so they keep the request's own URL,
    # as Mastodon's do.
    for index in range(3):
        alice.post(f"post {index}")
    response = alice.client.get(
        f"/api/v1/accounts/{alice.id}/statuses?limit=1", HTTP_HOST="127.0.0.1"
    )
    assert response.status_code == 200
    assert response["Link"].startswith("<http://127.0.0.1/api/v1/accounts/")

"""The API's pages, as ``core.api.renderers`` writes them, are the bytes DRF's own renderer
writes of the same data: statuses (a poll, a reblog, mentions, tags, a spoiler, text
beyond ASCII), notifications, accounts, relationships, the instance, filters."""

import pytest
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer

POLL = {"options": ["oui 🐘", "non"], "expires_in": 3600}


@pytest.fixture
def timeline(alice, bob):
    alice.follow(bob)
    bob.follow(alice)
    first = bob.post("Ça va, @alice ? #Agora 日本語 \u2028 done", spoiler_text="CW ✓", poll=POLL)
    for action in ("reblog", "favourite"):
        response = alice.client.post(f"/api/v1/statuses/{first['id']}/{action}")
        assert response.status_code == 200, response.content
    alice.post("Très bien ✓", in_reply_to_id=first["id"])
    response = bob.client.post(
        "/api/v2/filters",
        {"title": "words", "context": ["home"], "keywords_attributes": [{"keyword": "nothing"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    return first


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/timelines/home",
        "/api/v1/timelines/public",
        "/api/v1/notifications",
        "/api/v2/notifications",
        "/api/v1/accounts/verify_credentials",
        "/api/v1/accounts/relationships?id[]={alice}",
        "/api/v2/instance",
        "/api/v2/filters",
        "/api/v1/statuses/{status}/context",
    ],
)
def test_a_page_is_the_bytes_drf_writes(timeline, alice, bob, path):
    response = bob.client.get(path.format(alice=alice.id, status=timeline["id"]))

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response.data, "an empty page would prove nothing"
    assert response.content == DRFJSONRenderer().render(response.data)


def test_text_beyond_ascii_is_written_as_utf_8_and_the_separators_escaped(timeline, bob):
    response = bob.client.get("/api/v1/timelines/home")

    assert "日本語 ".encode() in response.content
    assert b"\\u2028" in response.content
    assert "\u2028".encode() not in response.content


def test_an_error_is_the_bytes_drf_writes(bob):
    response = bob.client.get("/api/v1/statuses/12345")

    assert response.status_code == 404
    assert response.content == DRFJSONRenderer().render(response.data)
    assert response.json() == {"error": "Record not found"}


def test_a_client_asking_for_indented_json_gets_drfs(bob, timeline):
    response = bob.client.get("/api/v1/timelines/home", HTTP_ACCEPT="application/json; indent=2")

    assert response.content == DRFJSONRenderer().render(response.data, "application/json; indent=2")
    assert response.content.startswith(b'[\n  {\n    "id": ')

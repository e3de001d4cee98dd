"""A status's ``language`` and ``poll`` through ``POST /api/v1/statuses``, as Mastodon takes them."""

from __future__ import annotations

import pytest

from apps.feed.models import Poll, Status

pytestmark = pytest.mark.django_db


def _create(member, **body):
    return member.client.post("/api/v1/statuses", body, format="json")


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("de", "de"), ("pt", "pt"), ("EN", "en")],
    ids=["german", "portuguese", "upper-case"],
)
def test_the_language_the_client_sends_is_stored_and_returned(alice, sent, stored):
    response = _create(alice, status="Hallo Welt", language=sent)

    assert response.status_code == 200, response.json()
    assert response.json()["language"] == stored
    assert Status.objects.get().language == stored
    fetched = alice.client.get(f"/api/v1/statuses/{response.json()['id']}")
    assert fetched.json()["language"] == stored


def test_without_a_language_the_account_default_is_used(alice):
    alice.account.default_language = "fr"
    alice.account.save(update_fields=["default_language"])

    response = _create(alice, status="Bonjour")

    assert response.status_code == 200, response.json()
    assert response.json()["language"] == "fr"
    assert Status.objects.get().language == "fr"


def test_the_language_the_client_sends_wins_over_the_account_default(alice):
    alice.account.default_language = "fr"
    alice.account.save(update_fields=["default_language"])

    response = _create(alice, status="Hello", language="en")

    assert response.json()["language"] == "en"


def test_without_a_default_the_interface_locale_gives_the_language(alice):
    alice.account.locale = "de-AT"
    alice.account.save(update_fields=["locale"])

    response = _create(alice, status="Servus")

    assert response.status_code == 200, response.json()
    assert response.json()["language"] == "de"


def test_without_any_language_the_status_is_in_the_servers_language(alice, settings):
    settings.LANGUAGE_CODE = "pt-br"

    response = _create(alice, status="?")

    assert response.status_code == 200, response.json()
    assert response.json()["language"] == "pt"
    assert Status.objects.get().language == "pt"


@pytest.mark.parametrize(
    "language",
    ["xx", "english", "e", "en-US-x-private-too-long", "12", "<b>"],
    ids=["unknown-code", "a-name", "one-letter", "too-long", "digits", "markup"],
)
def test_a_language_that_is_not_an_iso_639_1_code_is_422_and_nothing_is_saved(alice, language):
    response = _create(alice, status="Hello", language=language)

    assert response.status_code == 422, response.json()
    assert "language" in response.json()["error"]
    assert response.json()["details"]["language"][0]["error"] == "ERR_INVALID"
    assert Status.objects.count() == 0


def test_editing_with_a_bad_language_is_422_and_changes_nothing(alice):
    created = _create(alice, status="Hello", language="en").json()

    response = alice.client.put(
        f"/api/v1/statuses/{created['id']}", {"status": "Changed", "language": "zz"}, format="json"
    )

    assert response.status_code == 422, response.json()
    status = Status.objects.get()
    assert (status.text, status.language) == ("Hello", "en")


# Polls are published now: the rules and refusals are in tests/feed/test_polls.py.


def test_a_poll_in_json_is_published_with_the_status(alice):
    response = _create(
        alice, status="Which one?", poll={"options": ["yes", "no"], "expires_in": 3600}
    )

    assert response.status_code == 200, response.json()
    assert [o["title"] for o in response.json()["poll"]["options"]] == ["yes", "no"]
    assert Poll.objects.get().status_id == int(response.json()["id"])


def test_a_poll_in_form_fields_is_published_too(alice):
    response = alice.client.post(
        "/api/v1/statuses",
        {"status": "Which one?", "poll[options][]": ["yes", "no"], "poll[expires_in]": "3600"},
    )

    assert response.status_code == 200, response.json()
    assert Poll.objects.get().options == ["yes", "no"]


@pytest.mark.parametrize(
    "poll",
    [{}, "yes,no", {"options": [f"option {n}" for n in range(1000)], "expires_in": 3600}],
    ids=["empty", "not-an-object", "thousand-options"],
)
def test_a_malformed_poll_is_422_and_nothing_is_saved(alice, poll):
    response = _create(alice, status="Which one?", poll=poll)

    assert response.status_code == 422, response.json()
    assert response.json()["error"].startswith("Validation failed: poll")
    assert (Status.objects.count(), Poll.objects.count()) == (0, 0)


def test_an_edit_adding_a_bad_poll_is_refused_and_changes_nothing(alice):
    created = _create(alice, status="Hello").json()

    response = alice.client.put(
        f"/api/v1/statuses/{created['id']}",
        {"status": "Changed", "poll": {"options": ["a", "b"], "expires_in": 60}},
        format="json",
    )

    assert response.status_code == 422, response.json()
    assert Status.objects.get().text == "Hello"
    assert Poll.objects.count() == 0

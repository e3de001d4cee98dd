"""``/api/v1/markers``: the reading position an account's apps share, as Mastodon keeps it."""

import pytest

from apps.feed.models import Marker
from tests.accounts.factories import AccessTokenFactory
from tests.api_client import APIClient

MARKERS = "/api/v1/markers"


def markers(member, *timelines: str) -> dict:
    query = "&".join(f"timeline[]={timeline}" for timeline in timelines)
    response = member.client.get(f"{MARKERS}?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_position_saved_from_one_app_is_read_by_another(alice):
    # given alice has read her home timeline up to a status, in one app (JSON)
    status = alice.post("read up to here")
    saved = alice.client.post(MARKERS, {"home": {"last_read_id": status["id"]}}, format="json")

    # when her other app asks for both markers
    found = markers(alice, "home", "notifications")

    # then only the home marker exists, as it was saved, at version 0
    assert saved.status_code == 200, saved.content
    assert saved.json() == found
    assert list(found) == ["home"]
    assert found["home"]["last_read_id"] == status["id"]
    assert found["home"]["version"] == 0
    assert found["home"]["updated_at"].endswith("Z")


def test_form_parameters_update_both_timelines_and_count_versions(alice):
    alice.client.post(MARKERS, {"home[last_read_id]": "100"})

    response = alice.client.post(
        MARKERS, {"home[last_read_id]": "200", "notifications[last_read_id]": "7"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["home"]["last_read_id"], body["home"]["version"]) == ("200", 1)
    assert (body["notifications"]["last_read_id"], body["notifications"]["version"]) == ("7", 0)


def test_markers_are_the_accounts_own(alice, bob):
    alice.client.post(MARKERS, {"home": {"last_read_id": "42"}}, format="json")

    assert markers(bob, "home") == {}
    assert markers(alice, "home")["home"]["last_read_id"] == "42"


def test_unknown_timelines_are_ignored_when_read(alice):
    alice.client.post(MARKERS, {"home": {"last_read_id": "42"}}, format="json")

    assert list(markers(alice, "home", "public", "lists")) == ["home"]
    assert markers(alice) == {}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"public": {"last_read_id": "1"}},
        {"home": {"last_read_id": "not-an-id"}},
        {"home": {"last_read_id": "-5"}},
        {"home": {"last_read_id": str(2**64)}},
        {"home": {}},
        {"home": "42"},
        {"home": {"last_read_id": "1"}, "notifications": {"last_read_id": "x"}},
        [{"home": {"last_read_id": "1"}}],
        "home",
    ],
)
def test_a_bad_position_is_422_and_saves_nothing(alice, body):
    response = alice.client.post(MARKERS, body, format="json")

    assert response.status_code == 422, response.content
    assert response.json()["error"]
    assert not Marker.objects.exists()


@pytest.mark.django_db
def test_markers_need_an_account_and_the_statuses_scopes(alice):
    reader = APIClient()
    reader.credentials(
        HTTP_AUTHORIZATION=f"Bearer {AccessTokenFactory(user=alice.account, scope='read').token}"
    )

    assert APIClient().get(f"{MARKERS}?timeline[]=home").status_code == 401
    assert reader.get(f"{MARKERS}?timeline[]=home").status_code == 200
    refused = reader.post(MARKERS, {"home": {"last_read_id": "1"}}, format="json")
    assert refused.status_code == 403
    assert not Marker.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Validation failed: give home[last_read_id] or notifications[last_read_id]"),
        (
            {"home": {"last_read_id": "x"}},
            "Validation failed: home[last_read_id] A valid integer is required.",
        ),
        ({"home": "42"}, "Validation failed: home must be an object with last_read_id"),
        ([], "Validation failed: Invalid data. Expected a dictionary, but got list."),
    ],
)
def test_a_refusal_names_the_parameter(alice, body, message):
    response = alice.client.post(MARKERS, body, format="json")

    assert response.status_code == 422
    assert response.json()["error"] == message

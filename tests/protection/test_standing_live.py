"""The standing page's live_directory against the live directory itself.

Staff restrict an account from going live in the admin, as a moderator does: the page
says live_directory is limited, why and until when, and the account's stream cannot
go live, so the directory does not list it. Lifted, both clear. Suspended, its stream
leaves the directory and the page says hidden.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.live.models import LiveRestriction
from tests.api_client import APIClient
from tests.feed.conftest import Member
from tests.live.conftest import _callback_secret, nginx  # noqa: F401 (fixtures)
from tests.protection.conftest import standing_of, states_of, surfaces_of
from tests.security.staff import verified_client

pytestmark = pytest.mark.django_db

STREAMS = "/api/agora/v1/live/streams"


@pytest.fixture
def streamer(db):
    """A member an operator allowed to go live, with a stream ready to publish."""
    from apps.live.services import live_allow

    member = Member("streamer")
    live_allow(account=member.account, actor="tests")
    return member


@pytest.fixture
def stream(streamer):
    response = streamer.client.post(STREAMS, {"title": "Speedrun night"}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def listed(stream: dict) -> bool:
    """Whether the live directory, as an anonymous visitor reads it, lists ``stream``."""
    response = APIClient().get(STREAMS)
    assert response.status_code == 200, response.json()
    return stream["id"] in [entry["id"] for entry in response.json()]


def test_a_live_restriction_limits_the_live_directory_and_the_page_says_why(
    streamer,
    stream,
    moderator,
    nginx,  # noqa: F811 (the fixture)
):
    until = timezone.now() + timedelta(days=7)
    response = verified_client(moderator).post(
        reverse("admin:live_liverestriction_add"),
        {
            "account": streamer.account.pk,
            "reason": "Repeated violent streams",
            "until_0": until.strftime("%Y-%m-%d"),
            "until_1": until.strftime("%H:%M:%S"),
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content
    restriction = LiveRestriction.objects.get(account=streamer.account)

    page = standing_of(streamer)

    assert states_of(page)["live_directory"] == "limited"
    assert {name for name, state in states_of(page).items() if state != "visible"} == {
        "live_directory"
    }
    [reason] = surfaces_of(page)["live_directory"]["reasons"]
    assert reason["rule"] == "live_restriction"
    assert reason["reason"] == "You may not go live: Repeated violent streams"
    assert reason["source"] == "human"
    assert reason["decision"] == {
        "kind": "live_restriction",
        "id": str(restriction.pk),
        "case_id": None,
    }
    assert reason["since"] == restriction.created_at.isoformat().replace("+00:00", "Z")
    assert reason["until"] == restriction.until.isoformat().replace("+00:00", "Z")
    # ... and the directory: the stream cannot go live, so it is not listed.
    assert nginx("on_publish", stream["ingest"]["stream_key"]).status_code == 403
    assert listed(stream) is False

    lifted = verified_client(moderator).post(
        reverse("admin:live_liverestriction_changelist"),
        {"action": "lift", "_selected_action": [restriction.pk], "apply": "1", "reason": "OK"},
    )
    assert lifted.status_code == 302

    assert states_of(standing_of(streamer))["live_directory"] == "visible"
    assert nginx("on_publish", stream["ingest"]["stream_key"]).status_code == 302  # accepted
    assert listed(stream) is True


def test_a_restriction_that_ended_limits_nothing(streamer, stream):
    from apps.live.services import live_restrict

    live_restrict(
        account=streamer.account,
        reason="Cooling off",
        until=timezone.now() + timedelta(hours=1),
        actor="tests",
    )
    assert states_of(standing_of(streamer))["live_directory"] == "limited"
    LiveRestriction.objects.filter(account=streamer.account).update(
        until=timezone.now() - timedelta(seconds=1)
    )

    assert states_of(standing_of(streamer))["live_directory"] == "visible"


def test_suspended_its_stream_leaves_the_directory_and_the_page_says_hidden(
    streamer,
    stream,
    admin_api,
    nginx,  # noqa: F811 (the fixture)
    django_capture_on_commit_callbacks,
):
    assert nginx("on_publish", stream["ingest"]["stream_key"]).status_code == 302  # accepted
    assert listed(stream) is True

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(
            f"/api/v1/admin/accounts/{streamer.id}/action", {"type": "suspend"}, format="json"
        )
    assert response.status_code == 200, response.json()

    assert states_of(standing_of(streamer))["live_directory"] == "hidden"
    assert listed(stream) is False

    with django_capture_on_commit_callbacks(execute=True):
        admin_api.post(f"/api/v1/admin/accounts/{streamer.id}/unsuspend")

    assert states_of(standing_of(streamer))["live_directory"] == "visible"
    assert listed(stream) is True


def test_limited_its_stream_is_listed_to_its_followers_only_and_the_page_says_so(
    streamer,
    stream,
    admin_api,
    nginx,  # noqa: F811 (the fixture)
    django_capture_on_commit_callbacks,
):
    follower = Member("fan")
    follower.follow(streamer)
    stranger = Member("passerby")

    def listed_to(member: Member) -> bool:
        response = member.client.get(STREAMS)
        assert response.status_code == 200, response.json()
        return stream["id"] in [entry["id"] for entry in response.json()]

    assert nginx("on_publish", stream["ingest"]["stream_key"]).status_code == 302  # accepted
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(
            f"/api/v1/admin/accounts/{streamer.id}/action", {"type": "silence"}, format="json"
        )
    assert response.status_code == 200, response.json()

    page = standing_of(streamer)
    assert states_of(page)["live_directory"] == "limited"
    [reason] = surfaces_of(page)["live_directory"]["reasons"]
    assert reason["source"] == "human"
    assert (listed(stream), listed_to(stranger), listed_to(follower)) == (False, False, True)
    assert listed_to(streamer) is True

    with django_capture_on_commit_callbacks(execute=True):
        admin_api.post(f"/api/v1/admin/accounts/{streamer.id}/unsilence")

    assert states_of(standing_of(streamer))["live_directory"] == "visible"
    assert (listed(stream), listed_to(stranger)) == (True, True)

"""Who may not go live, told why: staff's live restriction, standing, and the kill switch's strike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.live.models import LiveRestriction, Stream
from apps.live.services import live_restrict
from apps.moderation.models import Strike
from core.models import AuditEntry
from tests.security.staff import staff_member, verified_client

pytestmark = pytest.mark.django_db

STREAMS = "/api/agora/v1/live/streams"
ADD = "admin:live_liverestriction_add"
CHANGELIST = "admin:live_liverestriction_changelist"


def _create(client_for, account):
    return client_for(account).post(STREAMS, {"title": "Tonight"}, format="json")


def test_a_moderator_bars_an_account_from_going_live_and_the_account_is_told_why(
    streamer, client_for, create_stream, nginx
):
    # given a stream created before the restriction
    created = create_stream(streamer)
    moderator = staff_member("moderator")
    until = timezone.now() + timedelta(days=7)

    # when a moderator restricts the account in the admin
    response = verified_client(moderator).post(
        reverse(ADD),
        {
            "account": streamer.pk,
            "reason": "Repeated violent streams",
            "until_0": until.strftime("%Y-%m-%d"),
            "until_1": until.strftime("%H:%M:%S"),
            "_save": "Save",
        },
    )

    # then it is recorded and audited
    assert response.status_code == 302, response.content
    restriction = LiveRestriction.objects.get(account=streamer)
    assert restriction.created_by == moderator.username
    entry = AuditEntry.objects.get(action="live_restricted")
    assert (entry.actor_id, entry.target_id, entry.note) == (
        moderator.pk,
        streamer.pk,
        "Repeated violent streams",
    )

    # and the account cannot create a stream, told the reason and the end
    refused = _create(client_for, streamer)
    assert refused.status_code == 403
    assert "You may not go live until" in refused.json()["error"]
    assert "Repeated violent streams" in refused.json()["error"]
    assert Stream.objects.filter(account=streamer).count() == 1

    # and nginx refuses the stream created before
    published = nginx("on_publish", created["ingest"]["stream_key"])
    assert published.status_code == 403
    assert b"Repeated violent streams" in published.content
    assert Stream.objects.get(pk=created["id"]).state == "idle"


def test_lifting_a_restriction_needs_a_reason_and_is_audited(streamer, client_for):
    # given
    live_restrict(account=streamer, reason="Spam streams", actor="tests")
    restriction = LiveRestriction.objects.get(account=streamer)
    client = verified_client(staff_member("moderator"))
    form = {"action": "lift", "_selected_action": [restriction.pk]}

    # when lifted without a reason, nothing changes
    blank = client.post(reverse(CHANGELIST), {**form, "apply": "1", "reason": ""})
    assert blank.status_code == 200
    assert LiveRestriction.objects.filter(pk=restriction.pk).exists()

    # when lifted with one
    done = client.post(reverse(CHANGELIST), {**form, "apply": "1", "reason": "Appeal upheld"})

    # then
    assert done.status_code == 302
    assert not LiveRestriction.objects.exists()
    assert AuditEntry.objects.get(action="live_restriction_lifted").note == "Appeal upheld"
    assert _create(client_for, streamer).status_code == 200


def test_a_restriction_that_ended_no_longer_holds(streamer, client_for):
    live_restrict(
        account=streamer, reason="Cooling off", until=timezone.now() + timedelta(hours=1),
        actor="tests",
    )  # fmt: skip
    LiveRestriction.objects.filter(account=streamer).update(
        until=timezone.now() - timedelta(seconds=1)
    )

    assert _create(client_for, streamer).status_code == 200


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"reason": "  "}, "This field is required"),
        ({"reason": "x", "until_0": "2001-01-01", "until_1": "00:00:00"}, "in the future"),
    ],
)
def test_a_restriction_without_a_reason_or_ending_in_the_past_is_refused(streamer, fields, error):
    client = verified_client(staff_member("moderator"))

    response = client.post(reverse(ADD), {"account": streamer.pk, **fields, "_save": "Save"})

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not LiveRestriction.objects.exists()
    assert not AuditEntry.objects.filter(action="live_restricted").exists()


def test_an_operator_cannot_restrict():
    client = verified_client(staff_member("operator"))
    assert client.get(reverse(CHANGELIST)).status_code == 403


@pytest.mark.parametrize("standing", ["suspended", "disabled"])
def test_a_barred_account_is_told_its_standing(streamer, client_for, standing):
    # a suspended token no longer works at all; the refusal reaches the account through
    # nginx, for a stream created before
    from apps.live.services import live_refusal

    streamer.standing = standing
    streamer.save(update_fields=["standing"])

    assert live_refusal(streamer) == f"Your account may not go live while it is {standing}."


def test_the_kill_switch_gives_the_owner_a_strike_once(
    streamer, create_stream, nginx, django_capture_on_commit_callbacks
):
    # given a live stream
    from apps.live.services import stream_kill
    from apps.moderation.case_handlers import on_live_stream_killed
    from core import events
    from core.models import OutboxEvent

    created = create_stream(streamer)
    assert nginx("on_publish", created["ingest"]["stream_key"]).status_code == 302
    moderator = staff_member("moderator")

    # when a moderator kills it
    with django_capture_on_commit_callbacks(execute=True):
        stream_kill(
            stream=Stream.objects.get(pk=created["id"]), actor=moderator, reason="Graphic violence"
        )

    # then the owner has a warning strike with the reason, given by that moderator
    strike = Strike.objects.get(account=streamer)
    assert strike.action == "none"
    assert "Graphic violence" in strike.text
    assert strike.created_by == moderator

    # and a second delivery of the event gives none
    killed = OutboxEvent.objects.get(event_type="LiveStreamKilled")
    on_live_stream_killed(events.event_from_payload("LiveStreamKilled", killed.payload))
    assert Strike.objects.filter(account=streamer).count() == 1


def test_without_strikes_on_kills_the_kill_switch_gives_none(
    streamer, create_stream, settings, django_capture_on_commit_callbacks
):
    from apps.live.services import stream_kill

    settings.MODERATION_STRIKE_ON_LIVE_KILL = False
    created = create_stream(streamer)

    with django_capture_on_commit_callbacks(execute=True):
        stream_kill(stream=Stream.objects.get(pk=created["id"]), actor="ops", reason="Test")

    assert not Strike.objects.exists()

"""Live's back office: moderators' kill switch (audited) and operators' allowances."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.live.models import LiveAllowance, Stream
from core.models import AuditEntry, OutboxEvent
from tests.accounts.factories import UserFactory
from tests.security.staff import staff_member, verified_client

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:live_stream_changelist"


@pytest.fixture
def live_stream(streamer, create_stream, nginx):
    created = create_stream(streamer)
    assert nginx("on_publish", created["ingest"]["stream_key"]).status_code == 302
    return Stream.objects.get(pk=created["id"]), created["ingest"]["stream_key"]


def test_a_moderator_kills_a_live_stream_with_a_reason(live_stream, nginx):
    # given
    stream, key = live_stream
    assert nginx("on_update", stream.internal_name).status_code == 204
    moderator = staff_member("moderator")
    client = verified_client(moderator)
    url = reverse(CHANGELIST)
    form = {"action": "kill", "_selected_action": [stream.pk]}

    # when the action is chosen, it asks for a reason first and changes nothing
    asked = client.post(url, form)
    assert asked.status_code == 200
    assert "kill-form" in asked.content.decode()
    assert Stream.objects.get(pk=stream.pk).state == "live"

    # when the reason is given
    done = client.post(url, {**form, "apply": "1", "reason": "violent content"})

    # then the stream ended, its key is rotated, and who and why are recorded
    assert done.status_code == 302
    killed = Stream.objects.get(pk=stream.pk)
    assert killed.state == "ended"
    assert killed.ended_by == moderator.username
    assert killed.end_reason == "violent content"
    assert killed.key_hash != stream.key_hash
    entry = AuditEntry.objects.get(action="live_stream_killed")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        moderator.pk,
        "live_stream",
        stream.pk,
    )
    assert entry.note == "violent content"
    assert entry.before == {"account_id": stream.account_id, "state": "live"}
    assert OutboxEvent.objects.filter(event_type="LiveEnded").count() == 1
    # nginx drops the encoder at its next update, and the old key cannot come back
    assert nginx("on_update", stream.internal_name).status_code == 404
    assert nginx("on_publish", key).status_code == 403


def test_the_kill_switch_needs_a_reason(live_stream):
    stream, _key = live_stream
    client = verified_client(staff_member("moderator"))

    response = client.post(
        reverse(CHANGELIST),
        {"action": "kill", "_selected_action": [stream.pk], "apply": "1", "reason": ""},
    )

    assert response.status_code == 200
    assert Stream.objects.get(pk=stream.pk).state == "live"
    assert not AuditEntry.objects.filter(action="live_stream_killed").exists()


def test_an_operator_sees_streams_but_cannot_kill_one(live_stream):
    stream, _key = live_stream
    client = verified_client(staff_member("operator"))

    assert client.get(reverse(CHANGELIST), {"state__exact": "live"}).status_code == 200
    client.post(
        reverse(CHANGELIST),
        {"action": "kill", "_selected_action": [stream.pk], "apply": "1", "reason": "no"},
    )

    assert Stream.objects.get(pk=stream.pk).state == "live"
    assert not AuditEntry.objects.filter(action="live_stream_killed").exists()


def test_the_live_now_filter_lists_only_live_streams(live_stream, streamer, create_stream):
    stream, _key = live_stream
    idle = create_stream(streamer, title="later tonight")
    client = verified_client(staff_member("moderator"))

    page = client.get(reverse(CHANGELIST), {"state__exact": "live"}).content.decode()

    assert stream.title in page
    assert idle["title"] not in page
    assert _key not in page


def test_an_operator_allows_an_account_to_go_live_from_the_admin():
    operator = staff_member("operator")
    account = UserFactory()
    client = verified_client(operator)

    response = client.post(
        reverse("admin:live_liveallowance_add"), {"account": account.pk, "_save": "Save"}
    )

    assert response.status_code == 302
    allowance = LiveAllowance.objects.get(account=account)
    assert allowance.granted_by == operator.username


def test_a_moderator_cannot_manage_allowances():
    client = verified_client(staff_member("moderator"))
    assert client.get(reverse("admin:live_liveallowance_changelist")).status_code == 403

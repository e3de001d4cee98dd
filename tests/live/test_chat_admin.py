"""Chat in the back office: search by stream and author, hide and restore, bans and channel
moderators; each staff action audited."""

import pytest
from django.urls import reverse

from apps.live.models import ChannelBan, ChannelModerator, ChatMessage, ChatTimeout
from apps.live.services import chat
from core import errors
from core.models import AuditEntry
from tests.accounts.factories import UserFactory
from tests.live.chat_support import make_stream
from tests.security.staff import staff_member, verified_client

pytestmark = pytest.mark.django_db

MESSAGES = "admin:live_chatmessage_changelist"


@pytest.fixture
def streamer(db):
    return UserFactory(username="streamer")


@pytest.fixture
def moderator_client():
    moderator = staff_member("moderator")
    return moderator, verified_client(moderator)


def test_chat_is_searched_by_stream_and_by_author(streamer, moderator_client):
    first, second = make_stream(streamer), make_stream(streamer, title="Other")
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    chat.chat_message_post(author=alice, stream_id=first.pk, text="alice in first")
    chat.chat_message_post(author=bob, stream_id=first.pk, text="bob in first")
    chat.chat_message_post(author=alice, stream_id=second.pk, text="alice in second")
    _moderator, client = moderator_client

    by_stream = client.get(reverse(MESSAGES), {"q": str(first.pk)}).content.decode()
    assert "alice in first" in by_stream
    assert "bob in first" in by_stream
    assert "alice in second" not in by_stream
    by_author = client.get(reverse(MESSAGES), {"q": "alice"}).content.decode()
    assert "alice in first" in by_author
    assert "alice in second" in by_author
    assert "bob in first" not in by_author


def test_a_moderator_hides_and_restores_a_message_audited(streamer, moderator_client):
    stream = make_stream(streamer)
    message = chat.chat_message_post(author=UserFactory(), stream_id=stream.pk, text="rude")
    moderator, client = moderator_client

    done = client.post(reverse(MESSAGES), {"action": "hide", "_selected_action": [message.pk]})
    assert done.status_code == 302
    message.refresh_from_db()
    assert (message.state, message.state_by) == ("hidden", moderator.username)
    entry = AuditEntry.objects.get(action="live_chat_message_hidden")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        moderator.pk,
        "live_chat_message",
        message.pk,
    )
    assert entry.before["state"] == "visible"

    client.post(reverse(MESSAGES), {"action": "restore", "_selected_action": [message.pk]})
    message.refresh_from_db()
    assert message.state == "visible"
    assert AuditEntry.objects.filter(action="live_chat_message_restored").count() == 1


def test_staff_without_the_moderator_role_cannot_hide(streamer):
    stream = make_stream(streamer)
    message = chat.chat_message_post(author=UserFactory(), stream_id=stream.pk, text="hello")
    operator = staff_member("operator")
    client = verified_client(operator)
    response = client.post(reverse(MESSAGES), {"action": "hide", "_selected_action": [message.pk]})
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.state == "visible"


def test_a_moderator_bans_and_unbans_from_the_admin_audited(streamer, moderator_client):
    troll = UserFactory(username="troll")
    moderator, client = moderator_client
    added = client.post(
        reverse("admin:live_channelban_add"),
        {"channel": streamer.pk, "account": troll.pk, "reason": "raids"},
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    ban = ChannelBan.objects.get()
    assert (ban.channel_id, ban.account_id, ban.reason) == (streamer.pk, troll.pk, "raids")
    assert ban.banned_by == moderator.username
    assert AuditEntry.objects.get(action="live_channel_ban_added").target_id == troll.pk

    deleted = client.post(reverse("admin:live_channelban_delete", args=[ban.pk]), {"post": "yes"})
    assert deleted.status_code == 302
    assert not ChannelBan.objects.exists()
    assert AuditEntry.objects.get(action="live_channel_ban_removed").target_id == troll.pk


def test_the_admin_refuses_banning_the_streamer_from_its_own_channel(streamer, moderator_client):
    _moderator, client = moderator_client
    refused = client.post(
        reverse("admin:live_channelban_add"),
        {"channel": streamer.pk, "account": streamer.pk, "reason": "x"},
    )
    assert refused.status_code == 200
    assert "cannot be acted on" in refused.content.decode()
    assert not ChannelBan.objects.exists()


def test_a_moderator_appoints_and_removes_a_channel_moderator_audited(streamer, moderator_client):
    helper = UserFactory()
    _moderator, client = moderator_client
    added = client.post(
        reverse("admin:live_channelmoderator_add"), {"channel": streamer.pk, "moderator": helper.pk}
    )
    assert added.status_code == 302
    row = ChannelModerator.objects.get()
    assert AuditEntry.objects.get(action="live_channel_moderator_added").target_id == helper.pk
    client.post(
        reverse("admin:live_channelmoderator_changelist"),
        {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
    )
    assert not ChannelModerator.objects.exists()
    assert AuditEntry.objects.get(action="live_channel_moderator_removed").target_id == helper.pk


def test_hiding_in_the_admin_deletes_for_everyone(
    streamer, moderator_client, django_capture_on_commit_callbacks
):
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    stream = make_stream(streamer)
    message = chat.chat_message_post(author=UserFactory(), stream_id=stream.pk, text="rude")
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"live-{stream.pk}", channel)
    _moderator, client = moderator_client
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse(MESSAGES), {"action": "hide", "_selected_action": [message.pk]})
    received = async_to_sync(layer.receive)(channel)
    assert received == {"type": "room.event", "event": "delete", "payload": {"id": str(message.pk)}}
    assert ChatMessage.objects.get(pk=message.pk).state == "hidden"


def test_moderations_case_page_shows_a_chat_message_and_removing_it_deletes_it(
    streamer, moderator_client, django_capture_on_commit_callbacks
):
    from apps.moderation import services as moderation_services

    stream = make_stream(streamer)
    author = UserFactory(username="heckler")
    message = chat.chat_message_post(author=author, stream_id=stream.pk, text="buy followers")
    case = moderation_services.queue_for_review(
        content_type="chat_message",
        content_id=message.pk,
        author_id=author.pk,
        category="spam",
        score=0.9,
    )
    _moderator, client = moderator_client

    page = client.get(reverse("admin:moderation_case_change", args=[case.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert "Live chat message" in content
    assert "buy followers" in content
    assert "@heckler" in content

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:moderation_case_claim", args=[case.pk]))
        acted = client.post(
            reverse("admin:moderation_case_act", args=[case.pk]),
            {"action": "remove", "note": "spam", "reason": "Spam."},
        )
    assert acted.status_code == 302
    message.refresh_from_db()
    assert (message.state, message.state_by) == ("removed", "moderation")


def test_a_moderator_times_an_account_out_from_the_admin_announced_and_audited(
    streamer, moderator_client, django_capture_on_commit_callbacks
):
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    # given a stream whose room a viewer listens to, and an account chatting in it
    stream = make_stream(streamer)
    troll = UserFactory(username="timeout_troll")
    chat.chat_message_post(author=troll, stream_id=stream.pk, text="spam")
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"live-{stream.pk}", channel)
    moderator, client = moderator_client

    # when a platform moderator times it out for ten minutes from the admin
    with django_capture_on_commit_callbacks(execute=True):
        added = client.post(
            reverse("admin:live_chattimeout_add"),
            {"stream": stream.pk, "account": troll.pk, "seconds": 600, "reason": "flooding"},
        )

    # then the timeout holds in the channel, the room hears it, and it is audited
    assert added.status_code == 302, added.content.decode()[:2000]
    timeout = ChatTimeout.objects.get()
    assert (timeout.channel_id, timeout.account_id, timeout.reason) == (
        streamer.pk,
        troll.pk,
        "flooding",
    )
    assert timeout.timed_out_by == moderator.username
    heard = async_to_sync(layer.receive)(channel)
    assert (heard["event"], heard["payload"]["account_id"]) == ("timeout", str(troll.pk))
    entry = AuditEntry.objects.get(action="live_chat_timeout_added")
    assert (entry.target_id, entry.note, entry.after["channel_id"]) == (
        troll.pk,
        "flooding",
        streamer.pk,
    )
    with pytest.raises(errors.PlatformError) as refused:
        chat.chat_message_post(author=troll, stream_id=stream.pk, text="still here")
    assert getattr(refused.value, "code", "") == "timed_out"

    # and lifting it lets the account chat again at once, audited
    lifted = client.post(
        reverse("admin:live_chattimeout_changelist"),
        {"action": "lift", "_selected_action": [timeout.pk]},
    )
    assert lifted.status_code == 302
    assert AuditEntry.objects.get(action="live_chat_timeout_lifted").target_id == troll.pk
    assert chat.chat_message_post(author=troll, stream_id=stream.pk, text="sorry").pk


@pytest.mark.parametrize(
    ("form", "error"),
    [
        pytest.param({"seconds": 0}, "greater than or equal to 1", id="zero-seconds"),
        pytest.param({"seconds": 10**9}, "less than or equal to", id="too-long"),
        pytest.param({"seconds": "soon"}, "Enter a whole number", id="not-a-number"),
        pytest.param({"account": "streamer"}, "cannot be acted on", id="the-streamer"),
        pytest.param({"stream": ""}, "from a stream", id="no-stream"),
        pytest.param({"account": 10**9}, "Select a valid choice", id="unknown-account"),
    ],
)
def test_the_admin_refuses_a_bad_timeout_and_writes_nothing(
    streamer, moderator_client, form, error
):
    stream = make_stream(streamer)
    troll = UserFactory(username="timeout_bad")
    data = {"stream": stream.pk, "account": troll.pk, "seconds": 600, "reason": ""}
    data.update(form)
    if data["account"] == "streamer":
        data["account"] = streamer.pk
    _moderator, client = moderator_client

    refused = client.post(reverse("admin:live_chattimeout_add"), data)

    assert refused.status_code == 200
    assert error in refused.content.decode()
    assert not ChatTimeout.objects.exists()
    assert not AuditEntry.objects.filter(action="live_chat_timeout_added").exists()


def test_staff_without_the_moderator_role_cannot_time_out(streamer):
    stream = make_stream(streamer)
    operator = staff_member("operator")
    refused = verified_client(operator).post(
        reverse("admin:live_chattimeout_add"),
        {"stream": stream.pk, "account": UserFactory().pk, "seconds": 60},
    )
    assert refused.status_code == 403
    assert not ChatTimeout.objects.exists()

"""The streamer's and its moderators' powers over the socket, and moderation's decisions."""

import pytest
from asgiref.sync import sync_to_async
from django.core.cache import cache

from apps.live.models import ChannelBan, ChannelModerator, ChatMessage, ChatTimeout
from apps.live.services import chat
from tests.accounts.factories import UserFactory
from tests.live.chat_support import error, join, make_stream, next_event, run, said, say

pytestmark = pytest.mark.django_db(transaction=True)

OFFENSIVE = "You are a worthless fucking idiot and everyone hates you"


@pytest.fixture
def streamer(db):
    return UserFactory(username="streamer")


@pytest.fixture
def viewer(db):
    return UserFactory(username="viewer")


@pytest.fixture
def mod(db, streamer):
    account = UserFactory(username="mod")
    chat.channel_moderator_add(actor=streamer, channel_id=streamer.pk, account_id=account.pk)
    return account


def test_a_moderator_deletes_a_message_for_everyone(streamer, viewer, mod, token_for):
    stream = make_stream(streamer)
    viewer_token, mod_token = token_for(viewer), token_for(mod)

    async def scenario():
        viewer_socket, _ = await join(stream.pk, viewer_token)
        mod_socket, _ = await join(stream.pk, mod_token)
        _ack, message = await said(viewer_socket, "spoiler: the ending")
        await next_event(mod_socket)  # the message
        message_id = message["payload"]["id"]

        await mod_socket.send_json_to({"type": "delete", "id": message_id, "reason": "spoiler"})
        deleted = {"event": "delete", "payload": {"id": message_id}}
        assert await next_event(mod_socket) == deleted
        assert await next_event(viewer_socket) == deleted
        await viewer_socket.disconnect()
        await mod_socket.disconnect()
        return int(message_id)

    message_id = async_to_sync_result(scenario)
    message = ChatMessage.objects.get(pk=message_id)
    assert (message.state, message.state_by, message.state_reason) == ("removed", "mod", "spoiler")

    async def rejoin():
        socket, history = await join(stream.pk)
        await socket.disconnect()
        return history

    assert async_to_sync_result(rejoin)["messages"] == []


def async_to_sync_result(scenario):
    from asgiref.sync import async_to_sync

    return async_to_sync(scenario)()


def test_a_viewer_may_not_delete_anothers_message_but_may_delete_their_own(
    streamer, viewer, token_for
):
    stream = make_stream(streamer)
    other = UserFactory()
    own = chat.chat_message_post(author=viewer, stream_id=stream.pk, text="mine")
    theirs = chat.chat_message_post(author=other, stream_id=stream.pk, text="theirs")
    token = token_for(viewer)

    async def scenario():
        socket, _ = await join(stream.pk, token)
        assert await say(socket, {"type": "delete", "id": str(theirs.pk)}) == error("not_moderator")
        await socket.send_json_to({"type": "delete", "id": str(own.pk)})
        assert await next_event(socket) == {"event": "delete", "payload": {"id": str(own.pk)}}
        await socket.disconnect()

    run(scenario)
    assert ChatMessage.objects.get(pk=theirs.pk).state == "visible"


def test_a_timeout_is_announced_and_keeps_the_account_quiet(streamer, viewer, mod, token_for):
    stream = make_stream(streamer)
    viewer_token, mod_token = token_for(viewer), token_for(mod)

    async def scenario():
        viewer_socket, _ = await join(stream.pk, viewer_token)
        mod_socket, _ = await join(stream.pk, mod_token)
        await mod_socket.send_json_to(
            {"type": "timeout", "account_id": str(viewer.pk), "seconds": 600, "reason": "calm"}
        )
        announced = await next_event(viewer_socket)
        assert announced["event"] == "timeout"
        assert announced["payload"]["account_id"] == str(viewer.pk)
        assert announced["payload"]["seconds"] == 600
        assert await say(viewer_socket, {"type": "message", "text": "hey"}) == error("timed_out")
        await viewer_socket.disconnect()
        await mod_socket.disconnect()

    run(scenario)
    assert ChatTimeout.objects.get().timed_out_by == "mod"


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "timeout", "account_id": "1", "seconds": 0}, "invalid"),
        ({"type": "timeout", "account_id": "1", "seconds": "10"}, "invalid"),
        ({"type": "timeout", "account_id": "1", "seconds": 8 * 24 * 3600}, "invalid"),
        ({"type": "timeout", "account_id": "987654321", "seconds": 10}, "not_found"),
        ({"type": "ban", "account_id": "nope"}, "invalid_id"),
        ({"type": "ban", "account_id": "1", "reason": 3}, "invalid_reason"),
        ({"type": "mode", "chat_settings": {"slow_mode_seconds": -1}}, "invalid"),
        ({"type": "mode", "chat_settings": {"slow_mode_seconds": True}}, "invalid"),
        ({"type": "mode", "chat_settings": {"dance_mode": True}}, "invalid"),
        ({"type": "mode", "chat_settings": "slow"}, "invalid"),
        ({"type": "mode"}, "invalid"),
    ],
    ids=lambda value: str(value)[:48],
)
def test_bad_moderator_commands_are_refused_clearly(streamer, mod, token_for, frame, code):
    stream = make_stream(streamer)
    token = token_for(mod)
    settings_before = dict(stream.chat_settings)

    async def scenario():
        socket, _ = await join(stream.pk, token)
        assert await say(socket, frame) == error(code)
        await socket.disconnect()

    run(scenario)
    stream.refresh_from_db()
    assert stream.chat_settings == settings_before
    assert not ChatTimeout.objects.exists()
    assert not ChannelBan.objects.exists()


def test_a_moderator_may_not_act_on_the_streamer_or_another_moderator(streamer, mod, token_for):
    other_mod = UserFactory()
    chat.channel_moderator_add(actor=streamer, channel_id=streamer.pk, account_id=other_mod.pk)
    stream = make_stream(streamer)
    token = token_for(mod)

    async def scenario():
        socket, _ = await join(stream.pk, token)
        assert await say(socket, {"type": "ban", "account_id": str(streamer.pk)}) == error(
            "target_streamer"
        )
        assert await say(socket, {"type": "ban", "account_id": str(other_mod.pk)}) == error(
            "target_moderator"
        )
        await socket.disconnect()

    run(scenario)
    assert not ChannelBan.objects.exists()


def test_a_ban_is_announced_in_every_open_stream_and_holds_in_the_next(
    streamer, viewer, mod, token_for
):
    first, second = make_stream(streamer), make_stream(streamer, title="Second screen")
    viewer_token, mod_token = token_for(viewer), token_for(mod)

    async def scenario():
        in_first, _ = await join(first.pk, viewer_token)
        in_second, _ = await join(second.pk)
        mod_socket, _ = await join(first.pk, mod_token)
        await mod_socket.send_json_to({"type": "ban", "account_id": str(viewer.pk), "reason": "x"})
        banned = {"event": "ban", "payload": {"account_id": str(viewer.pk)}}
        assert await next_event(in_first) == banned
        assert await next_event(in_second) == banned
        assert await say(in_first, {"type": "message", "text": "hi"}) == error("banned")
        await in_first.disconnect()
        await in_second.disconnect()
        await mod_socket.disconnect()

    run(scenario)
    # a later stream of the channel
    later = make_stream(streamer, title="Tomorrow")

    async def tomorrow():
        socket, _ = await join(later.pk, viewer_token)
        assert await say(socket, {"type": "message", "text": "back?"}) == error("banned")
        await socket.disconnect()

    run(tomorrow)
    # until unbanned
    chat.chat_unban(actor=streamer, channel_id=streamer.pk, account_id=viewer.pk)
    assert chat.chat_message_post(author=viewer, stream_id=later.pk, text="thanks").pk


def test_the_streamer_changes_the_mode_live(streamer, viewer, token_for):
    stream = make_stream(streamer)
    viewer_token, owner_token = token_for(viewer), token_for(streamer)

    async def scenario():
        viewer_socket, _ = await join(stream.pk, viewer_token)
        owner, _ = await join(stream.pk, owner_token)
        await owner.send_json_to({"type": "mode", "chat_settings": {"emoji_only": True}})
        mode = await next_event(viewer_socket)
        assert mode["event"] == "mode"
        assert mode["payload"]["emoji_only"] is True
        assert mode["payload"]["slow_mode_seconds"] == 0
        assert await say(viewer_socket, {"type": "message", "text": "words"}) == error("emoji_only")
        await viewer_socket.disconnect()
        await owner.disconnect()

    run(scenario)
    stream.refresh_from_db()
    assert stream.chat_settings["emoji_only"] is True


def test_only_the_streamer_appoints_moderators(streamer, viewer, mod):
    from core import errors

    with pytest.raises(errors.Forbidden):
        chat.channel_moderator_add(actor=mod, channel_id=streamer.pk, account_id=viewer.pk)
    assert not ChannelModerator.objects.filter(moderator=viewer).exists()
    assert chat.channel_moderator_remove(actor=streamer, channel_id=streamer.pk, account_id=mod.pk)
    assert not ChannelModerator.objects.exists()


@pytest.fixture
def moderation_on(db, settings):
    """Automated moderation on for everyone (the review queue too), with the real assessors,
    its tasks run in process as the events relay them."""
    from waffle.models import Flag

    from config.celery import app as celery_app
    from core import flags

    for name in (flags.AI_MODERATION, flags.HUMAN_REVIEW_QUEUE):
        Flag.objects.update_or_create(name=name, defaults={"everyone": True})
    cache.clear()
    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


def test_an_offensive_message_is_hidden_by_moderation_and_deleted_for_everyone(
    streamer, viewer, token_for, moderation_on
):
    from apps.moderation.models import Assessment

    stream = make_stream(streamer)
    viewer_token = token_for(viewer)

    async def scenario():
        anonymous, _ = await join(stream.pk)
        viewer_socket, _ = await join(stream.pk, viewer_token)
        # when the viewer insults everyone
        await viewer_socket.send_json_to({"type": "message", "text": OFFENSIVE})
        heard = [await next_event(anonymous), await next_event(anonymous)]
        # then the message was broadcast, then deleted for everyone
        assert heard[0]["event"] == "message"
        assert heard[1] == {"event": "delete", "payload": {"id": heard[0]["payload"]["id"]}}
        await anonymous.disconnect()
        await viewer_socket.disconnect()
        return int(heard[0]["payload"]["id"])

    message_id = async_to_sync_result(scenario)
    message = ChatMessage.objects.get(pk=message_id)
    assert (message.state, message.state_by) == ("hidden", "moderation")
    assessment = Assessment.objects.get(content_type="chat_message", content_id=message_id)
    assert (assessment.decision, assessment.category) == ("hide", "offensive")
    assert assessment.evidence["text"] == OFFENSIVE
    assert assessment.evidence["stream_id"] == stream.pk
    # and a clean message stays
    clean = chat.chat_message_post(author=viewer, stream_id=stream.pk, text="great run, gg")
    clean.refresh_from_db()
    assert clean.state == "visible"
    assert Assessment.objects.get(content_type="chat_message", content_id=clean.pk).decision == (
        "allow"
    )


def test_moderations_approval_shows_a_hidden_message_again_but_not_a_removed_one(streamer, viewer):
    from core import events

    stream = make_stream(streamer)
    hidden = chat.chat_message_post(author=viewer, stream_id=stream.pk, text="borderline")
    removed = chat.chat_message_post(author=viewer, stream_id=stream.pk, text="gone")
    chat.chat_message_moderate(message_id=hidden.pk, action="hide", reason="")
    chat.chat_message_delete(actor=streamer, stream=stream, message_id=removed.pk)
    for message in (hidden, removed):
        sync_publish(
            events.ContentActioned(
                content_type="chat_message", content_id=message.pk, action="approve"
            )
        )
    assert ChatMessage.objects.get(pk=hidden.pk).state == "visible"
    assert ChatMessage.objects.get(pk=removed.pk).state == "removed"


def sync_publish(event):
    from django.db import transaction

    from core import events

    with transaction.atomic():
        events.publish(event)


def test_the_socket_closes_when_the_account_is_suspended(streamer, viewer, token_for):
    from apps.feed.streaming import sessions_group
    from core.realtime import broadcast

    stream = make_stream(streamer)
    token = token_for(viewer)

    async def scenario():
        socket, _ = await join(stream.pk, token)
        await sync_to_async(broadcast)(sessions_group(viewer.pk), {"type": "stream.close"})
        assert (await socket.receive_output(timeout=5))["code"] == 4001

    run(scenario)

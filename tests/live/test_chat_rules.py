"""Each chat rule, through the socket: what it refuses, with which code, and who is exempt."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.feed.models import Block, Follow
from apps.live import services
from apps.live.models import ChannelBan, ChatMessage, ChatTimeout
from apps.live.services import chat
from tests.accounts.factories import UserFactory
from tests.live.chat_support import error, join, make_stream, run, said, say

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def streamer(db):
    return UserFactory(username="streamer")


@pytest.fixture
def viewer(db):
    return UserFactory(username="viewer")


def refused(stream, token, code, text="hello"):
    """Assert that ``text`` sent with ``token`` is refused with ``code`` and nothing is stored."""
    before = ChatMessage.objects.count()

    async def scenario():
        socket, _ = await join(stream.pk, token)
        assert await say(socket, {"type": "message", "text": text}) == error(code)
        await socket.disconnect()

    run(scenario)
    assert ChatMessage.objects.count() == before


def accepted(stream, token, text="hello"):
    async def scenario():
        socket, _ = await join(stream.pk, token)
        _ack, message = await said(socket, text)
        assert message["payload"]["text"] == text
        await socket.disconnect()

    run(scenario)


def with_settings(stream, **rules):
    stream.chat_settings = {**stream.chat_settings, **rules}
    stream.save(update_fields=["chat_settings"])
    return stream


def test_max_length_is_the_streams(streamer, viewer, token_for):
    stream = with_settings(make_stream(streamer), max_length=10)
    token = token_for(viewer)
    refused(stream, token, "too_long", text="x" * 11)
    accepted(stream, token, text="x" * 10)


def test_the_rate_limit_refuses_the_message_over_it(streamer, viewer, token_for):
    stream = with_settings(make_stream(streamer), rate_limit_messages=2, rate_limit_seconds=60)
    token = token_for(viewer)

    async def scenario():
        socket, _ = await join(stream.pk, token)
        await said(socket, "one")
        await said(socket, "two")
        assert await say(socket, {"type": "message", "text": "three"}) == error("rate_limited")
        await socket.disconnect()

    run(scenario)
    assert ChatMessage.objects.count() == 2


def test_slow_mode_allows_one_message_per_period_but_not_to_the_streamer(
    streamer, viewer, token_for
):
    stream = with_settings(make_stream(streamer), slow_mode_seconds=30)
    token, owner_token = token_for(viewer), token_for(streamer)

    async def scenario():
        socket, _ = await join(stream.pk, token)
        await said(socket, "first")
        assert await say(socket, {"type": "message", "text": "second"}) == error("slow_mode")
        owner, _ = await join(stream.pk, owner_token)
        await said(owner, "streamer one")
        await said(owner, "streamer two")
        await socket.disconnect()
        await owner.disconnect()

    run(scenario)
    assert ChatMessage.objects.count() == 3


def test_followers_only_wants_a_follow_old_enough(streamer, viewer, token_for):
    stream = with_settings(make_stream(streamer), followers_only_minutes=10)
    token = token_for(viewer)
    refused(stream, token, "followers_only")
    follow = Follow.objects.create(account=viewer, target=streamer)
    refused(stream, token, "followers_only")  # following for less than 10 minutes
    Follow.objects.filter(pk=follow.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    accepted(stream, token)


def test_subscribers_only_wants_a_membership(streamer, viewer, token_for):
    from core import memberships

    stream = with_settings(make_stream(streamer), subscribers_only=True)
    token = token_for(viewer)
    refused(stream, token, "subscribers_only")
    members = {(viewer.pk, streamer.pk)}
    previous = (memberships._provider, memberships._bulk_provider)
    memberships.set_provider(
        lambda fan, creator: (
            memberships.Membership(creator, 1, "gold") if (fan, creator) in members else None
        ),
        lambda fan: frozenset(creator for f, creator in members if f == fan),
    )
    try:
        accepted(stream, token)
    finally:
        memberships.set_provider(*previous)


def test_established_accounts_only(streamer, viewer, token_for):
    stream = with_settings(make_stream(streamer), min_account_age_days=7)
    token = token_for(viewer)
    refused(stream, token, "account_too_new")
    type(viewer).objects.filter(pk=viewer.pk).update(date_joined=timezone.now() - timedelta(days=8))
    accepted(stream, token)


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        ("🎉🎉", True),
        ("👍🏽 ❤️", True),
        ("👨‍👩‍👧", True),
        (":blobcat: 🎉", True),
        ("gg 🎉", False),
        ("lol", False),
    ],
)
def test_emoji_only(streamer, viewer, token_for, text, allowed):
    stream = with_settings(make_stream(streamer), emoji_only=True)
    token = token_for(viewer)
    if allowed:
        accepted(stream, token, text=text)
    else:
        refused(stream, token, "emoji_only", text=text)


def test_a_channel_moderator_is_exempt_from_the_modes(streamer, viewer, token_for):
    stream = with_settings(make_stream(streamer), emoji_only=True, subscribers_only=True)
    chat.channel_moderator_add(actor=streamer, channel_id=streamer.pk, account_id=viewer.pk)
    accepted(stream, token_for(viewer), text="words are fine for moderators")


def test_a_timeout_holds_until_it_lapses(streamer, viewer, token_for):
    stream = make_stream(streamer)
    token = token_for(viewer)
    timeout = ChatTimeout.objects.create(
        channel=streamer, account=viewer, until=timezone.now() + timedelta(minutes=5)
    )
    refused(stream, token, "timed_out")
    ChatTimeout.objects.filter(pk=timeout.pk).update(until=timezone.now() - timedelta(seconds=1))
    accepted(stream, token)


def test_a_channel_ban_holds_in_every_stream_of_the_channel(streamer, viewer, token_for):
    first, second = make_stream(streamer), make_stream(streamer, title="Another night")
    ChannelBan.objects.create(channel=streamer, account=viewer)
    token = token_for(viewer)
    refused(first, token, "banned")
    refused(second, token, "banned")
    # and not in another channel's
    accepted(make_stream(UserFactory()), token)


def test_a_blocked_account_cannot_chat_in_the_blockers_channel(streamer, viewer, token_for):
    stream = make_stream(streamer)
    token = token_for(viewer)

    async def scenario():
        socket, _ = await join(stream.pk, token)
        return socket

    # given the viewer is in the chat, then the streamer blocks them
    Block.objects.create(account=streamer, target=viewer)
    # then they can no longer even see the stream (a blocked account is a stranger)
    from tests.live.chat_support import refused_with

    async def refused_scenario():
        assert await refused_with(stream.pk, token) == 4004

    run(refused_scenario)
    # and posting through the service is refused the same way
    from core import errors

    with pytest.raises(errors.NotFound):
        chat.chat_message_post(author=viewer, stream_id=stream.pk, text="hi")


def test_an_ended_stream_refuses_messages(streamer, viewer, token_for):
    stream = make_stream(streamer)
    token = token_for(viewer)

    async def scenario():
        from asgiref.sync import sync_to_async

        socket, _ = await join(stream.pk, token)
        await sync_to_async(services.stream_end)(stream=stream, actor=streamer)
        assert await say(socket, {"type": "message", "text": "hello?"}) == error("stream_ended")
        await socket.disconnect()

    run(scenario)
    assert not ChatMessage.objects.exists()


@pytest.mark.parametrize("standing", ["limited", "suspended"])
def test_a_restricted_account_cannot_chat(streamer, viewer, token_for, standing):
    stream = make_stream(streamer)
    token = token_for(viewer)
    type(viewer).objects.filter(pk=viewer.pk).update(standing=standing)
    viewer.refresh_from_db()
    from core import errors

    with pytest.raises(errors.Forbidden) as refusal:
        chat.chat_message_post(author=viewer, stream_id=stream.pk, text="hi")
    assert refusal.value.code == "account_restricted"
    if standing == "limited":
        refused(stream, token, "account_restricted")
    assert not ChatMessage.objects.exists()


def test_a_blocking_text_check_refuses_the_message_with_its_reason(streamer, viewer, token_for):
    from core import checks

    def no_scams(text):
        return checks.CheckResult(
            checker="test", is_blocking="free crypto" in text, reason="Looks like a scam."
        )

    checks.register(no_scams)
    try:
        stream = make_stream(streamer)
        token = token_for(viewer)

        async def scenario():
            socket, _ = await join(stream.pk, token)
            answer = await say(socket, {"type": "message", "text": "free crypto here"})
            assert answer == error("text_refused")
            assert answer["payload"]["error"] == "Looks like a scam."
            await socket.disconnect()

        run(scenario)
    finally:
        checks.unregister(no_scams)
    assert not ChatMessage.objects.exists()


def test_a_socket_open_when_the_streamer_blocks_its_account_is_closed(
    streamer, viewer, token_for, django_capture_on_commit_callbacks
):
    from asgiref.sync import sync_to_async

    from apps.feed.services.relationships import account_block

    # given a follower reading a followers-only stream's chat, and another account beside it
    from tests.feed.factories import FollowFactory
    from tests.live.chat_support import next_event

    FollowFactory(account=viewer, target=streamer)
    stream = make_stream(streamer, visibility="followers")
    bystander = UserFactory(username="chat_bystander")
    FollowFactory(account=bystander, target=streamer)
    viewer_token, bystander_token = token_for(viewer), token_for(bystander)

    def block():
        with django_capture_on_commit_callbacks(execute=True):
            account_block(account=streamer, target=viewer)

    async def scenario():
        blocked, _ = await join(stream.pk, viewer_token)
        other, _ = await join(stream.pk, bystander_token)

        # when the streamer blocks the follower
        await sync_to_async(block)()

        # then the follower's socket closes as a stream it may not see does (4004)
        closed = await blocked.receive_output(timeout=5)
        assert (closed["type"], closed["code"]) == ("websocket.close", 4004)
        # and the other account's socket stays open and hears the room
        await sync_to_async(chat.chat_message_post)(
            author=streamer, stream_id=stream.pk, text="still here"
        )
        heard = await next_event(other)
        assert (heard["event"], heard["payload"]["text"]) == ("message", "still here")
        await other.disconnect()

    run(scenario)

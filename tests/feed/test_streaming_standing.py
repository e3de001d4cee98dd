"""Streaming refuses a suspended or disabled account's token, WebSocket and SSE alike."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.test import AsyncClient

from apps.accounts import services
from tests.feed.test_streaming import open_stream, refused_with, run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("standing", ["suspended", "disabled"])
def test_a_suspended_or_disabled_accounts_token_opens_no_websocket(alice, token_for, standing):
    # given alice's token, and then moderation's standing on her account
    token = token_for(alice.account, scope="read")
    services.account_standing_set(account_id=alice.account.pk, standing=standing)

    async def scenario():
        # when she connects, then she is refused as with an invalid token
        assert await refused_with(token, "stream=user") == 4001

    run(scenario)


@pytest.mark.parametrize("standing", ["suspended", "disabled"])
def test_a_suspended_or_disabled_accounts_token_opens_no_event_stream(alice, standing):
    services.account_standing_set(account_id=alice.account.pk, standing=standing)

    async def scenario():
        response = await AsyncClient().get(
            "/api/v1/streaming/user", headers={"Authorization": f"Bearer {alice.token}"}
        )
        assert response.status_code == 401
        assert response.json() == {"error": "Invalid access token"}

    async_to_sync(scenario)()


def test_a_limited_accounts_token_still_streams(alice, token_for):
    token = token_for(alice.account, scope="read")
    services.account_standing_set(account_id=alice.account.pk, standing="limited")

    async def scenario():
        communicator = await open_stream(token, "stream=user")
        await communicator.disconnect()

    run(scenario)


def _suspend(member) -> None:
    """Moderation's decision, published and relayed after commit as in production."""
    from django.db import transaction

    from core import events

    with transaction.atomic():
        events.publish(
            events.AccountRestricted(account_id=member.account.pk, restriction="suspended")
        )


@pytest.mark.parametrize("stream", ["user", "public"])
def test_an_open_websocket_closes_when_its_account_is_suspended(alice, token_for, stream):
    token = token_for(alice.account, scope="read")

    async def scenario():
        communicator = await open_stream(token, f"stream={stream}")
        await database_sync_to_async(_suspend)(alice)
        closed = await communicator.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": 4001}

    run(scenario)


def test_an_open_websocket_of_a_limited_account_stays_open(alice, bob, token_for):
    from django.db import transaction

    from core import events

    token = token_for(alice.account, scope="read")

    def limit() -> None:
        with transaction.atomic():
            events.publish(
                events.AccountRestricted(account_id=alice.account.pk, restriction="limited")
            )

    async def scenario():
        communicator = await open_stream(token, "stream=user")
        await database_sync_to_async(limit)()
        assert await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()

    run(scenario)


def test_an_open_event_stream_ends_when_its_account_is_suspended(alice):
    async def scenario():
        response = await AsyncClient().get(
            "/api/v1/streaming/user", headers={"Authorization": f"Bearer {alice.token}"}
        )
        stream = aiter(response.streaming_content)
        first = await asyncio.wait_for(anext(stream), 5)
        assert first.decode().startswith(":")

        await database_sync_to_async(_suspend)(alice)

        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(anext(stream), 5)

    async_to_sync(scenario)()

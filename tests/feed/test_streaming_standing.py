"""Streaming refuses a suspended or disabled account's token, WebSocket and SSE alike."""

import pytest
from asgiref.sync import async_to_sync
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

"""Streaming privacy: a stream never shows anyone what the REST API would not.

Each case ends with a marker status the listener may see: events reach a connection in
order, so when the marker is the first event, nothing sent before it was delivered.
"""

import pytest
from asgiref.sync import sync_to_async

from tests.feed.test_streaming import next_event, open_stream, run

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_private_status_reaches_followers_and_nobody_else(alice, bob, carol, token_for):
    # given bob follows alice; carol does not, and listens to her user and the public stream
    bob.follow(alice)
    bob_token = token_for(bob.account, scope="read")
    carol_token = token_for(carol.account, scope="read")

    async def scenario():
        bob_stream = await open_stream(bob_token, "stream=user")
        carol_user = await open_stream(carol_token, "stream=user")
        carol_public = await open_stream(carol_token, "stream=public")

        # when alice posts for her followers only, then carol posts a public marker
        private = await sync_to_async(alice.post)("followers only #secret", visibility="private")
        marker = await sync_to_async(carol.post)("marker")

        # then bob gets the private status; carol's streams get only her own marker
        event = await next_event(bob_stream)
        assert (event["event"], event["payload"]["id"]) == ("update", private["id"])
        assert (await next_event(carol_user))["payload"]["id"] == marker["id"]
        assert (await next_event(carol_public))["payload"]["id"] == marker["id"]
        for stream in (bob_stream, carol_user, carol_public):
            await stream.disconnect()

    run(scenario)


@pytest.mark.usefixtures("private_mentions_accepted")
def test_a_direct_status_reaches_only_the_mentioned(alice, bob, carol, token_for):
    # given bob follows alice; both bob and carol listen to their user streams
    bob.follow(alice)
    bob_token = token_for(bob.account, scope="read")
    carol_token = token_for(carol.account, scope="read")

    async def scenario():
        bob_stream = await open_stream(bob_token, "stream=user")
        carol_stream = await open_stream(carol_token, "stream=user")

        # when alice sends carol a direct message, then posts publicly
        direct = await sync_to_async(alice.post)("@carol just you", visibility="direct")
        marker = await sync_to_async(alice.post)("marker")

        # then carol gets the mention and the direct status; bob, a follower, only the marker
        mention = await next_event(carol_stream)
        update = await next_event(carol_stream)
        assert (mention["event"], mention["payload"]["type"]) == ("notification", "mention")
        assert (update["event"], update["payload"]["id"]) == ("update", direct["id"])
        assert update["payload"]["visibility"] == "direct"
        assert (await next_event(bob_stream))["payload"]["id"] == marker["id"]
        await bob_stream.disconnect()
        await carol_stream.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    "blocker", ["author", "listener"], ids=["author-blocks-listener", "listener-blocks-author"]
)
def test_a_block_keeps_statuses_off_every_stream(alice, bob, carol, token_for, blocker):
    # given a block between alice and carol, and carol listening to public and #news
    if blocker == "author":
        response = alice.client.post(f"/api/v1/accounts/{carol.id}/block")
    else:
        response = carol.client.post(f"/api/v1/accounts/{alice.id}/block")
    assert response.status_code == 200
    token = token_for(carol.account, scope="read")

    async def scenario():
        stream = await open_stream(token, "stream=public")
        await stream.send_json_to({"type": "subscribe", "stream": "hashtag", "tag": "news"})

        # when alice posts publicly with the tag, then bob posts a marker
        await sync_to_async(alice.post)("big #news")
        marker = await sync_to_async(bob.post)("marker")

        # then carol receives only bob's marker
        event = await next_event(stream)
        assert (event["stream"], event["payload"]["id"]) == (["public"], marker["id"])
        await stream.disconnect()

    run(scenario)


def test_a_muted_account_stays_out_of_the_home_stream(alice, bob, token_for):
    # given bob follows alice but mutes her
    bob.follow(alice)
    response = bob.client.post(f"/api/v1/accounts/{alice.id}/mute")
    assert response.status_code == 200
    token = token_for(bob.account, scope="read")

    async def scenario():
        stream = await open_stream(token, "stream=user")

        # when alice posts, then bob posts himself
        await sync_to_async(alice.post)("muted words")
        marker = await sync_to_async(bob.post)("marker")

        # then bob's stream shows only his own status
        assert (await next_event(stream))["payload"]["id"] == marker["id"]
        await stream.disconnect()

    run(scenario)


def test_a_blocked_accounts_notification_is_not_streamed(alice, bob, carol, token_for):
    # given alice blocks bob and listens to her notifications
    assert alice.client.post(f"/api/v1/accounts/{bob.id}/block").status_code == 200
    posted = alice.post("hello")
    token = token_for(alice.account, scope="read")

    async def scenario():
        stream = await open_stream(token, "stream=user:notification")

        # when bob tries to favourite her status and carol follows her
        response = await sync_to_async(bob.client.post)(
            f"/api/v1/statuses/{posted['id']}/favourite"
        )
        await sync_to_async(carol.follow)(alice)

        # then bob was refused and only carol's follow is streamed
        assert response.status_code == 404
        event = await next_event(stream)
        assert (event["payload"]["type"], event["payload"]["account"]["id"]) == ("follow", carol.id)
        await stream.disconnect()

    run(scenario)

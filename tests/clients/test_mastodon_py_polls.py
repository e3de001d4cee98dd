"""The real Mastodon client library (Mastodon.py) posts a poll, votes in it, and reads it.

Mastodon.py sends a poll as form fields (``poll[options][]``, ``poll[expires_in]``, ...)
and votes as ``choices[]``, the way most Mastodon apps do; this runs against
pytest-django's live server (WSGI).
"""

import pytest
from mastodon import Mastodon, MastodonAPIError

from tests.accounts.factories import AccessTokenFactory, UserFactory

SCOPES = "read write follow push"


def client_for(user, base_url: str) -> Mastodon:
    token = AccessTokenFactory(user=user, scope=SCOPES).token
    return Mastodon(access_token=token, api_base_url=base_url, version_check_mode="none")


@pytest.fixture
def two_clients(live_server, transactional_db):
    ann = UserFactory(username="ann")
    ben = UserFactory(username="ben")
    return client_for(ann, live_server.url), client_for(ben, live_server.url)


def test_a_poll_is_posted_voted_in_and_read_as_mastodon_py_does(two_clients):
    ann, ben = two_clients

    # ann posts a multiple-choice poll
    poll = ann.make_poll(["tea", "coffee", "water"], expires_in=3600, multiple=True)
    status = ann.status_post("What do you drink?", poll=poll)
    assert [option["title"] for option in status["poll"]["options"]] == [
        "tea",
        "coffee",
        "water",
    ]

    # ben votes for two options, then reads the poll back
    voted = ben.poll_vote(status["poll"]["id"], [0, 2])
    read = ben.poll(status["poll"]["id"])

    assert (voted["voted"], voted["own_votes"], voted["votes_count"]) == (True, [0, 2], 2)
    assert read["voters_count"] == 1
    assert [option["votes_count"] for option in read["options"]] == [1, 0, 1]

    # a second vote and a vote in one's own poll are refused with Mastodon's messages
    with pytest.raises(MastodonAPIError, match="already voted"):
        ben.poll_vote(status["poll"]["id"], [1])
    with pytest.raises(MastodonAPIError, match="own polls"):
        ann.poll_vote(status["poll"]["id"], [1])

    # ben's timeline shows the status with his votes
    (shown,) = ben.timeline_public()
    assert shown["poll"]["own_votes"] == [0, 2]

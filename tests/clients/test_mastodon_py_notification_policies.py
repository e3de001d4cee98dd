"""Mastodon.py reads and changes the notification policy, and works through the requests it
fills (Mastodon 4.3's ``/api/v2/notifications/policy`` and ``/api/v1/notifications/requests``)."""

import pytest
from mastodon import Mastodon

from tests.accounts.factories import AccessTokenFactory, UserFactory

SCOPES = "read write follow push"


def client_for(user, base_url: str) -> Mastodon:
    token = AccessTokenFactory(user=user, scope=SCOPES).token
    return Mastodon(access_token=token, api_base_url=base_url, version_check_mode="none")


@pytest.fixture
def three_clients(live_server, transactional_db):
    return [
        client_for(UserFactory(username=name), live_server.url) for name in ("ann", "ben", "cy")
    ]


def test_the_policy_as_mastodon_py_reads_and_changes_it(three_clients):
    ann, _ben, _cy = three_clients

    policy = ann.notifications_policy()
    assert policy.for_private_mentions == "filter"
    assert policy.for_not_following == "accept"
    assert policy.summary.pending_requests_count == 0

    changed = ann.update_notifications_policy(for_not_following="drop", for_new_accounts="filter")
    assert (changed.for_not_following, changed.for_new_accounts) == ("drop", "filter")
    assert ann.notifications_policy().for_not_following == "drop"


def test_requests_as_mastodon_py_accepts_and_dismisses_them(three_clients):
    ann, ben, cy = three_clients

    # ben and cy, strangers to ann, write to her privately: both wait in requests
    ben.status_post("@ann hello", visibility="direct")
    cy.status_post("@ann hi there", visibility="direct")
    assert ann.notifications() == []
    requests = ann.notification_requests()
    assert [r.account.acct for r in requests] == ["cy", "ben"]
    from_cy, from_ben = requests
    assert str(ann.notification_request(from_ben.id).id) == str(from_ben.id)
    assert ann.notifications_policy().summary.pending_requests_count == 2

    # accepting ben's brings his mention into the list; dismissing cy's drops hers
    ann.accept_notification_request(from_ben.id)
    assert ann.notifications_merged() is True
    assert [n.account.acct for n in ann.notifications()] == ["ben"]
    ann.dismiss_notification_request(from_cy.id)
    assert ann.notification_requests() == []

    # in bulk: a new request from cy, accepted with accept_multiple
    cy.status_post("@ann again", visibility="direct")
    (again,) = ann.notification_requests()
    ann.accept_multiple_notification_requests([again.id])
    assert ann.notification_requests() == []
    assert sorted(n.account.acct for n in ann.notifications()) == ["ben", "cy"]

"""Lists and filters (v2) driven by the real Mastodon client library (Mastodon.py), with
its own methods: ``list_create``, ``list_accounts_add``, ``timeline_list``,
``list_update``, ``create_filter_v2``, ``update_filter_v2``, ``delete_filter_v2``.

Mastodon.py sends form fields (``account_ids[]``, ``context[]``,
``keywords_attributes[][keyword]``); masto.js sends the same calls as JSON
(tests/clients/test_masto_js.py). This runs against pytest-django's live server (WSGI).
"""

import pytest
from mastodon import MastodonAPIError, MastodonNotFoundError

from tests.accounts.factories import UserFactory
from tests.clients.test_mastodon_py_feed import client_for


@pytest.fixture
def three_clients(live_server, transactional_db):
    return tuple(
        client_for(UserFactory(username=name), live_server.url) for name in ("ann", "ben", "cat")
    )


def ids(items) -> list[str]:
    return [str(item["id"]) for item in items]


def test_a_list_is_created_filled_read_changed_and_deleted(three_clients):
    ann, ben, cat = three_clients
    ben_id, cat_id = str(ben.me()["id"]), str(cat.me()["id"])
    ann.account_follow(ben_id)

    # ann makes a list of ben and reads it
    created = ann.list_create("Friends", replies_policy="followed")
    ann.list_accounts_add(created["id"], [ben_id])
    posted = ben.status_post("for the list")

    assert (created["title"], created["replies_policy"], created["exclusive"]) == (
        "Friends",
        "followed",
        False,
    )
    assert [account["acct"] for account in ann.list_accounts(created["id"])] == ["ben"]
    assert ids(ann.timeline_list(created["id"])) == [str(posted["id"])]
    assert ids(ann.account_lists(ben_id)) == [str(created["id"])]

    # an account ann does not follow cannot join; the list is unchanged
    with pytest.raises(MastodonAPIError) as refused:
        ann.list_accounts_add(created["id"], [cat_id])
    assert refused.value.args[1] == 422
    assert [account["acct"] for account in ann.list_accounts(created["id"])] == ["ben"]

    # an unknown replies policy is refused; the list is unchanged
    with pytest.raises(MastodonAPIError) as invalid:
        ann.list_update(created["id"], "Friends", replies_policy="everyone")
    assert invalid.value.args[1] == 422
    assert ann.list(created["id"])["replies_policy"] == "followed"

    # the list is renamed, made exclusive and emptied; nobody else sees it
    updated = ann.list_update(created["id"], "Close friends", replies_policy="none", exclusive=True)
    assert (updated["title"], updated["replies_policy"], updated["exclusive"]) == (
        "Close friends",
        "none",
        True,
    )
    assert ann.list(created["id"])["exclusive"] is True
    with pytest.raises(MastodonNotFoundError):
        ben.list(created["id"])
    ann.list_accounts_delete(created["id"], [ben_id])
    assert ann.list_accounts(created["id"]) == []

    # and deleted
    ann.list_delete(created["id"])
    assert ann.lists() == []
    with pytest.raises(MastodonNotFoundError):
        ann.list(created["id"])


def test_a_keyword_filter_marks_hides_and_releases_a_status_in_home(three_clients):
    ann, ben, _cat = three_clients
    ann.account_follow(str(ben.me()["id"]))

    # ann filters "finale" with a warning
    created = ann.create_filter_v2(
        "Spoilers",
        ["home", "public"],
        "warn",
        keywords_attributes=[{"keyword": "finale", "whole_word": True}],
    )
    matching = ben.status_post("The finale was something")
    plain = ben.status_post("Nothing to hide here")

    assert (created["title"], created["context"], created["filter_action"]) == (
        "Spoilers",
        ["home", "public"],
        "warn",
    )
    assert [(k["keyword"], k["whole_word"]) for k in created["keywords"]] == [("finale", True)]
    home = {str(status["id"]): status for status in ann.timeline_home()}
    (result,) = home[str(matching["id"])]["filtered"]
    assert (str(result["filter"]["id"]), result["filter"]["filter_action"]) == (
        str(created["id"]),
        "warn",
    )
    assert result["keyword_matches"] == ["finale"]
    assert home[str(plain["id"])]["filtered"] == []

    # a second keyword, through the keyword endpoint
    ann.add_filter_keyword_v2(created["id"], "spoiler", whole_word=False)
    assert sorted(k["keyword"] for k in ann.filter_keywords_v2(created["id"])) == [
        "finale",
        "spoiler",
    ]

    # an unknown action is refused and nothing changes
    with pytest.raises(MastodonAPIError) as refused:
        ann.create_filter_v2("Broken", ["home"], "explode")
    assert refused.value.args[1] == 422
    assert ids(ann.filters_v2()) == [str(created["id"])]

    # "hide" takes the status out of home
    hidden = ann.update_filter_v2(created["id"], filter_action="hide")
    assert hidden["filter_action"] == "hide"
    assert ids(ann.timeline_home()) == [str(plain["id"])]

    # deleting the filter brings it back, unmarked
    ann.delete_filter_v2(created["id"])
    assert ann.filters_v2() == []
    home = {str(status["id"]): status for status in ann.timeline_home()}
    assert home[str(matching["id"])]["filtered"] == []
    with pytest.raises(MastodonNotFoundError):
        ann.filter_v2(created["id"])

"""Every cursor-paged list answers with Mastodon's ``Link`` header, and following it walks the list.

Lists paged by the rows that link their items (favourites, bookmarks, followers,
blocks) take their cursors from those rows, not from the items: following
``rel="next"`` must reach every item once, whatever order the items have.
"""

import re

import pytest


def _two_home_statuses(alice, bob, carol):
    alice.follow(bob)
    bob.post("one")
    bob.post("two")


def _two_favourites(alice, bob, carol):
    older, newer = bob.post("one"), bob.post("two")
    # Favourited in the other order than posted: the cursor is the favourite's row.
    alice.client.post(f"/api/v1/statuses/{newer['id']}/favourite")
    alice.client.post(f"/api/v1/statuses/{older['id']}/favourite")


def _two_bookmarks(alice, bob, carol):
    older, newer = bob.post("one"), bob.post("two")
    alice.client.post(f"/api/v1/statuses/{newer['id']}/bookmark")
    alice.client.post(f"/api/v1/statuses/{older['id']}/bookmark")


def _two_notifications(alice, bob, carol):
    bob.follow(alice)
    carol.follow(alice)


def _two_followers(alice, bob, carol):
    carol.follow(alice)
    bob.follow(alice)


def _two_blocks(alice, bob, carol):
    alice.client.post(f"/api/v1/accounts/{carol.id}/block")
    alice.client.post(f"/api/v1/accounts/{bob.id}/block")


LISTS = [
    pytest.param("/api/v1/timelines/home", _two_home_statuses, id="home"),
    pytest.param("/api/v1/favourites", _two_favourites, id="favourites"),
    pytest.param("/api/v1/bookmarks", _two_bookmarks, id="bookmarks"),
    pytest.param("/api/v1/notifications", _two_notifications, id="notifications"),
    pytest.param("/api/v1/accounts/{alice}/followers", _two_followers, id="followers"),
    pytest.param("/api/v1/blocks", _two_blocks, id="blocks"),
]


def _links(response) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response["Link"])}


@pytest.mark.parametrize(("path", "given"), LISTS)
def test_following_next_walks_the_whole_list_once(alice, bob, carol, path, given):
    # Given two items in alice's list
    given(alice, bob, carol)
    url = path.format(alice=alice.id)

    # When she reads it one item at a time, following rel="next"
    first = alice.client.get(url, {"limit": 1})
    links = _links(first)
    second = alice.client.get(links["next"])
    end = alice.client.get(_links(second)["next"])

    # Then each page holds one item, the two differ, and the list ends without a Link
    assert first.status_code == second.status_code == end.status_code == 200
    assert set(links) == {"next", "prev"}
    assert "limit=1" in links["next"]
    assert "max_id=" in links["next"]
    assert "min_id=" in links["prev"]
    assert len(first.json()) == len(second.json()) == 1
    assert first.json()[0]["id"] != second.json()[0]["id"]
    assert end.json() == []
    assert "Link" not in end

"""Pages of accounts render through the content-keyed entity cache: read once, never stale."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from apps.accounts.entities import account_key, deployed
from apps.accounts.models import Standing, User
from tests.feed.conftest import Member


def _notifications(member: Member) -> list[dict]:
    response = member.client.get("/api/v1/notifications")
    assert response.status_code == 200, response.json()
    return response.json()


def _followers(member: Member) -> list[dict]:
    response = member.client.get(f"/api/v1/accounts/{member.id}/followers")
    assert response.status_code == 200, response.json()
    return response.json()


def _blocks(member: Member) -> list[dict]:
    response = member.client.get("/api/v1/blocks")
    assert response.status_code == 200, response.json()
    return response.json()


def _cached_key(member: Member) -> str:
    account = User.objects.get(pk=member.account.pk)
    return account_key(account, deployed=deployed())


def test_a_page_of_accounts_is_read_from_the_cache(alice, bob):
    # given bob follows alice, and alice has read her notifications and followers once
    bob.follow(alice)
    assert [n["account"]["id"] for n in _notifications(alice)] == [bob.id]
    assert [a["id"] for a in _followers(alice)] == [bob.id]

    # when the entity cached for bob's row is marked
    key = _cached_key(bob)
    entity = cache.get(key)
    assert entity is not None
    assert entity["username"] == "bob"
    cache.set(key, {**entity, "display_name": "from the cache"})

    # then both pages show the cached entity instead of rendering bob again
    assert _notifications(alice)[0]["account"]["display_name"] == "from the cache"
    assert _followers(alice)[0]["display_name"] == "from the cache"


def test_a_cached_account_follows_profile_and_counter_changes_at_once(alice, bob, carol):
    # given bob follows alice and alice's pages of bob are cached
    bob.follow(alice)
    cold_notifications, cold_followers = _notifications(alice), _followers(alice)
    assert _notifications(alice) == cold_notifications  # the warm read renders the same
    assert _followers(alice) == cold_followers

    # when bob renames himself and carol follows him
    renamed = bob.client.patch(
        "/api/v1/accounts/update_credentials", {"display_name": "Robert"}, format="json"
    )
    assert renamed.status_code == 200
    carol.follow(bob)

    # then alice's next reads show both
    for shown in (_notifications(alice)[0]["account"], _followers(alice)[0]):
        assert shown["display_name"] == "Robert"
        assert shown["followers_count"] == cold_followers[0]["followers_count"] + 1


@pytest.mark.parametrize("standing", [Standing.LIMITED, Standing.SUSPENDED])
def test_a_standing_that_ends_with_the_clock_ends_in_the_cached_entity(alice, bob, standing):
    # given alice blocked bob, then bob is limited or suspended for five minutes
    assert alice.client.post(f"/api/v1/accounts/{bob.id}/block").status_code == 200
    User.objects.filter(pk=bob.account.pk).update(
        display_name="Bob B",
        standing=standing,
        standing_until=timezone.now() + dt.timedelta(minutes=5),
    )
    (during,) = _blocks(alice)
    assert during[standing.value] is True
    assert during["display_name"] == ("" if standing == Standing.SUSPENDED else "Bob B")

    # when the five minutes pass, with nothing written to bob's row
    later = timezone.now() + dt.timedelta(minutes=10)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: later)
        (after,) = _blocks(alice)

    # then the entity is bob's own again, profile and all
    assert standing.value not in after
    assert after["display_name"] == "Bob B"


def _public(member: Member) -> list[dict]:
    response = member.client.get("/api/v1/timelines/public")
    assert response.status_code == 200, response.json()
    return response.json()


def test_a_status_rendered_afresh_takes_its_authors_entity_from_the_cache(alice, bob):
    # given bob posted, alice boosted his post, and no page of statuses was read
    bob.follow(alice)
    posted = bob.post("hello")
    boosted = alice.client.post(f"/api/v1/statuses/{posted['id']}/reblog")
    assert boosted.status_code == 200, boosted.json()

    # when bob's entity is cached (alice reads him as a follower) and marked there
    _followers(alice)
    key = _cached_key(bob)
    cache.set(key, {**cache.get(key), "display_name": "from the cache"})

    # then the pages, rendering both statuses for the first time, show the cached entity
    (original,) = _public(alice)
    assert original["id"] == posted["id"]
    assert original["account"]["display_name"] == "from the cache"
    response = alice.client.get(f"/api/v1/accounts/{alice.id}/statuses")
    assert response.status_code == 200, response.json()
    (reblog,) = response.json()
    assert reblog["reblog"]["account"]["display_name"] == "from the cache"
    assert reblog["account"]["username"] == "alice"


def test_a_status_page_caches_the_entities_of_its_authors(alice, bob):
    # given bob posted and no account entity is cached
    bob.post("hello")
    cache.clear()

    # when alice reads the public timeline
    (status,) = _public(alice)

    # then bob's entity was rendered through the account cache, as pages of accounts are
    assert cache.get(_cached_key(bob)) == status["account"]


def test_the_default_images_follow_the_static_url(alice, bob, settings):
    # given alice has read bob's default avatar once
    bob.follow(alice)
    (before,) = _followers(alice)
    assert "/static/" in before["avatar"]

    # when the static files move
    settings.STATIC_URL = "/assets/"
    cache.clear()

    # then the next rendering shows them where they are now
    (after,) = _followers(alice)
    assert "/assets/" in after["avatar"]
    assert "/assets/" in after["header_static"]

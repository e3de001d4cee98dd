"""Status lists render through the content-keyed entity cache: never stale, flags per viewer."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.models import Standing, User
from tests.feed.conftest import Member


def _home(member: Member) -> list[dict]:
    response = member.client.get("/api/v1/timelines/home")
    assert response.status_code == 200, response.json()
    return response.json()


def test_a_cached_entity_follows_edits_counters_profiles_and_reblogs(alice, bob, carol):
    # given alice follows bob, whose status and carol's reblog of it alice has read once
    alice.follow(bob)
    alice.follow(carol)
    status = bob.post("first draft")
    reblog = carol.client.post(f"/api/v1/statuses/{status['id']}/reblog")
    assert reblog.status_code == 200
    first = _home(alice)
    assert [s["id"] for s in first] == [reblog.json()["id"], status["id"]]

    # when bob edits it, carol favourites it and bob renames himself
    edited = bob.client.put(f"/api/v1/statuses/{status['id']}", {"status": "final"}, format="json")
    assert edited.status_code == 200
    assert carol.client.post(f"/api/v1/statuses/{status['id']}/favourite").status_code == 200
    renamed = bob.client.patch(
        "/api/v1/accounts/update_credentials", {"display_name": "Robert"}, format="json"
    )
    assert renamed.status_code == 200

    # then alice's next read shows all of it, in the status and inside the reblog
    shown_reblog, shown_status = _home(alice)
    for entity in (shown_status, shown_reblog["reblog"]):
        assert entity["content"] == "<p>final</p>"
        assert entity["favourites_count"] == 1
        assert entity["reblogs_count"] == 1
        assert entity["account"]["display_name"] == "Robert"
        assert entity["edited_at"] is not None


def test_viewer_flags_are_the_readers_own_though_the_entity_is_shared(alice, bob, carol):
    # given bob's status, favourited and bookmarked by alice, read by alice then carol
    alice.follow(bob)
    carol.follow(bob)
    status = bob.post("shared")
    assert alice.client.post(f"/api/v1/statuses/{status['id']}/favourite").status_code == 200
    assert alice.client.post(f"/api/v1/statuses/{status['id']}/bookmark").status_code == 200

    # when both read their home timeline (the second read comes from the cache)
    (for_alice,) = _home(alice)
    (for_carol,) = _home(carol)

    # then each sees their own flags and the same shared content
    assert (for_alice["favourited"], for_alice["bookmarked"], for_alice["reblogged"]) == (
        True,
        True,
        False,
    )
    assert (for_carol["favourited"], for_carol["bookmarked"], for_carol["reblogged"]) == (
        False,
        False,
        False,
    )
    assert {k: v for k, v in for_alice.items() if k not in ("favourited", "bookmarked")} == {
        k: v for k, v in for_carol.items() if k not in ("favourited", "bookmarked")
    }


def test_a_cached_status_shows_the_default_images_a_deploy_brings(alice, bob, settings):
    # given alice has read bob's status, bob with no avatar or header of his own
    alice.follow(bob)
    bob.post("hello")
    (before,) = _home(alice)
    assert "/static/" in before["account"]["avatar"]

    # when a deploy serves the static files from elsewhere (collectstatic's new hashes)
    settings.STATIC_URL = "/static-next/"

    # then the next read embeds the new URLs, not the cached ones
    (after,) = _home(alice)
    for image in ("avatar", "avatar_static", "header", "header_static"):
        assert "/static-next/" in after["account"][image], after["account"][image]


def test_a_limit_that_ends_with_the_clock_ends_in_a_cached_status(alice, bob):
    # given alice follows bob, who is limited for five minutes after posting
    alice.follow(bob)
    bob.post("hello")
    User.objects.filter(pk=bob.account.pk).update(
        standing=Standing.LIMITED, standing_until=timezone.now() + dt.timedelta(minutes=5)
    )
    (during,) = _home(alice)
    assert during["account"]["limited"] is True

    # when the five minutes pass, with nothing written to bob's row
    later = timezone.now() + dt.timedelta(minutes=10)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: later)
        (after,) = _home(alice)

    # then the embedded account is no longer limited
    assert "limited" not in after["account"]

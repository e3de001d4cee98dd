"""Account standing, as a client reaches it: moderation suspends, limits and lifts an account.

Moderation acts through ``POST /api/v1/admin/accounts/:id/action``, which publishes
``AccountRestricted``; accounts records the standing, and every layer reads it there.
"""

import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_refresh_token_model,
)
from PIL import Image

from apps.accounts import services
from apps.accounts.models import Standing, StandingSource, User
from apps.feed.models import Follow, Status
from core import events
from tests.accounts.factories import DEFAULT_PASSWORD, AccessTokenFactory, ApplicationFactory
from tests.feed.conftest import alice, bob, carol  # noqa: F401
from tests.moderation.conftest import admin_api, moderator  # noqa: F401

pytestmark = pytest.mark.django_db

DISABLED = {"error": "Your login is currently disabled"}
SECRET = "app-secret-for-standing-tests"  # noqa: S105


@pytest.fixture
def act(admin_api, django_capture_on_commit_callbacks):  # noqa: F811
    """``act(member, "suspend")``: a moderator's admin account action, delivered on commit."""

    def post(member, kind: str, text: str = "") -> None:
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_api.post(
                f"/api/v1/admin/accounts/{member.id}/action",
                {"type": kind, "text": text},
                format="json",
            )
        assert response.status_code == 200, response.json()

    return post


@pytest.fixture
def restrict(django_capture_on_commit_callbacks):
    """``restrict(member, "none")``: moderation publishes AccountRestricted (as strike expiry does)."""

    def publish(member, restriction: str, **extra) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            events.publish(
                events.AccountRestricted(
                    account_id=member.account.pk, restriction=restriction, **extra
                )
            )

    return publish


def png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "red.png"
    return buffer


def writes(member, target, post_id: str) -> dict[str, object]:
    """Every kind of write a client makes, each answered."""
    client = member.client
    return {
        "follow": client.post(f"/api/v1/accounts/{target.id}/follow"),
        "favourite": client.post(f"/api/v1/statuses/{post_id}/favourite"),
        "status": client.post("/api/v1/statuses", {"status": "still here"}, format="json"),
        "media": client.post("/api/v2/media", {"file": png()}, format="multipart"),
        "profile": client.patch(
            "/api/v1/accounts/update_credentials", {"display_name": "Changed"}, format="json"
        ),
    }


def reads(member, target) -> dict[str, object]:
    client = member.client
    return {
        "verify_credentials": client.get("/api/v1/accounts/verify_credentials"),
        "home": client.get("/api/v1/timelines/home"),
        "account": client.get(f"/api/v1/accounts/{target.id}"),
    }


# --- suspended: the token stops working, no new token -------------------------------


def test_after_moderations_suspend_the_old_token_is_refused_for_reads_and_writes(
    alice,  # noqa: F811
    bob,  # noqa: F811
    act,
):
    post = bob.post("hello")

    act(alice, "suspend", "Spam.")

    answers = {**reads(alice, bob), **writes(alice, bob, post["id"])}
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 403)
    assert {name: r.json() for name, r in answers.items()} == dict.fromkeys(answers, DISABLED)
    # Nothing was written, so a client's retry posts nothing either.
    assert not Status.objects.filter(account=alice.account).exists()
    assert not Follow.objects.filter(account=alice.account).exists()
    account = User.objects.get(pk=alice.account.pk)
    assert account.display_name == "Alice"
    assert (account.standing, account.standing_source, account.standing_reason) == (
        Standing.SUSPENDED,
        StandingSource.MODERATION,
        "Spam.",
    )


@pytest.mark.parametrize("kind", ["suspend", "disable"])
def test_a_suspended_or_disabled_account_gets_no_new_token(alice, act, kind):  # noqa: F811
    app = ApplicationFactory(client_secret=SECRET)
    refresh_token = "refresh-before-suspension"  # noqa: S105
    access = AccessTokenFactory(user=alice.account, application=app)
    get_refresh_token_model().objects.create(
        user=alice.account, application=app, token=refresh_token, access_token=access
    )
    grant = get_grant_model().objects.create(
        user=alice.account,
        application=app,
        code="code-before-suspension",
        redirect_uri="urn:ietf:wg:oauth:2.0:oob",
        scope="read",
        expires=timezone.now() + dt.timedelta(minutes=5),
        code_challenge="",
    )
    act(alice, kind)
    tokens_before = get_access_token_model().objects.count()
    credentials = {"client_id": app.client_id, "client_secret": SECRET}
    web = Client()

    answers = {
        "password": web.post(
            "/oauth/token",
            {
                "grant_type": "password",
                "username": alice.account.email,
                "password": DEFAULT_PASSWORD,
                **credentials,
            },
        ),
        "refresh_token": web.post(
            "/oauth/token",
            {"grant_type": "refresh_token", "refresh_token": refresh_token, **credentials},
        ),
        "authorization_code": web.post(
            "/oauth/token",
            {
                "grant_type": "authorization_code",
                "code": grant.code,
                "redirect_uri": grant.redirect_uri,
                **credentials,
            },
        ),
    }

    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 400)
    assert {name: r.json() for name, r in answers.items()} == dict.fromkeys(
        answers,
        {"error": "invalid_grant", "error_description": "Your login is currently disabled"},
    )
    assert get_access_token_model().objects.count() == tokens_before


def test_refusing_a_suspended_accounts_token_costs_no_extra_query(
    alice,  # noqa: F811
    act,
    django_assert_num_queries,
):
    act(alice, "suspend")

    # The token and its account come in one query; the standing is a column of it.
    with django_assert_num_queries(1):
        response = alice.client.get("/api/v1/accounts/verify_credentials")
    assert response.status_code == 403


# --- lifting, expiry, idempotence ---------------------------------------------------


def test_lifting_the_suspension_restores_everything(alice, bob, act, restrict):  # noqa: F811
    post = bob.post("hello")
    act(alice, "suspend")

    restrict(alice, "none")

    answers = {**reads(alice, bob), **writes(alice, bob, post["id"])}
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 200)
    assert User.objects.get(pk=alice.account.pk).standing == Standing.NONE


def test_a_standing_whose_until_has_passed_counts_as_none(alice, bob, restrict):  # noqa: F811
    restrict(alice, "suspended", until=(timezone.now() - dt.timedelta(minutes=1)).isoformat())
    account = User.objects.get(pk=alice.account.pk)

    assert account.standing == Standing.SUSPENDED
    assert account.standing_in_force == Standing.NONE
    assert account.is_able_to_act
    assert alice.client.get("/api/v1/accounts/verify_credentials").status_code == 200
    assert alice.post("still allowed")["content"]
    assert User.objects.with_standing(Standing.NONE).filter(pk=account.pk).exists()
    assert not User.objects.with_standing(Standing.SUSPENDED).filter(pk=account.pk).exists()


def test_a_standing_until_the_future_is_in_force(alice, restrict):  # noqa: F811
    restrict(alice, "suspended", until=(timezone.now() + dt.timedelta(days=1)).isoformat())

    assert alice.client.get("/api/v1/accounts/verify_credentials").status_code == 403
    assert User.objects.with_standing(Standing.SUSPENDED).filter(pk=alice.account.pk).exists()


def test_setting_a_standing_twice_changes_nothing_the_second_time(alice):  # noqa: F811
    first = services.account_standing_set(
        account_id=alice.account.pk, standing="suspended", reason="Spam."
    )
    again = services.account_standing_set(
        account_id=alice.account.pk, standing="suspended", reason="Spam."
    )

    assert first.standing_changed_at == again.standing_changed_at
    assert again.standing == Standing.SUSPENDED


def test_a_suspension_delivered_after_the_lift_that_followed_it_changes_nothing(alice, restrict):  # noqa: F811
    suspended_at = timezone.now() - dt.timedelta(minutes=5)
    lifted_at = suspended_at + dt.timedelta(minutes=1)
    restrict(alice, "suspended", reason="Spam.", decided_at=suspended_at.isoformat())
    restrict(alice, "none", decided_at=lifted_at.isoformat())

    # The outbox redelivers the earlier suspension late (at least once, in no set order).
    restrict(alice, "suspended", reason="Spam.", decided_at=suspended_at.isoformat())

    account = User.objects.get(pk=alice.account.pk)
    assert (account.standing, account.standing_changed_at) == (Standing.NONE, lifted_at)
    assert alice.client.get("/api/v1/accounts/verify_credentials").status_code == 200


def test_a_newer_decision_replaces_an_older_one(alice, restrict):  # noqa: F811
    earlier = timezone.now() - dt.timedelta(minutes=5)
    restrict(alice, "limited", decided_at=earlier.isoformat())

    restrict(alice, "suspended", decided_at=(earlier + dt.timedelta(seconds=1)).isoformat())

    assert User.objects.get(pk=alice.account.pk).standing == Standing.SUSPENDED


@pytest.mark.parametrize(
    ("restriction", "expected"),
    [
        pytest.param("limit", Standing.LIMITED, id="limit"),
        pytest.param("suspend", Standing.SUSPENDED, id="suspend"),
        pytest.param("disable", Standing.DISABLED, id="disable"),
        pytest.param("limited", Standing.LIMITED, id="limited"),
    ],
)
def test_events_recorded_under_the_old_names_still_apply(alice, restrict, restriction, expected):  # noqa: F811
    restrict(alice, restriction)

    assert User.objects.get(pk=alice.account.pk).standing == expected


def test_an_unknown_standing_changes_nothing(alice):  # noqa: F811
    with pytest.raises(ValueError, match="explode"):
        services.account_standing_set(account_id=alice.account.pk, standing="explode")

    assert User.objects.get(pk=alice.account.pk).standing == Standing.NONE


def test_the_standing_of_an_unknown_account_is_ignored(db):
    assert services.account_standing_set(account_id=999_999, standing="suspended") is None


# --- limited: keeps acting -----------------------------------------------------------


def test_a_limited_account_keeps_acting(alice, bob, act):  # noqa: F811
    post = bob.post("hello")

    act(alice, "silence")

    answers = writes(alice, bob, post["id"])
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 200)
    assert User.objects.get(pk=alice.account.pk).standing == Standing.LIMITED


# --- as others see it ---------------------------------------------------------------


def test_others_see_a_suspended_account_as_mastodon_shows_one(
    alice,  # noqa: F811
    bob,  # noqa: F811
    carol,  # noqa: F811
    act,
    restrict,
):
    # given a profile with content, followers, a followed account and a post
    alice.client.patch(
        "/api/v1/accounts/update_credentials",
        {"note": "about me", "fields_attributes": [{"name": "site", "value": "example.com"}]},
        format="json",
    )
    bob.follow(alice)
    alice.follow(carol)
    post = alice.post("hello #news")
    before = bob.client.get(f"/api/v1/accounts/{alice.id}").json()
    assert "suspended" not in before

    # when moderation suspends it
    act(alice, "suspend")

    # then others see Mastodon's suspended account, emptied
    entity = bob.client.get(f"/api/v1/accounts/{alice.id}").json()
    assert entity["suspended"] is True
    assert (entity["display_name"], entity["note"], entity["fields"], entity["emojis"]) == (
        "",
        "",
        [],
        [],
    )
    assert entity["avatar"].endswith("/accounts/avatar.png")
    assert entity["header"].endswith("/accounts/header.png")
    counts = ("followers_count", "following_count", "statuses_count")
    assert [entity[name] for name in counts] == [0, 0, 0]
    assert entity["username"] == "alice"
    looked_up = bob.client.get("/api/v1/accounts/lookup", {"acct": "alice"}).json()
    assert looked_up["suspended"] is True
    for path in ("statuses", "followers", "following"):
        response = bob.client.get(f"/api/v1/accounts/{alice.id}/{path}")
        assert (path, response.status_code, response.json()) == (path, 200, [])
    assert bob.client.get(f"/api/v1/statuses/{post['id']}").status_code == 404
    assert carol.client.get(f"/api/v1/accounts/{carol.id}/followers").json() == []
    assert carol.client.post(f"/api/v1/accounts/{alice.id}/follow").status_code == 404
    assert not Follow.objects.filter(account=carol.account).exists()
    found = bob.client.get("/api/v2/search", {"q": "alice", "type": "accounts"}).json()
    assert found["accounts"] == []

    # and lifting restores everything
    restrict(alice, "none")
    entity = bob.client.get(f"/api/v1/accounts/{alice.id}").json()
    assert "suspended" not in entity
    assert (entity["note"], entity["followers_count"], entity["statuses_count"]) == (
        before["note"],
        1,
        1,
    )
    assert [s["id"] for s in bob.client.get(f"/api/v1/accounts/{alice.id}/statuses").json()] == [
        post["id"]
    ]
    assert bob.client.get(f"/api/v1/statuses/{post['id']}").status_code == 200
    found = bob.client.get("/api/v2/search", {"q": "alice", "type": "accounts"}).json()
    assert [a["id"] for a in found["accounts"]] == [alice.id]


def test_a_limited_account_shows_limited_and_reaches_only_its_followers(
    alice,  # noqa: F811
    bob,  # noqa: F811
    carol,  # noqa: F811
    act,
):
    bob.follow(alice)

    act(alice, "silence")
    post = alice.post("still posting #news")

    entity = carol.client.get(f"/api/v1/accounts/{alice.id}").json()
    assert entity["limited"] is True
    assert "suspended" not in entity
    assert entity["display_name"] == "Alice"
    assert bob.client.get(f"/api/v1/statuses/{post['id']}").status_code == 200
    assert carol.client.get(f"/api/v1/statuses/{post['id']}").status_code == 404
    assert post["id"] in [s["id"] for s in bob.client.get("/api/v1/timelines/home").json()]
    assert carol.client.get("/api/v1/timelines/public").json() == []

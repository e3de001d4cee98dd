"""Polls as Mastodon 4.5 has them: created with a status (JSON or form fields), read at
``/api/v1/polls/:id``, voted at ``/api/v1/polls/:id/votes``, edited with the status,
shown in Status entities per viewer, and notified to author and voters when they end."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.feed import services
from apps.feed.models import Block, Notification, Poll, PollVote, ScheduledStatus, Status
from apps.feed.poll_tasks import poll_expire_task, polls_expire_due_task
from apps.feed.services import polls as poll_services
from config.celery import app as celery_app
from tests.accounts.factories import UserFactory
from tests.api_client import APIClient
from tests.feed.conftest import Member
from tests.feed.test_status_media import upload_image

pytestmark = pytest.mark.django_db

HOUR = 3600


def post_poll(
    member, options=("yes", "no"), expires_in=HOUR, text="Which one?", status_fields=None, **poll
):
    response = member.client.post(
        "/api/v1/statuses",
        {
            "status": text,
            "poll": {"options": list(options), "expires_in": expires_in, **poll},
            **(status_fields or {}),
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    return response.json()


def vote(member, poll_id, choices, **kwargs):
    return member.client.post(
        f"/api/v1/polls/{poll_id}/votes", {"choices": choices}, format="json", **kwargs
    )


def end(poll_id) -> None:
    """The clock moved on: the poll has ended."""
    Poll.objects.filter(pk=int(poll_id)).update(expires_at=timezone.now() - dt.timedelta(seconds=1))


def tallies(poll_id) -> tuple:
    poll = Poll.objects.get(pk=int(poll_id))
    return (poll.cached_tallies, poll.votes_count, poll.voters_count)


# Creating ------------------------------------------------------------------


def test_a_status_with_a_poll_shows_it(alice):
    before = timezone.now()

    status = post_poll(alice, options=["yes", "no", "maybe"], expires_in=HOUR)

    poll = status["poll"]
    assert poll == {
        "id": poll["id"],
        "expires_at": poll["expires_at"],
        "expired": False,
        "multiple": False,
        "votes_count": 0,
        "voters_count": None,
        "options": [
            {"title": "yes", "votes_count": 0},
            {"title": "no", "votes_count": 0},
            {"title": "maybe", "votes_count": 0},
        ],
        "emojis": [],
        "voted": True,  # as Mastodon: an author counts as having voted in its own poll
        "own_votes": [],
    }
    stored = Poll.objects.get()
    assert stored.status_id == int(status["id"])
    assert before + dt.timedelta(seconds=HOUR) <= stored.expires_at
    assert stored.expires_at <= timezone.now() + dt.timedelta(seconds=HOUR)


def test_a_poll_in_form_fields_as_mastodon_clients_send_it(alice):
    response = alice.client.post(
        "/api/v1/statuses",
        {
            "status": "Which one?",
            "poll[options][]": ["red", "green"],
            "poll[expires_in]": "600",
            "poll[multiple]": "true",
            "poll[hide_totals]": "false",
        },
    )

    assert response.status_code == 200, response.json()
    poll = response.json()["poll"]
    assert [o["title"] for o in poll["options"]] == ["red", "green"]
    assert (poll["multiple"], poll["voters_count"]) == (True, 0)
    assert Poll.objects.get().multiple is True


def test_options_are_stripped_and_blank_ones_dropped_as_mastodon_does(alice):
    status = post_poll(alice, options=[" a ", "", "b", "  "])

    assert [o["title"] for o in status["poll"]["options"]] == ["a", "b"]
    assert Poll.objects.get().cached_tallies == [0, 0]


def test_expires_in_may_be_text_in_json(alice):
    status = post_poll(alice, expires_in=str(HOUR))

    assert status["poll"]["expired"] is False


BAD_POLLS = {
    "one-option": ({"options": ["alone"], "expires_in": HOUR}, "options must have more than one"),
    "five-options": (
        {"options": ["a", "b", "c", "d", "e"], "expires_in": HOUR},
        "can't contain more than 4 items",
    ),
    "long-option": (
        {"options": ["x" * 51, "y"], "expires_in": HOUR},
        "cannot be longer than 50 characters",
    ),
    "duplicate-options": ({"options": ["same", "same"], "expires_in": HOUR}, "duplicate"),
    "blank-option": ({"options": [" ", "b"], "expires_in": HOUR}, "more than one item"),
    "too-soon": ({"options": ["a", "b"], "expires_in": 299}, "too soon"),
    "too-far": ({"options": ["a", "b"], "expires_in": 2_629_747}, "too far into the future"),
    "no-expiry": ({"options": ["a", "b"]}, "expires_in"),
    "no-options": ({"expires_in": HOUR}, "options"),
    "options-not-a-list": ({"options": "a,b", "expires_in": HOUR}, "options"),
    "expiry-not-a-number": ({"options": ["a", "b"], "expires_in": "soon"}, "expires_in"),
    "not-an-object": ("yes,no", "poll"),
    "thousand-options": (
        {"options": [f"option {n}" for n in range(1000)], "expires_in": HOUR},
        "options",
    ),
}


@pytest.mark.parametrize(("poll", "message"), BAD_POLLS.values(), ids=BAD_POLLS.keys())
def test_a_bad_poll_is_422_and_nothing_is_saved(alice, poll, message):
    response = alice.client.post(
        "/api/v1/statuses", {"status": "Which one?", "poll": poll}, format="json"
    )

    assert response.status_code == 422, response.json()
    assert response.json()["error"].startswith("Validation failed: poll")
    assert message in response.json()["error"]
    assert response.json()["details"]["poll"]
    assert (Status.objects.count(), Poll.objects.count()) == (0, 0)


def test_a_bad_poll_in_form_fields_is_422_and_nothing_is_saved(alice):
    response = alice.client.post(
        "/api/v1/statuses",
        {"status": "Which one?", "poll[options][]": ["only"], "poll[expires_in]": "3600"},
    )

    assert response.status_code == 422, response.json()
    assert "options must have more than one item" in response.json()["error"]
    assert (Status.objects.count(), Poll.objects.count()) == (0, 0)


def test_a_poll_and_media_together_are_422_and_nothing_is_saved(alice):
    media = upload_image(alice)

    response = alice.client.post(
        "/api/v1/statuses",
        {
            "status": "Which one?",
            "media_ids": [media["id"]],
            "poll": {"options": ["a", "b"], "expires_in": HOUR},
        },
        format="json",
    )

    assert response.status_code == 422, response.json()
    assert "poll cannot be combined with media attachments" in response.json()["error"]
    assert (Status.objects.count(), Poll.objects.count()) == (0, 0)
    assert alice.client.get(f"/api/v1/media/{media['id']}").status_code == 200


def test_a_null_poll_is_no_poll(alice):
    response = alice.client.post(
        "/api/v1/statuses", {"status": "Just text", "poll": None}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["poll"] is None
    assert Poll.objects.count() == 0


def test_the_instance_reports_the_limits_the_server_applies(api_client):
    configuration = api_client.get("/api/v2/instance").json()["configuration"]

    assert configuration["polls"] == {
        "max_options": poll_services.MAX_OPTIONS,
        "max_characters_per_option": poll_services.MAX_OPTION_CHARACTERS,
        "min_expiration": poll_services.MIN_EXPIRATION,
        "max_expiration": poll_services.MAX_EXPIRATION,
    }


# Reading -------------------------------------------------------------------


def test_anyone_may_read_the_poll_of_a_public_status(alice):
    poll_id = post_poll(alice)["poll"]["id"]

    response = APIClient().get(f"/api/v1/polls/{poll_id}")

    assert response.status_code == 200, response.json()
    assert response.json()["id"] == poll_id
    assert (response.json()["voted"], response.json()["own_votes"]) == (False, [])


def test_the_poll_of_a_status_one_may_not_see_is_404(alice, bob, carol):
    poll_id = post_poll(alice, status_fields={"visibility": "private"})["poll"]["id"]
    carol.follow(alice)

    assert bob.client.get(f"/api/v1/polls/{poll_id}").status_code == 404
    assert APIClient().get(f"/api/v1/polls/{poll_id}").status_code == 404
    assert carol.client.get(f"/api/v1/polls/{poll_id}").status_code == 200


def test_an_unknown_poll_is_404(alice):
    assert alice.client.get("/api/v1/polls/12345").json() == {"error": "Record not found"}


# Voting --------------------------------------------------------------------


@pytest.mark.parametrize(
    "choices", [[1], ["1"], 1, "1"], ids=["int", "text", "bare-int", "bare-text"]
)
def test_a_single_choice_vote_in_json(alice, bob, choices):
    poll_id = post_poll(alice, options=["a", "b", "c"])["poll"]["id"]

    response = vote(bob, poll_id, choices)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["voted"], body["own_votes"], body["votes_count"]) == (True, [1], 1)
    assert [o["votes_count"] for o in body["options"]] == [0, 1, 0]
    assert body["voters_count"] is None
    assert tallies(poll_id) == ([0, 1, 0], 1, 1)


def test_a_multiple_choice_vote_in_form_fields(alice, bob, carol):
    poll_id = post_poll(alice, options=["a", "b", "c"], multiple=True)["poll"]["id"]

    first = bob.client.post(f"/api/v1/polls/{poll_id}/votes", {"choices[]": ["0", "2"]})
    second = carol.client.post(f"/api/v1/polls/{poll_id}/votes", {"choices[]": ["2"]})

    assert first.status_code == 200, first.json()
    assert second.status_code == 200, second.json()
    body = second.json()
    assert (body["own_votes"], body["votes_count"], body["voters_count"]) == ([2], 3, 2)
    assert [o["votes_count"] for o in body["options"]] == [1, 0, 2]
    assert tallies(poll_id) == ([1, 0, 2], 3, 2)


BAD_VOTES = {
    "out-of-range": ([3], "The chosen vote option does not exist"),
    "negative": ([-1], "The chosen vote option does not exist"),
    "not-a-number": (["first"], "The chosen vote option does not exist"),
    "two-in-a-single-choice-poll": ([0, 1], "You have already voted on this poll"),
    "empty": ([], "choices"),
    "an-object": ([{"a": 1}], "choices"),
    "a-boolean": ([True], "choices"),
}


@pytest.mark.parametrize(("choices", "message"), BAD_VOTES.values(), ids=BAD_VOTES.keys())
def test_a_bad_vote_is_422_and_nothing_is_counted(alice, bob, choices, message):
    poll_id = post_poll(alice, options=["a", "b", "c"])["poll"]["id"]

    response = vote(bob, poll_id, choices)

    assert response.status_code == 422, response.json()
    assert message in response.json()["error"]
    assert PollVote.objects.count() == 0
    assert tallies(poll_id) == ([0, 0, 0], 0, 0)


def test_a_vote_without_choices_is_422(alice, bob):
    poll_id = post_poll(alice)["poll"]["id"]

    response = bob.client.post(f"/api/v1/polls/{poll_id}/votes", {}, format="json")

    assert response.status_code == 422, response.json()
    assert PollVote.objects.count() == 0


def test_a_repeated_choice_in_a_multiple_choice_poll_is_422(alice, bob):
    poll_id = post_poll(alice, options=["a", "b"], multiple=True)["poll"]["id"]

    response = vote(bob, poll_id, [1, 1])

    assert response.status_code == 422, response.json()
    assert response.json()["error"] == "Validation failed: You have already voted on this poll"
    assert tallies(poll_id) == ([0, 0], 0, 0)


@pytest.mark.parametrize("multiple", [False, True], ids=["single", "multiple"])
def test_voting_twice_is_422_and_the_first_vote_stands(alice, bob, multiple):
    poll_id = post_poll(alice, options=["a", "b"], multiple=multiple)["poll"]["id"]
    assert vote(bob, poll_id, [0]).status_code == 200

    response = vote(bob, poll_id, [1])

    assert response.status_code == 422, response.json()
    assert response.json()["error"] == "Validation failed: You have already voted on this poll"
    assert tallies(poll_id) == ([1, 0], 1, 1)


def test_voting_in_ones_own_poll_is_422(alice):
    poll_id = post_poll(alice)["poll"]["id"]

    response = vote(alice, poll_id, [0])

    assert response.status_code == 422, response.json()
    assert response.json()["error"] == "Validation failed: You cannot vote in your own polls"
    assert PollVote.objects.count() == 0


def test_voting_in_an_ended_poll_is_422(alice, bob):
    poll_id = post_poll(alice)["poll"]["id"]
    end(poll_id)

    response = vote(bob, poll_id, [0])

    assert response.status_code == 422, response.json()
    assert response.json()["error"] == "Validation failed: The poll has already ended"
    assert PollVote.objects.count() == 0


def test_voting_in_a_poll_one_may_not_see_is_404(alice, bob):
    poll_id = post_poll(alice, status_fields={"visibility": "private"})["poll"]["id"]

    response = vote(bob, poll_id, [0])

    assert response.status_code == 404, response.json()
    assert PollVote.objects.count() == 0


def test_voting_when_blocked_by_the_author_is_404(alice, bob):
    poll_id = post_poll(alice)["poll"]["id"]
    Block.objects.create(account=alice.account, target=bob.account)

    response = vote(bob, poll_id, [0])

    assert response.status_code == 404, response.json()
    assert PollVote.objects.count() == 0


def test_voting_needs_a_token_with_write_access(alice):
    poll_id = post_poll(alice)["poll"]["id"]

    response = APIClient().post(f"/api/v1/polls/{poll_id}/votes", {"choices": [0]}, format="json")

    assert response.status_code == 401
    assert PollVote.objects.count() == 0


def test_votes_of_many_accounts_all_count(alice):
    poll_id = post_poll(alice, options=["a", "b"])["poll"]["id"]
    poll = Poll.objects.get()
    for index in range(5):
        services.poll_vote(poll=poll, voter=UserFactory(), choices=[index % 2])

    assert tallies(poll_id) == ([3, 2], 5, 5)
    assert PollVote.objects.count() == 5


# Totals hidden until the end -------------------------------------------------


def test_hidden_totals_show_once_the_poll_has_ended(alice, bob):
    poll_id = post_poll(alice, options=["a", "b"], hide_totals=True)["poll"]["id"]
    running = vote(bob, poll_id, [1]).json()

    end(poll_id)
    ended = bob.client.get(f"/api/v1/polls/{poll_id}").json()

    assert [o["votes_count"] for o in running["options"]] == [None, None]
    assert running["votes_count"] == 1
    assert (ended["expired"], [o["votes_count"] for o in ended["options"]]) == (True, [0, 1])


# In Status entities ----------------------------------------------------------


def test_timelines_show_each_viewer_its_own_votes_and_fresh_counts(alice, bob, carol):
    status_id = post_poll(alice, options=["a", "b"])["id"]
    poll_id = Poll.objects.get().pk

    def shown(member) -> dict:
        page = member.client.get("/api/v1/timelines/public").json()
        return next(s for s in page if s["id"] == status_id)["poll"]

    assert shown(carol)["voted"] is False  # the entity is cached now
    assert vote(bob, poll_id, [1]).status_code == 200

    for_bob, for_carol, for_alice = shown(bob), shown(carol), shown(alice)

    assert (for_bob["voted"], for_bob["own_votes"]) == (True, [1])
    assert (for_carol["voted"], for_carol["own_votes"]) == (False, [])
    assert (for_alice["voted"], for_alice["own_votes"]) == (True, [])
    assert [o["votes_count"] for o in for_carol["options"]] == [0, 1]


def test_a_status_entity_shows_the_end_of_its_poll(alice, bob):
    status_id = post_poll(alice)["id"]
    assert bob.client.get("/api/v1/timelines/public").json()[0]["poll"]["expired"] is False

    end(Poll.objects.get().pk)

    page = bob.client.get("/api/v1/timelines/public").json()
    assert (page[0]["id"], page[0]["poll"]["expired"]) == (status_id, True)


def test_a_reblog_shows_the_originals_poll_with_the_viewers_vote(alice, bob):
    status_id = post_poll(alice)["id"]
    poll_id = Poll.objects.get().pk
    vote(bob, poll_id, [0])
    bob.client.post(f"/api/v1/statuses/{status_id}/reblog")

    page = bob.client.get(f"/api/v1/accounts/{bob.id}/statuses").json()

    assert page[0]["poll"] is None
    assert page[0]["reblog"]["poll"]["own_votes"] == [0]


def test_a_timeline_page_with_polls_costs_the_same_queries_as_one_with_a_poll(
    alice, bob, carol, django_assert_max_num_queries
):
    # given a poll bob voted in, and a reblogged poll
    bob.follow(alice)
    post_poll(alice, text="first")
    services.poll_vote(poll=Poll.objects.get(), voter=bob.account, choices=[0])
    reblogged = post_poll(carol, text="carol's")
    alice.client.post(f"/api/v1/statuses/{reblogged['id']}/reblog")
    cache.clear()
    with django_assert_max_num_queries(60) as few:
        assert len(bob.client.get("/api/v1/timelines/home").json()) == 2
    few_count = len(few)
    # when there are many more, several voted in, several reblogged
    for index in range(6):
        status = post_poll(alice if index % 3 else carol, text=f"poll {index}")
        if index % 3 == 0:
            alice.client.post(f"/api/v1/statuses/{status['id']}/reblog")
        if index % 2:
            vote(bob, status["poll"]["id"], [1])
    cache.clear()
    with django_assert_max_num_queries(few_count):
        page = bob.client.get("/api/v1/timelines/home").json()
    # then the page, rendered afresh, costs no more
    assert len(page) == 8
    polls = [s["poll"] or s["reblog"]["poll"] for s in page]
    assert sum(1 for poll in polls if poll["voted"]) == 4
    # and rendered from the cache, no more either
    with django_assert_max_num_queries(few_count):
        bob.client.get("/api/v1/timelines/home")


# Editing -------------------------------------------------------------------


def edit(member, status_id, **body):
    return member.client.put(f"/api/v1/statuses/{status_id}", body, format="json")


def test_editing_the_options_resets_the_votes(alice, bob):
    status = post_poll(alice, options=["a", "b"])
    vote(bob, status["poll"]["id"], [0])

    response = edit(
        alice, status["id"], status="Which?", poll={"options": ["a", "c"], "expires_in": HOUR}
    )

    assert response.status_code == 200, response.json()
    poll = response.json()["poll"]
    assert poll["id"] == status["poll"]["id"]
    assert [(o["title"], o["votes_count"]) for o in poll["options"]] == [("a", 0), ("c", 0)]
    assert PollVote.objects.count() == 0
    assert bob.client.get(f"/api/v1/polls/{poll['id']}").json()["voted"] is False


def test_editing_with_the_same_options_keeps_the_votes(alice, bob):
    status = post_poll(alice, options=["a", "b"])
    vote(bob, status["poll"]["id"], [0])

    response = edit(
        alice,
        status["id"],
        status="Which?",
        poll={"options": ["a", "b"], "expires_in": HOUR * 2, "hide_totals": True},
    )

    assert response.status_code == 200, response.json()
    assert tallies(status["poll"]["id"]) == ([1, 0], 1, 1)
    assert Poll.objects.get().hide_totals is True


def test_an_edit_can_add_a_poll(alice):
    created = alice.post("Hello")

    response = edit(
        alice, created["id"], status="Now a poll", poll={"options": ["a", "b"], "expires_in": HOUR}
    )

    assert response.status_code == 200, response.json()
    assert [o["title"] for o in response.json()["poll"]["options"]] == ["a", "b"]


def test_an_edit_without_a_poll_removes_it_as_mastodon_does(alice):
    status = post_poll(alice)

    response = edit(alice, status["id"], status="No poll after all")

    assert response.status_code == 200, response.json()
    assert response.json()["poll"] is None
    assert Poll.objects.count() == 0


def test_an_edit_with_a_bad_poll_is_422_and_changes_nothing(alice, bob):
    status = post_poll(alice, options=["a", "b"])
    vote(bob, status["poll"]["id"], [1])

    response = edit(
        alice, status["id"], status="Changed", poll={"options": ["a"], "expires_in": HOUR}
    )

    assert response.status_code == 422, response.json()
    assert Status.objects.get().text == "Which one?"
    assert Poll.objects.get().options == ["a", "b"]
    assert tallies(status["poll"]["id"]) == ([0, 1], 1, 1)


# Scheduled statuses ------------------------------------------------------------


def test_a_scheduled_status_keeps_its_poll_until_published(alice):
    scheduled_at = (timezone.now() + dt.timedelta(minutes=10)).isoformat()
    response = alice.client.post(
        "/api/v1/statuses",
        {
            "status": "Later",
            "scheduled_at": scheduled_at,
            "poll": {"options": ["a", "b"], "expires_in": HOUR, "multiple": True},
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["params"]["poll"] == {
        "options": ["a", "b"],
        "expires_in": "3600",
        "multiple": True,
        "hide_totals": False,
    }
    assert Poll.objects.count() == 0
    ScheduledStatus.objects.update(scheduled_at=timezone.now() - dt.timedelta(seconds=1))

    (status_id,) = services.scheduled_statuses_publish_due()

    poll = Poll.objects.get()
    assert (poll.status_id, poll.options, poll.multiple) == (status_id, ["a", "b"], True)
    assert poll.expires_at > timezone.now() + dt.timedelta(minutes=59)


def test_a_scheduled_status_with_a_bad_poll_is_422_and_nothing_scheduled(alice):
    response = alice.client.post(
        "/api/v1/statuses",
        {
            "status": "Later",
            "scheduled_at": (timezone.now() + dt.timedelta(minutes=10)).isoformat(),
            "poll": {"options": ["a", "b"], "expires_in": 10},
        },
        format="json",
    )

    assert response.status_code == 422, response.json()
    assert ScheduledStatus.objects.count() == 0


# The end of a poll -------------------------------------------------------------


def poll_notifications() -> list[tuple[int, int]]:
    rows = Notification.objects.filter(type="poll").values_list("account_id", "from_account_id")
    return sorted(rows)


def test_the_end_is_notified_once_to_the_author_and_every_voter(alice, bob, carol):
    poll_id = post_poll(alice, options=["a", "b"])["poll"]["id"]
    vote(bob, poll_id, [0])
    vote(carol, poll_id, [1])

    early = poll_expire_task.apply(kwargs={"poll_id": int(poll_id)}).get()
    end(poll_id)
    first = poll_expire_task.apply(kwargs={"poll_id": int(poll_id)}).get()
    again = poll_expire_task.apply(kwargs={"poll_id": int(poll_id)}).get()
    swept = polls_expire_due_task.apply().get()

    assert (early, first, again, swept) == (False, True, False, 0)
    author = alice.account.pk
    assert poll_notifications() == sorted(
        [(author, author), (bob.account.pk, author), (carol.account.pk, author)]
    )


def test_the_sweep_notifies_ended_polls_the_task_missed(alice, bob):
    ended_id = post_poll(alice, text="ended")["poll"]["id"]
    post_poll(alice, text="running")
    vote(bob, ended_id, [1])
    end(ended_id)

    assert polls_expire_due_task.apply().get() == 1
    assert polls_expire_due_task.apply().get() == 0
    assert poll_notifications() == sorted(
        [(alice.account.pk, alice.account.pk), (bob.account.pk, alice.account.pk)]
    )


def test_a_voter_sees_the_poll_notification_with_the_ended_poll(alice, bob):
    poll_id = post_poll(alice)["poll"]["id"]
    vote(bob, poll_id, [0])
    end(poll_id)
    services.poll_expire(poll_id=int(poll_id))

    response = bob.client.get("/api/v1/notifications", {"types[]": "poll"})

    assert response.status_code == 200, response.json()
    (notification,) = response.json()
    assert notification["type"] == "poll"
    assert notification["account"]["id"] == alice.id
    poll = notification["status"]["poll"]
    assert (poll["expired"], poll["voted"], poll["own_votes"]) == (True, True, [0])


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_a_poll_sends_its_expiry_task_for_its_end(alice, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        poll_id = post_poll(alice)["poll"]["id"]

    # Sent eagerly in tests, the task runs before the end and notifies nothing yet.
    assert Poll.objects.get(pk=int(poll_id)).ended_notified_at is None
    assert poll_notifications() == []


def test_the_migration_schedules_the_sweep():
    task = PeriodicTask.objects.get(name="feed: notify ended polls")

    assert task.task == "feed.polls_expire_due"
    assert (task.interval.every, task.interval.period) == (5, "minutes")


def test_a_page_of_poll_notifications_reads_polls_in_as_many_queries_as_one():
    """Polls add a fixed number of queries to a notifications page (the page's other
    relations are the notifications' own affair)."""
    alice, bob = Member("alice"), Member("bob")

    def ended_poll_voted_by_bob(text):
        poll_id = post_poll(alice, text=text)["poll"]["id"]
        vote(bob, poll_id, [0])
        end(poll_id)
        services.poll_expire(poll_id=int(poll_id))

    def poll_queries() -> tuple[int, list]:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            page = bob.client.get("/api/v1/notifications").json()
        return sum(1 for q in captured if "feed_poll" in q["sql"]), page

    # given one ended poll bob voted in
    ended_poll_voted_by_bob("first")
    for_one, _page = poll_queries()
    # when there are five
    for index in range(4):
        ended_poll_voted_by_bob(f"poll {index}")
    for_five, page = poll_queries()
    # then reading their polls costs no more
    assert for_five == for_one
    assert [n["status"]["poll"]["own_votes"] for n in page] == [[0]] * 5


ODD_POLLS = {
    "options-of-objects": {"options": [{"a": 1}, {"b": 2}], "expires_in": HOUR},
    "options-of-lists": {"options": [["a"], ["b"]], "expires_in": HOUR},
    "null-options": {"options": None, "expires_in": HOUR},
    "null-in-options": {"options": ["a", None], "expires_in": HOUR},
    "nul-character": {"options": ["a\x00", "b"], "expires_in": HOUR},
    "huge-expiry": {"options": ["a", "b"], "expires_in": 10**30},
    "negative-expiry": {"options": ["a", "b"], "expires_in": -5},
    "float-expiry": {"options": ["a", "b"], "expires_in": 3600.5},
    "bad-boolean": {"options": ["a", "b"], "expires_in": HOUR, "multiple": "perhaps"},
    "a-list": ["a", "b"],
    "a-number": 7,
}


@pytest.mark.parametrize("poll", ODD_POLLS.values(), ids=ODD_POLLS.keys())
def test_odd_polls_are_refused_never_a_server_error(alice, poll):
    response = alice.client.post(
        "/api/v1/statuses", {"status": "Which one?", "poll": poll}, format="json"
    )

    # 400: the platform's parser refuses a NUL character in any body before the view.
    assert response.status_code in (400, 422), response.json()
    assert (Status.objects.count(), Poll.objects.count()) == (0, 0)


ODD_CHOICES = {
    "huge-number": ["9" * 20],
    "full-width-digit-out-of-range": ["９"],
    "nested-list": [[0]],
    "null": [None],
    "float": [0.5],
    "object": {"a": 0},
    "too-long": ["0" * 50],
    "many": list(range(100)),
}


@pytest.mark.parametrize("choices", ODD_CHOICES.values(), ids=ODD_CHOICES.keys())
def test_odd_choices_are_422_never_a_server_error(alice, bob, choices):
    poll_id = post_poll(alice)["poll"]["id"]

    response = vote(bob, poll_id, choices)

    assert response.status_code == 422, response.json()
    assert PollVote.objects.count() == 0


def test_a_vote_body_that_is_not_an_object_is_refused(alice, bob):
    poll_id = post_poll(alice)["poll"]["id"]

    response = bob.client.post(
        f"/api/v1/polls/{poll_id}/votes", "[0]", content_type="application/json"
    )

    assert response.status_code in (400, 422), response.json()
    assert PollVote.objects.count() == 0


def test_the_edit_history_shows_each_revisions_poll(alice):
    status = post_poll(alice, options=["a", "b"])
    edit(alice, status["id"], status="Which?", poll={"options": ["a", "c"], "expires_in": HOUR})
    edit(alice, status["id"], status="No poll")

    history = alice.client.get(f"/api/v1/statuses/{status['id']}/history")

    assert history.status_code == 200, history.json()
    assert [revision["poll"] for revision in history.json()] == [
        {"options": [{"title": "a"}, {"title": "b"}]},
        {"options": [{"title": "a"}, {"title": "c"}]},
        None,
    ]


def test_the_history_of_an_unedited_status_shows_its_poll(alice):
    status = post_poll(alice, options=["a", "b"])

    history = alice.client.get(f"/api/v1/statuses/{status['id']}/history").json()

    assert [revision["poll"] for revision in history] == [
        {"options": [{"title": "a"}, {"title": "b"}]}
    ]

"""Scheduled statuses: POST /api/v1/statuses with scheduled_at, /api/v1/scheduled_statuses,
and the periodic task that publishes them (run eagerly with ``apply()``)."""

import datetime as dt
from copy import deepcopy

import jsonschema
import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from apps.feed.models import ScheduledStatus, Status
from apps.feed.scheduling_tasks import scheduled_statuses_publish_task
from apps.feed.services import scheduled_statuses_publish_due
from tests.api_client import APIClient

pytestmark = pytest.mark.django_db


def ahead(**delta) -> str:
    return (timezone.now() + dt.timedelta(**delta)).isoformat()


def schedule(member, text="later", **extra):
    return member.client.post(
        "/api/v1/statuses",
        {"status": text, "scheduled_at": ahead(minutes=10), **extra},
        format="json",
    )


def make_due(*scheduled_ids) -> None:
    """The clock moved on: these scheduled statuses are now due."""
    rows = ScheduledStatus.objects.all()
    if scheduled_ids:
        rows = rows.filter(pk__in=[int(i) for i in scheduled_ids])
    rows.update(scheduled_at=timezone.now() - dt.timedelta(seconds=1))


@pytest.fixture(scope="module")
def scheduled_status_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = deepcopy(schema["components"]["schemas"])

    def convert(node):
        if isinstance(node, dict):
            node = {key: convert(value) for key, value in node.items()}
            if node.pop("nullable", False) and "type" in node:
                node["type"] = [node["type"], "null"]
            if "$ref" in node:
                node["$ref"] = node["$ref"].replace("#/components/schemas/", "#/$defs/")
            return node
        if isinstance(node, list):
            return [convert(item) for item in node]
        return node

    return {"$ref": "#/$defs/ScheduledStatus", "$defs": convert(components)}


def test_scheduling_returns_a_scheduled_status_and_publishes_nothing_yet(
    alice, scheduled_status_schema
):
    # given
    when = timezone.now() + dt.timedelta(minutes=30)

    # when
    response = alice.client.post(
        "/api/v1/statuses",
        {
            "status": "good morning #agora",
            "scheduled_at": when.isoformat(),
            "visibility": "unlisted",
            "spoiler_text": "greeting",
            "language": "en",
        },
        format="json",
    )

    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    jsonschema.validate(body, scheduled_status_schema)
    scheduled = ScheduledStatus.objects.get()
    assert body["id"] == str(scheduled.pk)
    assert dt.datetime.fromisoformat(body["scheduled_at"].replace("Z", "+00:00")) == when
    assert body["media_attachments"] == []
    assert body["params"] == {
        "text": "good morning #agora",
        "poll": None,
        "media_ids": None,
        "sensitive": True,
        "spoiler_text": "greeting",
        "visibility": "unlisted",
        "scheduled_at": None,
        "in_reply_to_id": None,
        "language": "en",
        "application_id": scheduled.params["application_id"],
        "idempotency": None,
        "with_rate_limit": False,
    }
    assert isinstance(body["params"]["application_id"], int)
    assert Status.objects.count() == 0


def test_the_list_shows_only_ones_own_newest_first_with_link_pagination(alice, bob):
    # given
    first = schedule(alice, "one").json()
    second = schedule(alice, "two").json()
    third = schedule(alice, "three").json()
    schedule(bob, "bob's")

    # when
    page = alice.client.get("/api/v1/scheduled_statuses?limit=2")
    older = alice.client.get(f"/api/v1/scheduled_statuses?limit=2&max_id={second['id']}")

    # then
    assert page.status_code == 200
    assert [item["id"] for item in page.json()] == [third["id"], second["id"]]
    assert f"max_id={second['id']}" in page["Link"]
    assert [item["id"] for item in older.json()] == [first["id"]]


def test_the_owner_reads_reschedules_and_cancels(alice):
    # given
    scheduled = schedule(alice).json()
    url = f"/api/v1/scheduled_statuses/{scheduled['id']}"
    later = timezone.now() + dt.timedelta(days=2)

    # when
    shown = alice.client.get(url)
    moved = alice.client.put(url, {"scheduled_at": later.isoformat()}, format="json")

    # then
    assert shown.status_code == 200
    assert shown.json() == scheduled
    assert moved.status_code == 200
    assert ScheduledStatus.objects.get().scheduled_at == later
    assert dt.datetime.fromisoformat(moved.json()["scheduled_at"].replace("Z", "+00:00")) == later

    # when
    cancelled = alice.client.delete(url)

    # then
    assert cancelled.status_code == 200
    assert cancelled.json() == {}
    assert not ScheduledStatus.objects.exists()
    assert alice.client.get(url).status_code == 404


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_another_accounts_scheduled_status_is_not_found_and_unchanged(alice, bob, method):
    # given
    scheduled = schedule(alice).json()
    before = ScheduledStatus.objects.get()

    # when
    response = getattr(bob.client, method)(
        f"/api/v1/scheduled_statuses/{scheduled['id']}",
        {"scheduled_at": ahead(days=3)},
        format="json",
    )

    # then
    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}
    after = ScheduledStatus.objects.get()
    assert (after.pk, after.scheduled_at, after.params) == (
        before.pk,
        before.scheduled_at,
        before.params,
    )


@pytest.mark.parametrize("scheduled_id", ["999999", "not-a-number"], ids=["unknown", "garbage"])
def test_unknown_scheduled_status_is_404(alice, scheduled_id):
    response = alice.client.get(f"/api/v1/scheduled_statuses/{scheduled_id}")

    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}


def test_the_endpoints_need_a_token():
    anonymous = APIClient()

    assert anonymous.get("/api/v1/scheduled_statuses").status_code == 401
    assert anonymous.get("/api/v1/scheduled_statuses/1").status_code == 401


@pytest.mark.parametrize(
    "scheduled_at",
    [ahead(minutes=4), ahead(minutes=-10), "next tuesday"],
    ids=["less-than-5-minutes-ahead", "in-the-past", "not-a-time"],
)
def test_a_bad_time_is_refused_and_nothing_is_scheduled(alice, scheduled_at):
    # when
    response = alice.client.post(
        "/api/v1/statuses", {"status": "soon", "scheduled_at": scheduled_at}, format="json"
    )

    # then
    assert response.status_code == 422
    assert "scheduled_at" in response.json()["details"]
    assert not ScheduledStatus.objects.exists()
    assert not Status.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"status": "x" * 501}, "text"),
        ({"status": "   "}, "text"),
        ({"visibility": "everyone"}, "visibility"),
        ({"media_ids": ["1"]}, "media_ids"),
    ],
    ids=["too-long", "blank", "bad-visibility", "media"],
)
def test_bad_content_is_refused_when_scheduling(alice, extra, field):
    # when
    response = alice.client.post(
        "/api/v1/statuses",
        {"status": "fine", "scheduled_at": ahead(minutes=10), **extra},
        format="json",
    )

    # then
    assert response.status_code == 422
    assert field in response.json()["details"]
    assert not ScheduledStatus.objects.exists()


def test_a_reply_to_an_invisible_status_cannot_be_scheduled(alice, bob):
    # given
    secret = bob.post("followers only", visibility="private")

    # when
    response = schedule(alice, in_reply_to_id=secret["id"])

    # then
    assert response.status_code == 404
    assert not ScheduledStatus.objects.exists()


def test_rescheduling_too_soon_is_refused_and_the_time_kept(alice):
    # given
    scheduled = schedule(alice).json()
    before = ScheduledStatus.objects.get().scheduled_at

    # when
    response = alice.client.put(
        f"/api/v1/scheduled_statuses/{scheduled['id']}",
        {"scheduled_at": ahead(minutes=1)},
        format="json",
    )

    # then
    assert response.status_code == 422
    assert ScheduledStatus.objects.get().scheduled_at == before


def test_at_most_50_a_day(alice):
    # given
    day = (timezone.now() + dt.timedelta(days=3)).replace(hour=12, minute=0)
    ScheduledStatus.objects.bulk_create(
        [
            ScheduledStatus(account=alice.account, scheduled_at=day, params={"text": str(n)})
            for n in range(50)
        ]
    )

    # when
    same_day = alice.client.post(
        "/api/v1/statuses",
        {"status": "one more", "scheduled_at": day.replace(hour=13).isoformat()},
        format="json",
    )
    next_day = alice.client.post(
        "/api/v1/statuses",
        {"status": "tomorrow", "scheduled_at": (day + dt.timedelta(days=1)).isoformat()},
        format="json",
    )

    # then
    assert same_day.status_code == 422
    assert same_day.json()["details"] == {
        "scheduled_at": [
            {"error": "ERR_INVALID", "description": "daily limit of scheduled statuses reached"}
        ]
    }
    assert next_day.status_code == 200
    assert ScheduledStatus.objects.count() == 51


def test_the_idempotency_key_returns_the_first_scheduled_status(alice):
    # when
    first, second = (
        alice.client.post(
            "/api/v1/statuses",
            {"status": "later", "scheduled_at": ahead(minutes=10)},
            format="json",
            HTTP_IDEMPOTENCY_KEY="abc",
        )
        for _attempt in range(2)
    )

    # then
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert ScheduledStatus.objects.count() == 1


def test_the_task_publishes_due_statuses_once_with_their_parameters(alice, bob):
    # given
    parent = bob.post("what's next?")
    due = schedule(
        alice,
        "@bob tomorrow #plans",
        visibility="unlisted",
        in_reply_to_id=parent["id"],
        spoiler_text="plans",
        language="en",
    ).json()
    not_yet = schedule(alice, "much later").json()
    make_due(due["id"])

    # when
    first_run = scheduled_statuses_publish_task.apply().get()
    second_run = scheduled_statuses_publish_task.apply().get()

    # then
    assert (first_run, second_run) == (1, 0)
    published = Status.objects.get(account=alice.account)
    assert published.text == "@bob tomorrow #plans"
    assert published.visibility == "unlisted"
    assert published.spoiler_text == "plans"
    assert published.sensitive is True
    assert published.language == "en"
    assert str(published.in_reply_to_id) == parent["id"]
    assert published.application_name != ""
    assert [tag.name for tag in published.tags.all()] == ["plans"]
    assert list(ScheduledStatus.objects.values_list("pk", flat=True)) == [int(not_yet["id"])]
    shown = bob.client.get(f"/api/v1/statuses/{published.pk}")
    assert shown.status_code == 200
    assert shown.json()["in_reply_to_id"] == parent["id"]
    assert bob.client.get(f"/api/v1/statuses/{parent['id']}").json()["replies_count"] == 1


def test_a_due_status_the_services_now_refuse_is_dropped_and_the_rest_published(alice, bob):
    # given: the parent disappeared before the reply's time came
    parent = bob.post("soon deleted")
    orphan = schedule(alice, "a reply", in_reply_to_id=parent["id"]).json()
    fine = schedule(alice, "fine").json()
    assert bob.client.delete(f"/api/v1/statuses/{parent['id']}").status_code == 200
    make_due(orphan["id"], fine["id"])

    # when
    published = scheduled_statuses_publish_due()

    # then
    assert len(published) == 1
    assert Status.objects.get(pk=published[0]).text == "fine"
    assert not ScheduledStatus.objects.exists()


def test_a_disabled_accounts_due_status_waits(alice):
    # given
    schedule(alice)
    make_due()
    alice.account.is_active = False
    alice.account.save(update_fields=["is_active"])

    # when
    count = scheduled_statuses_publish_task.apply().get()

    # then
    assert count == 0
    assert ScheduledStatus.objects.count() == 1
    assert not Status.objects.exists()


def test_the_migration_schedules_the_task_every_minute():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="feed: publish due scheduled statuses")

    assert task.task == "feed.scheduled_statuses.publish"
    assert (task.interval.every, task.interval.period, task.enabled) == (1, "minutes", True)

"""The operator schedules only the periodic tasks the platform registers as schedulable.

The periodic-task page (django-celery-beat's, as Agora registers it) offers a
choice of the tasks apps register in ``core.schedules``, and validates the
arguments against each task's schema; any other task, or arguments the schema does
not allow, is a form error and nothing is saved.
"""

import json

import pytest
from django import forms
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from core import schedules
from tests.security.staff import staff_member, verified_client

ADD = "/admin/django_celery_beat/periodictask/add/"
SAFE = "media.remove_unattached"
DANGEROUS = "media.delete_for_status"
WITH_ARGUMENTS = "tests.security.schedulable_with_arguments"


@pytest.fixture
def operator_browser(db):
    return verified_client(staff_member("operator"))


@pytest.fixture
def interval(db):
    return IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)


@pytest.fixture
def task_with_arguments():
    schedules.register_schedulable(
        WITH_ARGUMENTS,
        description="a task that keeps a number of days",
        kwargs={"days": forms.IntegerField(min_value=1, max_value=365)},
    )
    yield WITH_ARGUMENTS
    schedules.unregister_schedulable(WITH_ARGUMENTS)


def submit(browser, interval, task, *, args="[]", kwargs="{}", **extra):
    before = set(PeriodicTask.objects.values_list("pk", flat=True))
    response = browser.post(
        ADD,
        {
            "name": "operator's schedule",
            "task": task,
            "enabled": "on",
            "interval": interval.pk,
            "args": args,
            "kwargs": kwargs,
            "headers": "{}",
            "priority": "",
            "expire_seconds": "",
            **extra,
        },
    )
    created = PeriodicTask.objects.exclude(pk__in=before)
    return response, created


def task_choices(response) -> list[str]:
    field = response.context["adminform"].form.fields["task"]
    return [value for value, _label in field.choices if value]


def test_the_task_field_offers_only_schedulable_tasks(operator_browser):
    response = operator_browser.get(ADD)

    assert response.status_code == 200
    choices = task_choices(response)
    assert SAFE in choices
    assert DANGEROUS not in choices
    assert "regtask" not in response.context["adminform"].form.fields
    assert set(choices) == set(schedules.schedulable_tasks())


def test_a_schedulable_task_is_scheduled(operator_browser, interval):
    response, created = submit(operator_browser, interval, SAFE)

    assert response.status_code == 302
    assert list(created.values_list("task", "args", "kwargs")) == [(SAFE, "[]", "{}")]


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"task": DANGEROUS, "kwargs": '{"status_id": 1}'}, id="unregistered-task"),
        pytest.param({"task": "", "regtask": DANGEROUS}, id="old-registered-field"),
        pytest.param({"task": "celery.backend_cleanup"}, id="celery-builtin"),
    ],
)
def test_a_task_not_registered_as_schedulable_is_refused(operator_browser, interval, fields):
    task = fields.pop("task")

    response, created = submit(operator_browser, interval, task, **fields)

    assert response.status_code == 200
    assert "task" in response.context["adminform"].form.errors
    assert not created.exists()


@pytest.mark.parametrize(
    ("args", "kwargs", "field"),
    [
        pytest.param("[1]", "{}", "args", id="positional"),
        pytest.param("[]", '{"status_id": 5}', "kwargs", id="unknown-keyword"),
        pytest.param("[]", "[1, 2]", "kwargs", id="kwargs-not-an-object"),
        pytest.param("{}", "{}", "args", id="args-not-a-list"),
        pytest.param("[]", "not json", "kwargs", id="not-json"),
    ],
)
def test_arguments_a_task_does_not_take_are_refused(
    operator_browser, interval, args, kwargs, field
):
    response, created = submit(operator_browser, interval, SAFE, args=args, kwargs=kwargs)

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not created.exists()


@pytest.mark.parametrize(
    ("kwargs", "saved"),
    [
        pytest.param('{"days": 30}', {"days": 30}, id="valid"),
        pytest.param('{"days": "7"}', {"days": 7}, id="cleaned"),
        pytest.param('{"days": 0}', None, id="out-of-range"),
        pytest.param("{}", None, id="missing"),
        pytest.param('{"days": 3, "everything": true}', None, id="extra"),
    ],
)
def test_arguments_are_validated_against_the_tasks_schema(
    operator_browser, interval, task_with_arguments, kwargs, saved
):
    response, created = submit(operator_browser, interval, task_with_arguments, kwargs=kwargs)

    if saved is None:
        assert response.status_code == 200
        assert "kwargs" in response.context["adminform"].form.errors
        assert not created.exists()
    else:
        assert response.status_code == 302
        assert [json.loads(row) for row in created.values_list("kwargs", flat=True)] == [saved]


def test_every_task_the_migrations_schedule_is_schedulable(db):
    scheduled = set(PeriodicTask.objects.values_list("task", flat=True))

    assert scheduled
    assert scheduled <= set(schedules.schedulable_tasks())


def test_the_existing_schedules_stay_editable(operator_browser):
    for periodic in PeriodicTask.objects.all():
        page = operator_browser.get(f"/admin/django_celery_beat/periodictask/{periodic.pk}/change/")
        assert page.status_code == 200
        assert page.context["adminform"].form.initial["task"] in task_choices(page)

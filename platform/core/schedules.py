"""Periodic tasks that apps create with a migration (django-celery-beat rows).

An app schedules its task in one of its migrations, so a fresh database has it and
operators can change or disable it in the admin (Periodic tasks) afterwards::

    operations = [schedule_interval_task("feed: do it", "feed.do_it", every=1, period="hours")]

Reversing the migration removes the row. The migration must depend on
``("django_celery_beat", "0019_alter_periodictasks_options")``.

Operators may schedule only the tasks the platform registers as schedulable: each
app registers its periodic tasks in its ``AppConfig.ready()`` with
:func:`register_schedulable`, with the keyword arguments the task takes as form
fields (its schema). The periodic-task admin (``core.admin_beat``) offers only these
and validates arguments with :func:`schedulable_arguments_clean`; a task that
deletes or changes content on a caller's word (``"media.delete_for_status"``)
is never registered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import migrations
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Schedulable:
    """A task operators may schedule, and the keyword arguments it accepts."""

    task: str
    description: str
    kwargs: Mapping[str, forms.Field] = field(default_factory=dict)


_schedulable: dict[str, Schedulable] = {}


def register_schedulable(
    task: str, *, description: str, kwargs: Mapping[str, forms.Field] | None = None
) -> None:
    """Let operators schedule the Celery task named ``task``, with ``kwargs`` as its schema.

    ``kwargs`` maps each keyword argument to the form field that validates it (a
    field with ``required=False`` may be left out). Positional arguments are never
    accepted.
    """
    _schedulable[task] = Schedulable(task=task, description=description, kwargs=dict(kwargs or {}))


def unregister_schedulable(task: str) -> None:
    _schedulable.pop(task, None)


def schedulable_tasks() -> dict[str, Schedulable]:
    """The schedulable tasks by name, sorted."""
    return dict(sorted(_schedulable.items()))


def schedulable_arguments_clean(*, task: str, args: Any, kwargs: Any) -> dict[str, Any]:
    """The keyword arguments ``task`` will run with, cleaned by its schema.

    Raises ``ValidationError`` keyed by ``"task"`` (not schedulable), ``"args"``
    (any positional argument) or ``"kwargs"`` (not an object, an unknown or missing
    argument, or a value its field refuses).
    """
    schedulable = _schedulable.get(task)
    if schedulable is None:
        raise ValidationError({"task": _("This task cannot be scheduled.")})
    if args != []:
        raise ValidationError({"args": _("This task takes no positional arguments: use [].")})
    if not isinstance(kwargs, dict):
        raise ValidationError({"kwargs": _("Keyword arguments must be a JSON object.")})
    unknown = sorted(set(kwargs) - set(schedulable.kwargs))
    if unknown:
        raise ValidationError(
            {"kwargs": _("Unknown arguments: %(names)s.") % {"names": ", ".join(unknown)}}
        )
    cleaned, errors = {}, []
    for name, form_field in schedulable.kwargs.items():
        if name not in kwargs:
            if form_field.required:
                errors.append(_("%(name)s: this argument is required.") % {"name": name})
            continue
        try:
            cleaned[name] = form_field.clean(kwargs[name])
        except ValidationError as error:
            errors.extend(f"{name}: {message}" for message in error.messages)
    if errors:
        raise ValidationError({"kwargs": errors})
    return cleaned


def schedule_interval_task(
    name: str, task: str, *, every: int, period: str
) -> migrations.RunPython:
    """A migration operation: run ``task`` every ``every`` ``period`` (e.g. 1, "hours") as ``name``."""

    def schedule(apps, schema_editor):
        alias = schema_editor.connection.alias
        IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        interval, _ = IntervalSchedule.objects.using(alias).get_or_create(
            every=every, period=period
        )
        PeriodicTask.objects.using(alias).update_or_create(
            name=name, defaults={"task": task, "interval": interval, "enabled": True}
        )

    def unschedule(apps, schema_editor):
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        PeriodicTask.objects.using(schema_editor.connection.alias).filter(name=name).delete()

    return migrations.RunPython(schedule, unschedule)

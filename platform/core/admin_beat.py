"""The operator's periodic-task page: only tasks registered as schedulable, arguments validated.

django-celery-beat's own page offers every task Celery knows (media deletion
included) and takes any JSON as arguments. Agora's replaces it: the task is a
choice of :func:`core.schedules.schedulable_tasks`, positional arguments are
refused, and keyword arguments are cleaned by the task's schema; anything else is a
form error and nothing is saved. "Run selected tasks" skips rows whose task is not
schedulable (rows written before this page, or by hand in the database).
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import PeriodicTaskAdmin as BeatPeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

from core.schedules import schedulable_arguments_clean, schedulable_tasks


def _task_choices() -> list[tuple[str, str]]:
    return [("", "---------")] + [
        (name, f"{name} ({schedulable.description})")
        for name, schedulable in schedulable_tasks().items()
    ]


class SchedulablePeriodicTaskForm(forms.ModelForm):
    """A periodic task whose task and arguments the platform allows."""

    task = forms.ChoiceField(label=_("Task"), choices=_task_choices)

    class Meta:
        model = PeriodicTask
        fields = [
            "name",
            "task",
            "enabled",
            "description",
            "interval",
            "crontab",
            "solar",
            "clocked",
            "start_time",
            "one_off",
            "args",
            "kwargs",
            "expires",
            "expire_seconds",
            "queue",
            "exchange",
            "routing_key",
            "priority",
            "headers",
        ]

    def _json(self, name: str):
        try:
            return json.loads(self.cleaned_data.get(name) or "")
        except ValueError as error:
            raise ValidationError(
                _("Unable to parse JSON: %(error)s") % {"error": error}
            ) from error

    def clean_args(self) -> str:
        return json.dumps(self._json("args"))

    def clean_kwargs(self) -> str:
        return json.dumps(self._json("kwargs"))

    def clean(self):
        data = super().clean()
        if data.get("expire_seconds") is not None and data.get("expires"):
            raise ValidationError(_("Only one can be set, in expires and expire_seconds"))
        task = data.get("task")
        if task and "args" in data and "kwargs" in data:
            try:
                cleaned = schedulable_arguments_clean(
                    task=task, args=json.loads(data["args"]), kwargs=json.loads(data["kwargs"])
                )
            except ValidationError as error:
                self.add_error(None, error)
            else:
                data["kwargs"] = json.dumps(cleaned)
        return data


class SchedulablePeriodicTaskAdmin(BeatPeriodicTaskAdmin):
    form = SchedulablePeriodicTaskForm
    fieldsets = (
        (None, {"fields": ("name", "task", "enabled", "description")}),
        *BeatPeriodicTaskAdmin.fieldsets[1:],
    )

    @admin.action(description=_("Run selected tasks"))
    def run_tasks(self, request: HttpRequest, queryset: QuerySet[PeriodicTask]) -> None:
        allowed = queryset.filter(task__in=list(schedulable_tasks()))
        skipped = queryset.count() - allowed.count()
        if skipped:
            self.message_user(
                request,
                _("%(count)d selected task(s) cannot be scheduled and were not run.")
                % {"count": skipped},
                messages.WARNING,
            )
        if allowed.exists():
            super().run_tasks(request, allowed)


if admin.site.is_registered(PeriodicTask):
    admin.site.unregister(PeriodicTask)
admin.site.register(PeriodicTask, SchedulablePeriodicTaskAdmin)

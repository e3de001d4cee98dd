"""Building blocks the apps' admin screens share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ReadOnlyAdminMixin:
    """Nothing to add, change or delete here; viewing follows the model's view permission.

    For rows only services write (jobs, evidence, audit records, processed media): a
    screen that adds an action (revoke, retry) checks that action's own permission.
    """

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReasonForm(forms.Form):
    """The reason staff give for an audited action (kept with the audit record)."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label=_("Reason"), max_length=500
    )


def confirm_with_reason(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    action: str,
    objects: Sequence[Any],
    title: str | Promise,
    intro: str | Promise,
    empty: str | Promise,
    submit: str | Promise,
    describe: Callable[[Any], str],
    perform: Callable[[Any, str], object],
    done: str | Promise,
) -> TemplateResponse | None:
    """An admin action that needs a reason: ask for it, then ``perform(obj, reason)`` on each.

    The first call (from the change list) shows ``objects`` (each as ``describe(obj)``)
    and a :class:`ReasonForm`; the form posts back to the same action with ``apply``.
    With a valid reason every object is performed and ``done`` (``%(count)d`` is how
    many) is shown; with none the page is shown again with the form's error.
    """
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        for obj in objects:
            perform(obj, form.cleaned_data["reason"])
        modeladmin.message_user(request, str(done) % {"count": len(objects)}, messages.SUCCESS)
        return None
    return TemplateResponse(
        request,
        "admin/action_with_reason.html",
        {
            **modeladmin.admin_site.each_context(request),
            "opts": modeladmin.model._meta,
            "title": title,
            "intro": intro,
            "empty": empty,
            "submit": submit,
            "action": action,
            "form_id": f"{action.replace('_', '-')}-form",
            "objects": [(obj.pk, describe(obj)) for obj in objects],
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )

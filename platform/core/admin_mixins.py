"""Building blocks the apps' admin screens share."""

from __future__ import annotations

from django.http import HttpRequest


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

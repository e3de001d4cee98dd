"""An operator's permission for an account to go live without a paid plan."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class LiveAllowance(models.Model):
    """``account`` may go live whatever its plan says (``manage.py live_allow``).

    An instance without billing has no plan that allows going live: this is how its
    operators let streamers in. It does not override a suspension.
    """

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_allowance"
    )
    granted_by = models.CharField(max_length=150, blank=True)
    granted_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"live allowance of {self.account_id}"

"""Who may go live besides the plan: an operator's allowance, and staff's restriction."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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


class LiveRestriction(models.Model):
    """Staff barred ``account`` from going live, for ``reason``, until ``until`` (or for good).

    It holds whatever the account's plan or an operator's allowance says, and the account
    is told why (the API's refusal and nginx's refused publish name it).
    """

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_restriction"
    )
    reason = models.CharField(max_length=500)
    until = models.DateTimeField(null=True, blank=True, help_text=_("Empty: until staff lift it."))
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"live restriction of {self.account_id}"

    def is_in_force(self, now=None) -> bool:
        return self.until is None or self.until > (now or timezone.now())

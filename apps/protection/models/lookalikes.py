"""Accounts whose name looks like a protected account's, for a moderator to look at."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LookalikeFlag(models.Model):
    """``account``'s ``field`` (its username or display name) was ``value``, whose TR39
    skeleton matches a name of ``protected_account`` (staff, or among the most followed).

    Opened by :func:`apps.protection.services.lookalikes.lookalike_scan` when an account
    is created or renames itself; one open flag per account, field and protected
    account. A moderator resolves it (acted on the account) or dismisses it (a
    coincidence); both are audited.
    """

    class Field(models.TextChoices):
        USERNAME = "username", _("username")
        DISPLAY_NAME = "display_name", _("display name")

    class State(models.TextChoices):
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")
        DISMISSED = "dismissed", _("dismissed")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lookalike_flags"
    )
    field = models.CharField(_("field"), max_length=16, choices=Field.choices)
    value = models.CharField(_("name"), max_length=100)
    protected_account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    protected_value = models.CharField(_("looks like"), max_length=100)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.OPEN, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("lookalike name flag")
        verbose_name_plural = _("lookalike name flags")
        constraints = [
            models.UniqueConstraint(
                "account",
                "field",
                "protected_account",
                condition=models.Q(state="open"),
                name="protection_lookalike_one_open_flag",
            )
        ]

    def __str__(self) -> str:
        return f"{self.value} ~ {self.protected_value}"

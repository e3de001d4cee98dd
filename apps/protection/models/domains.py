"""The domain blocklist links are checked against."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.protection.links.domains import normalise_domain


class BlockedDomain(models.Model):
    """A domain (and every subdomain of it) whose links are refused or warned about.

    ``domain`` is kept lower case and decoded from punycode (``xn--…`` becomes the
    Unicode form people read), so ``BÜCHER.example`` and ``xn--bcher-kva.example``
    are one row. Written only by :mod:`apps.protection.services.domains`, which
    audits every change.
    """

    class Severity(models.TextChoices):
        WARN = "warn", _("warn")
        REFUSE = "refuse", _("refuse")

    domain = models.CharField(_("domain"), max_length=253, unique=True)
    severity = models.CharField(
        _("severity"), max_length=8, choices=Severity.choices, default=Severity.REFUSE
    )
    reason = models.CharField(
        _("reason"),
        max_length=200,
        blank=True,
        help_text=_("Shown to people whose link is refused or warned about (malware, phishing…)."),
    )
    source = models.CharField(
        _("source"),
        max_length=100,
        blank=True,
        help_text=_("Where the entry came from: a list's name, or empty for one added by hand."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["domain"]
        verbose_name = _("blocked domain")
        verbose_name_plural = _("blocked domains")

    def __str__(self) -> str:
        return self.domain

    def clean(self) -> None:
        try:
            self.domain = normalise_domain(self.domain)
        except ValueError as exc:
            raise ValidationError({"domain": str(exc)}) from None

    def snapshot(self) -> dict[str, str]:
        """What the audit trail keeps of the entry."""
        return {
            "domain": self.domain,
            "severity": self.severity,
            "reason": self.reason,
            "source": self.source,
        }

"""django-axes hooks: whose failures count together, when they lock, what a locked-out client is told.

Failures are counted three ways (``AXES_LOCKOUT_PARAMETERS``), each with its own limit:

- per account and address (``AXES_FAILURE_LIMIT``): someone guessing at one address;
- per account (``AGORA_LOCKOUT_ACCOUNT_LIMIT``): guessing spread over many addresses;
- per address (``AGORA_LOCKOUT_ADDRESS_LIMIT``): one address trying many accounts.

The per-address ceiling sits well above the others, and attempts refused during a
lockout are not counted (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``), so one
account's failures never lock another account's correct login out at the same
address. A successful login clears only that account's failures at that address:
signing in to one's own account does not wipe the count against someone else's.
The account is the one the identifier names, however it is spelt (username or
e-mail address, any case). The client address comes from
``core.addresses.client_address``.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import JsonResponse
from django.utils.translation import gettext as _

from apps.accounts.backends import account_for_identifier

ACCOUNT = "username"
ADDRESS = "ip_address"


def account_key(request, credentials) -> str | None:
    """The account the failures count against (``AXES_USERNAME_CALLABLE``).

    The account's username when the identifier names one, else the identifier as
    typed, lower-cased: "Alice", "alice" and alice's e-mail address are one account.
    """
    data = credentials if credentials else getattr(request, "data", None) or request.POST
    # axes.conf gives the setting its default at import, out of the stubs' sight.
    field = settings.AXES_USERNAME_FORM_FIELD  # type: ignore[misc]
    identifier = (data.get(field) or "").strip()
    if not identifier:
        return None
    account = account_for_identifier(identifier)
    return account.get_username().lower() if account is not None else identifier.lower()


def _limit_of(parameter: str | list[str], headline: int) -> int:
    if parameter == ACCOUNT:
        return settings.AGORA_LOCKOUT_ACCOUNT_LIMIT
    if parameter == ADDRESS:
        return settings.AGORA_LOCKOUT_ADDRESS_LIMIT
    return headline


class AccountLockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per way of counting (``AXES_HANDLER``)."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        """The failures that matter, on the scale of ``AXES_FAILURE_LIMIT``.

        Axes compares one number against one limit. Each count is shifted by the
        difference between its own limit and that one, so the result reaches the
        limit exactly when some count reaches its own.
        """
        headline = get_failure_limit(request, credentials)
        parameters = get_lockout_parameters(request, credentials)
        attempts_list = self.get_user_attempts(request, credentials)
        worst = 0
        for parameter, attempts in zip(parameters, attempts_list, strict=True):
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            if failures:
                worst = max(worst, failures + headline - _limit_of(parameter, headline))
        return worst

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """After a successful login: that account's failures at that address only."""
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return count


def lockout_response(request, credentials, *args, **kwargs):
    """429 in Mastodon's error shape, for the API, the token endpoint and the login page."""
    return JsonResponse(
        {"error": _("Too many failed login attempts. Try again later.")}, status=429
    )

"""Lookalike names: usernames and display names that pass for a protected account's.

Protected accounts are staff and the ``PROTECTION_LOOKALIKE_TOP_FOLLOWED`` most
followed with at least ``PROTECTION_LOOKALIKE_MIN_FOLLOWERS`` followers (accounts
have no verified mark). Two names look alike when their TR39
skeletons agree once case, spaces, punctuation and accents are set aside
(``Adm1n``, ``аdmin`` and ``A d m i n`` all read ``admin``).

At sign-up a lookalike **username is refused**: it is the handle people mention and
cannot be changed afterwards, so a warning would leave the impersonation in place
for good. A lookalike **display name is allowed, with a warning** the API passes on,
and a :class:`LookalikeFlag` for moderators: display names are free text that real
people share ("Alex"), and a human should judge.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.protection.links.skeleton import folded_skeleton
from apps.protection.models import LookalikeFlag
from core import audit, errors
from core.checks import USERNAME, CheckResult

CHECKER = "lookalikes"


@dataclass(frozen=True)
class Match:
    protected_id: int
    protected_username: str
    protected_value: str


def name_key(name: str) -> str:
    """What two names must share to look alike: the case-folded skeleton's letters and digits."""
    return "".join(char for char in folded_skeleton(name) if char.isalnum())


def _protected_accounts(*, exclude_id: int | None) -> list[tuple[int, str, str]]:
    top = User.objects.filter(
        is_active=True, followers_count__gte=settings.PROTECTION_LOOKALIKE_MIN_FOLLOWERS
    ).order_by("-followers_count", "pk")
    top_ids = list(top.values_list("pk", flat=True)[: settings.PROTECTION_LOOKALIKE_TOP_FOLLOWED])
    rows = User.objects.filter(Q(is_staff=True, is_active=True) | Q(pk__in=top_ids))
    if exclude_id is not None:
        rows = rows.exclude(pk=exclude_id)
    return list(rows.values_list("pk", "username", "display_name"))


def lookalike_matches(name: str, *, account_id: int | None = None) -> list[Match]:
    """The protected accounts (other than ``account_id``) one of whose names ``name`` passes for.

    Two queries (the most followed, then the protected rows); none for a name too
    short to compare (``PROTECTION_LOOKALIKE_MIN_LENGTH``)."""
    key = name_key(name or "")
    if len(key) < settings.PROTECTION_LOOKALIKE_MIN_LENGTH:
        return []
    found = []
    for pk, username, display_name in _protected_accounts(exclude_id=account_id):
        for value in (username, display_name):
            if value and name_key(value) == key:
                found.append(Match(pk, username, value))
                break
    return found


def lookalike_check(name: str, *, kind: str, account_id: int | None = None) -> CheckResult:
    """``core.checks`` name checker: blocking for a username, a warning for a display name."""
    matches = lookalike_matches(name, account_id=account_id)
    if not matches:
        return CheckResult(checker=CHECKER, scores={"impersonation": 0.0})
    protected = matches[0].protected_username
    if kind == USERNAME:
        return CheckResult(
            checker=CHECKER,
            scores={"impersonation": 1.0},
            is_blocking=True,
            reason=_("looks too much like @%(protected)s; choose another username")
            % {"protected": protected},
        )
    return CheckResult(
        checker=CHECKER,
        scores={"impersonation": 0.8},
        reason=_(
            "Your display name looks like @%(protected)s's name, so people may take you for "
            "them. Moderators have been asked to have a look."
        )
        % {"protected": protected},
    )


def lookalike_scan(*, account_id: int) -> list[LookalikeFlag]:
    """Open a flag for each protected account whose name ``account_id``'s names pass for.

    Idempotent (one open flag per account, field and protected account): an event
    delivered twice opens nothing more. Returns the flags opened now."""
    account = User.objects.filter(pk=account_id).only("pk", "username", "display_name").first()
    if account is None:
        return []
    opened = []
    for field, value in (
        (LookalikeFlag.Field.USERNAME, account.username),
        (LookalikeFlag.Field.DISPLAY_NAME, account.display_name),
    ):
        for match in lookalike_matches(value, account_id=account.pk):
            if LookalikeFlag.objects.filter(
                account_id=account.pk,
                field=field,
                protected_account_id=match.protected_id,
                state=LookalikeFlag.State.OPEN,
            ).exists():
                continue
            try:
                with transaction.atomic():
                    opened.append(
                        LookalikeFlag.objects.create(
                            account_id=account.pk,
                            field=field,
                            value=value[:100],
                            protected_account_id=match.protected_id,
                            protected_value=match.protected_value[:100],
                        )
                    )
            except IntegrityError:
                continue  # a concurrent delivery of the same event opened it
    return opened


@transaction.atomic
def lookalike_flag_decide(*, actor, flag_id: int, decision: str, note: str = "") -> LookalikeFlag:
    """Resolve (``resolved``: the account was dealt with) or dismiss (``dismissed``) an
    open flag, audited. Raises NotFound, Invalid (another decision), Conflict (decided)."""
    if decision not in (LookalikeFlag.State.RESOLVED, LookalikeFlag.State.DISMISSED):
        raise errors.Invalid({"decision": [_("must be resolved or dismissed")]})
    flag = LookalikeFlag.objects.select_for_update().filter(pk=flag_id).first()
    if flag is None:
        raise errors.NotFound(_("Record not found"))
    if flag.state != LookalikeFlag.State.OPEN:
        raise errors.Conflict(_("This flag was already %(state)s.") % {"state": flag.state})
    flag.state = decision
    flag.decided_at = timezone.now()
    flag.decided_by = actor if getattr(actor, "pk", None) else None
    flag.save(update_fields=["state", "decided_at", "decided_by"])
    audit.lookalike_flag_decided(
        actor=actor, flag_id=flag.pk, account_id=flag.account_id, decision=decision, note=note
    )
    return flag

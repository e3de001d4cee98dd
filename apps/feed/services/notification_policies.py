"""Writes of notification policies (Mastodon 4.3), and the decision they make on each notification.

:func:`notification_verdicts` is asked by
:func:`apps.feed.services.notifications.notifications_create`, for all the
recipients of one notification at once, whether each accepts, filters or drops
it, under Mastodon's ``NotifyService`` conditions:

- ``for_not_following``: the recipient does not follow the sender;
- ``for_not_followers``: the sender does not follow the recipient, or has for less
  than :data:`NEW_FOLLOWER_THRESHOLD`;
- ``for_new_accounts``: the sender joined less than :data:`NEW_ACCOUNT_THRESHOLD`
  ago, and the recipient does not follow them;
- ``for_private_mentions``: a direct mention the recipient does not follow the sender
  for, that does not answer a direct status of the recipient's mentioning the sender;
- ``for_limited_accounts``: the sender's standing is ``limited``, and the recipient
  does not follow them.

Any ``drop`` that holds drops; else any ``filter`` that holds filters. Types that
are not :data:`FILTERABLE_TYPES`, senders who are staff, and senders the recipient
gave a :class:`NotificationPermission` (by accepting their request) are never
filtered. While a policy's ``strict_until`` is in the future
(:func:`notifications_shield_set`), senders the recipient does not follow — new
accounts among them — are filtered whatever the settings say (``drop`` still drops);
the accounts it follows, even new ones, are its own choice and still reach it.

The decision costs a fixed number of queries whatever the number of recipients
(a post mentioning many): the policies, then only the facts some policy needs
(who follows whom, the thread, the permissions), each for every recipient at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import Visibility
from apps.feed.models import (
    Follow,
    Mention,
    Notification,
    NotificationPermission,
    NotificationPolicy,
    NotificationRequest,
    Status,
)
from apps.feed.selectors.statuses import thread_ancestor_ids
from core import errors

ACCEPT = NotificationPolicy.Action.ACCEPT
FILTER = NotificationPolicy.Action.FILTER
DROP = NotificationPolicy.Action.DROP

# Mastodon's NotifyService thresholds.
NEW_ACCOUNT_THRESHOLD = timedelta(days=30)
NEW_FOLLOWER_THRESHOLD = timedelta(days=3)
# The types a policy may hold back (Mastodon's ``Notification::PROPERTIES`` filterable ones);
# the rest (status, poll, update, quoted_update, moderation_warning) always come through.
FILTERABLE_TYPES = frozenset(
    {"mention", "reblog", "follow", "follow_request", "favourite", "quote"}
)
# The types a NotificationRequest gathers (Mastodon's: mentions, and quotes since 4.5).
REQUEST_TYPES = ("mention", "quote")


class _Facts:
    """What the conditions need to know about one sender and many recipients, each fact
    read once for all of them, and only when a policy asks for it."""

    def __init__(
        self, *, recipient_ids: list[int], actor, type: str, status: Status | None, now: datetime
    ) -> None:
        self.recipient_ids = recipient_ids
        self.actor = actor
        self.type = type
        self.status = status
        self.now = now
        self.is_new_account = actor.date_joined > now - NEW_ACCOUNT_THRESHOLD
        self.is_limited = actor.is_limited
        self.is_direct_mention = (
            type == Notification.Type.MENTION
            and status is not None
            and status.visibility == Visibility.DIRECT
        )

    @cached_property
    def followed_by(self) -> frozenset[int]:
        """The recipients who follow the sender."""
        return frozenset(
            Follow.objects.filter(account_id__in=self.recipient_ids, target=self.actor).values_list(
                "account_id", flat=True
            )
        )

    @cached_property
    def long_followed(self) -> frozenset[int]:
        """The recipients the sender has followed for at least NEW_FOLLOWER_THRESHOLD."""
        return frozenset(
            Follow.objects.filter(
                account=self.actor,
                target_id__in=self.recipient_ids,
                created_at__lte=self.now - NEW_FOLLOWER_THRESHOLD,
            ).values_list("target_id", flat=True)
        )

    @cached_property
    def answered(self) -> frozenset[int]:
        """The recipients up whose thread the status answers a direct status of theirs that
        mentions the sender (Mastodon's ``response_to_recipient?``)."""
        if self.status is None or self.status.in_reply_to_id is None:
            return frozenset()
        ancestors = thread_ancestor_ids(self.status)
        return frozenset(
            Mention.objects.filter(
                status_id__in=ancestors,
                status__account_id__in=self.recipient_ids,
                status__visibility=Visibility.DIRECT,
                account=self.actor,
            ).values_list("status__account_id", flat=True)
        )

    def not_following(self, recipient_id: int) -> bool:
        return recipient_id not in self.followed_by

    def holds(self, setting: str, recipient_id: int) -> bool:
        """Whether the condition of ``setting`` holds for ``recipient_id``."""
        if setting == "for_not_following":
            return self.not_following(recipient_id)
        if setting == "for_not_followers":
            return recipient_id not in self.long_followed
        if setting == "for_new_accounts":
            return self.is_new_account and self.not_following(recipient_id)
        if setting == "for_private_mentions":
            return (
                self.is_direct_mention
                and self.not_following(recipient_id)
                and recipient_id not in self.answered
            )
        if setting == "for_limited_accounts":
            return self.is_limited and self.not_following(recipient_id)
        raise ValueError(setting)


def _policies_of(recipient_ids: Iterable[int]) -> dict[int, NotificationPolicy]:
    return {
        policy.account_id: policy
        for policy in NotificationPolicy.objects.filter(account_id__in=list(recipient_ids))
    }


def notification_verdicts(
    *,
    recipient_ids: list[int],
    actor,
    type: str,
    status: Status | None = None,
    now: datetime | None = None,
) -> dict[int, str]:
    """``accept``, ``filter`` or ``drop``, by recipient, for a notification of ``type`` from
    ``actor`` about ``status`` (the rules are the module's)."""
    verdicts = {recipient_id: str(ACCEPT) for recipient_id in recipient_ids}
    if not recipient_ids or type not in FILTERABLE_TYPES or actor.is_staff:
        return verdicts
    now = now or timezone.now()
    policies = _policies_of(recipient_ids)
    facts = _Facts(recipient_ids=recipient_ids, actor=actor, type=type, status=status, now=now)
    for recipient_id in recipient_ids:
        policy = policies.get(recipient_id)
        actions = {
            setting: getattr(policy, setting) if policy else NotificationPolicy.DEFAULTS[setting]
            for setting in NotificationPolicy.SETTINGS
        }
        if any(
            action == DROP and facts.holds(setting, recipient_id)
            for setting, action in actions.items()
        ):
            verdicts[recipient_id] = DROP
            continue
        strict = (
            policy is not None
            and policy.strict_until is not None
            and policy.strict_until > now
            and facts.not_following(recipient_id)
        )
        if strict or any(
            action == FILTER and facts.holds(setting, recipient_id)
            for setting, action in actions.items()
        ):
            verdicts[recipient_id] = FILTER
    held = [recipient_id for recipient_id, verdict in verdicts.items() if verdict != ACCEPT]
    if held:
        permitted = NotificationPermission.objects.filter(
            account_id__in=held, from_account=actor
        ).values_list("account_id", flat=True)
        for recipient_id in permitted:
            verdicts[recipient_id] = ACCEPT
    return verdicts


# Requests --------------------------------------------------------------------


def _filtered_count(request_ref: str = "") -> Coalesce:
    """How many filtered mentions and quotes the request's sender sent its account."""
    counted = (
        Notification.objects.filter(
            account=OuterRef(f"{request_ref}account"),
            from_account=OuterRef(f"{request_ref}from_account"),
            filtered=True,
            type__in=REQUEST_TYPES,
        )
        .order_by()
        .values("account")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def notification_requests_record(*, recipient_ids: list[int], actor, status: Status) -> None:
    """Gather filtered mentions (or quotes) of ``status`` into each recipient's request
    from ``actor``: created if need be, its count recounted, ``status`` its last status.

    Two queries whatever the number of recipients; recounting (rather than adding
    one) keeps the count right when two notifications race. Run in the transaction
    that stored the notifications.
    """
    if not recipient_ids:
        return
    NotificationRequest.objects.bulk_create(
        [
            NotificationRequest(account_id=recipient_id, from_account=actor, last_status=status)
            for recipient_id in recipient_ids
        ],
        ignore_conflicts=True,
    )
    NotificationRequest.objects.filter(account_id__in=recipient_ids, from_account=actor).update(
        last_status=status, notifications_count=_filtered_count(), updated_at=timezone.now()
    )


def notification_requests_recount(
    *, account_ids: Iterable[int], from_account_ids: Iterable[int]
) -> None:
    """Recount the requests of ``account_ids`` from ``from_account_ids`` after notifications
    went; a request left with none goes (Mastodon's ``reconsider_existence!``). Two queries."""
    requests = NotificationRequest.objects.filter(
        account_id__in=list(account_ids), from_account_id__in=list(from_account_ids)
    )
    requests.update(notifications_count=_filtered_count())
    requests.filter(notifications_count=0).delete()


def notification_requests_forget_status(*, status_id: int) -> None:
    """Take the filtered notifications about ``status_id`` out of their requests, before the
    status goes (its notifications go with it). Run in the deleting transaction."""
    held = Notification.objects.filter(status_id=status_id, filtered=True, type__in=REQUEST_TYPES)
    pairs = list(held.values_list("account_id", "from_account_id").distinct())
    if not pairs:
        return
    held.delete()
    notification_requests_recount(
        account_ids={account_id for account_id, _sender in pairs},
        from_account_ids={sender for _account_id, sender in pairs},
    )


# Policies --------------------------------------------------------------------


# v1's booleans (Mastodon 4.2's ``filter_*``): true is ``filter``, false ``accept``.
V1_SETTINGS = {
    "filter_not_following": "for_not_following",
    "filter_not_followers": "for_not_followers",
    "filter_new_accounts": "for_new_accounts",
    "filter_private_mentions": "for_private_mentions",
}


def notification_policy_update(*, account, changes: dict[str, Any]) -> NotificationPolicy:
    """Set some of ``account``'s five settings; each value is ``accept``, ``filter`` or
    ``drop``. Raises ``Invalid`` (nothing saved) for an unknown setting or value."""
    problems: dict[str, list[str]] = {}
    allowed = set(NotificationPolicy.Action.values)
    for setting, value in changes.items():
        if setting not in NotificationPolicy.SETTINGS:
            problems[setting] = [_("is not a notification policy setting")]
        elif not isinstance(value, str) or value not in allowed:
            problems[setting] = [_("must be one of accept, filter or drop")]
    if problems:
        raise errors.Invalid(problems)
    with transaction.atomic():
        policy, _created = NotificationPolicy.objects.select_for_update().get_or_create(
            account=account
        )
        for setting, value in changes.items():
            setattr(policy, setting, value)
        policy.full_clean(exclude=["account"])
        policy.save()
    return policy


def notifications_shield_set(*, account_id: int, until: datetime | None) -> None:
    """Filter notifications to ``account_id`` from accounts it does not follow (new ones
    among them; those it follows still reach it), until ``until`` (whatever its policy
    says; ``drop`` still drops). ``None`` ends it at once. Idempotent."""
    with transaction.atomic():
        policy, _created = NotificationPolicy.objects.select_for_update().get_or_create(
            account_id=account_id
        )
        policy.strict_until = until
        policy.save(update_fields=["strict_until", "updated_at"])


def notifications_filtered_count(*, account_id: int, since: datetime, until: datetime) -> int:
    """How many notifications to ``account_id`` created in ``[since, until)`` were filtered
    (and are still held: an accepted request's are no longer filtered, a dismissed one's
    are gone; dropped ones were never stored)."""
    return Notification.objects.filter(
        account_id=account_id, filtered=True, created_at__gte=since, created_at__lt=until
    ).count()

"""The feed's part of the standing page (:mod:`core.standing`): its five surfaces.

Each line mirrors the rule its surface applies, read through the accounts app's own
reading of a standing in force (``User.is_able_to_act``, ``User.is_limited``), as the
feed store's rules do (:mod:`apps.feed.fanout.rules`):

- home: ``Status.objects.visible_to``: a suspended, disabled or deactivated account's
  statuses reach no one; a limited one's still reach its followers;
- public: ``without_limited_accounts`` on top of that (public, hashtag and link timelines);
- search: statuses come from ``visible_to``, so a limited account's are found only
  by its followers; a barred account is found by no one;
- trends: ``_trend_status_filter``: limited, barred or not discoverable accounts never trend;
- recommendations: follow suggestions take discoverable accounts able to act and not
  limited; the ranked home feed ranks the home timeline, so a limited account stays in
  its followers' (the page says limited: it is no longer recommended to anyone new).

The tests in ``tests/protection/test_standing_surfaces.py`` hold each line to its surface.
"""

from __future__ import annotations

from apps.accounts.models import User
from apps.feed.models import ModerationState, Status
from core import standing
from core.standing import (
    HOME,
    PUBLIC,
    RECOMMENDATIONS,
    SEARCH,
    TRENDS,
    ContentLimitation,
    Decision,
    Limitation,
)

FEED_SURFACES = (HOME, PUBLIC, SEARCH, TRENDS, RECOMMENDATIONS)
# The surfaces that leave out a limited account's statuses (it reaches only its followers).
LIMITED_OUT_OF = (PUBLIC, SEARCH, TRENDS, RECOMMENDATIONS)
# The surfaces that take discoverable accounts only.
DISCOVERABLE_ONLY = (TRENDS, RECOMMENDATIONS)

NOT_DISCOVERABLE = Decision(
    rule="not_discoverable",
    reason="You chose not to be suggested or featured in trends (your profile's discoverable setting).",
    source=standing.Source.ACCOUNT,
    kind="setting",
)
# Never used while accounts explains every standing; no limit goes unlisted if that changes.
UNEXPLAINED_LIMIT = Decision(
    rule="account_standing",
    reason="Your account is limited.",
    source=standing.Source.HUMAN,
    kind="standing",
)
DEACTIVATED = Decision(
    rule="deactivated",
    reason="The account is deactivated.",
    source=standing.Source.HUMAN,
    kind="account",
)


def feed_limitations(account: User, decision: Decision | None) -> list[Limitation]:
    """Where the feed's surfaces limit or hide ``account``; ``decision``: its standing's."""
    if not account.is_able_to_act:
        why = decision or DEACTIVATED
        return [Limitation(surface, standing.State.HIDDEN, why) for surface in FEED_SURFACES]
    found = []
    if account.is_limited:
        why = decision or UNEXPLAINED_LIMIT
        found += [Limitation(surface, standing.State.LIMITED, why) for surface in LIMITED_OUT_OF]
    if not account.discoverable:
        found += [
            Limitation(surface, standing.State.LIMITED, NOT_DISCOVERABLE)
            for surface in DISCOVERABLE_ONLY
        ]
    return found


# Moderated statuses listed on the page: the newest.
CONTENT_SHOWN = 50


def moderated_statuses(account: User) -> list[ContentLimitation]:
    """The account's statuses moderation hid (from all but it) or removed, newest first.

    As ``Status.moderation_state`` records them, which every surface reads
    (``visible_to``, ``live``); moderation's explainer says who decided. One query.
    """
    rows = (
        Status.objects.filter(account_id=account.pk)
        .exclude(moderation_state=ModerationState.VISIBLE)
        .order_by("-pk")
        .values_list("pk", "moderation_state", "moderation_reason")[:CONTENT_SHOWN]
    )
    return [
        ContentLimitation(
            content_type="status",
            content_id=str(status_id),
            state=state,
            decision=Decision(
                rule="content_moderation",
                reason=reason or str(ModerationState(state).label),
                source=standing.Source.HUMAN,
                kind="status",
                id=str(status_id),
            ),
        )
        for status_id, state, reason in rows
    ]


def connect() -> None:
    """Register with :mod:`core.standing` (``FeedConfig.ready``)."""
    standing.register_provider(feed_limitations)
    standing.register_content(moderated_statuses)

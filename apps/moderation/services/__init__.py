"""Writes of the review side, by area (as Zulip's ``actions/``):

- :mod:`.queue`: a case's priority, opening or joining the open case, the queue gauge;
- :mod:`.reports`: community reports;
- :mod:`.cases`: claims, decisions and reopening;
- :mod:`.standing`: Mastodon's admin account actions and lifts.

Every change writes an audit row (:mod:`core.audit`) and reaches other apps through
:mod:`core.events`. Callers import from here (``from apps.moderation import services``).
"""

from .cases import (
    ACCOUNT_ACTIONS,
    CONTENT_ACTIONS,
    STRIKE_FOR_ACTION,
    BulkResult,
    CaseClaimed,
    CaseClosed,
    CaseError,
    case_act,
    case_claim,
    case_reopen,
    case_unclaim,
    cases_act_bulk,
)
from .queue import (
    QUEUE_METRICS_MAX_AGE,
    REACH_WEIGHT,
    REPORTER_WEIGHT,
    SCORE_WEIGHT,
    _queue_sizes,
    case_priority,
    content_reach,
    queue_for_review,
    queue_metrics_connect,
    queue_metrics_refresh,
)
from .reports import report_create
from .standing import ADMIN_ACTION_TYPES, LIFTS, account_action, account_standing_lift

__all__ = [
    "ACCOUNT_ACTIONS",
    "ADMIN_ACTION_TYPES",
    "CONTENT_ACTIONS",
    "LIFTS",
    "QUEUE_METRICS_MAX_AGE",
    "REACH_WEIGHT",
    "REPORTER_WEIGHT",
    "SCORE_WEIGHT",
    "STRIKE_FOR_ACTION",
    "BulkResult",
    "CaseClaimed",
    "CaseClosed",
    "CaseError",
    "_queue_sizes",
    "account_action",
    "account_standing_lift",
    "case_act",
    "case_claim",
    "case_priority",
    "case_reopen",
    "case_unclaim",
    "cases_act_bulk",
    "content_reach",
    "queue_for_review",
    "queue_metrics_connect",
    "queue_metrics_refresh",
    "report_create",
]

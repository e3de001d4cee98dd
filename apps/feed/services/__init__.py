"""Writes of the social core, split by area; each runs in a transaction and emits core.events.

Views, tasks, handlers and the admin call these; none of the rules live anywhere
else. Refusals raise the platform's errors (:mod:`core.errors`, answered in
Mastodon's error shape by the one exception handler): NotFound for what the actor
may not see, Forbidden for what they see but may not do, Invalid (422) for bad
input. Callers use the package (``services.status_create(...)``); the areas are
modules of their own:

- :mod:`.statuses`: publishing, editing, deleting, moderation's decisions;
- :mod:`.interactions`: favourites, reblogs, bookmarks, pins;
- :mod:`.relationships`: follows, follow requests, blocks, mutes;
- :mod:`.notifications`: notifying, dismissing, moderation warnings;
- :mod:`.notification_policies`: whose notifications are accepted, filtered or dropped;
- :mod:`.notification_requests`: accepting and dismissing what a policy filtered;
- :mod:`.markers`: reading positions;
- :mod:`.lists`: lists and their members;
- :mod:`.scheduling`: scheduled statuses;
- :mod:`.polls`: polls, votes and the notification of their end;
- :mod:`.ranking`: training the ranked timeline's model;
- :mod:`.conversations`: direct conversations and thread mutes;
- :mod:`.filters`: filters (v2, and v1's view of them);
- :mod:`.quotes`: quotes, revoking them and a status's quote policy;
- :mod:`.watching`: watch time reported by players' heartbeats.
"""

from apps.feed.services.conversations import (
    conversation_read,
    conversation_remove,
    status_mute,
    status_unmute,
)
from apps.feed.services.filters import (
    filter_create,
    filter_delete,
    filter_keyword_add,
    filter_keyword_delete,
    filter_keyword_update,
    filter_status_add,
    filter_status_delete,
    filter_update,
    filter_v1_create,
    filter_v1_update,
)
from apps.feed.services.interactions import (
    MAX_PINNED,
    status_bookmark,
    status_favourite,
    status_pin,
    status_reblog,
    status_unbookmark,
    status_unfavourite,
    status_unpin,
    status_unreblog,
)
from apps.feed.services.lists import (
    list_accounts_add,
    list_accounts_remove,
    list_create,
    list_delete,
    list_update,
)
from apps.feed.services.markers import markers_save
from apps.feed.services.notification_policies import (
    notification_policy_update,
    notifications_filtered_count,
    notifications_shield_set,
)
from apps.feed.services.notification_requests import (
    notification_requests_accept,
    notification_requests_dismiss,
)
from apps.feed.services.notifications import (
    notification_create,
    notification_dismiss,
    notification_group_dismiss,
    notification_group_keys,
    notifications_clear,
    notifications_create,
    warning_notify,
)
from apps.feed.services.polls import (
    PollParams,
    poll_expire,
    poll_params_validate,
    poll_vote,
    polls_expire_due,
)
from apps.feed.services.quotes import quote_revoke, status_quote_policy_update
from apps.feed.services.ranking import ranking_model_train
from apps.feed.services.relationships import (
    account_block,
    account_follow,
    account_mute,
    account_unblock,
    account_unfollow,
    account_unmute,
    follow_request_authorize,
    follow_request_reject,
)
from apps.feed.services.scheduling import (
    scheduled_status_cancel,
    scheduled_status_create,
    scheduled_status_reschedule,
    scheduled_statuses_publish_due,
)
from apps.feed.services.statuses import (
    status_create,
    status_delete,
    status_edit,
    status_extension_set,
    status_mark_sensitive,
    status_moderate,
    status_text_validate,
)
from apps.feed.services.watching import WatchRecorded, status_watch_record

__all__ = [
    "conversation_read",
    "conversation_remove",
    "status_mute",
    "status_unmute",
    "MAX_PINNED",
    "account_block",
    "account_follow",
    "account_mute",
    "account_unblock",
    "account_unfollow",
    "account_unmute",
    "filter_create",
    "filter_delete",
    "filter_keyword_add",
    "filter_keyword_delete",
    "filter_keyword_update",
    "filter_status_add",
    "filter_status_delete",
    "filter_update",
    "filter_v1_create",
    "filter_v1_update",
    "follow_request_authorize",
    "follow_request_reject",
    "markers_save",
    "notification_create",
    "notification_policy_update",
    "notification_requests_accept",
    "notification_requests_dismiss",
    "notifications_filtered_count",
    "notifications_shield_set",
    "notification_dismiss",
    "notification_group_dismiss",
    "notification_group_keys",
    "notifications_clear",
    "notifications_create",
    "PollParams",
    "poll_expire",
    "poll_params_validate",
    "poll_vote",
    "polls_expire_due",
    "ranking_model_train",
    "scheduled_status_cancel",
    "scheduled_status_create",
    "scheduled_status_reschedule",
    "scheduled_statuses_publish_due",
    "status_bookmark",
    "status_create",
    "status_delete",
    "status_edit",
    "status_extension_set",
    "status_favourite",
    "status_mark_sensitive",
    "status_moderate",
    "status_pin",
    "status_reblog",
    "status_text_validate",
    "status_unbookmark",
    "status_unfavourite",
    "status_unpin",
    "status_unreblog",
    "warning_notify",
    # lists
    "list_accounts_add",
    "list_accounts_remove",
    "list_create",
    "list_delete",
    "list_update",
    # quotes
    "quote_revoke",
    "status_quote_policy_update",
    # watching
    "WatchRecorded",
    "status_watch_record",
]

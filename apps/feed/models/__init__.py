"""The social core: statuses, relationships, interactions and notifications.

Visibility rules live in :class:`StatusQuerySet` (``visible_to``), so every
endpoint, count and search applies the same ones (Takahē keeps them in its post
queryset the same way). Their SQL is compiled once per shape and bound per query
(:mod:`apps.feed.models.compiled`).

Modules by concern: statuses, relationships, notifications, conversations, lists, filters,
watching.
"""

from apps.accounts.models import Visibility
from apps.feed.models.conversations import (
    AccountConversation,
    Conversation,
    ConversationMute,
)
from apps.feed.models.filters import (
    Filter,
    FilterKeyword,
    FilterStatus,
)
from apps.feed.models.lists import (
    List,
    ListAccount,
)
from apps.feed.models.notification_policies import (
    NotificationPermission,
    NotificationPolicy,
    NotificationRequest,
)
from apps.feed.models.notifications import (
    Notification,
    PushSubscription,
)
from apps.feed.models.relationships import (
    ACCOUNT_NOTE_MAX_LENGTH,
    FEATURED_TAGS_LIMIT,
    AccountDomainBlock,
    AccountNote,
    AccountPin,
    Block,
    FeaturedTag,
    Follow,
    FollowRequest,
    Mute,
    Relationship,
    SuggestionDismissal,
    TagFollow,
)
from apps.feed.models.statuses import (
    Bookmark,
    Favourite,
    Marker,
    Mention,
    ModerationState,
    Poll,
    PollVote,
    PreviewCard,
    Quote,
    QuotePolicy,
    RankingModel,
    ScheduledStatus,
    Status,
    StatusEdit,
    StatusQuerySet,
    Tag,
    visible_status,
)
from apps.feed.models.watching import StatusWatch

__all__ = [
    "ACCOUNT_NOTE_MAX_LENGTH",
    "AccountConversation",
    "AccountDomainBlock",
    "AccountNote",
    "AccountPin",
    "Block",
    "Bookmark",
    "Conversation",
    "ConversationMute",
    "FEATURED_TAGS_LIMIT",
    "Favourite",
    "FeaturedTag",
    "Filter",
    "FilterKeyword",
    "FilterStatus",
    "Follow",
    "FollowRequest",
    "List",
    "ListAccount",
    "Marker",
    "Mention",
    "ModerationState",
    "Mute",
    "Notification",
    "NotificationPermission",
    "NotificationPolicy",
    "NotificationRequest",
    "Poll",
    "PollVote",
    "PreviewCard",
    "PushSubscription",
    "Quote",
    "QuotePolicy",
    "RankingModel",
    "Relationship",
    "ScheduledStatus",
    "Status",
    "StatusEdit",
    "StatusQuerySet",
    "visible_status",
    "StatusWatch",
    "SuggestionDismissal",
    "Tag",
    "TagFollow",
    "Visibility",
]

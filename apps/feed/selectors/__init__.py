"""Reads of the social core, split by area: querysets tuned for the API, applying
visibility everywhere.

Callers use the package (``selectors.status_get_for_viewer(...)``); the areas are
modules of their own:

- :mod:`.statuses`: one status for a viewer, threads, pages and what they need;
- :mod:`.timelines`: home, public, hashtag and account timelines;
- :mod:`.accounts`: accounts as the feed relates them (follows, requests, blocks,
  mutes, relationships);
- :mod:`.notifications`, :mod:`.markers`, :mod:`.scheduling`;
- :mod:`.conversations`: direct conversations;
- :mod:`.filters`: an owner's filters, and applying a viewer's to statuses;
- :mod:`.lists`: lists, their members and the list timeline;
- :mod:`.watching`: the status a viewer reports watch time for, and its media's durations;
- :mod:`.search`, :mod:`.trends`, :mod:`.ranking`: discovery, used as modules
  (``search.search(...)``, ``trends.trending_tags(...)``).
"""

from apps.feed.selectors import ranking, search, trends
from apps.feed.selectors.accounts import (
    RelationshipSets,
    account_get_for_viewer,
    active_mutes,
    blocks_page,
    follow_requests_count,
    follow_requests_page,
    followers_page,
    following_page,
    mutes_page,
    relationships,
    without_muted,
)
from apps.feed.selectors.conversations import (
    ConversationView,
    account_conversation_for_stream,
    conversation_get_for_viewer,
    conversations_page,
)
from apps.feed.selectors.filters import (
    ActiveFilters,
    Filtered,
    FilterResult,
    active_filters,
    filter_get_for_owner,
    filter_keyword_get_for_owner,
    filter_keywords_for_owner,
    filter_status_get_for_owner,
    filters_apply,
    filters_for_owner,
)
from apps.feed.selectors.lists import (
    list_accounts_page,
    list_get_for_owner,
    list_timeline,
    lists_containing,
    lists_for_owner,
)
from apps.feed.selectors.markers import markers_for
from apps.feed.selectors.notifications import (
    NotificationGroup,
    NotificationGroupsPage,
    notification_get,
    notification_group_accounts,
    notification_group_get,
    notification_groups_page,
    notifications_browsable,
    notifications_page,
    notifications_unread_count,
)
from apps.feed.selectors.scheduling import scheduled_status_get_for_owner, scheduled_statuses_page
from apps.feed.selectors.statuses import (
    MAX_CONTEXT,
    MEDIA_ATTRIBUTE,
    ViewerState,
    bookmarks_page,
    favourites_page,
    mentions_and_tags_loaded,
    prefetch_media,
    prefetch_mentions_and_tags,
    status_context,
    status_favourited_by,
    status_get_acted_on,
    status_get_for_viewer,
    status_get_own,
    status_media,
    status_mentions,
    status_reblogged_by,
    status_tags,
    statuses_in_order,
    statuses_page,
    tag_get,
    viewer_state,
    with_relations,
)
from apps.feed.selectors.timelines import (
    account_statuses,
    home_candidates,
    home_queryset,
    home_timeline,
    public_timeline,
    tag_timeline,
)
from apps.feed.selectors.watching import (
    media_duration,
    status_get_for_watching,
    status_playable_durations,
)

__all__ = [
    "ConversationView",
    "account_conversation_for_stream",
    "conversation_get_for_viewer",
    "conversations_page",
    "ActiveFilters",
    "FilterResult",
    "Filtered",
    "active_filters",
    "filter_get_for_owner",
    "filter_keyword_get_for_owner",
    "filter_keywords_for_owner",
    "filter_status_get_for_owner",
    "filters_apply",
    "filters_for_owner",
    "MAX_CONTEXT",
    "MEDIA_ATTRIBUTE",
    "RelationshipSets",
    "NotificationGroup",
    "NotificationGroupsPage",
    "ViewerState",
    "account_get_for_viewer",
    "account_statuses",
    "active_mutes",
    "blocks_page",
    "bookmarks_page",
    "favourites_page",
    "follow_requests_count",
    "follow_requests_page",
    "followers_page",
    "following_page",
    "home_candidates",
    "home_queryset",
    "home_timeline",
    "markers_for",
    "mutes_page",
    "notification_get",
    "notification_group_accounts",
    "notification_group_get",
    "notification_groups_page",
    "notifications_browsable",
    "notifications_page",
    "notifications_unread_count",
    "mentions_and_tags_loaded",
    "prefetch_media",
    "prefetch_mentions_and_tags",
    "public_timeline",
    "ranking",
    "relationships",
    "scheduled_status_get_for_owner",
    "scheduled_statuses_page",
    "search",
    "status_context",
    "status_favourited_by",
    "status_get_acted_on",
    "status_get_for_viewer",
    "status_get_own",
    "status_media",
    "status_mentions",
    "status_tags",
    "status_reblogged_by",
    "statuses_in_order",
    "statuses_page",
    "tag_get",
    "tag_timeline",
    "trends",
    "viewer_state",
    "with_relations",
    "without_muted",
    # lists
    "list_accounts_page",
    "list_get_for_owner",
    "list_timeline",
    "lists_containing",
    "lists_for_owner",
    # watching
    "media_duration",
    "status_get_for_watching",
    "status_playable_durations",
]

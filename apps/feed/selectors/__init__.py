"""Reads of the social core, split by area: querysets tuned for the API, applying
visibility everywhere.

Callers use the package (``selectors.status_get_for_viewer(...)``); the areas are
modules of their own:

- :mod:`.statuses`: one status for a viewer, threads, pages and what they need;
- :mod:`.timelines`: home, public, hashtag and account timelines;
- :mod:`.accounts`: accounts as the feed relates them (follows, requests, blocks,
  mutes, relationships);
- :mod:`.notifications`, :mod:`.markers`, :mod:`.scheduling`;
- :mod:`.lists`: lists, their members and the list timeline;
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
from apps.feed.selectors.lists import (
    list_accounts_page,
    list_get_for_owner,
    list_timeline,
    lists_containing,
    lists_for_owner,
)
from apps.feed.selectors.markers import markers_for
from apps.feed.selectors.notifications import notification_get, notifications_page
from apps.feed.selectors.scheduling import scheduled_status_get_for_owner, scheduled_statuses_page
from apps.feed.selectors.statuses import (
    MAX_CONTEXT,
    MEDIA_ATTRIBUTE,
    ViewerState,
    bookmarks_page,
    favourites_page,
    prefetch_media,
    status_context,
    status_favourited_by,
    status_get_for_viewer,
    status_media,
    status_reblogged_by,
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

__all__ = [
    "MAX_CONTEXT",
    "MEDIA_ATTRIBUTE",
    "RelationshipSets",
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
    "notifications_page",
    "prefetch_media",
    "public_timeline",
    "ranking",
    "relationships",
    "scheduled_status_get_for_owner",
    "scheduled_statuses_page",
    "search",
    "status_context",
    "status_favourited_by",
    "status_get_for_viewer",
    "status_media",
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
]

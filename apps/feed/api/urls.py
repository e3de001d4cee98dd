"""Routes of the Mastodon social core."""

from django.urls import path, re_path, register_converter
from django.urls.converters import get_converters

from apps.feed.api import (
    accounts_extra,
    conversations,
    discovery,
    filters,
    grouped_notifications,
    instance,
    links,
    lists,
    markers,
    notification_policies,
    polls,
    push,
    quotes,
    scheduled,
    streaming,
    tags,
    views,
    watching,
)

status_actions = [
    path(f"api/v1/statuses/<id:status_id>/{action}", views.StatusActionView.as_view(action=action))
    for action in views.StatusActionView.ACTIONS
]
account_actions = [
    path(
        f"api/v1/accounts/<id:account_id>/{action}", views.AccountActionView.as_view(action=action)
    )
    for action in views.AccountActionView.SCOPES
]

# Once per process, even if this module is imported again (Django warns on a second one).
if "group_key" not in get_converters():
    register_converter(grouped_notifications.GroupKeyConverter, "group_key")

urlpatterns = [
    path("api/v1/statuses", accounts_extra.StatusesView.as_view()),
    path("api/v1/statuses/<id:status_id>", views.StatusDetailView.as_view()),
    path("api/v1/statuses/<id:status_id>/context", views.StatusContextView.as_view()),
    path("api/v1/statuses/<id:status_id>/history", views.StatusHistoryView.as_view()),
    path("api/v1/statuses/<id:status_id>/source", views.StatusSourceView.as_view()),
    path(
        "api/v1/statuses/<id:status_id>/favourited_by",
        views.StatusFavouritedByView.as_view(relation="favourited_by"),
    ),
    path(
        "api/v1/statuses/<id:status_id>/reblogged_by",
        views.StatusFavouritedByView.as_view(relation="reblogged_by"),
    ),
    *status_actions,
    path("api/v1/scheduled_statuses", scheduled.ScheduledStatusListView.as_view()),
    path(
        "api/v1/scheduled_statuses/<id:scheduled_status_id>",
        scheduled.ScheduledStatusDetailView.as_view(),
    ),
    path("api/v1/favourites", views.FavouritesView.as_view()),
    path("api/v1/markers", markers.MarkersView.as_view()),
    path("api/v1/bookmarks", views.BookmarksView.as_view()),
    path("api/v1/timelines/home", views.HomeTimelineView.as_view()),
    path("api/v1/timelines/public", views.PublicTimelineView.as_view()),
    path("api/v1/timelines/tag/<str:hashtag>", views.TagTimelineView.as_view()),
    path("api/v1/accounts/relationships", views.RelationshipsView.as_view()),
    path("api/v1/accounts/<id:account_id>/statuses", views.AccountStatusesView.as_view()),
    path(
        "api/v1/accounts/<id:account_id>/followers",
        views.AccountRelationListView.as_view(relation="followers"),
    ),
    path(
        "api/v1/accounts/<id:account_id>/following",
        views.AccountRelationListView.as_view(relation="following"),
    ),
    *account_actions,
    path("api/v1/blocks", views.ViewerAccountListView.as_view(relation="blocks")),
    path("api/v1/mutes", views.ViewerAccountListView.as_view(relation="mutes")),
    path("api/v1/follow_requests", views.ViewerAccountListView.as_view(relation="follow_requests")),
    path(
        "api/v1/follow_requests/<id:account_id>/authorize",
        views.FollowRequestActionView.as_view(action="authorize"),
    ),
    path(
        "api/v1/follow_requests/<id:account_id>/reject",
        views.FollowRequestActionView.as_view(action="reject"),
    ),
    path("api/v2/search", discovery.SearchView.as_view()),
    path("api/v1/trends", discovery.TrendsView.as_view()),
    path("api/v1/trends/tags", discovery.TrendingTagsView.as_view()),
    path("api/v1/trends/statuses", discovery.TrendingStatusesView.as_view()),
    path("api/v1/trends/links", links.TrendingLinksView.as_view()),
    path("api/v1/timelines/link", links.LinkTimelineView.as_view()),
    path("api/agora/v1/timelines/ranked", discovery.RankedTimelineView.as_view()),
    path("api/agora/v1/statuses/<id:status_id>/watch", watching.StatusWatchView.as_view()),
    path("api/v1/streaming/health", streaming.streaming_health),
    re_path(
        r"^api/v1/streaming/(?P<stream>user|user/notification|public|public/local|hashtag|hashtag/local|direct|list)$",
        streaming.streaming_events,
    ),
    path("api/v1/notifications", views.NotificationListView.as_view()),
    path("api/v1/notifications/clear", views.NotificationClearView.as_view()),
    path("api/v1/notifications/policy", notification_policies.NotificationPolicyV1View.as_view()),
    path("api/v2/notifications/policy", notification_policies.NotificationPolicyView.as_view()),
    path(
        "api/v1/notifications/requests",
        notification_policies.NotificationRequestListView.as_view(),
    ),
    path(
        "api/v1/notifications/requests/merged",
        notification_policies.NotificationRequestsMergedView.as_view(),
    ),
    path(
        "api/v1/notifications/requests/accept",
        notification_policies.NotificationRequestBulkAcceptView.as_view(),
    ),
    path(
        "api/v1/notifications/requests/dismiss",
        notification_policies.NotificationRequestBulkDismissView.as_view(),
    ),
    path(
        "api/v1/notifications/requests/<id:request_id>",
        notification_policies.NotificationRequestDetailView.as_view(),
    ),
    path(
        "api/v1/notifications/requests/<id:request_id>/accept",
        notification_policies.NotificationRequestAcceptView.as_view(),
    ),
    path(
        "api/v1/notifications/requests/<id:request_id>/dismiss",
        notification_policies.NotificationRequestDismissView.as_view(),
    ),
    path("api/v1/notifications/<id:notification_id>", views.NotificationDetailView.as_view()),
    path(
        "api/v1/notifications/<id:notification_id>/dismiss",
        views.NotificationDismissView.as_view(),
    ),
    path("api/v1/instance/peers", instance.InstancePeersView.as_view()),
    path("api/v1/instance/activity", instance.InstanceActivityView.as_view()),
    path("api/v1/conversations", conversations.ConversationListView.as_view()),
    path(
        "api/v1/conversations/<id:conversation_id>",
        conversations.ConversationDetailView.as_view(),
    ),
    path(
        "api/v1/conversations/<id:conversation_id>/read",
        conversations.ConversationReadView.as_view(),
    ),
    path(
        "api/v1/statuses/<id:status_id>/mute",
        conversations.StatusMuteView.as_view(action="mute"),
    ),
    path(
        "api/v1/statuses/<id:status_id>/unmute",
        conversations.StatusMuteView.as_view(action="unmute"),
    ),
    # Filters: literal paths (keywords/, statuses/) are not ids, so <id:...> never takes them.
    path("api/v2/filters", filters.FilterListView.as_view()),
    path("api/v2/filters/keywords/<id:keyword_id>", filters.FilterKeywordDetailView.as_view()),
    path("api/v2/filters/statuses/<id:filter_status_id>", filters.FilterStatusDetailView.as_view()),
    path("api/v2/filters/<id:filter_id>", filters.FilterDetailView.as_view()),
    path("api/v2/filters/<id:filter_id>/keywords", filters.FilterKeywordListView.as_view()),
    path("api/v2/filters/<id:filter_id>/statuses", filters.FilterStatusListView.as_view()),
    path("api/v1/filters", filters.FilterV1ListView.as_view()),
    path("api/v1/filters/<id:filter_id>", filters.FilterV1DetailView.as_view()),
    # Account and tag endpoints (issue 12).
    path("api/v1/accounts/search", accounts_extra.AccountSearchView.as_view()),
    path("api/v1/accounts/familiar_followers", accounts_extra.FamiliarFollowersView.as_view()),
    path("api/v1/accounts/<id:account_id>/note", accounts_extra.AccountNoteView.as_view()),
    path(
        "api/v1/accounts/<id:account_id>/remove_from_followers",
        accounts_extra.RemoveFromFollowersView.as_view(),
    ),
    *[
        path(
            f"api/v1/accounts/<id:account_id>/{action}",
            accounts_extra.AccountEndorseView.as_view(action=action),
        )
        for action in accounts_extra.AccountEndorseView.ACTIONS
    ],
    path(
        "api/v1/accounts/<id:account_id>/endorsements",
        accounts_extra.AccountEndorsementsView.as_view(),
    ),
    path("api/v1/endorsements", accounts_extra.EndorsementsView.as_view()),
    path("api/v1/suggestions", accounts_extra.SuggestionsView.as_view()),
    path("api/v2/suggestions", accounts_extra.SuggestionsV2View.as_view()),
    path("api/v1/suggestions/<id:account_id>", accounts_extra.SuggestionDismissView.as_view()),
    path("api/v1/domain_blocks", accounts_extra.DomainBlocksView.as_view()),
    path("api/v1/tags/<str:name>", tags.TagDetailView.as_view()),
    *[
        path(f"api/v1/tags/<str:name>/{action}", tags.TagActionView.as_view(action=action))
        for action in tags.TagActionView.SCOPES
    ],
    path("api/v1/followed_tags", tags.FollowedTagsView.as_view()),
    path("api/v1/featured_tags", tags.FeaturedTagsView.as_view()),
    path("api/v1/featured_tags/suggestions", tags.FeaturedTagSuggestionsView.as_view()),
    path("api/v1/featured_tags/<id:featured_tag_id>", tags.FeaturedTagDetailView.as_view()),
    path("api/v1/accounts/<id:account_id>/featured_tags", tags.AccountFeaturedTagsView.as_view()),
    path(
        "api/v1/notifications/unread_count",
        grouped_notifications.NotificationUnreadCountView.as_view(),
    ),
    path("api/v2/notifications", grouped_notifications.NotificationGroupListView.as_view()),
    path(
        "api/v2/notifications/unread_count",
        grouped_notifications.NotificationUnreadCountView.as_view(grouped=True),
    ),
    path("api/v2/notifications/clear", grouped_notifications.NotificationGroupClearView.as_view()),
    path(
        "api/v2/notifications/<group_key:group_key>",
        grouped_notifications.NotificationGroupDetailView.as_view(),
    ),
    path(
        "api/v2/notifications/<group_key:group_key>/dismiss",
        grouped_notifications.NotificationGroupDismissView.as_view(),
    ),
    path(
        "api/v2/notifications/<group_key:group_key>/accounts",
        grouped_notifications.NotificationGroupAccountsView.as_view(),
    ),
    path("api/v1/push/subscription", push.PushSubscriptionView.as_view()),
    path("api/v1/lists", lists.ListsView.as_view()),
    path("api/v1/lists/<id:list_id>", lists.ListDetailView.as_view()),
    path("api/v1/lists/<id:list_id>/accounts", lists.ListAccountsView.as_view()),
    path("api/v1/accounts/<id:account_id>/lists", lists.AccountListsView.as_view()),
    path("api/v1/timelines/list/<id:list_id>", lists.ListTimelineView.as_view()),
    path("api/v1/polls/<id:poll_id>", polls.PollDetailView.as_view()),
    path("api/v1/polls/<id:poll_id>/votes", polls.PollVoteView.as_view()),
    path("api/v1/statuses/<id:status_id>/quotes", quotes.StatusQuotesView.as_view()),
    path(
        "api/v1/statuses/<id:status_id>/quotes/<id:quoting_status_id>/revoke",
        quotes.StatusQuoteRevokeView.as_view(),
    ),
    path(
        "api/v1/statuses/<id:status_id>/interaction_policy",
        quotes.StatusInteractionPolicyView.as_view(),
    ),
]

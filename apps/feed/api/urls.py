"""Routes of the Mastodon social core."""

from django.urls import path, re_path

from apps.feed.api import discovery, markers, polls, scheduled, streaming, views

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

urlpatterns = [
    path("api/v1/statuses", views.StatusCreateView.as_view()),
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
    path("api/agora/v1/timelines/ranked", discovery.RankedTimelineView.as_view()),
    path("api/v1/streaming/health", streaming.streaming_health),
    re_path(
        r"^api/v1/streaming/(?P<stream>user|user/notification|public|public/local|hashtag|hashtag/local)$",
        streaming.streaming_events,
    ),
    path("api/v1/notifications", views.NotificationListView.as_view()),
    path("api/v1/notifications/clear", views.NotificationClearView.as_view()),
    path("api/v1/notifications/<id:notification_id>", views.NotificationDetailView.as_view()),
    path(
        "api/v1/notifications/<id:notification_id>/dismiss",
        views.NotificationDismissView.as_view(),
    ),
    path("api/v1/polls/<id:poll_id>", polls.PollDetailView.as_view()),
    path("api/v1/polls/<id:poll_id>/votes", polls.PollVoteView.as_view()),
]

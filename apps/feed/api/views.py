"""The Mastodon social-core endpoints. Thin: parse, call one service or selector, shape output."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.api.serializers import AccountSerializer
from apps.feed import selectors, services
from apps.feed.api.filters import statuses_filtered
from apps.feed.api.notifications import NotificationEntitySerializer, notification_type_filters
from apps.feed.api.scheduled import ScheduledStatusSerializer
from apps.feed.api.serializers import (
    EmptySerializer,
    RelationshipSerializer,
    StatusContextSerializer,
    StatusCreateSerializer,
    StatusEditSerializer,
    StatusSerializer,
    StatusSourceSerializer,
)
from apps.feed.models import Filter
from apps.feed.selectors.polls import poll_of
from apps.feed.text import mentioned_usernames
from core.api.pagination import paged_response
from core.errors import NotFound
from core.ids import parse_id
from core.pagination import page_params
from core.params import truthy
from core.permissions import HasScope, HasUser, HasUserToWrite
from core.throttling import mentions_check

User = get_user_model()


def _statuses_response(
    request, statuses, *, params, cursor_rows=None, filter_context: str | None = None
) -> Response:
    """A page of statuses; ``cursor_rows`` when the page's cursors are other rows' ids.

    The viewer's filters apply (``filtered``); those that hide in ``filter_context`` take
    statuses out of the page, whose cursors stay those of the page read.
    """
    shown, state = statuses_filtered(viewer=request.user, statuses=statuses, context=filter_context)
    data = StatusSerializer(
        shown, many=True, context={"request": request, "viewer_state": state}
    ).data
    rows = cursor_rows if cursor_rows is not None else statuses
    return paged_response(request, data, rows=rows, params=params)


def _status_response(request, status, status_code=200) -> Response:
    _shown, state = statuses_filtered(viewer=request.user, statuses=[status], context=None)
    data = StatusSerializer(status, context={"request": request, "viewer_state": state}).data
    return Response(data, status=status_code)


def _accounts_response(request, accounts, *, cursor_rows, params) -> Response:
    """A page of accounts, paged by the rows that link them (a follow, a block, a favourite)."""
    data = AccountSerializer(accounts, many=True, context={"request": request}).data
    return paged_response(request, data, rows=cursor_rows, params=params)


class UserView(APIView):
    """A signed-in account acting with a token carrying ``required_scopes``."""

    permission_classes = [HasScope, HasUser]


# Statuses ------------------------------------------------------------------


class StatusCreateView(UserView):
    required_scopes = {"POST": "write:statuses"}
    trust_scope = "statuses"  # new and low-trust accounts post less (core.throttling)

    @extend_schema(
        request=StatusCreateSerializer,
        # With scheduled_at, Mastodon answers the ScheduledStatus instead of the Status.
        responses=PolymorphicProxySerializer(
            component_name="StatusOrScheduledStatus",
            serializers=[StatusSerializer, ScheduledStatusSerializer],
            resource_type_field_name=None,
        ),
    )
    def post(self, request):
        form = StatusCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        token = request.auth
        mentions_check(request, count=len(mentioned_usernames(data["status"])))
        if data.get("scheduled_at"):
            if data.get("media_ids"):
                raise ValidationError(
                    {"media_ids": [_("scheduled statuses cannot carry media yet")]}
                )
            if data.get("quoted_status_id"):
                raise ValidationError(
                    {"quoted_status_id": [_("scheduled statuses cannot quote yet")]}
                )
            scheduled = services.scheduled_status_create(
                author=request.user,
                scheduled_at=data["scheduled_at"],
                text=data["status"],
                visibility=data.get("visibility") or request.user.default_privacy,
                spoiler_text=data["spoiler_text"],
                sensitive=data["sensitive"],
                language=data.get("language") or request.user.default_language or "",
                in_reply_to_id=data.get("in_reply_to_id"),
                application_id=getattr(token, "application_id", None),
                idempotency_key=request.headers.get("Idempotency-Key"),
                poll=data.get("poll"),
                members_only=data["agora_members_only"],
            )
            return Response(ScheduledStatusSerializer(scheduled).data)
        application = getattr(getattr(token, "application", None), "name", "") or ""
        status = services.status_create(
            author=request.user,
            text=data["status"],
            visibility=data.get("visibility") or request.user.default_privacy,
            spoiler_text=data["spoiler_text"],
            sensitive=data["sensitive"],
            language=data.get("language") or request.user.default_language or "",
            in_reply_to_id=data.get("in_reply_to_id"),
            application_name=application,
            idempotency_key=request.headers.get("Idempotency-Key"),
            media_ids=data.get("media_ids") or [],
            poll=data.get("poll"),
            quoted_status_id=data.get("quoted_status_id") or None,
            quote_approval_policy=data.get("quote_approval_policy") or None,
            members_only=data["agora_members_only"],
        )
        return _status_response(
            request, selectors.status_get_own(author=request.user, status_id=status.pk)
        )


class StatusDetailView(APIView):
    permission_classes = [HasScope, HasUserToWrite]
    required_scopes = {"GET": "read:statuses", "PUT": "write:statuses", "DELETE": "write:statuses"}

    @extend_schema(responses=StatusSerializer)
    def get(self, request, status_id: int):
        return _status_response(
            request, selectors.status_get_for_viewer(viewer=request.user, status_id=status_id)
        )

    @extend_schema(request=StatusCreateSerializer, responses=StatusSerializer)
    def put(self, request, status_id: int):
        status = selectors.status_get_for_viewer(viewer=request.user, status_id=status_id)
        form = StatusCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        services.status_edit(
            status=status,
            editor=request.user,
            text=data["status"],
            spoiler_text=data["spoiler_text"],
            sensitive=data["sensitive"],
            language=data.get("language") or None,
            # As Mastodon: the list to keep; omitted, the status loses its attachments.
            media_ids=data.get("media_ids") or [],
            # As Mastodon: the poll to have; omitted, the status loses its poll.
            poll=data.get("poll"),
            poll_given=True,
            quote_approval_policy=data.get("quote_approval_policy") or None,
        )
        return _status_response(
            request, selectors.status_get_for_viewer(viewer=request.user, status_id=status.pk)
        )

    # Mastodon answers a deletion with the status and its source text, for "delete and redraft".
    @extend_schema(responses={200: StatusSerializer})
    def delete(self, request, status_id: int):
        status = selectors.status_get_for_viewer(viewer=request.user, status_id=status_id)
        state = selectors.viewer_state(viewer=request.user, statuses=[status])
        data = StatusSerializer(status, context={"request": request, "viewer_state": state}).data
        services.status_delete(status=status, actor=request.user)
        data["text"] = status.text
        return Response(data)


class StatusContextView(APIView):
    required_scopes = {"GET": "read:statuses"}
    permission_classes = [HasScope]

    @extend_schema(responses=StatusContextSerializer)
    def get(self, request, status_id: int):
        status = selectors.status_get_for_viewer(viewer=request.user, status_id=status_id)
        ancestors, descendants = selectors.status_context(viewer=request.user, status=status)
        shown, state = statuses_filtered(
            viewer=request.user, statuses=ancestors + descendants, context=Filter.Context.THREAD
        )
        kept = {item.pk for item in shown}
        ancestors = [item for item in ancestors if item.pk in kept]
        descendants = [item for item in descendants if item.pk in kept]
        context = {"request": request, "viewer_state": state}
        return Response(
            {
                "ancestors": StatusSerializer(ancestors, many=True, context=context).data,
                "descendants": StatusSerializer(descendants, many=True, context=context).data,
            }
        )


class StatusHistoryView(APIView):
    required_scopes = {"GET": "read:statuses"}
    permission_classes = [HasScope]

    @extend_schema(responses=StatusEditSerializer(many=True))
    def get(self, request, status_id: int):
        status = selectors.status_get_for_viewer(viewer=request.user, status_id=status_id)
        edits = list(status.edits.select_related("status__account"))
        if not edits:
            from apps.feed.models import StatusEdit

            edits = [StatusEdit(status=status, content=status.content, spoiler_text=status.spoiler_text,
                                sensitive=status.sensitive, created_at=status.created_at)]  # fmt: skip
            poll = poll_of(status)
            edits[0].poll_options = poll.options if poll is not None else None
        return Response(StatusEditSerializer(edits, many=True, context={"request": request}).data)


class StatusSourceView(UserView):
    required_scopes = {"GET": "read:statuses"}

    @extend_schema(responses=StatusSourceSerializer)
    def get(self, request, status_id: int):
        status = selectors.status_get_for_viewer(viewer=request.user, status_id=status_id)
        if status.account_id != request.user.pk:
            raise NotFound()
        return Response(StatusSourceSerializer(status).data)


class StatusActionView(UserView):
    """POST /api/v1/statuses/:id/<action>: one service per action."""

    action: str = ""
    required_scopes = {"POST": "write:statuses"}
    ACTIONS = {
        "favourite": (services.status_favourite, "write:favourites"),
        "unfavourite": (services.status_unfavourite, "write:favourites"),
        "reblog": (services.status_reblog, "write:statuses"),
        "unreblog": (services.status_unreblog, "write:statuses"),
        "bookmark": (services.status_bookmark, "write:bookmarks"),
        "unbookmark": (services.status_unbookmark, "write:bookmarks"),
        "pin": (services.status_pin, "write:accounts"),
        "unpin": (services.status_unpin, "write:accounts"),
    }

    def initial(self, request, *args, **kwargs):
        self.required_scopes = {"POST": self.ACTIONS[self.action][1]}
        super().initial(request, *args, **kwargs)

    @extend_schema(request=None, responses=StatusSerializer)
    def post(self, request, status_id: int):
        status = selectors.status_get_for_viewer(
            viewer=request.user, status_id=status_id, for_entity=False
        )
        service = self.ACTIONS[self.action][0]
        kwargs = {}
        if self.action == "reblog" and request.data.get("visibility"):
            kwargs["visibility"] = request.data["visibility"]
        result = service(status=status, account=request.user, **kwargs)
        return _status_response(request, selectors.status_get_acted_on(status_id=result.pk))


class StatusFavouritedByView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": "read:accounts"}
    relation = "favourited_by"

    @extend_schema(responses=AccountSerializer(many=True))
    def get(self, request, status_id: int):
        status = selectors.status_get_for_viewer(viewer=request.user, status_id=status_id)
        params = page_params(request)
        selector = (
            selectors.status_favourited_by
            if self.relation == "favourited_by"
            else selectors.status_reblogged_by
        )
        rows, accounts = selector(viewer=request.user, status=status, params=params)
        return _accounts_response(request, accounts, cursor_rows=rows, params=params)


class FavouritesView(UserView):
    required_scopes = {"GET": "read:favourites"}

    @extend_schema(responses=StatusSerializer(many=True))
    def get(self, request):
        params = page_params(request)
        rows, statuses = selectors.favourites_page(viewer=request.user, params=params)
        return _statuses_response(request, statuses, cursor_rows=rows, params=params)


class BookmarksView(UserView):
    required_scopes = {"GET": "read:bookmarks"}

    @extend_schema(responses=StatusSerializer(many=True))
    def get(self, request):
        params = page_params(request)
        rows, statuses = selectors.bookmarks_page(viewer=request.user, params=params)
        return _statuses_response(request, statuses, cursor_rows=rows, params=params)


# Timelines -----------------------------------------------------------------


class HomeTimelineView(UserView):
    required_scopes = {"GET": "read:statuses"}

    @extend_schema(responses=StatusSerializer(many=True))
    def get(self, request):
        params = page_params(request)
        statuses = selectors.home_timeline(viewer=request.user, params=params)
        return _statuses_response(
            request, statuses, params=params, filter_context=Filter.Context.HOME
        )


class PublicTimelineView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=StatusSerializer(many=True))
    def get(self, request):
        params = page_params(request)
        statuses = selectors.public_timeline(
            viewer=request.user,
            params=params,
            local=truthy(request.query_params.get("local", "")),
            remote=truthy(request.query_params.get("remote", "")),
            only_media=truthy(request.query_params.get("only_media", "")),
        )
        return _statuses_response(
            request, statuses, params=params, filter_context=Filter.Context.PUBLIC
        )


class TagTimelineView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=StatusSerializer(many=True))
    def get(self, request, hashtag):
        params = page_params(request)
        statuses = selectors.tag_timeline(
            viewer=request.user, tag=hashtag, params=params,
            only_media=truthy(request.query_params.get("only_media", "")),
        )  # fmt: skip
        return _statuses_response(
            request, statuses, params=params, filter_context=Filter.Context.PUBLIC
        )


# Accounts and relationships ------------------------------------------------


class AccountStatusesView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": "read:statuses"}

    @extend_schema(responses=StatusSerializer(many=True))
    def get(self, request, account_id: int):
        account = selectors.account_get_for_viewer(viewer=request.user, account_id=account_id)
        params = page_params(request)
        query = request.query_params
        statuses = selectors.account_statuses(
            viewer=request.user,
            account=account,
            params=params,
            exclude_replies=truthy(query.get("exclude_replies", "")),
            exclude_reblogs=truthy(query.get("exclude_reblogs", "")),
            only_media=truthy(query.get("only_media", "")),
            pinned=truthy(query.get("pinned", "")),
            tagged=query.get("tagged") or None,
        )
        return _statuses_response(
            request, statuses, params=params, filter_context=Filter.Context.ACCOUNT
        )


class AccountRelationListView(APIView):
    """Followers or following of an account."""

    permission_classes = [HasScope]
    required_scopes = {"GET": "read:accounts"}
    relation = "followers"

    @extend_schema(responses=AccountSerializer(many=True))
    def get(self, request, account_id: int):
        account = selectors.account_get_for_viewer(viewer=request.user, account_id=account_id)
        params = page_params(request)
        selector = (
            selectors.followers_page if self.relation == "followers" else selectors.following_page
        )
        rows, accounts = selector(account=account, viewer=request.user, params=params)
        return _accounts_response(request, accounts, cursor_rows=rows, params=params)


def _relationship_response(request, account_id: int) -> Response:
    sets = selectors.relationships(viewer=request.user, account_ids=[account_id])
    return Response(RelationshipSerializer(account_id, context={"relationships": sets}).data)


class AccountActionView(UserView):
    """POST /api/v1/accounts/:id/<action>: follow, unfollow, block, unblock, mute, unmute."""

    action: str = ""
    SCOPES = {
        "follow": "write:follows", "unfollow": "write:follows", "block": "write:blocks",
        "unblock": "write:blocks", "mute": "write:mutes", "unmute": "write:mutes",
    }  # fmt: skip

    def initial(self, request, *args, **kwargs):
        self.required_scopes = {"POST": self.SCOPES[self.action]}
        super().initial(request, *args, **kwargs)

    @property
    def trust_scope(self) -> str | None:
        """New and low-trust accounts follow fewer accounts an hour (core.throttling)."""
        return "follows" if self.action == "follow" else None

    @extend_schema(request=None, responses=RelationshipSerializer)
    def post(self, request, account_id: int):
        if self.action in ("unblock",):
            # Unblocking reaches any account, even one that is no longer active.
            target = User.objects.filter(pk=account_id).first()
            if target is None:
                raise NotFound()
        else:
            target = selectors.account_get_for_viewer(viewer=request.user, account_id=account_id)
        data = request.data
        if self.action == "follow" and not target.is_able_to_act:
            # As Mastodon's FollowService: an unavailable account cannot be followed.
            raise NotFound()
        if self.action == "follow":
            services.account_follow(
                account=request.user, target=target,
                reblogs=truthy(data.get("reblogs", True)), notify=truthy(data.get("notify", False)),
            )  # fmt: skip
        elif self.action == "unfollow":
            services.account_unfollow(account=request.user, target=target)
        elif self.action == "block":
            services.account_block(account=request.user, target=target)
        elif self.action == "unblock":
            services.account_unblock(account=request.user, target=target)
        elif self.action == "mute":
            try:
                duration = int(data.get("duration", 0) or 0)
            except (TypeError, ValueError):
                raise ValidationError(
                    {"duration": [_("must be a whole number of seconds")]}
                ) from None
            services.account_mute(
                account=request.user, target=target,
                notifications=truthy(data.get("notifications", True)), duration=duration,
            )  # fmt: skip
        elif self.action == "unmute":
            services.account_unmute(account=request.user, target=target)
        return _relationship_response(request, target.pk)


class RelationshipsView(UserView):
    required_scopes = {"GET": "read:follows"}

    @extend_schema(responses=RelationshipSerializer(many=True))
    def get(self, request):
        raw = request.query_params.getlist("id[]") or request.query_params.getlist("id")
        ids = [i for i in (parse_id(v) for v in raw) if i is not None]
        if len(ids) != len(raw):
            raise ValidationError({"id": [_("must be account ids")]})
        sets = selectors.relationships(viewer=request.user, account_ids=ids)
        return Response(
            [RelationshipSerializer(i, context={"relationships": sets}).data for i in ids]
        )


class ViewerAccountListView(UserView):
    """The viewer's blocks, mutes or follow requests."""

    relation = "blocks"
    SCOPES = {"blocks": "read:blocks", "mutes": "read:mutes", "follow_requests": "read:follows"}

    def initial(self, request, *args, **kwargs):
        self.required_scopes = {"GET": self.SCOPES[self.relation]}
        super().initial(request, *args, **kwargs)

    @extend_schema(responses=AccountSerializer(many=True))
    def get(self, request):
        params = page_params(request)
        selector = {
            "blocks": selectors.blocks_page,
            "mutes": selectors.mutes_page,
            "follow_requests": selectors.follow_requests_page,
        }[self.relation]
        rows, accounts = selector(viewer=request.user, params=params)
        return _accounts_response(request, accounts, cursor_rows=rows, params=params)


class FollowRequestActionView(UserView):
    required_scopes = {"POST": "write:follows"}
    action = "authorize"

    @extend_schema(request=None, responses=RelationshipSerializer)
    def post(self, request, account_id: int):
        requester = User.objects.filter(pk=account_id).first()
        if requester is None:
            raise NotFound()
        if self.action == "authorize":
            services.follow_request_authorize(account=request.user, requester=requester)
        else:
            services.follow_request_reject(account=request.user, requester=requester)
        return _relationship_response(request, requester.pk)


# Notifications -------------------------------------------------------------


def _notifications_shown(request, notifications, *, filter_context=None) -> tuple[list, dict]:
    """The notifications shown and their serializer context, the viewer's filters applied:
    one whose status a ``hide`` filter of ``filter_context`` matches is left out."""
    statuses = [n.status for n in notifications if n.status_id]
    shown, state = statuses_filtered(viewer=request.user, statuses=statuses, context=filter_context)
    kept = {status.pk for status in shown}
    notifications = [n for n in notifications if n.status_id is None or n.status_id in kept]
    return notifications, {"request": request, "viewer_state": state}


class NotificationListView(UserView):
    required_scopes = {"GET": "read:notifications"}

    @extend_schema(
        operation_id="notifications_list", responses=NotificationEntitySerializer(many=True)
    )
    def get(self, request):
        params = page_params(request)
        notifications = selectors.notifications_page(
            viewer=request.user, params=params, **notification_type_filters(request)
        )
        shown, context = _notifications_shown(
            request, notifications, filter_context=Filter.Context.NOTIFICATIONS
        )
        data = NotificationEntitySerializer(shown, many=True, context=context).data
        return paged_response(request, data, rows=notifications, params=params)


class NotificationDetailView(UserView):
    required_scopes = {"GET": "read:notifications"}

    @extend_schema(responses=NotificationEntitySerializer)
    def get(self, request, notification_id: int):
        notification = selectors.notification_get(
            viewer=request.user, notification_id=notification_id
        )
        _shown, context = _notifications_shown(request, [notification])
        return Response(NotificationEntitySerializer(notification, context=context).data)


class NotificationDismissView(UserView):
    required_scopes = {"POST": "write:notifications"}

    @extend_schema(request=None, responses=EmptySerializer)
    def post(self, request, notification_id: int):
        notification = selectors.notification_get(
            viewer=request.user, notification_id=notification_id
        )
        services.notification_dismiss(account=request.user, notification_id=notification.pk)
        return Response({})


class NotificationClearView(UserView):
    required_scopes = {"POST": "write:notifications"}

    @extend_schema(request=None, responses=EmptySerializer)
    def post(self, request):
        services.notifications_clear(account=request.user)
        return Response({})

"""The feed's back office: statuses, tags, notifications and account limits, read-only.

Moderators (``core.roles``) hold only the view permissions of these models. The
screens are read-only for everyone, superusers included: statuses are written
through ``apps.feed.services`` (which keeps counters, notifications and events
right), and moderation actions arrive with the moderation app, through services.
The status list stays a fixed number of queries whatever the page holds.

Direct messages are never listed or searched; one opens only through a moderation
case that concerns it, and each opening is audited (``core.case_access``).
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Visibility
from apps.feed.models import Mention, Notification, PreviewCard, Status, StatusEdit, Tag
from core import case_access
from core.admin_mixins import ReadOnlyAdminMixin


class AuthorFilter(admin.SimpleListFilter):
    """Statuses of one author, chosen by clicking an author in the list (``?author=<id>``).

    It lists only the chosen author, so the sidebar never loads every account.
    """

    title = _("author")
    parameter_name = "author"

    def lookups(self, request, model_admin):
        value = self.value()
        if not value or not value.isdigit():
            return []
        account = Status._meta.get_field("account").related_model
        chosen = account.objects.filter(pk=int(value)).values_list("pk", "username").first()
        return [(str(chosen[0]), f"@{chosen[1]}")] if chosen else []

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(account_id=int(value))


class StatusEditInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = StatusEdit
    extra = 0
    fields = ("created_at", "text", "spoiler_text", "sensitive")
    readonly_fields = fields
    verbose_name = _("earlier revision")
    verbose_name_plural = _("edit history")


class MentionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Mention
    extra = 0
    fields = ("account",)
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account")


@admin.register(Status)
class StatusAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "author",
        "excerpt",
        "visibility",
        "moderation_state",
        "created_at",
        "replies_count",
        "reblogs_count",
        "favourites_count",
    ]
    list_select_related = ["account"]
    list_filter = ["visibility", "moderation_state", "created_at", AuthorFilter]
    search_fields = ["text", "spoiler_text", "=account__username"]
    search_help_text = _("Text of the status, or the author's exact username.")
    ordering = ["-id"]
    show_full_result_count = False
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["id", "account", "created_at", "edited_at", "application_name"]}),
        (
            _("Content"),
            {"fields": ["text", "spoiler_text", "sensitive", "language", "visibility"]},
        ),
        (_("Thread"), {"fields": ["in_reply_to", "reblog_of"]}),
        (_("Moderation"), {"fields": ["moderation_state", "moderation_reason"]}),
        (
            _("Counts"),
            {"fields": ["replies_count", "reblogs_count", "favourites_count", "pinned_at"]},
        ),
    ]
    readonly_fields = [
        "id",
        "account",
        "created_at",
        "edited_at",
        "application_name",
        "text",
        "spoiler_text",
        "sensitive",
        "language",
        "visibility",
        "in_reply_to",
        "reblog_of",
        "moderation_state",
        "moderation_reason",
        "replies_count",
        "reblogs_count",
        "favourites_count",
        "pinned_at",
    ]
    inlines = [StatusEditInline, MentionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        """Every status but direct messages: those are never listed, searched or counted."""
        return (
            super()
            .get_queryset(request)
            .exclude(visibility=Visibility.DIRECT)
            .select_related("account", "in_reply_to", "reblog_of")
        )

    def get_object(self, request: HttpRequest, object_id: str, from_field=None):
        """The status; a direct message only when a moderation case concerns it, audited.

        Each opening of a direct message (its page, its history) appends an audit row
        naming the cases it was opened through (``core.case_access``).
        """
        status = super().get_object(request, object_id, from_field)
        if status is not None or from_field is not None:
            return status
        try:
            message = (
                Status.objects.filter(pk=object_id, visibility=Visibility.DIRECT)
                .select_related("account", "in_reply_to", "reblog_of")
                .first()
            )
        except (ValueError, ValidationError):
            return None
        if message is None:
            return None
        case_ids = case_access.cases_concerning(
            content_type="status", content_id=message.pk, author_id=message.account_id
        )
        if not case_ids:
            return None
        case_access.private_content_viewed(
            actor=request.user,
            content_type="status",
            content_id=message.pk,
            case_ids=case_ids,
            what="direct message",
        )
        return message

    @admin.display(description=_("author"), ordering="account__username")
    def author(self, status: Status) -> str:
        return format_html(
            '<a href="?author={}" title="{}">@{}</a>',
            status.account_id,
            _("Only this author's statuses"),
            status.account.username,
        )

    @admin.display(description=_("text"))
    def excerpt(self, status: Status) -> str:
        if status.reblog_of_id:
            return _("(reblog of %(id)s)") % {"id": status.reblog_of_id}
        text = status.spoiler_text or status.text
        return text if len(text) <= 80 else f"{text[:79]}…"


@admin.register(Tag)
class TagAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    ordering = ["name"]
    show_full_result_count = False
    fields = ("name", "created_at")
    readonly_fields = fields


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "type", "account", "from_account", "status_id", "created_at"]
    list_select_related = ["account", "from_account"]
    list_filter = ["type", "created_at"]
    search_fields = ["=account__username", "=from_account__username"]
    search_help_text = _("The exact username of the recipient or of the actor.")
    ordering = ["-id"]
    show_full_result_count = False
    fields = ("id", "type", "account", "from_account", "status", "created_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("account", "from_account", "status")


@admin.register(PreviewCard)
class PreviewCardAdmin(admin.ModelAdmin):
    """Link previews the worker fetched. Nothing is edited here; a moderator may delete a
    card (a misleading or harmful preview): its statuses then show none until edited."""

    list_display = ["title", "url", "provider_name", "type", "updated_at"]
    list_filter = ["type"]
    search_fields = ["url", "title", "provider_name"]
    ordering = ["-updated_at"]
    show_full_result_count = False
    fields = (
        "url", "title", "description", "type", "provider_name", "author_name", "image",
        "image_description", "width", "height", "language", "published_at", "created_at",
        "updated_at",
    )  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

"""Live's back office: streams (live now, ended) with the kill switch, and allowances.

Moderators end a stream with the kill switch, which also rotates its key and records
who and why; operators decide who may go live without a plan. The stream key is
never shown: only its hash is stored.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.live import services
from apps.live.models import (
    ChannelBan,
    ChannelModerator,
    ChatMessage,
    ChatTimeout,
    LiveAllowance,
    LiveRestriction,
    Stream,
)
from apps.live.services import chat
from core.admin_mixins import ReadOnlyAdminMixin, confirm_with_reason


@admin.register(Stream)
class StreamAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every stream, live ones first to look at, with the kill switch."""

    list_display = ["id", "title", "account_id", "visibility", "state", "started_at", "ended_at"]
    list_filter = ["state", "visibility"]
    search_fields = ["=id", "=account__id", "title"]
    date_hierarchy = "created_at"
    actions = ["kill"]
    exclude = ["account", "key_hash"]
    readonly_fields = [
        "account_id",
        "title",
        "description",
        "visibility",
        "state",
        "internal_name",
        "chat_settings",
        "started_at",
        "ended_at",
        "ended_by",
        "end_reason",
        "peak_viewers",
        "unique_viewers",
    ]

    def has_kill_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("live.kill_stream")

    @admin.action(
        description=_("Kill switch: end, rotate the key (with a reason)"), permissions=["kill"]
    )
    def kill(self, request: HttpRequest, queryset: QuerySet):
        return confirm_with_reason(
            self,
            request,
            action="kill",
            objects=list(queryset.exclude(state=Stream.State.ENDED)),
            title=_("End streams with the kill switch"),
            intro=_("These streams end now and their keys are rotated:"),
            empty=_("None of the selected streams is idle or live."),
            submit=_("End and rotate the key"),
            describe=lambda stream: (
                f"{stream.title} — {stream.account_id} — {stream.get_state_display()}"
            ),
            perform=lambda stream, reason: services.stream_kill(
                stream=stream, actor=request.user, reason=reason
            ),
            done=_("%(count)d streams ended and their keys rotated."),
        )


@admin.register(LiveAllowance)
class LiveAllowanceAdmin(admin.ModelAdmin):
    """Accounts an operator allowed to go live without a plan (``manage.py live_allow``)."""

    list_display = ["account", "granted_by", "granted_at"]
    search_fields = ["=account__id", "account__username"]
    raw_id_fields = ["account"]

    def get_fields(self, request, obj=None):
        return ["account"] if obj is None else ["account", "granted_by", "granted_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["account", "granted_by", "granted_at"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        allowance, _created = services.live_allow(account=obj.account, actor=request.user)
        obj.pk = allowance.pk

    def delete_model(self, request, obj) -> None:
        services.live_revoke(account=obj.account, actor=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for allowance in queryset.select_related("account"):
            services.live_revoke(account=allowance.account, actor=request.user)


class LiveRestrictionForm(forms.ModelForm):
    class Meta:
        model = LiveRestriction
        fields = ["account", "reason", "until"]

    def clean_until(self):
        until = self.cleaned_data.get("until")
        if until is not None and until <= timezone.now():
            raise forms.ValidationError(_("The end must be in the future."))
        return until


@admin.register(LiveRestriction)
class LiveRestrictionAdmin(admin.ModelAdmin):
    """Accounts staff barred from going live, why and until when; lifting one needs a reason.

    Adding (or changing) a restriction and lifting it are audited; the account is told
    the reason when it tries to go live.
    """

    list_display = ["account", "reason", "until", "created_by", "created_at"]
    search_fields = ["=account__id", "account__username"]
    raw_id_fields = ["account"]
    actions = ["lift"]
    form = LiveRestrictionForm

    def get_fields(self, request, obj=None):
        fields = ["account", "reason", "until"]
        return fields if obj is None else [*fields, "created_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["account", "created_by", "created_at"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # lifted with a reason, by the action

    def has_lift_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("live.change_liverestriction")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change) -> None:
        restriction = services.live_restrict(
            account=obj.account, reason=obj.reason, until=obj.until, actor=request.user
        )
        obj.pk = restriction.pk

    @admin.action(description=_("Lift with a reason"), permissions=["lift"])
    def lift(self, request: HttpRequest, queryset: QuerySet):
        return confirm_with_reason(
            self,
            request,
            action="lift",
            objects=list(queryset.select_related("account")),
            title=_("Allow going live again"),
            intro=_("These accounts may go live again (their plan or an allowance permitting):"),
            empty=_("None selected."),
            submit=_("Lift the restriction"),
            describe=lambda restriction: f"{restriction.account} — {restriction.reason}",
            perform=lambda restriction, reason: services.live_unrestrict(
                account=restriction.account, reason=reason, actor=request.user
            ),
            done=_("%(count)d restrictions lifted."),
        )


# Chat ------------------------------------------------------------------------------------


@admin.register(ChatMessage)
class ChatMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Chat search by stream and author; moderators hide and restore messages, audited
    (a hidden message is deleted for everyone watching)."""

    list_display = ["id", "stream_id", "author", "text", "state", "state_by", "created_at"]
    list_filter = ["state"]
    search_fields = ["=stream__id", "=author__id", "author__username", "text"]
    list_select_related = ["author"]
    actions = ["hide", "restore"]
    exclude = ["stream", "author", "reply_to"]
    readonly_fields = [
        "stream_id",
        "author_id",
        "text",
        "reply_to_id",
        "state",
        "state_by",
        "state_reason",
        "created_at",
    ]

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("live.moderate_chatmessage")

    def _set(self, request: HttpRequest, queryset: QuerySet, state: str, reason: str) -> None:
        changed = sum(
            chat.chat_message_staff_set(
                actor=request.user, message_id=pk, state=state, reason=reason
            )
            for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(
            request, _("%(count)d messages changed.") % {"count": changed}, messages.SUCCESS
        )

    @admin.action(description=_("Hide (deleted for everyone watching)"), permissions=["moderate"])
    def hide(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set(request, queryset, ChatMessage.State.HIDDEN, "hidden by staff")

    @admin.action(description=_("Restore"), permissions=["moderate"])
    def restore(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set(request, queryset, ChatMessage.State.VISIBLE, "restored by staff")


class ChannelRowForm(forms.ModelForm):
    """Refuses what the service would: the streamer acting on its own channel."""

    target_field = ""

    def clean(self):
        cleaned = super().clean()
        target = cleaned.get(self.target_field)
        if target is not None and target == cleaned.get("channel"):
            raise forms.ValidationError(_("The streamer cannot be acted on in its own channel."))
        return cleaned


class ChannelBanForm(ChannelRowForm):
    target_field = "account"

    class Meta:
        model = ChannelBan
        fields = ["channel", "account", "reason"]


class ChannelModeratorForm(ChannelRowForm):
    target_field = "moderator"

    class Meta:
        model = ChannelModerator
        fields = ["channel", "moderator"]


class _ChannelRowAdmin(admin.ModelAdmin):
    """Added and removed only through the chat's services (staff: audited); never changed."""

    raw_id_fields = ["channel"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def add(self, request: HttpRequest, obj):
        """Add the row ``obj`` describes through the chat's service; the stored row."""
        raise NotImplementedError

    def save_model(self, request, obj, form, change) -> None:
        obj.pk = self.add(request, obj).pk

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(ChannelBan)
class ChannelBanAdmin(_ChannelRowAdmin):
    """Accounts banned from a channel's chats (all of its streams)."""

    list_display = ["channel", "account", "reason", "banned_by", "created_at"]
    search_fields = ["=channel__id", "channel__username", "=account__id", "account__username"]
    raw_id_fields = ["channel", "account"]
    form = ChannelBanForm

    def add(self, request, obj):
        return chat.chat_ban(
            actor=request.user,
            channel_id=obj.channel_id,
            account_id=obj.account_id,
            reason=obj.reason,
            staff=True,
        )

    def delete_model(self, request, obj) -> None:
        chat.chat_unban(
            actor=request.user, channel_id=obj.channel_id, account_id=obj.account_id, staff=True
        )


@admin.register(ChannelModerator)
class ChannelModeratorAdmin(_ChannelRowAdmin):
    """Who moderates each channel's chats."""

    list_display = ["channel", "moderator", "added_by", "created_at"]
    search_fields = ["=channel__id", "channel__username", "=moderator__id", "moderator__username"]
    raw_id_fields = ["channel", "moderator"]
    form = ChannelModeratorForm

    def add(self, request, obj):
        return chat.channel_moderator_add(
            actor=request.user, channel_id=obj.channel_id, account_id=obj.moderator_id, staff=True
        )

    def delete_model(self, request, obj) -> None:
        chat.channel_moderator_remove(
            actor=request.user, channel_id=obj.channel_id, account_id=obj.moderator_id, staff=True
        )


class ChatTimeoutForm(forms.ModelForm):
    """A timeout staff give from a stream's chat: its stream, the account and how long."""

    seconds = forms.IntegerField(
        min_value=1,
        max_value=chat.TIMEOUT_MAX_SECONDS,
        initial=600,
        help_text=_("How long the account stays quiet in the channel's chats."),
    )

    class Meta:
        model = ChatTimeout
        fields = ["stream", "account", "reason"]

    def clean(self):
        cleaned = super().clean()
        stream, account = cleaned.get("stream"), cleaned.get("account")
        if stream is None:
            self.add_error("stream", _("A timeout is given from a stream's chat."))
        elif account is not None and account.pk == stream.account_id:
            raise forms.ValidationError(_("The streamer cannot be acted on in its own channel."))
        return cleaned


@admin.register(ChatTimeout)
class ChatTimeoutAdmin(admin.ModelAdmin):
    """Accounts kept quiet in a channel's chats for a while. Staff give one from a stream
    (announced in its room, audited) and lift one early by deleting it (audited)."""

    list_display = ["channel", "account", "until", "reason", "timed_out_by", "created_at"]
    search_fields = ["=channel__id", "channel__username", "=account__id", "account__username"]
    raw_id_fields = ["stream", "account"]
    form = ChatTimeoutForm
    actions = ["lift"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_lift_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("live.delete_chattimeout")

    def save_model(self, request, obj, form, change) -> None:
        # The form has refused what the service would (no stream, the streamer, a duration
        # out of range); staff act with the streamer's powers.
        saved = chat.chat_timeout(
            actor=request.user,
            stream=obj.stream,
            account_id=obj.account_id,
            seconds=form.cleaned_data["seconds"],
            reason=obj.reason,
            staff=True,
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj) -> None:
        chat.chat_timeout_lift(actor=request.user, timeout=obj)

    @admin.action(description=_("Lift (the account may chat again now)"), permissions=["lift"])
    def lift(self, request: HttpRequest, queryset: QuerySet) -> None:
        lifted = sum(chat.chat_timeout_lift(actor=request.user, timeout=t) for t in queryset)
        self.message_user(
            request, _("%(count)d timeouts lifted.") % {"count": lifted}, messages.SUCCESS
        )

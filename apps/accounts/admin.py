"""Back-office screens for accounts and OAuth applications."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from oauth2_provider.admin import ApplicationAdmin as OAuthApplicationAdmin

from apps.accounts import services
from apps.accounts.models import Announcement, Application, CustomEmoji, User
from apps.accounts.selectors import forget_custom_emojis

# Only superusers may change these: they decide who can sign in and what they may do.
SUPERUSER_ONLY_FIELDS = ("password", "is_staff", "is_superuser", "groups", "user_permissions")
# Read-only here: moderation changes an account's standing (through AccountRestricted).
STANDING_FIELDS = (
    "standing",
    "standing_reason",
    "standing_source",
    "standing_until",
    "standing_changed_at",
)


class AccountChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class AccountCreationForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts. Disabling and enabling go through the services (ending tokens and sessions)."""

    form = AccountChangeForm
    add_form = AccountCreationForm
    list_display = (
        "username",
        "email",
        "display_name",
        "is_active",
        "standing",
        "is_staff",
        "date_joined",
    )
    list_filter = ("is_active", "standing", "is_staff", "is_superuser", "bot", "locked", "groups")
    search_fields = ("username", "email", "display_name")
    ordering = ("-date_joined",)
    date_hierarchy = "date_joined"
    actions = ("disable_accounts", "enable_accounts")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Contact"), {"fields": ("email", "locale")}),
        (
            _("Profile"),
            {
                "fields": (
                    "display_name",
                    "note",
                    "avatar",
                    "header",
                    "fields",
                    "locked",
                    "bot",
                    "discoverable",
                )
            },
        ),
        (
            _("Posting defaults"),
            {"fields": ("default_privacy", "default_sensitive", "default_language")},
        ),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (
            _("Standing (set by moderation)"),
            {"fields": STANDING_FIELDS},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "password1", "password2"),
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        """``is_active`` changes through the actions only, the standing through moderation
        only; permissions by superusers only."""
        readonly = ["last_login", "date_joined", *STANDING_FIELDS]
        if obj is not None:
            readonly.append("is_active")
        if not request.user.is_superuser:
            readonly.extend(SUPERUSER_ONLY_FIELDS)
        return readonly

    def has_change_permission(self, request, obj=None):
        """Only a superuser may change a superuser's account."""
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def user_change_password(self, request, id, form_url=""):
        """Setting another account's password is a superuser power."""
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    @admin.action(
        description=_("Disable the selected accounts (ends their logins)"), permissions=["change"]
    )
    def disable_accounts(self, request, queryset):
        # Nobody locks themselves out here, and only a superuser may disable a superuser.
        queryset = queryset.exclude(pk=request.user.pk).filter(is_active=True)
        if not request.user.is_superuser:
            queryset = queryset.exclude(is_superuser=True)
        accounts = list(queryset)
        for account in accounts:
            services.account_disable(account=account, actor=request.user, reason="admin")
        self.message_user(
            request,
            ngettext("Disabled %d account.", "Disabled %d accounts.", len(accounts))
            % len(accounts),
            messages.SUCCESS,
        )

    @admin.action(description=_("Enable the selected accounts"), permissions=["change"])
    def enable_accounts(self, request, queryset):
        accounts = list(queryset.filter(is_active=False))
        for account in accounts:
            services.account_enable(account=account, actor=request.user, reason="admin")
        self.message_user(
            request,
            ngettext("Enabled %d account.", "Enabled %d accounts.", len(accounts)) % len(accounts),
            messages.SUCCESS,
        )


admin.site.unregister(Application)


@admin.register(Application)
class ApplicationAdmin(OAuthApplicationAdmin):
    """OAuth applications. The list never shows the client secret (it is stored hashed)."""

    list_display = ("pk", "name", "client_id", "user", "scopes", "authorization_grant_type")
    search_fields = ("name", "client_id", "website")


class CustomEmojiForm(forms.ModelForm):
    class Meta:
        model = CustomEmoji
        fields = ("shortcode", "image", "category", "visible_in_picker", "disabled")

    def clean_image(self):
        image = self.cleaned_data["image"]
        if image is not None and getattr(image, "size", 0) > CustomEmoji.MAX_IMAGE_BYTES:
            raise forms.ValidationError(_("An emoji image may be at most 256 KB."))
        content_type = getattr(image, "content_type", None)
        if content_type is not None and content_type not in CustomEmoji.IMAGE_TYPES:
            raise forms.ValidationError(_("An emoji image must be a PNG, GIF or WebP file."))
        return image


@admin.register(CustomEmoji)
class CustomEmojiAdmin(admin.ModelAdmin):
    """The instance's custom emojis: uploaded, categorised, hidden from the picker or disabled."""

    form = CustomEmojiForm
    list_display = ("shortcode", "category", "visible_in_picker", "disabled", "updated_at")
    list_filter = ("disabled", "visible_in_picker", "category")
    search_fields = ("shortcode", "category")
    actions = ("enable", "disable")

    @admin.action(description=_("Enable the selected emojis"), permissions=["change"])
    def enable(self, request, queryset) -> None:
        count = queryset.update(disabled=False)
        forget_custom_emojis()
        self.message_user(
            request, ngettext("%d emoji enabled.", "%d emojis enabled.", count) % count
        )

    @admin.action(description=_("Disable the selected emojis"), permissions=["change"])
    def disable(self, request, queryset) -> None:
        count = queryset.update(disabled=True)
        forget_custom_emojis()
        self.message_user(
            request, ngettext("%d emoji disabled.", "%d emojis disabled.", count) % count
        )

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        forget_custom_emojis()


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    """Notices to every account: written here, shown once published until they end."""

    list_display = ("__str__", "published", "published_at", "starts_at", "ends_at")
    list_filter = ("published",)
    search_fields = ("text",)
    fields = ("text", "starts_at", "ends_at", "all_day", "published", "published_at")
    readonly_fields = ("published", "published_at")
    actions = ("publish", "unpublish")

    @admin.action(description=_("Publish the selected announcements"), permissions=["change"])
    def publish(self, request, queryset) -> None:
        count = services.publish_announcements(queryset)
        self.message_user(
            request,
            ngettext("%d announcement published.", "%d announcements published.", count) % count,
        )

    @admin.action(description=_("Withdraw the selected announcements"), permissions=["change"])
    def unpublish(self, request, queryset) -> None:
        count = services.unpublish_announcements(queryset)
        self.message_user(
            request,
            ngettext("%d announcement withdrawn.", "%d announcements withdrawn.", count) % count,
        )

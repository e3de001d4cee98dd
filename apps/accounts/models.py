"""Accounts: the user (a Mastodon Account), its standing, and OAuth client applications."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AbstractApplication

from core.models import RowLoading, SnowflakeIdField

USERNAME_MAX_LENGTH = 30
DISPLAY_NAME_MAX_LENGTH = 30
NOTE_MAX_LENGTH = 500
MAX_PROFILE_FIELDS = 4
PROFILE_FIELD_MAX_LENGTH = 255

username_validator = RegexValidator(
    regex=r"^[A-Za-z0-9_]+\Z",
    message=_("must contain only letters, numbers and underscores"),
    code="invalid",
)


class Visibility(models.TextChoices):
    """Who may see a status (Mastodon's ``visibility``)."""

    PUBLIC = "public", _("public")
    UNLISTED = "unlisted", _("unlisted")
    PRIVATE = "private", _("followers only")
    DIRECT = "direct", _("mentioned people only")


class QuoteApprovalPolicy(models.TextChoices):
    """Who may quote a status (Mastodon 4.5's ``quote_approval_policy``)."""

    PUBLIC = "public", _("anyone")
    FOLLOWERS = "followers", _("followers")
    NOBODY = "nobody", _("only me")


class Standing(models.TextChoices):
    """An account's standing, the one vocabulary every app uses (and ``AccountRestricted`` carries).

    ``limited``: the account keeps acting, but its statuses reach only its followers
    (Mastodon's silence). ``suspended`` and ``disabled``: its tokens stop working, no
    new one is issued, and others see it as Mastodon shows a suspended account.
    """

    NONE = "none", _("in good standing")
    LIMITED = "limited", _("limited")
    SUSPENDED = "suspended", _("suspended")
    DISABLED = "disabled", _("disabled")

    @classmethod
    def parse(cls, value: str) -> Standing:
        """The standing named by ``value``, also under the names events used before this enum.

        Events recorded before (in the outbox, or in ``MODERATION_STRIKE_POLICY``) said
        limit, suspend and disable. Raises ValueError for anything else.
        """
        value = str(value)
        return cls(_LEGACY_STANDING_NAMES.get(value, value))

    @classmethod
    def severity(cls, value: str) -> int:
        """How strict ``value`` is: none 0, limited 1, suspended 2, disabled 3."""
        return list(cls).index(cls.parse(value))


_LEGACY_STANDING_NAMES = {"limit": "limited", "suspend": "suspended", "disable": "disabled"}

#: Standings under which an account cannot sign in or act, and no one sees its statuses.
BARRING_STANDINGS = (Standing.SUSPENDED, Standing.DISABLED)


class StandingSource(models.TextChoices):
    """Who set an account's standing."""

    MODERATION = "moderation", _("moderation")
    OPERATOR = "operator", _("an operator")
    AUTOMATION = "automation", _("automation")


def standing_in_force_q(*standings: str, prefix: str = "", now: dt.datetime | None = None) -> Q:
    """The condition "the account's standing in force is one of ``standings``".

    A standing past its ``standing_until`` has lapsed and counts as ``none``.
    ``prefix`` reaches the account through a relation (``"account__"``); ``now`` is the
    moment the standing is judged at (the clock's, unless given).
    """
    now = timezone.now() if now is None else now
    current = Q(**{f"{prefix}standing_until__isnull": True}) | Q(
        **{f"{prefix}standing_until__gt": now}
    )
    wanted = {Standing.parse(value) for value in standings}
    restricted = Q(**{f"{prefix}standing__in": sorted(wanted - {Standing.NONE})}) & current
    if Standing.NONE not in wanted:
        return restricted
    return restricted | Q(**{f"{prefix}standing": Standing.NONE}) | ~current


def able_to_act_q(prefix: str = "", *, now: dt.datetime | None = None) -> Q:
    """The condition "the account is active and neither suspended nor disabled right now"
    (or at ``now``)."""
    return Q(**{f"{prefix}is_active": True}) & ~standing_in_force_q(
        *BARRING_STANDINGS, prefix=prefix, now=now
    )


class AccountQuerySet(models.QuerySet):
    def with_standing(self, *standings: str, now: dt.datetime | None = None) -> AccountQuerySet:
        """Accounts whose standing in force right now (or at ``now``) is one of ``standings``."""
        return self.filter(standing_in_force_q(*standings, now=now))

    def able_to_act(self) -> AccountQuerySet:
        """Active accounts that are neither suspended nor disabled right now."""
        return self.filter(able_to_act_q())


class AccountManager(UserManager.from_queryset(AccountQuerySet)):  # type: ignore[misc]
    pass


# oauth2_provider ships no type information, so the plugin cannot see the manager of
# Application, whose ``user`` foreign key gives User its ``accounts_application``.
class User(RowLoading, AbstractUser):  # type: ignore[django-manager-missing]
    """An account: the person signing in and the profile Mastodon clients show.

    ``username`` is unique without regard to case, as Mastodon's are; ``email`` is
    unique too, so it can stand in for the username at the password grant.
    """

    id = SnowflakeIdField()
    username = models.CharField(
        _("username"),
        max_length=USERNAME_MAX_LENGTH,
        unique=True,
        validators=[username_validator],
        help_text=_("Letters, numbers and underscores; at most 30 characters."),
        error_messages={"unique": _("has already been taken")},
    )
    # NULL, not "", when absent: unique, yet many accounts may have none.
    email = models.EmailField(  # type: ignore[assignment]  # AbstractUser's is never None
        _("email address"), unique=True, null=True, blank=True
    )
    display_name = models.CharField(max_length=DISPLAY_NAME_MAX_LENGTH, blank=True)
    note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    avatar = models.ImageField(upload_to="accounts/avatars/", blank=True)
    header = models.ImageField(upload_to="accounts/headers/", blank=True)
    locked = models.BooleanField(
        default=False, help_text=_("Follow requests must be approved by hand.")
    )
    bot = models.BooleanField(default=False, help_text=_("The account mostly posts automatically."))
    discoverable = models.BooleanField(
        default=True, help_text=_("The account may be suggested and listed in directories.")
    )
    indexable = models.BooleanField(
        default=False,
        help_text=_("Public posts may be found by full-text search (Mastodon's indexable)."),
    )
    hide_collections = models.BooleanField(
        default=False, help_text=_("Followers and follows are not shown on the profile.")
    )
    fields = models.JSONField(
        default=list, blank=True, help_text=_("Up to four name/value pairs shown on the profile.")
    )
    locale = models.CharField(max_length=16, blank=True)
    default_privacy = models.CharField(
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.PUBLIC,
        help_text=_("The visibility new statuses get unless the client says otherwise."),
    )
    default_sensitive = models.BooleanField(
        default=False,
        help_text=_("New media is marked sensitive unless the client says otherwise."),
    )
    default_language = models.CharField(
        max_length=16, blank=True, help_text=_("The language new statuses are posted in (ISO 639).")
    )
    # Mastodon 4.5's ``source[quote_policy]`` (``posting:default:quote_policy``).
    default_quote_policy = models.CharField(
        max_length=10,
        choices=QuoteApprovalPolicy.choices,
        default=QuoteApprovalPolicy.PUBLIC,
        help_text=_("Who may quote new public statuses unless the client says otherwise."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    # Denormalised counters kept by the feed app's services (F() updates), so an
    # Account entity costs no extra query. Mastodon keeps them in account_stats.
    followers_count = models.PositiveIntegerField(default=0, editable=False)
    following_count = models.PositiveIntegerField(default=0, editable=False)
    statuses_count = models.PositiveIntegerField(default=0, editable=False)
    last_status_at = models.DateTimeField(null=True, blank=True, editable=False)

    # The account's standing, set by moderation through ``AccountRestricted``
    # (:func:`apps.accounts.services.account_standing_set`). On the row itself so that
    # the token check, which loads the account anyway, costs no extra query.
    standing = models.CharField(
        max_length=10, choices=Standing.choices, default=Standing.NONE, editable=False
    )
    standing_reason = models.CharField(max_length=500, blank=True, editable=False)
    standing_source = models.CharField(
        max_length=16, choices=StandingSource.choices, blank=True, editable=False
    )
    standing_until = models.DateTimeField(
        null=True, blank=True, editable=False, help_text=_("The standing lapses at this moment.")
    )
    standing_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects: ClassVar[AccountManager] = AccountManager()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
        ]
        indexes = [
            # Few accounts are restricted: the feed's "who is restricted now" reads this.
            models.Index(
                fields=["standing"],
                name="accounts_user_restricted",
                condition=~Q(standing="none"),
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def acct(self) -> str:
        return self.username

    @property
    def created_at(self):
        return self.date_joined

    def standing_at(self, moment: dt.datetime) -> Standing:
        """The standing in force at ``moment`` (``none`` once ``standing_until`` has passed)."""
        if self.standing_until is not None and self.standing_until <= moment:
            return Standing.NONE
        return Standing(self.standing)

    @property
    def standing_in_force(self) -> Standing:
        """The standing in force right now (``none`` once ``standing_until`` has passed)."""
        return self.standing_at(timezone.now())

    @property
    def is_suspended(self) -> bool:
        """Suspended right now: others see the account as Mastodon shows a suspended one."""
        return self.standing_in_force == Standing.SUSPENDED

    @property
    def is_limited(self) -> bool:
        """Limited right now: its statuses reach only its followers."""
        return self.standing_in_force == Standing.LIMITED

    @property
    def is_able_to_act(self) -> bool:
        """Active and neither suspended nor disabled: may sign in, hold tokens and write."""
        return self.is_active and self.standing_in_force not in BARRING_STANDINGS


class Application(AbstractApplication):
    """An OAuth client registered through ``POST /api/v1/apps``.

    Mastodon apps may use every grant (authorization code, password, client
    credentials, refresh) and are limited to the scopes they registered with.
    """

    GRANTS = frozenset(
        {
            AbstractApplication.GRANT_AUTHORIZATION_CODE,
            AbstractApplication.GRANT_PASSWORD,
            AbstractApplication.GRANT_CLIENT_CREDENTIALS,
            "refresh_token",
        }
    )

    scopes = models.CharField(max_length=1024, default="read")
    website = models.URLField(blank=True, max_length=2048)

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        verbose_name = _("OAuth application")

    def allows_grant_type(self, *grant_types: str) -> bool:
        return bool(set(grant_types) & self.GRANTS)

    def get_allowed_schemes(self) -> list[str]:
        """Where django-oauth-toolkit may redirect for this app: the configured web
        schemes, plus the private-use schemes of the URIs it registered (RFC 8252:
        ``icecubesapp://``, ``oauth2redirect://...``), never a forbidden one.
        """
        schemes = list(super().get_allowed_schemes())
        forbidden = {s.lower() for s in settings.AGORA_OAUTH_FORBIDDEN_REDIRECT_URI_SCHEMES}
        for uri in self.redirect_uris.split():
            scheme = urlsplit(uri).scheme.lower()
            if scheme and scheme not in forbidden and scheme not in schemes:
                schemes.append(scheme)
        return schemes

    @property
    def scope_set(self) -> set[str]:
        return set(self.scopes.split())


shortcode_validator = RegexValidator(
    regex=r"^[A-Za-z0-9_]{2,}\Z",
    message=_("must be at least two letters, numbers or underscores"),
    code="invalid",
)


class CustomEmoji(models.Model):
    """An emoji the instance's operators uploaded, shown for ``:shortcode:`` in text.

    Mastodon's CustomEmoji, local only. Rendered in statuses, display names, profile
    notes and announcements, and listed by ``GET /api/v1/custom_emojis``.
    """

    MAX_IMAGE_BYTES = 256 * 1024
    IMAGE_TYPES = ("image/png", "image/gif", "image/webp")

    shortcode = models.CharField(max_length=128, validators=[shortcode_validator])
    image = models.ImageField(
        upload_to="custom_emojis/",
        help_text=_("PNG, GIF or WebP, at most 256 KB; shown at 1.2em in text."),
    )
    category = models.CharField(max_length=64, blank=True)
    visible_in_picker = models.BooleanField(default=True)
    disabled = models.BooleanField(
        default=False, help_text=_("Disabled emojis stay stored but are no longer rendered.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("custom emoji")
        verbose_name_plural = _("custom emojis")
        ordering = ["shortcode"]
        constraints = [
            models.UniqueConstraint(Lower("shortcode"), name="accounts_customemoji_shortcode_ci")
        ]

    def __str__(self) -> str:
        return f":{self.shortcode}:"


class Announcement(models.Model):
    """A notice from the instance's operators to every account (Mastodon's Announcement).

    Shown by ``GET /api/v1/announcements`` while published and not ended; each account
    may dismiss it and react to it with emojis.
    """

    text = models.TextField(help_text=_("Plain text; links are made clickable."))
    published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    all_day = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gt=models.F("starts_at")),
                name="accounts_announcement_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]


class AnnouncementDismissal(models.Model):
    """An account has read (dismissed) an announcement."""

    account = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="dismissals"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "announcement"], name="accounts_announcement_dismissed_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} read {self.announcement_id}"


class AnnouncementReaction(models.Model):
    """An account's emoji reaction to an announcement: a Unicode emoji or a custom one."""

    MAX_DISTINCT = 8  # distinct reactions per announcement, as Mastodon's ReactionValidator

    account = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="reactions"
    )
    name = models.CharField(max_length=128)
    custom_emoji = models.ForeignKey(
        CustomEmoji, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "announcement", "name"], name="accounts_reaction_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} by {self.account_id} on {self.announcement_id}"

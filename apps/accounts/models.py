"""Accounts: the user (a Mastodon Account), and OAuth client applications."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AbstractApplication

from core.models import SnowflakeIdField

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


class User(AbstractUser):
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
    email = models.EmailField(_("email address"), unique=True, null=True, blank=True)
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
    updated_at = models.DateTimeField(auto_now=True)

    # Denormalised counters kept by the feed app's services (F() updates), so an
    # Account entity costs no extra query. Mastodon keeps them in account_stats.
    followers_count = models.PositiveIntegerField(default=0, editable=False)
    following_count = models.PositiveIntegerField(default=0, editable=False)
    statuses_count = models.PositiveIntegerField(default=0, editable=False)
    last_status_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = UserManager()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def acct(self) -> str:
        return self.username

    @property
    def created_at(self):
        return self.date_joined


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

    @property
    def scope_set(self) -> set[str]:
        return set(self.scopes.split())

"""Writes to accounts: registration, profile, password, standing, disabling, and ending credentials."""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import emoji as unicode_emoji
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)
from oauthlib.common import generate_token
from PIL import Image, UnidentifiedImageError

from apps.accounts import selectors
from apps.accounts.models import (
    DISPLAY_NAME_MAX_LENGTH,
    MAX_PROFILE_FIELDS,
    NOTE_MAX_LENGTH,
    PROFILE_FIELD_MAX_LENGTH,
    Announcement,
    AnnouncementDismissal,
    AnnouncementReaction,
    Application,
    CustomEmoji,
    QuoteApprovalPolicy,
    Standing,
    StandingSource,
    User,
    Visibility,
)
from core import checks, events
from core.errors import Invalid, NotFound

logger = logging.getLogger(__name__)

PROFILE_IMAGE_MAX_BYTES = 2 * 1024 * 1024
# Refuse images whose pixel count could exhaust memory when decoded (decompression bombs).
PROFILE_IMAGE_MAX_PIXELS = 40_000_000
PROFILE_IMAGE_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}
# Names that would let a sign-up pass for the platform itself or collide with its paths.
RESERVED_USERNAMES = frozenset(
    {
        "abuse", "admin", "administrator", "agora", "api", "help", "hostmaster", "info",
        "media", "moderator", "noreply", "oauth", "postmaster", "root", "security",
        "static", "staff", "support", "system", "webmaster", "www",
    }
)  # fmt: skip
AVATAR_SIZE = (400, 400)
HEADER_SIZE = (1500, 500)


@dataclass(frozen=True)
class ProfileField:
    name: str
    value: str


def _refuse(field: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


def _clean_profile_image(*, upload: UploadedFile, field: str, box: tuple[int, int]) -> ContentFile:
    """Checks an uploaded avatar or header and re-encodes it within ``box``.

    Re-encoding drops every byte the upload carried beyond its pixels (EXIF location
    data included). Raises :class:`ValidationError` for anything that is not a PNG,
    JPEG, GIF or WebP image of at most :data:`PROFILE_IMAGE_MAX_BYTES`.
    """
    if upload.size is None or upload.size > PROFILE_IMAGE_MAX_BYTES:
        raise _refuse(
            field,
            _("must be smaller than %(size)d MB") % {"size": PROFILE_IMAGE_MAX_BYTES // 2**20},
            "too_large",
        )
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            width, height = probe.size
            probe.verify()
        if image_format not in PROFILE_IMAGE_FORMATS:
            raise _refuse(field, _("must be a PNG, JPEG, GIF or WebP image"), "invalid_type")
        if width * height > PROFILE_IMAGE_MAX_PIXELS:
            raise _refuse(field, _("has too many pixels"), "too_large")
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            has_alpha = image.mode in ("RGBA", "LA", "P")
            picture = image.convert("RGBA" if has_alpha else "RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _refuse(field, _("must be a PNG, JPEG, GIF or WebP image"), "invalid_type") from None
    picture.thumbnail(box)
    out = io.BytesIO()
    if has_alpha:
        picture.save(out, format="PNG", optimize=True)
        extension = "png"
    else:
        picture.save(out, format="JPEG", quality=90)
        extension = "jpg"
    return ContentFile(out.getvalue(), name=f"{get_random_string(16).lower()}.{extension}")


def _clean_fields(fields: list[dict[str, str]]) -> list[dict[str, str]]:
    if len(fields) > MAX_PROFILE_FIELDS:
        raise _refuse(
            "fields_attributes",
            _("at most %(count)d profile fields are allowed") % {"count": MAX_PROFILE_FIELDS},
            "too_long",
        )
    cleaned = []
    for item in fields:
        name = str(item.get("name", "")).strip()
        value = str(item.get("value", "")).strip()
        if len(name) > PROFILE_FIELD_MAX_LENGTH or len(value) > PROFILE_FIELD_MAX_LENGTH:
            raise _refuse(
                "fields_attributes",
                _("a profile field is longer than %(count)d characters")
                % {"count": PROFILE_FIELD_MAX_LENGTH},
                "too_long",
            )
        if name or value:
            cleaned.append({"name": name, "value": value})
    return cleaned


@transaction.atomic
def account_register(
    *,
    username: str,
    email: str,
    password: str,
    agreement: bool,
    locale: str = "",
    reason: str = "",
) -> User:
    """Creates an active account after checking every rule a sign-up must meet.

    Raises :class:`ValidationError` (field -> messages) for a taken or malformed
    username, a taken e-mail address, a password Django's validators refuse, or an
    agreement that was not given. ``reason`` is accepted for Mastodon compatibility;
    sign-ups need no approval, so it is only logged.
    """
    errors: dict[str, list[ValidationError]] = {}
    username = username.strip()
    email = email.strip()
    if not agreement:
        errors.setdefault("agreement", []).append(
            ValidationError(_("must be accepted"), code="accepted")
        )
    if username.lower() in RESERVED_USERNAMES:
        errors.setdefault("username", []).append(ValidationError(_("is reserved"), code="reserved"))
    elif username and selectors.username_is_taken(username=username):
        errors.setdefault("username", []).append(
            ValidationError(_("has already been taken"), code="taken")
        )
    elif username:
        # A username that passes for a protected account's (staff, the most followed) is
        # refused: it is the handle people mention and cannot be changed later.
        for result in checks.check_name(username, kind=checks.USERNAME):
            if result.is_blocking:
                errors.setdefault("username", []).append(
                    ValidationError(result.reason or _("is reserved"), code="reserved")
                )
                break
    if email and selectors.email_is_taken(email=email):
        errors.setdefault("email", []).append(
            ValidationError(_("has already been taken"), code="taken")
        )
    account = User(
        username=username,
        email=User.objects.normalize_email(email),
        locale=locale[:16],
        default_language=locale[:2].lower() if locale[:2].isalpha() else "",
    )
    try:
        # Uniqueness was checked above, by field and without regard to case: the model's
        # own check would name the database constraint instead of the field.
        account.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.error_dict.items():
            if field in errors:
                continue
            errors.setdefault(field, []).extend(messages)
    if not email:
        errors.setdefault("email", []).append(ValidationError(_("can't be blank"), code="blank"))
    try:
        password_validation.validate_password(password, user=account)
    except ValidationError as exc:
        errors.setdefault("password", []).extend(exc.error_list)
    if errors:
        raise ValidationError(errors)
    account.set_password(password)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:
        # A concurrent sign-up took the name or the address between the check and the insert.
        taken = [
            field
            for field, is_taken in (
                ("username", selectors.username_is_taken(username=username)),
                ("email", selectors.email_is_taken(email=email)),
            )
            if is_taken
        ] or ["username"]
        raise ValidationError(
            {field: [ValidationError(_("has already been taken"), code="taken")] for field in taken}
        ) from None
    if reason:
        logger.info("account registered", extra={"account_id": account.pk, "reason": reason[:500]})
    events.publish(events.AccountCreated(account_id=account.pk))
    return account


@transaction.atomic
def account_token_create(*, account: User, application: Application, scope: str) -> Any:
    """Issues an access token (and its refresh token) for ``account`` through ``application``."""
    access_token_model = get_access_token_model()
    refresh_token_model = get_refresh_token_model()
    access_token = access_token_model.objects.create(
        user=account,
        application=application,
        token=generate_token(),
        scope=scope,
        expires=timezone.now()
        + timedelta(seconds=settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"]),
    )
    refresh_token_model.objects.create(
        user=account, application=application, token=generate_token(), access_token=access_token
    )
    return access_token


_UNSET: Any = object()


def _refuse_unsafe_links(name: str, text: str) -> None:
    """A profile's bio and fields pass the same text checks as a post (``core.checks``:
    link safety); a refusal names the field and the checker's reason."""
    for result in checks.check_text(text) if text else []:
        if result.is_blocking:
            raise _refuse(name, result.reason or _("is not allowed"), "invalid")


@transaction.atomic
def account_update_profile(
    *,
    account: User,
    display_name: str = _UNSET,
    note: str = _UNSET,
    avatar: UploadedFile = _UNSET,
    header: UploadedFile = _UNSET,
    locked: bool = _UNSET,
    bot: bool = _UNSET,
    discoverable: bool = _UNSET,
    indexable: bool = _UNSET,
    hide_collections: bool = _UNSET,
    fields: list[dict[str, str]] = _UNSET,
    default_privacy: str = _UNSET,
    default_sensitive: bool = _UNSET,
    default_language: str = _UNSET,
    default_quote_policy: str = _UNSET,
) -> User:
    """Changes the profile attributes that were passed; the others stay as they are.

    A new ``avatar`` or ``header`` replaces the old file, which is deleted after
    commit. Raises :class:`ValidationError` when any value is refused, and then
    changes nothing.
    """
    changed: dict[str, Any] = {}
    if display_name is not _UNSET:
        changed["display_name"] = display_name.strip()
        if len(changed["display_name"]) > DISPLAY_NAME_MAX_LENGTH:
            raise _refuse(
                "display_name",
                _("is too long (maximum is %(count)d characters)")
                % {"count": DISPLAY_NAME_MAX_LENGTH},
                "too_long",
            )
        # A checker may refuse a display name outright; its warnings (a lookalike of a
        # protected account's name) reach the person through the API's answer instead.
        for result in checks.check_name(
            changed["display_name"], kind=checks.DISPLAY_NAME, account_id=account.pk
        ):
            if result.is_blocking:
                raise _refuse("display_name", result.reason or _("is not allowed"), "invalid")
    if note is not _UNSET:
        if len(note) > NOTE_MAX_LENGTH:
            raise _refuse(
                "note",
                _("is too long (maximum is %(count)d characters)") % {"count": NOTE_MAX_LENGTH},
                "too_long",
            )
        _refuse_unsafe_links("note", note)
        changed["note"] = note
    for name, value in (
        ("locked", locked),
        ("bot", bot),
        ("discoverable", discoverable),
        ("indexable", indexable),
        ("hide_collections", hide_collections),
    ):
        if value is not _UNSET:
            changed[name] = bool(value)
    if fields is not _UNSET:
        changed["fields"] = _clean_fields(fields)
        for index, field in enumerate(changed["fields"]):
            _refuse_unsafe_links(f"fields_attributes[{index}][value]", field.get("value", ""))
    if default_privacy is not _UNSET:
        if default_privacy not in Visibility.values:
            raise _refuse("source[privacy]", _("is not a known visibility"), "inclusion")
        changed["default_privacy"] = default_privacy
    if default_sensitive is not _UNSET:
        changed["default_sensitive"] = bool(default_sensitive)
    if default_language is not _UNSET:
        language = (default_language or "").strip().lower()
        if language and not (2 <= len(language) <= 3 and language.isalpha()):
            raise _refuse("source[language]", _("is not an ISO 639 language code"), "invalid")
        changed["default_language"] = language
    if default_quote_policy is not _UNSET:
        if default_quote_policy not in QuoteApprovalPolicy.values:
            raise _refuse("source[quote_policy]", _("is not a known quote policy"), "inclusion")
        changed["default_quote_policy"] = default_quote_policy
    images = {}
    if avatar is not _UNSET:
        images["avatar"] = _clean_profile_image(upload=avatar, field="avatar", box=AVATAR_SIZE)
    if header is not _UNSET:
        images["header"] = _clean_profile_image(upload=header, field="header", box=HEADER_SIZE)

    account = User.objects.select_for_update().get(pk=account.pk)
    old_files = []
    for name, value in changed.items():
        setattr(account, name, value)
    for name, content in images.items():
        if getattr(account, name):
            old_files.append(getattr(account, name).name)
        getattr(account, name).save(content.name, content, save=False)
        changed[name] = True
    account.full_clean(exclude=["password"])
    account.save()
    if old_files:
        storage = User._meta.get_field("avatar").storage

        def delete_old_files() -> None:
            for name in old_files:
                storage.delete(name)

        transaction.on_commit(delete_old_files)
    if changed:
        events.publish(events.AccountUpdated(account_id=account.pk, fields=tuple(sorted(changed))))
    return account


def _end_sessions(*, account: User, keep_session_key: str | None = None) -> int:
    """Deletes the account's browser sessions (all but ``keep_session_key``).

    Only staff and the OAuth login page use sessions, so the table stays small; the
    scan decodes unexpired sessions only. Sessions in a non-database store still end
    on a password change, through Django's session hash check.
    """
    if settings.SESSION_ENGINE not in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    ):
        return 0
    doomed = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.session_key == keep_session_key:
            continue
        if session.get_decoded().get("_auth_user_id") == str(account.pk):
            doomed.append(session.session_key)
    if doomed:
        from django.contrib.sessions.backends.db import SessionStore

        store = SessionStore()
        for key in doomed:
            store.delete(key)
    return len(doomed)


@transaction.atomic
def account_revoke_tokens(*, account: User) -> int:
    """Ends every access token, refresh token, authorization code and ID token of ``account``.

    Returns how many access tokens ended.
    """
    get_grant_model().objects.filter(user=account).delete()
    get_refresh_token_model().objects.filter(user=account).delete()
    access_token_model = get_access_token_model()
    _total, deleted = access_token_model.objects.filter(user=account).delete()
    get_id_token_model().objects.filter(user=account).delete()
    return deleted.get(access_token_model._meta.label, 0)


@transaction.atomic
def account_change_password(
    *,
    account: User,
    current_password: str,
    new_password: str,
    keep_session_key: str | None = None,
) -> User:
    """Sets a new password, then ends every token and every other session of the account.

    Raises :class:`ValidationError` when ``current_password`` is wrong or Django's
    validators refuse ``new_password``; nothing changes then. ``keep_session_key``
    spares the browser session that made the change.
    """
    account = User.objects.select_for_update().get(pk=account.pk)
    if not account.check_password(current_password):
        raise _refuse("current_password", _("is invalid"), "invalid")
    try:
        password_validation.validate_password(new_password, user=account)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.error_list}) from None
    account.set_password(new_password)
    account.save(update_fields=["password", "updated_at"])
    password_validation.password_changed(new_password, user=account)
    account_revoke_tokens(account=account)
    _end_sessions(account=account, keep_session_key=keep_session_key)
    events.publish(events.CredentialsChanged(account_id=account.pk, reason="password_changed"))
    return account


@transaction.atomic
def account_disable(*, account: User, actor: User | None, reason: str = "") -> User:
    """Disables sign-in for ``account`` and ends its tokens and sessions.

    A disabled account cannot sign in, its profile answers 404, and enabling it
    again does not bring back what ended. Disabling a disabled account changes nothing.
    """
    account = User.objects.select_for_update().get(pk=account.pk)
    if not account.is_active:
        return account
    account.is_active = False
    account.save(update_fields=["is_active", "updated_at"])
    account_revoke_tokens(account=account)
    _end_sessions(account=account)
    logger.info(
        "account disabled",
        extra={
            "account_id": account.pk,
            "actor_id": getattr(actor, "pk", None),
            "reason": reason[:500],
        },
    )
    events.publish(events.CredentialsChanged(account_id=account.pk, reason="disabled"))
    return account


@transaction.atomic
def account_enable(*, account: User, actor: User | None, reason: str = "") -> User:
    """Lets a disabled account sign in again (with new credentials: old ones stay ended)."""
    account = User.objects.select_for_update().get(pk=account.pk)
    if account.is_active:
        return account
    account.is_active = True
    account.save(update_fields=["is_active", "updated_at"])
    account_revoke_tokens(account=account)
    _end_sessions(account=account)
    logger.info(
        "account enabled",
        extra={
            "account_id": account.pk,
            "actor_id": getattr(actor, "pk", None),
            "reason": reason[:500],
        },
    )
    events.publish(events.CredentialsChanged(account_id=account.pk, reason="enabled"))
    return account


def _parse_until(until: str | dt.datetime | None) -> dt.datetime | None:
    """An aware datetime from ``until`` (ISO 8601; naive means UTC). Raises ValueError."""
    if until in (None, ""):
        return None
    moment = until if isinstance(until, dt.datetime) else parse_datetime(str(until))
    if moment is None:
        raise ValueError(f"until is not an ISO 8601 date and time: {until!r}")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return moment


@transaction.atomic
def account_standing_set(
    *,
    account_id: int,
    standing: str,
    reason: str = "",
    source: str = StandingSource.MODERATION,
    until: str | dt.datetime | None = None,
    decided_at: str | dt.datetime | None = None,
) -> User | None:
    """Put the account in ``standing`` (``none`` lifts it) until ``until`` (None: for good).

    ``decided_at`` is when the decision was taken (default: now). A decision older than
    the one the account's standing records is stale and ignored, so events delivered
    late or out of order cannot undo a newer decision.

    Idempotent: setting the standing an account already has changes nothing, so an
    event delivered twice has one effect. A suspended or disabled account's tokens
    are refused from the next request (``core.authentication`` reads the standing
    on the row it loads anyway) and no new one is issued (:mod:`apps.accounts.oauth`);
    they are kept, so lifting the standing restores everything. Returns the account, or
    None when it no longer exists (logged, nothing to do).
    Raises ValueError for an unknown standing or source, or an ``until`` that is not
    a date and time.
    """
    wanted = Standing.parse(standing)
    source = StandingSource(source)
    moment = _parse_until(until) if wanted != Standing.NONE else None
    reason = (reason or "")[:500] if wanted != Standing.NONE else ""
    account = User.objects.select_for_update().filter(pk=account_id).first()
    if account is None:
        logger.warning("standing of an unknown account ignored", extra={"account_id": account_id})
        return None
    recorded = (account.standing, account.standing_reason, account.standing_until)
    if recorded == (wanted, reason, moment) and (
        wanted == Standing.NONE or account.standing_source == source
    ):
        return account
    decided = _parse_until(decided_at) or timezone.now()
    if account.standing_changed_at is not None and decided < account.standing_changed_at:
        logger.info(
            "stale standing decision ignored",
            extra={"account_id": account.pk, "standing": str(wanted), "decided_at": str(decided)},
        )
        return account
    account.standing = wanted
    account.standing_reason = reason
    account.standing_source = source if wanted != Standing.NONE else ""
    account.standing_until = moment
    account.standing_changed_at = decided
    account.save(
        update_fields=[
            "standing",
            "standing_reason",
            "standing_source",
            "standing_until",
            "standing_changed_at",
            "updated_at",
        ]
    )
    logger.info(
        "account standing set",
        extra={"account_id": account.pk, "standing": str(wanted), "source": str(source)},
    )
    return account


# Announcements ----------------------------------------------------------------


def _published_announcement(announcement_id: int) -> Announcement:
    try:
        return selectors.announcement_for(announcement_id=announcement_id)
    except Announcement.DoesNotExist:
        raise NotFound() from None


def publish_announcements(announcements) -> int:
    """Publish ``announcements`` (a queryset) that are not published yet; returns how many."""
    return announcements.filter(published=False).update(
        published=True, published_at=timezone.now(), updated_at=timezone.now()
    )


def unpublish_announcements(announcements) -> int:
    """Withdraw ``announcements``: they leave every account's list; returns how many."""
    return announcements.filter(published=True).update(published=False, updated_at=timezone.now())


def dismiss_announcement(*, account: User, announcement_id: int) -> None:
    """Mark a published announcement as read by ``account`` (idempotent)."""
    announcement = _published_announcement(announcement_id)
    AnnouncementDismissal.objects.get_or_create(account=account, announcement=announcement)


def _reaction_name(name: str) -> tuple[str, CustomEmoji | None]:
    """``name`` as stored: a single Unicode emoji, or an enabled custom emoji's shortcode."""
    if unicode_emoji.is_emoji(name):
        return name, None
    custom = CustomEmoji.objects.filter(shortcode__iexact=name, disabled=False).first()
    if custom is None:
        raise Invalid({"name": [_("is not a recognized emoji")]})
    return custom.shortcode, custom


@transaction.atomic
def react_to_announcement(*, account: User, announcement_id: int, name: str) -> None:
    """Add ``account``'s reaction ``name`` (idempotent), as Mastodon's ReactionValidator allows.

    At most ``AnnouncementReaction.MAX_DISTINCT`` different reactions per announcement.
    """
    announcement = _published_announcement(announcement_id)
    name, custom = _reaction_name(name)
    Announcement.objects.select_for_update().filter(pk=announcement.pk).first()
    reactions = AnnouncementReaction.objects.filter(announcement=announcement)
    if reactions.filter(account=account, name=name).exists():
        return
    names = set(reactions.values_list("name", flat=True).distinct())
    if name not in names and len(names) >= AnnouncementReaction.MAX_DISTINCT:
        raise Invalid({"name": [_("has reached the limit of different reactions")]})
    AnnouncementReaction.objects.create(
        account=account, announcement=announcement, name=name, custom_emoji=custom
    )


def remove_announcement_reaction(*, account: User, announcement_id: int, name: str) -> None:
    """Remove ``account``'s reaction ``name`` (idempotent: a missing one is no error)."""
    announcement = _published_announcement(announcement_id)
    AnnouncementReaction.objects.filter(
        account=account, announcement=announcement, name__iexact=name
    ).delete()


PROFILE_IMAGES = ("avatar", "header")


@transaction.atomic
def account_profile_image_delete(*, account: User, image: str) -> User:
    """Removes the account's ``avatar`` or ``header`` (the default one shows again).

    The file is deleted after commit; removing an image that is not there changes
    nothing and publishes nothing.
    """
    if image not in PROFILE_IMAGES:
        raise ValueError(image)
    account = User.objects.select_for_update().get(pk=account.pk)
    name = getattr(account, image).name
    if not name:
        return account
    storage = getattr(account, image).storage
    setattr(account, image, "")
    account.save(update_fields=[image])
    transaction.on_commit(lambda: storage.delete(name))
    events.publish(events.AccountUpdated(account_id=account.pk, fields=(image,)))
    return account

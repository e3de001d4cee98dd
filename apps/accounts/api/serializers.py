"""Mastodon's Account, CredentialAccount and Token entities, and the request bodies they take."""

from __future__ import annotations

import re
from typing import Any, cast

from django.utils.html import escape, linebreaks
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts import selectors
from apps.accounts.entities import DEFAULT_AVATAR, DEFAULT_HEADER, render_accounts, static_url
from apps.accounts.models import (
    DISPLAY_NAME_MAX_LENGTH,
    MAX_PROFILE_FIELDS,
    NOTE_MAX_LENGTH,
    PROFILE_FIELD_MAX_LENGTH,
    QuoteApprovalPolicy,
    User,
    Visibility,
)
from apps.accounts.roles import mastodon_role
from core import relationships
from core.base_url import absolute_url

# The context key of a page's accounts already rendered ({account id: entity}), as
# :func:`rendered_accounts` leaves them for the entities nested in the page's items.
ACCOUNT_ENTITIES = "_account_entities"


def emoji_table(context: Any) -> selectors.LazyEmojiTable:
    """The custom emojis, read at most once per serializer context (a page of entities
    shares it), and only if a rendered text could use one."""
    if context is None:
        return selectors.LazyEmojiTable()
    table = context.get("_custom_emojis")
    if table is None:
        table = selectors.LazyEmojiTable()
        cast(dict[str, Any], context)["_custom_emojis"] = table
    return table


def note_html(text: str) -> str:
    """A plain-text profile note as Mastodon's HTML: escaped, in paragraphs and line breaks."""
    text = text.strip()
    return linebreaks(text, autoescape=True) if text else ""


class AccountFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    value = serializers.CharField(help_text="HTML")
    verified_at = serializers.DateTimeField(allow_null=True)


class AccountRoleSerializer(serializers.Serializer):
    """Mastodon's AccountRole: a highlighted role as the public Account shows it."""

    id = serializers.CharField()
    name = serializers.CharField()
    color = serializers.CharField(allow_blank=True)


class RoleSerializer(serializers.Serializer):
    """Mastodon's Role, as ``CredentialAccount.role`` carries it (apps.accounts.roles)."""

    id = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    permissions = serializers.CharField(help_text="Mastodon's permission bitmask, as a string")
    color = serializers.CharField(allow_blank=True)
    highlighted = serializers.BooleanField()


class AccountListSerializer(serializers.ListSerializer):
    """A list of Account entities, rendered through the entity cache (:func:`rendered_accounts`)."""

    def to_representation(self, data):
        if type(self.child) is not AccountSerializer:
            return super().to_representation(data)
        accounts = list(data.all() if hasattr(data, "all") else data)
        return rendered_accounts(self.child, accounts)


def rendered_accounts(serializer: AccountSerializer, accounts: list[User]) -> list[dict[str, Any]]:
    """``accounts`` as ``serializer`` (an AccountSerializer) renders them, through the cache
    (``apps.accounts.entities``): one cache read for the page, the misses rendered."""
    context = serializer.context
    emojis = emoji_table(context)
    plain = AccountSerializer(context={**context, ACCOUNT_ENTITIES: None})
    return render_accounts(accounts, plain.plain_representation, emojis=emojis)


class AccountSerializer(serializers.Serializer):
    """Mastodon's Account entity.

    A page's accounts are rendered through the entity cache (``many=True``, or
    :func:`rendered_accounts` for the accounts nested in a page's items); one account alone
    is rendered afresh: a cache read would cost about what its rendering does.
    """

    id = serializers.SerializerMethodField()
    username = serializers.CharField()
    acct = serializers.CharField()
    display_name = serializers.CharField()
    locked = serializers.BooleanField()
    bot = serializers.BooleanField()
    discoverable = serializers.BooleanField()
    indexable = serializers.BooleanField()
    # Mastodon's noindex (no search-engine indexing of the profile) follows indexable here.
    noindex = serializers.SerializerMethodField()
    hide_collections = serializers.BooleanField()
    roles = serializers.SerializerMethodField()
    group = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    note = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    uri = serializers.SerializerMethodField()
    avatar = serializers.SerializerMethodField()
    avatar_static = serializers.SerializerMethodField()
    header = serializers.SerializerMethodField()
    header_static = serializers.SerializerMethodField()
    followers_count = serializers.SerializerMethodField()
    following_count = serializers.SerializerMethodField()
    statuses_count = serializers.SerializerMethodField()
    last_status_at = serializers.SerializerMethodField()
    emojis = serializers.SerializerMethodField()
    # Serializer.get_fields is DRF's own: the method for "fields" needs another name.
    fields = serializers.SerializerMethodField(  # type: ignore[assignment]  # as Serializer.fields
        method_name="profile_fields"
    )
    # Present only when true, as Mastodon sends them (not read-only, so the schema
    # does not list them as required).
    suspended = serializers.BooleanField(source="is_suspended", required=False)
    limited = serializers.BooleanField(source="is_limited", required=False)

    class Meta:
        list_serializer_class = AccountListSerializer

    def to_representation(self, account: User) -> dict[str, Any]:
        """The entity, as the page rendered it already if it did (:data:`ACCOUNT_ENTITIES`)."""
        rendered = self.context.get(ACCOUNT_ENTITIES) if type(self) is AccountSerializer else None
        if rendered and account.pk in rendered:
            return dict(rendered[account.pk])
        return self.plain_representation(account)

    def plain_representation(self, account: User) -> dict[str, Any]:
        """The entity; a suspended account's as Mastodon shows it, emptied of its profile."""
        data = super().to_representation(account)
        for flag in ("suspended", "limited"):
            if not data.get(flag):
                data.pop(flag, None)
        if data.get("suspended"):
            data.update(
                display_name="",
                note="",
                locked=False,
                bot=False,
                discoverable=False,
                indexable=False,
                noindex=True,
                avatar=absolute_url(static_url(DEFAULT_AVATAR)),
                avatar_static=absolute_url(static_url(DEFAULT_AVATAR)),
                header=absolute_url(static_url(DEFAULT_HEADER)),
                header_static=absolute_url(static_url(DEFAULT_HEADER)),
                followers_count=0,
                following_count=0,
                statuses_count=0,
                last_status_at=None,
                emojis=[],
                fields=[],
            )
        return data

    def _counts(self, account: User) -> selectors.AccountCounts:
        # The context is the dict the view passed, shared by every entity it serializes.
        cache = cast(dict[str, Any], self.context).setdefault("_account_counts", {})
        if account.pk not in cache:
            cache[account.pk] = selectors.account_counts(account=account)
        return cache[account.pk]

    def _image(self, account: User, name: str, default: str) -> str:
        image = getattr(account, name)
        url = image.url if image else static_url(default)
        return absolute_url(url)

    @extend_schema_field(OpenApiTypes.STR)
    def get_id(self, account: User) -> str:
        return str(account.pk)

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_group(self, account: User) -> bool:
        return False

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_noindex(self, account: User) -> bool:
        return not account.indexable

    @extend_schema_field(AccountRoleSerializer(many=True))
    def get_roles(self, account: User) -> list[dict[str, str]]:
        """The account's highlighted roles (public badges): none, as no Agora role is one."""
        return []

    @extend_schema_field(OpenApiTypes.STR)
    def get_note(self, account: User) -> str:
        return note_html(account.note)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, account: User) -> str:
        return absolute_url(f"/@{account.username}")

    @extend_schema_field(OpenApiTypes.URI)
    def get_uri(self, account: User) -> str:
        return absolute_url(f"/users/{account.username}")

    @extend_schema_field(OpenApiTypes.URI)
    def get_avatar(self, account: User) -> str:
        return self._image(account, "avatar", DEFAULT_AVATAR)

    @extend_schema_field(OpenApiTypes.URI)
    def get_avatar_static(self, account: User) -> str:
        return self._image(account, "avatar", DEFAULT_AVATAR)

    @extend_schema_field(OpenApiTypes.URI)
    def get_header(self, account: User) -> str:
        return self._image(account, "header", DEFAULT_HEADER)

    @extend_schema_field(OpenApiTypes.URI)
    def get_header_static(self, account: User) -> str:
        return self._image(account, "header", DEFAULT_HEADER)

    @extend_schema_field(OpenApiTypes.INT)
    def get_followers_count(self, account: User) -> int:
        return self._counts(account).followers_count

    @extend_schema_field(OpenApiTypes.INT)
    def get_following_count(self, account: User) -> int:
        return self._counts(account).following_count

    @extend_schema_field(OpenApiTypes.INT)
    def get_statuses_count(self, account: User) -> int:
        return self._counts(account).statuses_count

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_last_status_at(self, account: User) -> str | None:
        moment = self._counts(account).last_status_at
        return moment.date().isoformat() if moment else None

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_emojis(self, account: User) -> list:
        texts = [account.display_name, account.note]
        for item in account.fields or []:
            texts += [item.get("name"), item.get("value")]
        return emoji_table(self.context).used_in(*texts)

    @extend_schema_field(AccountFieldSerializer(many=True))
    def profile_fields(self, account: User) -> list[dict[str, Any]]:
        return [
            {"name": escape(item["name"]), "value": escape(item["value"]), "verified_at": None}
            for item in account.fields or []
        ]


class PlainFieldSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    value = serializers.CharField(allow_blank=True)
    verified_at = serializers.DateTimeField(allow_null=True, required=False)


class SourceSerializer(serializers.Serializer):
    privacy = serializers.ChoiceField(choices=Visibility.choices)
    sensitive = serializers.BooleanField()
    language = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True, help_text="plain text")
    fields = PlainFieldSerializer(many=True)  # type: ignore[assignment]  # as Serializer.fields
    follow_requests_count = serializers.IntegerField()
    indexable = serializers.BooleanField()
    hide_collections = serializers.BooleanField()
    quote_policy = serializers.ChoiceField(choices=QuoteApprovalPolicy.choices)


class CredentialAccountSerializer(AccountSerializer):
    """Mastodon's CredentialAccount: the Account plus the editable ``source`` values and role."""

    source = serializers.SerializerMethodField()  # type: ignore[assignment]  # as Field.source
    role = serializers.SerializerMethodField()

    @extend_schema_field(RoleSerializer)
    def get_role(self, account: User) -> dict[str, object]:
        group_names = (
            set() if account.is_superuser else set(account.groups.values_list("name", flat=True))
        )
        return mastodon_role(is_superuser=account.is_superuser, group_names=group_names).as_entity()

    @extend_schema_field(SourceSerializer)
    def get_source(self, account: User) -> dict[str, Any]:
        return {
            "privacy": account.default_privacy,
            "sensitive": account.default_sensitive,
            "language": account.default_language,
            "note": account.note,
            "fields": [
                {"name": item["name"], "value": item["value"], "verified_at": None}
                for item in account.fields or []
            ],
            # Follow requests live in the feed, above accounts: asked through core's port.
            "follow_requests_count": relationships.follow_requests_count(account=account),
            "indexable": account.indexable,
            "hide_collections": account.hide_collections,
            "quote_policy": account.default_quote_policy,
        }


class UpdatedCredentialAccountSerializer(CredentialAccountSerializer):
    """``update_credentials``' answer: the CredentialAccount, plus ``agora_warnings``.

    Mastodon's clients ignore keys they do not know, so the entity stays theirs; a
    client that knows Agora shows the warnings (a display name that passes for a
    protected account's, say). The change itself succeeded.
    """

    agora_warnings = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_agora_warnings(self, account: User) -> list[str]:
        return list(self.context.get("warnings", []))


class TokenSerializer(serializers.Serializer):
    """Mastodon's Token entity (with the refresh token, since Agora's tokens expire)."""

    access_token = serializers.CharField(source="token")
    token_type = serializers.SerializerMethodField()
    scope = serializers.CharField()
    created_at = serializers.SerializerMethodField()
    refresh_token = serializers.SerializerMethodField()
    expires_in = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_token_type(self, token) -> str:
        return "Bearer"

    @extend_schema_field(OpenApiTypes.INT)
    def get_created_at(self, token) -> int:
        return int(token.created.timestamp())

    @extend_schema_field(OpenApiTypes.STR)
    def get_refresh_token(self, token) -> str | None:
        refresh = getattr(token, "refresh_token", None)
        return refresh.token if refresh is not None else None

    @extend_schema_field(OpenApiTypes.INT)
    def get_expires_in(self, token) -> int:
        return max(0, int((token.expires - token.created).total_seconds()))


class RegistrationSerializer(serializers.Serializer):
    """The body of ``POST /api/v1/accounts``."""

    username = serializers.CharField(max_length=100)
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=1024, trim_whitespace=False)
    agreement = serializers.BooleanField(default=False)
    locale = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ProfileFieldInputSerializer(serializers.Serializer):
    name = serializers.CharField(
        allow_blank=True, max_length=PROFILE_FIELD_MAX_LENGTH, required=False, default=""
    )
    value = serializers.CharField(
        allow_blank=True, max_length=PROFILE_FIELD_MAX_LENGTH, required=False, default=""
    )


class SourceInputSerializer(serializers.Serializer):
    privacy = serializers.ChoiceField(choices=Visibility.choices, required=False)
    sensitive = serializers.BooleanField(required=False)
    language = serializers.CharField(max_length=16, allow_blank=True, required=False)
    quote_policy = serializers.ChoiceField(choices=QuoteApprovalPolicy.choices, required=False)


class CredentialsUpdateSerializer(serializers.Serializer):
    """The body of ``PATCH /api/v1/accounts/update_credentials`` (normalised first)."""

    display_name = serializers.CharField(
        max_length=DISPLAY_NAME_MAX_LENGTH, allow_blank=True, required=False
    )
    note = serializers.CharField(
        max_length=NOTE_MAX_LENGTH, allow_blank=True, required=False, trim_whitespace=False
    )
    avatar = serializers.FileField(required=False)
    header = serializers.FileField(required=False)
    locked = serializers.BooleanField(required=False)
    bot = serializers.BooleanField(required=False)
    discoverable = serializers.BooleanField(required=False)
    indexable = serializers.BooleanField(required=False)
    hide_collections = serializers.BooleanField(required=False)
    # many=True makes a ListSerializer, which takes max_length; the stubs type the child.
    fields_attributes = ProfileFieldInputSerializer(  # type: ignore[call-arg]
        many=True, required=False, max_length=MAX_PROFILE_FIELDS
    )
    source = SourceInputSerializer(required=False)  # type: ignore[assignment]  # as Field.source

    def to_internal_value(self, data):
        return super().to_internal_value(normalise_credentials_body(data))


class PasswordChangeSerializer(serializers.Serializer):
    current_password = serializers.CharField(max_length=1024, trim_whitespace=False)
    new_password = serializers.CharField(max_length=1024, trim_whitespace=False)


_BRACKETED = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def _nest(data) -> dict[str, Any]:
    """Rails-style form keys (``source[privacy]``, ``fields_attributes[0][name]``) as nested dicts."""
    out: dict[str, Any] = {}
    keys = data.keys()
    for key in keys:
        value = data.get(key)
        match = _BRACKETED.match(key)
        if match is None:
            out[key] = value
            continue
        path = [match.group(1)] + re.findall(r"\[([^\[\]]*)\]", match.group(2))
        node = out
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[path[-1]] = value
    return out


def _field_list(value: Any) -> Any:
    """``fields_attributes`` as a list, from a list or an index-keyed dict."""
    if isinstance(value, dict):
        try:
            ordered = sorted(value.items(), key=lambda item: int(item[0]))
        except (TypeError, ValueError):
            raise serializers.ValidationError(
                {"fields_attributes": ["must be a list or a dict keyed by position"]}
            ) from None
        return [item for _key, item in ordered]
    return value


def normalise_credentials_body(data: Any) -> dict[str, Any]:
    """One shape for what Mastodon clients send: JSON, form or multipart bodies."""
    if not hasattr(data, "keys"):
        raise serializers.ValidationError({"non_field_errors": ["Invalid data."]})
    body = _nest(data) if hasattr(data, "getlist") else dict(data)
    if "fields_attributes" in body:
        body["fields_attributes"] = _field_list(body["fields_attributes"])
    return body

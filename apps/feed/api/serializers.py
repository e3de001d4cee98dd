"""Mastodon entities of the social core: Status, Relationship, Notification, Tag, Context."""

from __future__ import annotations

from typing import Any, cast

from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from apps.accounts.api.serializers import (
    ACCOUNT_ENTITIES,
    AccountSerializer,
    emoji_table,
    rendered_accounts,
)
from apps.accounts.models import QuoteApprovalPolicy
from apps.accounts.selectors import LazyEmojiTable
from apps.feed import entities
from apps.feed.api.filters import FilterResultSerializer
from apps.feed.languages import normalise_language
from apps.feed.models import (
    Notification,
    Poll,
    PreviewCard,
    QuotePolicy,
    Status,
    StatusEdit,
    Visibility,
)
from apps.feed.selectors import (
    RelationshipSets,
    ViewerState,
    mentions_and_tags_loaded,
    status_media,
    status_mentions,
    status_tags,
)
from apps.feed.selectors.polls import poll_of
from apps.feed.services.polls import PollParams
from apps.media.api.serializers import MediaAttachmentSerializer
from core.base_url import absolute_url, base_url


class StatusMentionSerializer(serializers.Serializer):
    id = serializers.CharField(source="account.pk")
    username = serializers.CharField(source="account.username")
    acct = serializers.CharField(source="account.username")
    url = serializers.SerializerMethodField()

    def get_url(self, mention) -> str:
        return f"{base_url()}/@{mention.account.username}"


class StatusTagSerializer(serializers.Serializer):
    name = serializers.CharField()
    url = serializers.SerializerMethodField()

    def get_url(self, tag) -> str:
        return f"{base_url()}/tags/{tag.name.lower()}"


class StatusApplicationSerializer(serializers.Serializer):
    name = serializers.CharField()
    website = serializers.CharField(allow_null=True)


class PreviewCardSerializer(serializers.ModelSerializer):
    """Mastodon's PreviewCard: a link's preview, its image served from Agora's storage."""

    # Mastodon sends "" for a URL it does not know: plain strings, not URIs, in the schema.
    url = serializers.CharField()
    author_url = serializers.CharField()
    provider_url = serializers.CharField()
    embed_url = serializers.CharField()
    html = serializers.SerializerMethodField()
    image = serializers.SerializerMethodField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    blurhash = serializers.SerializerMethodField()
    image_description = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)
    authors = serializers.SerializerMethodField()

    class Meta:
        model = PreviewCard
        fields = [
            "url", "title", "description", "type", "author_name", "author_url",
            "provider_name", "provider_url", "html", "width", "height", "image",
            "image_description", "embed_url", "blurhash", "language", "published_at", "authors",
        ]  # fmt: skip

    def get_html(self, card) -> str:
        return ""  # no embedded players: Agora never renders another site's markup

    def get_image(self, card) -> str | None:
        return absolute_url(card.image.url) if card.image else None

    def get_blurhash(self, card) -> str | None:
        return card.blurhash or None

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_authors(self, card) -> list:
        if not card.author_name:
            return []
        return [{"name": card.author_name, "url": card.author_url, "account": None}]


class PollOptionSerializer(serializers.Serializer):
    title = serializers.CharField()
    votes_count = serializers.IntegerField(allow_null=True)


class PollSerializer(serializers.Serializer):
    """Mastodon's Poll. Context: ``polls_voted`` (poll id -> the viewer's choices).

    Each option's ``votes_count`` is shown unless the poll hides its totals and has
    not ended, ``voters_count`` for multiple-choice polls only, as Mastodon's
    REST::PollSerializer. ``voted`` and ``own_votes`` are the viewer's (false and
    empty for an anonymous one); inside a cached Status entity they are overlaid per
    viewer (:func:`apps.feed.entities.poll_with_viewer`).
    """

    id = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)
    expired = serializers.BooleanField()
    multiple = serializers.BooleanField()
    votes_count = serializers.IntegerField()
    voters_count = serializers.IntegerField(allow_null=True)
    options = PollOptionSerializer(many=True)
    emojis = serializers.ListField(child=serializers.DictField())
    voted = serializers.BooleanField()
    own_votes = serializers.ListField(child=serializers.IntegerField())

    def to_representation(self, poll: Poll) -> dict[str, Any]:
        return poll_entity(poll, voted=self.context.get("polls_voted") or {})


def poll_entity(poll: Poll, *, voted: dict[int, list[int]]) -> dict[str, Any]:
    """The Poll entity of ``poll`` for a viewer whose votes are ``voted``."""
    expired = poll.is_expired
    totals_shown = expired or not poll.hide_totals
    tallies = list(poll.cached_tallies) + [0] * (len(poll.options) - len(poll.cached_tallies))
    own_votes = voted.get(poll.pk)
    return {
        "id": str(poll.pk),
        "expires_at": serializers.DateTimeField().to_representation(poll.expires_at),
        "expired": expired,
        "multiple": poll.multiple,
        "votes_count": poll.votes_count,
        "voters_count": poll.voters_count if poll.multiple else None,
        "options": [
            {"title": title, "votes_count": tallies[index] if totals_shown else None}
            for index, title in enumerate(poll.options)
        ],
        "emojis": [],
        "voted": own_votes is not None,
        "own_votes": list(own_votes or []),
    }


QUOTES_SHOWN = "_quotes_shown"
QUOTE_SHALLOW = "_quote_shallow"
QUOTE_STATES = [
    "pending", "accepted", "rejected", "revoked", "deleted", "unauthorized",
    "blocked_account", "blocked_domain", "muted_account",
]  # fmt: skip
QUOTE_SCHEMA = {
    "type": "object",
    "nullable": True,
    "description": "Mastodon 4.5's Quote (or ShallowQuote inside a quoted status).",
    "properties": {
        "state": {"type": "string", "enum": QUOTE_STATES},
        "quoted_status": {"type": "object", "nullable": True},
        "quoted_status_id": {"type": "string", "nullable": True},
    },
    "required": ["state"],
}
QUOTE_APPROVAL_SCHEMA = {
    "type": "object",
    "description": "Mastodon 4.5's QuoteApproval.",
    "properties": {
        "automatic": {"type": "array", "items": {"type": "string"}},
        "manual": {"type": "array", "items": {"type": "string"}},
        "current_user": {
            "type": "string",
            "enum": ["automatic", "manual", "denied", "unknown"],
        },
    },
    "required": ["automatic", "manual", "current_user"],
}


class AgoraStatusSerializer(serializers.Serializer):
    """Agora's extension of the Status entity (``agora``), absent from Mastodon's."""

    members_only = serializers.BooleanField(
        help_text="Only the author's paying members (of any tier) may see the status."
    )
    live = serializers.DictField(
        required=False,
        help_text=(
            "Set by the live app on the status announcing a stream: "
            '{"stream_id": "<id>", "state": "live" or "ended"}. Other apps may add other '
            "attributes of their own (Status.extensions)."
        ),
    )


class StatusListSerializer(serializers.ListSerializer):
    """A list of Status entities: one cache read for the page (:mod:`apps.feed.entities`)."""

    def to_representation(self, data):
        statuses = list(data.all() if isinstance(data, models.manager.BaseManager) else data)
        if type(self.child) is StatusSerializer and not self.child.context.get(entities.PLAIN):
            return with_quotes(entities.render(self.child, statuses), self.child.context)
        entities.prefetch_relations(statuses)
        return [self.child.to_representation(status) for status in statuses]


# The Status's and the Notification's timestamps, as a DateTimeField renders them.
_TIMESTAMP = serializers.DateTimeField(read_only=True)


class StatusSerializer(serializers.ModelSerializer):
    """Mastodon's Status. Context: ``request`` and ``viewer_state`` (a ViewerState).

    Lists (``many=True``) cache the viewer-independent rendering by content
    (:mod:`apps.feed.entities`); subclasses that add fields render without the cache.

    The fields declare the entity (the schema reads them), but :meth:`entity` builds it
    directly, as :class:`NotificationSerializer` does: DRF's walk over 34 fields, and
    building a model serializer's fields for each page, were a third of the CPU of a home
    page none of whose statuses was cached. Subclasses that add fields keep DRF's walk.
    ``tests/feed/test_status_entity.py`` holds the two renderings equal.
    """

    id = serializers.CharField(read_only=True)
    in_reply_to_id = serializers.SerializerMethodField()
    in_reply_to_account_id = serializers.SerializerMethodField()
    uri = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    account = AccountSerializer(read_only=True)
    reblog = serializers.SerializerMethodField()
    favourited = serializers.SerializerMethodField()
    reblogged = serializers.SerializerMethodField()
    bookmarked = serializers.SerializerMethodField()
    muted = serializers.SerializerMethodField()
    pinned = serializers.SerializerMethodField()
    mentions = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    emojis = serializers.SerializerMethodField()
    media_attachments = serializers.SerializerMethodField()
    application = serializers.SerializerMethodField()
    card = serializers.SerializerMethodField()
    poll = serializers.SerializerMethodField()
    filtered = serializers.SerializerMethodField()
    language = serializers.SerializerMethodField()
    quote = serializers.SerializerMethodField()
    quote_approval = serializers.SerializerMethodField()
    agora = serializers.SerializerMethodField()

    class Meta:
        model = Status
        fields = [
            "id", "created_at", "in_reply_to_id", "in_reply_to_account_id", "sensitive",
            "spoiler_text", "visibility", "language", "uri", "url", "replies_count",
            "reblogs_count", "favourites_count", "quotes_count", "edited_at", "favourited", "reblogged",
            "muted", "bookmarked", "pinned", "content", "filtered", "reblog", "application",
            "account", "media_attachments", "mentions", "tags", "emojis", "card", "poll",
            "quote", "quote_approval", "agora",
        ]  # fmt: skip
        list_serializer_class = StatusListSerializer

    def to_representation(self, instance):
        if not self.context.get(entities.PLAIN) and not mentions_and_tags_loaded(instance):
            # One status rendered alone (an answer, a stream event) and read without its
            # mentions and tags (a page's rows are: entities.render fetches them for the
            # statuses it renders): each relation in one query, not one per mention.
            entities.prefetch_relations([instance])
        if type(self) is StatusSerializer:
            data = self.entity(instance)
        else:
            data = super().to_representation(instance)
        if self.context.get(entities.PLAIN) or self.context.get(QUOTES_SHOWN):
            return data
        return with_quotes([data], self.context)[0]

    def entity(self, status: Status) -> dict[str, Any]:
        """The entity as DRF renders the declared fields (in ``Meta.fields``' order), built
        directly: the model's columns as their fields give them, the rest by the methods."""
        return {
            "id": str(status.pk),
            "created_at": _TIMESTAMP.to_representation(status.created_at),
            "in_reply_to_id": self.get_in_reply_to_id(status),
            "in_reply_to_account_id": self.get_in_reply_to_account_id(status),
            "sensitive": bool(status.sensitive),
            "spoiler_text": str(status.spoiler_text),
            "visibility": str(status.visibility),
            "language": self.get_language(status),
            "uri": self.get_uri(status),
            "url": self.get_url(status),
            "replies_count": int(status.replies_count),
            "reblogs_count": int(status.reblogs_count),
            "favourites_count": int(status.favourites_count),
            "quotes_count": int(status.quotes_count),
            "edited_at": (
                None if status.edited_at is None else _TIMESTAMP.to_representation(status.edited_at)
            ),
            "favourited": self.get_favourited(status),
            "reblogged": self.get_reblogged(status),
            "muted": self.get_muted(status),
            "bookmarked": self.get_bookmarked(status),
            "pinned": self.get_pinned(status),
            "content": str(status.content),
            "filtered": self.get_filtered(status),
            "reblog": self.get_reblog(status),
            "application": self.get_application(status),
            # AccountSerializer reads the page's rendered authors (plain_context) first.
            "account": AccountSerializer(context=self.context).to_representation(status.account),
            "media_attachments": self.get_media_attachments(status),
            "mentions": self.get_mentions(status),
            "tags": self.get_tags(status),
            "emojis": self.get_emojis(status),
            "card": self.get_card(status),
            "poll": self.get_poll(status),
            "quote": self.get_quote(status),
            "quote_approval": self.get_quote_approval(status),
            "agora": self.get_agora(status),
        }

    def plain_context(self, statuses: list[Status], emojis: LazyEmojiTable) -> dict[str, Any]:
        """What rendering ``statuses`` afresh for the cache (:func:`apps.feed.entities.render`)
        reads already rendered: their authors' Account entities, and their reblogged
        originals' authors', through the account cache (one read for them all).

        A page's statuses share authors (a page of notifications, the viewer alone), and an
        account's entity cost as much as the rest of its status's: rendered in each status,
        it was half of the rendering of a public timeline page none of whose statuses was
        cached (a quarter of the page's CPU).
        """
        accounts: dict[int, Any] = {}
        for status in statuses:
            for shown in (status, status.reblog_of):  # reblog_of loaded (prefetch_relations)
                if shown is not None:
                    accounts.setdefault(shown.account_id, shown.account)
        context = {**self.context, "_custom_emojis": emojis}
        rendered = rendered_accounts(AccountSerializer(context=context), list(accounts.values()))
        return {ACCOUNT_ENTITIES: dict(zip(accounts, rendered, strict=True))}

    def _state(self) -> ViewerState:
        return self.context.get("viewer_state") or ViewerState()

    def get_in_reply_to_id(self, status) -> str | None:
        return str(status.in_reply_to_id) if status.in_reply_to_id else None

    def get_in_reply_to_account_id(self, status) -> str | None:
        return str(status.in_reply_to_account_id) if status.in_reply_to_account_id else None

    def get_uri(self, status) -> str:
        return f"{base_url()}/users/{status.account.username}/statuses/{status.pk}"

    def get_url(self, status) -> str:
        return f"{base_url()}/@{status.account.username}/{status.pk}"

    @extend_schema_field({"type": "object", "nullable": True})
    def get_reblog(self, status):
        if status.reblog_of_id is None:
            return None
        # The reblogged original's quote is shown with the reblog's (with_quotes recurses).
        return StatusSerializer(status.reblog_of, context={**self.context, QUOTES_SHOWN: True}).data

    def get_favourited(self, status) -> bool:
        return status.pk in self._state().favourited

    def get_reblogged(self, status) -> bool:
        return status.pk in self._state().reblogged

    def get_bookmarked(self, status) -> bool:
        return status.pk in self._state().bookmarked

    def get_muted(self, status) -> bool:
        return status.pk in self._state().muted

    def get_pinned(self, status) -> bool:
        return status.pinned_at is not None

    @extend_schema_field(StatusMentionSerializer(many=True))
    def get_mentions(self, status) -> list:
        # Most statuses have no mentions, tags or media: no serializer is made for none.
        mentions = status_mentions(status)
        if not mentions:
            return []
        return StatusMentionSerializer(mentions, many=True).data  # type: ignore[return-value]  # many=True: a list

    @extend_schema_field(StatusTagSerializer(many=True))
    def get_tags(self, status) -> list:
        tags = status_tags(status)
        if not tags:
            return []
        return StatusTagSerializer(tags, many=True).data  # type: ignore[return-value]  # many=True: a list

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_emojis(self, status) -> list:
        return emoji_table(self.context).used_in(status.spoiler_text, status.text)

    @extend_schema_field(MediaAttachmentSerializer(many=True))
    def get_media_attachments(self, status) -> list:
        media = status_media(status)
        if not media:
            return []
        return MediaAttachmentSerializer(  # type: ignore[return-value]  # many=True: a list
            media, many=True, context={"request": self.context.get("request")}
        ).data

    @extend_schema_field(StatusApplicationSerializer(allow_null=True))
    def get_application(self, status):
        if not status.application_name:
            return None
        return {"name": status.application_name, "website": None}

    @extend_schema_field(PreviewCardSerializer(allow_null=True))
    def get_card(self, status):
        if status.preview_card_id is None:
            return None
        return PreviewCardSerializer(status.preview_card).data

    @extend_schema_field(PollSerializer(allow_null=True))
    def get_poll(self, status):
        poll = poll_of(status)
        if poll is None:
            return None
        return poll_entity(poll, voted=self._state().polls_voted)

    @extend_schema_field(FilterResultSerializer(many=True))
    def get_filtered(self, status) -> list:
        """The viewer's FilterResults for this status (:func:`apps.feed.api.filters.statuses_filtered`)."""
        return self._state().filtered.get(status.pk, [])

    def get_language(self, status) -> str | None:
        return status.language or None

    @extend_schema_field(QUOTE_SCHEMA)
    def get_quote(self, status):
        return None  # per viewer: set by with_quotes, never cached

    @extend_schema_field(QUOTE_APPROVAL_SCHEMA)
    def get_quote_approval(self, status) -> dict:
        """Mastodon 4.5's QuoteApproval (a reblog's is its original's, as Mastodon's ``proper``);
        ``current_user`` is the viewer's (set by with_quotes)."""
        proper = status.reblog_of if status.reblog_of_id is not None else status
        policy = proper.quote_approval_policy
        return {
            "automatic": QuotePolicy.keys(policy, automatic=True),
            "manual": QuotePolicy.keys(policy, automatic=False),
            "current_user": "denied",
        }

    @extend_schema_field(AgoraStatusSerializer())
    def get_agora(self, status) -> dict:
        """Agora's extensions of the status (Mastodon clients ignore an unknown attribute)."""
        return {**(status.extensions or {}), "members_only": status.members_only}


def with_quotes(data: list[dict[str, Any]], context: dict[str, Any]) -> list[dict[str, Any]]:
    """Rendered Status entities with the viewer's ``quote`` and ``quote_approval.current_user``.

    Both differ per viewer (whether it may see the quoted status, whether it may quote), so
    they are never in the cached rendering: they come from the ViewerState's ``quotes``
    (:func:`apps.feed.selectors.quotes.quotes_for_viewer`), and the quoted statuses are
    rendered through the cache, with Mastodon's shallow quotes (``quoted_status_id``).
    Without them (no ViewerState), no quote is shown and nobody may quote.
    """
    state: ViewerState = context.get("viewer_state") or ViewerState()
    found = state.quotes
    if found is None:
        return data
    shallow = bool(context.get(QUOTE_SHALLOW))
    rendered: dict[int, dict[str, Any]] = {}
    if not shallow:
        wanted: list[int] = []
        for entity in data:
            for shown in (entity, entity.get("reblog")):
                view = found.quotes.get(int(shown["id"])) if shown else None
                if view is not None and view.quoted_status_id in found.quoted:
                    wanted.append(view.quoted_status_id)
        if wanted:
            quoted = [found.quoted[pk] for pk in dict.fromkeys(wanted)]
            nested = StatusSerializer(quoted, many=True, context={**context, QUOTE_SHALLOW: True})
            rendered = {int(entity["id"]): entity for entity in nested.data}
    return [_with_quote(entity, found, rendered, shallow=shallow) for entity in data]


def _with_quote(entity: dict[str, Any], found, rendered: dict, *, shallow: bool) -> dict:
    shown = dict(entity)
    status_id = int(entity["id"])
    shown["quote_approval"] = {
        **entity["quote_approval"],
        "current_user": found.policies.get(status_id, "denied"),
    }
    view = found.quotes.get(status_id)
    if view is None:
        shown["quote"] = None
    elif shallow:
        quoted_id = view.quoted_status_id
        shown["quote"] = {
            "state": view.state,
            "quoted_status_id": str(quoted_id) if quoted_id else None,
        }
    else:
        quoted_status = rendered.get(view.quoted_status_id) if view.quoted_status_id else None
        state = (
            view.state if quoted_status is not None or view.state != "accepted" else "unauthorized"
        )
        shown["quote"] = {"state": state, "quoted_status": quoted_status}
    if entity.get("reblog") is not None:
        shown["reblog"] = _with_quote(entity["reblog"], found, rendered, shallow=shallow)
    return shown


class StatusContextSerializer(serializers.Serializer):
    """Mastodon's Context: the visible ancestors and descendants of a status."""

    ancestors = StatusSerializer(many=True)
    descendants = StatusSerializer(many=True)


class EmptySerializer(serializers.Serializer):
    """``{}``: what Mastodon answers when there is nothing to say."""


class StatusSourceSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)

    class Meta:
        model = Status
        fields = ["id", "text", "spoiler_text"]


class StatusEditPollSerializer(serializers.Serializer):
    """A revision's poll: its options' titles (Mastodon's StatusEdit ``poll``)."""

    options = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))


class StatusEditSerializer(serializers.ModelSerializer):
    account = serializers.SerializerMethodField()
    media_attachments = serializers.SerializerMethodField()
    emojis = serializers.SerializerMethodField()
    poll = serializers.SerializerMethodField()

    class Meta:
        model = StatusEdit
        fields = [
            "content",
            "spoiler_text",
            "sensitive",
            "created_at",
            "account",
            "media_attachments",
            "emojis",
            "poll",
        ]

    def get_account(self, edit) -> dict:
        return AccountSerializer(edit.status.account, context=self.context).data

    def get_media_attachments(self, edit) -> list:
        return []

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_emojis(self, edit) -> list:
        return emoji_table(self.context).used_in(edit.spoiler_text, edit.text)

    @extend_schema_field(StatusEditPollSerializer(allow_null=True))
    def get_poll(self, edit):
        if not edit.poll_options:
            return None
        return {"options": [{"title": title} for title in edit.poll_options]}


class PollParamsSerializer(serializers.Serializer):
    """A status's poll as clients send it: ``poll[options][]=...`` (form) or ``{"poll": {...}}``.

    Types only; the limits are the service's (:func:`apps.feed.services.poll_params_validate`).
    """

    options = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=500),
        max_length=100,
    )
    expires_in = serializers.IntegerField(min_value=0, max_value=2**31 - 1)
    multiple = serializers.BooleanField(required=False, default=False)
    hide_totals = serializers.BooleanField(required=False, default=False)


@extend_schema_field(PollParamsSerializer(allow_null=True))
class _PollField(serializers.Field):
    """``poll``, from a JSON object or from ``poll[...]`` form fields; a PollParams or None."""

    FORM_NAMES = {
        "poll[options][]": "options",
        "poll[options]": "options",
        "poll[expires_in]": "expires_in",
        "poll[multiple]": "multiple",
        "poll[hide_totals]": "hide_totals",
    }

    def __init__(self, **kwargs):
        super().__init__(required=False, allow_null=True, **kwargs)

    def get_value(self, dictionary: Any) -> Any:
        if "poll" in dictionary:
            return dictionary.get("poll")
        if not hasattr(dictionary, "keys") or not any(
            str(key).startswith("poll[") for key in dictionary
        ):
            return serializers.empty
        found: dict[str, Any] = {}
        for key in dictionary:
            name = self.FORM_NAMES.get(str(key))
            if name == "options" and hasattr(dictionary, "getlist"):
                found[name] = dictionary.getlist(key)
            elif name is not None:
                found[name] = dictionary.get(key)
        return found

    def to_internal_value(self, data):
        if data in ("", None):
            return None
        if not isinstance(data, dict):
            raise serializers.ValidationError(_("must be an object with options and expires_in"))
        form = PollParamsSerializer(data=data)
        if not form.is_valid():
            raise serializers.ValidationError(
                [
                    ErrorDetail(f"{name} {message}", code=getattr(message, "code", "invalid"))
                    for name, messages in form.errors.items()
                    for message in (messages if isinstance(messages, list) else [messages])
                ]
            )
        values = form.validated_data
        return PollParams(
            options=list(values["options"]),
            expires_in=values["expires_in"],
            multiple=values["multiple"],
            hide_totals=values["hide_totals"],
        )

    def to_representation(self, value):
        return value.as_params() if value is not None else None


class StatusCreateSerializer(serializers.Serializer):
    """Input of ``POST /api/v1/statuses`` and ``PUT /api/v1/statuses/:id``."""

    status = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )
    spoiler_text = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=500
    )
    sensitive = serializers.BooleanField(required=False, default=False)
    language = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, default="", trim_whitespace=False
    )
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    in_reply_to_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    media_ids = serializers.ListField(
        child=serializers.RegexField(r"^[0-9]{1,19}$"), required=False, default=list, max_length=4
    )
    scheduled_at = serializers.DateTimeField(required=False, allow_null=True)
    poll = _PollField(
        help_text="A poll instead of media: options, expires_in, multiple, hide_totals."
    )
    quoted_status_id = serializers.RegexField(
        r"^[0-9]{1,19}$", required=False, allow_null=True, allow_blank=True
    )
    quote_approval_policy = serializers.ChoiceField(
        choices=QuoteApprovalPolicy.choices,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Who may quote the status (Mastodon 4.5); the posting default is public.",
    )
    agora_members_only = serializers.BooleanField(
        required=False,
        default=False,
        help_text=(
            "Agora: only the author's paying members (of any tier) may see the status; "
            "not with direct visibility. Kept as it is when a status is edited."
        ),
    )

    def to_internal_value(self, data):
        # Mastodon clients send form data as ``media_ids[]=1&media_ids[]=2``.
        if hasattr(data, "getlist") and "media_ids[]" in data and "media_ids" not in data:
            data = data.copy()
            data.setlist("media_ids", data.getlist("media_ids[]"))
        # ... and a poll as ``poll[options][]=a&poll[expires_in]=60`` (read by _PollField).
        return super().to_internal_value(data)

    def validate_language(self, value: str | None) -> str:
        code = normalise_language(value)
        if code is None:
            raise serializers.ValidationError(
                _("is not an ISO 639-1 language code"), code="invalid"
            )
        return code


class RelationshipSerializer(serializers.Serializer):
    """Mastodon's Relationship, from one account id and the viewer's RelationshipSets."""

    id = serializers.CharField()
    following = serializers.BooleanField()
    showing_reblogs = serializers.BooleanField()
    notifying = serializers.BooleanField()
    languages = serializers.ListField(child=serializers.CharField(), allow_null=True)
    followed_by = serializers.BooleanField()
    blocking = serializers.BooleanField()
    blocked_by = serializers.BooleanField()
    muting = serializers.BooleanField()
    muting_notifications = serializers.BooleanField()
    requested = serializers.BooleanField()
    requested_by = serializers.BooleanField()
    domain_blocking = serializers.BooleanField()
    endorsed = serializers.BooleanField()
    note = serializers.CharField()

    def to_representation(self, account_id: int) -> dict[str, Any]:
        sets: RelationshipSets = self.context["relationships"]
        follow = sets.following.get(account_id)
        mute = sets.muting.get(account_id)
        return {
            "id": str(account_id),
            "following": follow is not None,
            "showing_reblogs": follow.show_reblogs if follow else False,
            "notifying": follow.notify if follow else False,
            "languages": None,
            "followed_by": account_id in sets.followed_by,
            "blocking": account_id in sets.blocking,
            "blocked_by": account_id in sets.blocked_by,
            "muting": mute is not None,
            "muting_notifications": bool(mute and mute.hide_notifications),
            "requested": account_id in sets.requested,
            "requested_by": account_id in sets.requested_by,
            "domain_blocking": False,
            "endorsed": account_id in sets.endorsed,
            "note": sets.notes.get(account_id, ""),
        }


NOTIFICATION_STATUSES = "_notification_statuses"


class NotificationListSerializer(serializers.ListSerializer):
    """A page of notifications: their statuses rendered together, as a page of statuses is
    (:mod:`apps.feed.entities`: one cache read, one query per relation for the misses)."""

    def to_representation(self, data):
        notifications = list(data.all() if isinstance(data, models.manager.BaseManager) else data)
        context = cast(dict[str, Any], self.child.context)
        accounts = [n.from_account for n in notifications if n.from_account_id is not None]
        if accounts:
            entities = rendered_accounts(AccountSerializer(context=context), accounts)
            context[ACCOUNT_ENTITIES] = {
                account.pk: entity for account, entity in zip(accounts, entities, strict=True)
            }
        statuses = [n.status for n in notifications if n.status_id is not None]
        if statuses:
            rendered = StatusSerializer(statuses, many=True, context=self.child.context).data
            cast(dict[str, Any], self.child.context)[NOTIFICATION_STATUSES] = {
                status.pk: entity for status, entity in zip(statuses, rendered, strict=True)
            }
        return [self.child.to_representation(n) for n in notifications]


class NotificationSerializer(serializers.ModelSerializer):
    """Mastodon's Notification entity.

    The fields declare the entity (the schema and the docs read them), but
    :meth:`to_representation` builds it directly: DRF's walk over the fields, and building
    the fields of a model serializer for it, cost 0.3 ms of CPU on a page of 20 (2.0 against
    1.7 ms for the page's entities, their accounts and statuses read from the cache).
    ``tests/feed/test_notification_entity.py`` holds the two renderings equal.
    """

    id = serializers.CharField(read_only=True)
    account = AccountSerializer(source="from_account", read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "type", "created_at", "account", "status"]
        list_serializer_class = NotificationListSerializer

    def to_representation(self, notification):
        return {
            "id": str(notification.pk),
            "type": notification.type,
            "created_at": _TIMESTAMP.to_representation(notification.created_at),
            "account": self.get_account(notification),
            "status": self.get_status(notification),
        }

    def get_account(self, notification) -> dict[str, Any] | None:
        if notification.from_account_id is None:
            return None
        rendered = self.context.get(ACCOUNT_ENTITIES) or {}
        if notification.from_account_id in rendered:
            return dict(rendered[notification.from_account_id])
        return AccountSerializer(notification.from_account, context=self.context).data

    @extend_schema_field({"type": "object", "nullable": True})
    def get_status(self, notification):
        if notification.status_id is None:
            return None
        rendered = self.context.get(NOTIFICATION_STATUSES) or {}
        if notification.status_id in rendered:
            return rendered[notification.status_id]
        return StatusSerializer(notification.status, context=self.context).data

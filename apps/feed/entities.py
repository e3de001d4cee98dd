"""Rendered Status entities, cached by content, as Mastodon caches its rendered entities.

A Status entity is the same for every viewer except ``favourited``, ``reblogged``,
``bookmarked``, ``muted`` and ``filtered`` (its own and its reblogged original's): the cache holds
the rendering for no viewer and :func:`with_viewer` overlays the viewer's own. The viewer-independent
rendering is cached under a key made of the status's id and a digest of every
column of the rows it is rendered from (the status, its account, and for a reblog
the original and its account), of the instance's base URL (``core.base_url``), and of
what the embedded accounts' rendering reads besides their rows
(``apps.accounts.entities``: the default images' static URLs, which a deploy changes,
and each account's standing in force now, which the clock ends). Any change to those rows
(an edit, a counter, a moderation or profile change, a parent deleted) changes the
key, so a stale entity is never read and needs no invalidation: it simply expires.
Mentions and tags change only with an edit, which changes the status's row too; a
link preview arrives after the status is posted, and attaching it saves the status's row. Custom
emojis are looked up by shortcode in the instance's emoji table, whose digest is in the key
of every status whose texts could use one (the table is read only for those).

A page of statuses costs one cache read; only the statuses missing from the cache
have their mentions, tags and media attachments fetched (one query per relation)
and are rendered. Media attachments join a status when it is created and cannot
change afterwards (Mastodon refuses updates to attached media), so they need no
place in the key.

A poll's row (its tallies, counts, options and end) is part of the key, and so is
whether it has ended, which changes with the clock alone: a vote, an edit or the
end makes a new key. The viewer's ``voted`` and ``own_votes`` are overlaid like the
other flags, never cached.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import blake2b
from typing import Any

from django.core.cache import cache
from django.db.models import prefetch_related_objects

from apps.accounts.entities import (
    ENTITY_SECONDS,
    deployed,
    digest_account,
    may_use_emojis,
    model_row,
)
from apps.accounts.selectors import LazyEmojiTable, has_shortcodes
from apps.feed.models import Status
from apps.feed.selectors import (
    ViewerState,
    prefetch_media,
    prefetch_mentions_and_tags,
)
from apps.feed.selectors.polls import poll_of, prefetch_polls
from core.base_url import base_url

PLAIN = "_entity_plain"


def entity_key(status: Status, *, deployed: str, emojis: str = "") -> str:
    """The cache key of ``status``'s rendering: its id and a digest of its rows and base URL.

    ``deployed`` is :func:`apps.accounts.entities.deployed` (what a deploy changes in an
    account's rendering); ``emojis`` the custom emoji table's digest: a changed or
    disabled emoji changes it.
    """
    digest = blake2b(base_url().encode(), digest_size=16)
    digest.update(deployed.encode())
    digest.update(emojis.encode())
    digest.update(model_row(status))
    digest_account(digest, status.account)
    _digest_poll(digest, status)
    original = status.reblog_of  # no query when it is not a reblog
    if original is not None:
        digest.update(model_row(original))
        digest_account(digest, original.account)
        _digest_poll(digest, original)
    return f"entity:status:{status.pk}:{digest.hexdigest()}"


def _may_use_emojis(status: Status) -> bool:
    """Whether ``status``'s rendering could show a custom emoji (its texts or its accounts')."""
    return any(
        has_shortcodes(shown.text, shown.spoiler_text) or may_use_emojis(shown.account)
        for shown in (status, status.reblog_of)
        if shown is not None
    )


def _digest_poll(digest, status: Status) -> None:
    """Add the status's poll row and whether it has ended (loaded by :func:`prefetch_polls`)."""
    poll = poll_of(status)
    if poll is not None:
        digest.update(model_row(poll))
        digest.update(b"ended" if poll.is_expired else b"running")


def prefetch_relations(statuses: Sequence[Status]) -> None:
    """Mentions, tags, link previews and media of ``statuses`` and their originals (skips
    what is loaded). Each costs CPU to set up even when it finds nothing to fetch, so only
    what some status needs is asked for."""
    statuses = list(statuses)
    if any(
        status.reblog_of_id is not None and not Status.reblog_of.is_cached(status)
        for status in statuses
    ):
        prefetch_related_objects(statuses, "reblog_of")
    originals = [status.reblog_of for status in statuses if status.reblog_of is not None]
    everyone = statuses + originals
    prefetch_mentions_and_tags(everyone)
    with_cards = [status for status in everyone if status.preview_card_id is not None]
    if with_cards:
        prefetch_related_objects(with_cards, "preview_card")
    prefetch_media(statuses)


def with_viewer(entity: dict[str, Any], state: ViewerState) -> dict[str, Any]:
    """A copy of a cached entity with the viewer's own flags set."""
    shown = dict(entity)
    status_id = int(entity["id"])
    shown["favourited"] = status_id in state.favourited
    shown["reblogged"] = status_id in state.reblogged
    shown["bookmarked"] = status_id in state.bookmarked
    shown["muted"] = status_id in state.muted
    shown["filtered"] = state.filtered.get(status_id, [])
    if entity.get("poll") is not None:
        shown["poll"] = poll_with_viewer(entity["poll"], state.polls_voted)
    if entity["reblog"] is not None:
        shown["reblog"] = with_viewer(entity["reblog"], state)
    return shown


def poll_with_viewer(entity: dict[str, Any], voted: dict[int, list[int]]) -> dict[str, Any]:
    """A copy of a cached Poll entity with the viewer's ``voted`` and ``own_votes``."""
    own_votes = voted.get(int(entity["id"]))
    return {**entity, "voted": own_votes is not None, "own_votes": list(own_votes or [])}


def render(serializer, statuses: Sequence[Status]) -> list[dict[str, Any]]:
    """``statuses`` as ``serializer`` (a StatusSerializer) renders them, through the cache.

    Those not cached are rendered with no viewer, in a context that adds what
    ``serializer.plain_context(statuses, emojis)`` gives (their authors' entities)."""
    context = serializer.context
    prefetch_polls(statuses)
    emojis = LazyEmojiTable()
    now_deployed = deployed()
    keys = [
        entity_key(
            status, deployed=now_deployed, emojis=emojis.digest if _may_use_emojis(status) else ""
        )
        for status in statuses
    ]
    found = cache.get_many(set(keys))
    missing = {key: status for key, status in zip(keys, statuses, strict=True) if key not in found}
    if missing:
        misses = list(missing.values())
        prefetch_relations(misses)
        plain = type(serializer)(
            context={
                **context,
                "viewer_state": ViewerState(),
                PLAIN: True,
                "_custom_emojis": emojis,
                **serializer.plain_context(misses, emojis),
            }
        )
        rendered = {key: plain.to_representation(status) for key, status in missing.items()}
        cache.set_many(rendered, ENTITY_SECONDS)
        found.update(rendered)
    state = context.get("viewer_state") or ViewerState()
    return [with_viewer(found[key], state) for key in keys]

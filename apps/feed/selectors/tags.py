"""Reads of hashtags as an account relates to them: followed, featured, suggested to feature."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Max
from django.utils.translation import gettext as _

from apps.feed.models import FeaturedTag, ModerationState, Status, Tag, TagFollow, Visibility
from core import errors
from core.pagination import PageParams, paginate_queryset

FEATURED_TAG_SUGGESTIONS = 10
# What the text renderer takes for a hashtag (apps.feed.text.HASHTAG_RE), whole.
TAG_NAME_RE = re.compile(r"\w{1,100}")


def tag_name_normalise(name: str) -> str | None:
    """``name`` without a leading ``#`` and surrounding space, or None if it is no hashtag."""
    name = (name or "").strip().removeprefix("#")
    return name if TAG_NAME_RE.fullmatch(name) else None


def tag_get_by_name(*, name: str) -> Tag:
    """The tag called ``name``, or an unsaved one of that name if nobody used it yet (as
    Mastodon answers). Raises NotFound when ``name`` is not a hashtag."""
    normalised = tag_name_normalise(name)
    if normalised is None:
        raise errors.NotFound(_("Record not found"))
    return Tag.objects.filter(name__iexact=normalised).first() or Tag(name=normalised)


@dataclass
class TagRelations:
    """Which of a set of tags the viewer follows and features."""

    following: set[int] = field(default_factory=set)
    featuring: set[int] = field(default_factory=set)


def tag_relations(*, viewer, tags: Iterable[Tag]) -> TagRelations:
    """Two queries whatever the number of tags; none for an anonymous viewer."""
    relations = TagRelations()
    ids = [tag.pk for tag in tags if tag.pk is not None]
    if not ids or viewer is None or not viewer.is_authenticated:
        return relations
    relations.following = set(
        TagFollow.objects.filter(account=viewer, tag_id__in=ids).values_list("tag_id", flat=True)
    )
    relations.featuring = set(
        FeaturedTag.objects.filter(account=viewer, tag_id__in=ids).values_list("tag_id", flat=True)
    )
    return relations


def followed_tags_page(*, viewer, params: PageParams) -> tuple[list[TagFollow], list[Tag]]:
    """The viewer's followed tags, newest follow first, paged by the follow's id."""
    rows = paginate_queryset(TagFollow.objects.filter(account=viewer).select_related("tag"), params)
    return rows, [row.tag for row in rows]


def _tag_statistics(*, account, tag_ids: list[int]) -> dict[int, tuple[int, object]]:
    """Per tag, how many of ``account``'s public and unlisted statuses use it, and the newest's
    time (what a FeaturedTag shows), in one query."""
    if not tag_ids:
        return {}
    rows = (
        Status.tags.through.objects.filter(
            tag_id__in=tag_ids,
            status__account=account,
            status__reblog_of__isnull=True,
            status__visibility__in=(Visibility.PUBLIC, Visibility.UNLISTED),
            status__moderation_state=ModerationState.VISIBLE,
        )
        .values("tag_id")
        .annotate(uses=Count("status_id"), last=Max("status__created_at"))
        .order_by()
    )
    return {row["tag_id"]: (row["uses"], row["last"]) for row in rows}


def featured_tags_for(*, account) -> list[FeaturedTag]:
    """``account``'s featured tags, oldest first, each with ``statuses_count`` and
    ``last_status_at`` set (two queries whatever the count)."""
    featured = list(
        FeaturedTag.objects.filter(account=account).select_related("tag").order_by("id")
    )
    statistics = _tag_statistics(account=account, tag_ids=[f.tag_id for f in featured])
    for item in featured:
        uses, last = statistics.get(item.tag_id, (0, None))
        item.statuses_count = uses  # type: ignore[attr-defined]
        item.last_status_at = last  # type: ignore[attr-defined]
    return featured


def featured_tag_suggestions(*, account, limit: int = FEATURED_TAG_SUGGESTIONS) -> list[Tag]:
    """The tags ``account`` used most recently that it does not feature yet."""
    used = (
        Status.tags.through.objects.filter(status__account=account, status__reblog_of__isnull=True)
        .exclude(tag_id__in=FeaturedTag.objects.filter(account=account).values("tag_id"))
        .values("tag_id")
        .annotate(last=Max("status_id"))
        .order_by("-last")[:limit]
    )
    order = [row["tag_id"] for row in used]
    by_id = Tag.objects.in_bulk(order)
    return [by_id[tag_id] for tag_id in order if tag_id in by_id]

"""Writes of hashtags an account follows or features on its profile.

Tag names are checked here (:func:`apps.feed.selectors.tags.tag_name_normalise`): a name that is not a
hashtag is refused before anything is written.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.feed.models import FEATURED_TAGS_LIMIT, FeaturedTag, Tag, TagFollow
from apps.feed.selectors.tags import tag_name_normalise
from core import errors


def tag_get_or_create(*, name: str) -> Tag:
    """The tag called ``name`` (case-insensitively), created on first use. Raises Invalid."""
    normalised = tag_name_normalise(name)
    if normalised is None:
        raise errors.Invalid({"name": [_("is not a valid hashtag")]})
    tag = Tag.objects.filter(name__iexact=normalised).first()
    if tag is not None:
        return tag
    try:
        with transaction.atomic():
            return Tag.objects.create(name=normalised)
    except IntegrityError:
        return Tag.objects.get(name__iexact=normalised)


@transaction.atomic
def tag_follow(*, account, name: str) -> Tag:
    """``account`` follows the hashtag ``name`` (idempotent). Raises Invalid for a bad name."""
    tag = tag_get_or_create(name=name)
    TagFollow.objects.get_or_create(account=account, tag=tag)
    return tag


@transaction.atomic
def tag_unfollow(*, account, tag: Tag) -> None:
    TagFollow.objects.filter(account=account, tag=tag).delete()


@transaction.atomic
def featured_tag_create(*, account, name: str) -> FeaturedTag:
    """Feature the hashtag ``name`` on ``account``'s profile; featuring it again is a no-op.

    Raises Invalid for a bad name or past ``FEATURED_TAGS_LIMIT`` featured tags.
    """
    tag = tag_get_or_create(name=name)
    existing = FeaturedTag.objects.filter(account=account, tag=tag).first()
    if existing is not None:
        return existing
    # Serialises concurrent requests of one account, so the limit holds.
    type(account).objects.select_for_update().filter(pk=account.pk).first()
    if FeaturedTag.objects.filter(account=account).count() >= FEATURED_TAGS_LIMIT:
        raise errors.Invalid(
            {
                "featured_tags": [
                    _("You can feature up to %(count)d hashtags") % {"count": FEATURED_TAGS_LIMIT}
                ]
            }
        )
    featured, _created = FeaturedTag.objects.get_or_create(account=account, tag=tag)
    return featured


def featured_tag_delete(*, account, featured_tag_id: int) -> None:
    """Stop featuring one of ``account``'s tags. Raises NotFound for anyone else's."""
    deleted, _by_model = FeaturedTag.objects.filter(pk=featured_tag_id, account=account).delete()
    if not deleted:
        raise errors.NotFound(_("Record not found"))


def tag_unfeature(*, account, tag: Tag) -> None:
    """Stop featuring ``tag`` on ``account``'s profile (nothing when it is not featured)."""
    FeaturedTag.objects.filter(account=account, tag=tag).delete()

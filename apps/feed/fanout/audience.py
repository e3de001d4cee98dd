"""Whose home feeds a status is pushed into, and taken out of: Mastodon's fan-out rules.

:func:`audience_ids` is the rule, pure; :func:`status_audience` and
:func:`removal_audience` read its inputs from the database. The audience is the
feeds a status *may* belong in, before the activity filter: every read re-applies
the home timeline's rules (:mod:`apps.feed.fanout.rules`), so a status pushed to a
follower who blocks or mutes its author is never shown, and shows as soon as the
database's home query would show it (a mute that expires, a standing that lapses).
``tests/feed/test_visibility_equivalence.py`` checks that the audience holds every
viewer whose home timeline shows the status.

A members-only status is pushed as any other of its visibility: the read filter keeps
it for its author and the author's members, so a follower who becomes a member sees it,
and one whose membership ends stops seeing it, without touching the feeds.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from apps.feed.fanout.store import Entry
from apps.feed.models import Follow, Mention, ModerationState, Status, TagFollow, Visibility


def audience_ids(
    *,
    author_id: int,
    visibility: str,
    is_reblog: bool,
    follower_rows: Iterable[tuple[int, bool]],
    mentioned_ids: Iterable[int],
    tag_follower_ids: Iterable[int] = (),
) -> list[int]:
    """Whose feeds a status belongs in, before the activity filter: Mastodon's rules.

    The author always; public, unlisted and private statuses go to followers (a reblog
    not to those who turned the booster's reblogs off); direct ones only to the
    accounts they mention; a public original also to the followers of its hashtags
    (``tag_follower_ids``). ``follower_rows`` are (follower id, shows reblogs).
    """
    audience = {author_id}
    if visibility == Visibility.DIRECT:
        audience.update(mentioned_ids)
    else:
        audience.update(
            follower for follower, shows_reblogs in follower_rows if shows_reblogs or not is_reblog
        )
    if visibility == Visibility.PUBLIC and not is_reblog:
        audience.update(tag_follower_ids)
    return sorted(audience)


def tag_follower_ids(*, status_id: int) -> QuerySet:
    """Accounts following a hashtag the status carries (one query when evaluated)."""
    return (
        TagFollow.objects.filter(tag__statuses=status_id)
        .values_list("account_id", flat=True)
        .distinct()
    )


def status_audience(*, status_id: int) -> tuple[Entry, list[int]] | None:
    """A published status as the store holds it and the feeds it is pushed into.

    None when the status is gone or removed by moderation. Two queries: the status's
    columns, then its followers (or, for a direct status, its mentions); a third for a
    public original, the followers of its hashtags.
    """
    row = (
        Status.objects.filter(pk=status_id)
        .exclude(moderation_state=ModerationState.REMOVED)
        .values("account_id", "visibility", "reblog_of_id")
        .first()
    )
    if row is None:
        return None
    follower_rows: Iterable[tuple[int, bool]] = ()
    mentioned: Iterable[int] = ()
    tag_followers: Iterable[int] = ()
    if row["visibility"] == Visibility.PUBLIC and row["reblog_of_id"] is None:
        tag_followers = tag_follower_ids(status_id=status_id)
    if row["visibility"] == Visibility.DIRECT:
        mentioned = Mention.objects.filter(status_id=status_id).values_list("account_id", flat=True)
    else:
        follower_rows = Follow.objects.filter(target_id=row["account_id"]).values_list(
            "account_id", "show_reblogs"
        )
    audience = audience_ids(
        author_id=row["account_id"],
        visibility=row["visibility"],
        is_reblog=row["reblog_of_id"] is not None,
        follower_rows=follower_rows,
        mentioned_ids=mentioned,
        tag_follower_ids=tag_followers,
    )
    return Entry(status_id=status_id, reblog_of_id=row["reblog_of_id"]), audience


def removal_audience(*, status_id: int, author_id: int) -> list[int]:
    """Every feed a status may have reached: its author's, its followers', the mentioned's
    and its hashtags' followers'.

    Wider than :func:`status_audience` on purpose (a follower may have turned reblogs
    off since the push): removing an id a feed does not hold costs nothing.
    """
    audience = set(Follow.objects.filter(target_id=author_id).values_list("account_id", flat=True))
    audience.update(
        Mention.objects.filter(status_id=status_id).values_list("account_id", flat=True)
    )
    audience.update(tag_follower_ids(status_id=status_id))
    audience.add(author_id)
    return sorted(audience)

"""Who sees a status is written once, in ``Status.objects.visible_to``; its faster copies agree.

The home timeline is ``visible_to`` narrowed by the home query
(:func:`apps.feed.selectors.home_queryset`: own or followed, reblogs as the follow allows,
no direct statuses of others, no mutes). Three copies decide the same thing faster, and
each is checked here against it, row by row, over the cartesian product of:

- the viewer's relation to the author: self, follower (showing its reblogs or not, or
  holding the author on an exclusive list), non-follower, follow requested, non-follower
  following a hashtag every status carries;
- a block either way, or none; a mute, an expired mute, or none;
- the author's standing: none, limited, suspended (also until later), disabled, and
  limited or suspended until a moment already past (lapsed);
- the status's visibility (public, unlisted, private with and without a mention of the
  viewer, direct with and without one) and moderation state (visible, hidden, removed);
- the status itself, or a reblog of it by an account the viewer follows (showing its
  reblogs, or with reblogs turned off), the block and mute then being on the original's author.

A second, smaller world (``members-only``) crosses members-only statuses with membership:
viewers who pay the authors (``core.memberships``, the ``paying_members`` fixture) or not,
following them (with or without reblogs), following a hashtag, or neither; authors with no
standing or limited; public, unlisted and private statuses (with and without a mention),
members-only or not, in every moderation state, as themselves or reblogged (written to the
database directly: the API refuses to reblog a members-only status, the copies must agree
all the same).

The copies, and what each must say for every row:

- the feed store's read filter (:func:`apps.feed.fanout.reads.shown_among`, the rules of
  :mod:`apps.feed.fanout.rules`) shows exactly the home timeline;
- the feed store's audience (:func:`apps.feed.fanout.audience.status_audience`, built on
  ``audience_ids``) holds every viewer whose home timeline shows the status: the read
  filter drops the rest, and narrowing the push would lose statuses for good once a mute
  expires or a standing lapses;
- the ``user`` stream (``streaming._home_audience``, then
  :func:`apps.feed.streaming.status_for_viewer` as the consumer applies it) delivers
  exactly the home timeline, and also a direct status to an account it mentions (which
  ``tests/feed/test_streaming_privacy.py`` pins: Mastodon streams direct messages to the
  mentioned, while the home timeline leaves direct statuses of others out);
- the public stream (``streaming._status_groups``, then the same consumer filter) delivers
  exactly the public timeline (:func:`apps.feed.selectors.public_timeline`), less an
  author's own statuses hidden by moderation, which are never broadcast.

The world is built once per test with every combination, and the copies are evaluated for
each (viewer, status) pair; a failure lists the rows that disagree.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest
from django.utils import timezone

from apps.accounts.models import Standing, User
from apps.feed import selectors, streaming
from apps.feed.fanout import audience, reads
from apps.feed.models import (
    Block,
    Follow,
    FollowRequest,
    List,
    ListAccount,
    Mention,
    ModerationState,
    Mute,
    Status,
    Tag,
    TagFollow,
    Visibility,
)
from core.pagination import PageParams
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

RELATIONS = (
    "follower",
    "follower-reblogs-off",
    "follower-exclusive",
    "non-follower",
    "requested",
    "tag-follower",
)
BLOCKS = ("no-block", "viewer-blocks", "author-blocks")
MUTES = ("no-mute", "muted", "mute-expired")
STANDINGS = {
    "none": (Standing.NONE, None),
    "limited": (Standing.LIMITED, None),
    "limited-lapsed": (Standing.LIMITED, dt.timedelta(minutes=-1)),
    "suspended": (Standing.SUSPENDED, None),
    "suspended-until-later": (Standing.SUSPENDED, dt.timedelta(days=1)),
    "suspended-lapsed": (Standing.SUSPENDED, dt.timedelta(minutes=-1)),
    "disabled": (Standing.DISABLED, None),
}
VISIBILITIES = {
    "public": (Visibility.PUBLIC, False),
    "unlisted": (Visibility.UNLISTED, False),
    "private": (Visibility.PRIVATE, False),
    "private-mentioning": (Visibility.PRIVATE, True),
    "direct-mentioning": (Visibility.DIRECT, True),
    "direct-not-mentioning": (Visibility.DIRECT, False),
}
MODERATION = (ModerationState.VISIBLE, ModerationState.HIDDEN, ModerationState.REMOVED)
FORMS = ("original", "reblog", "reblog-reblogs-off")


@dataclasses.dataclass(frozen=True)
class Viewer:
    account: User
    relation: str
    block: str = "no-block"
    mute: str = "no-mute"
    member: bool = False

    @property
    def label(self) -> str:
        paying = "/member" if self.member else ""
        return f"{self.relation}/{self.block}/{self.mute}{paying}"


@dataclasses.dataclass(frozen=True)
class Post:
    status: Status
    author: User
    standing: str
    visibility: str
    moderation: str
    form: str
    members_only: bool = False

    @property
    def label(self) -> str:
        only = "/members-only" if self.members_only else ""
        return f"{self.standing}/{self.visibility}/{self.moderation}/{self.form}{only}"


@dataclasses.dataclass
class World:
    viewers: list[Viewer]
    posts: list[Post]
    kind: str = "everything"


def build_world() -> World:
    """Every combination: one viewer per (relation, block, mute) towards every author, each
    author also viewing its own statuses; one author per standing, with one status per
    (visibility, moderation), each also reblogged by the two boosters every viewer follows."""
    now = timezone.now()
    # Usernames stay short: accounts' usernames are at most 30 characters (PostgreSQL holds
    # them to it); what each account stands for is in its Viewer or Post, not its name.
    authors = {name: UserFactory(username=f"author{index}") for index, name in enumerate(STANDINGS)}
    booster = UserFactory(username="booster")
    quiet_booster = UserFactory(username="quiet-booster")
    bystander = UserFactory(username="bystander")
    viewers = [Viewer(author, "self") for author in authors.values()]
    combinations = itertools.product(RELATIONS, BLOCKS, MUTES)
    for index, (relation, block, mute) in enumerate(combinations):
        account = UserFactory(username=f"viewer{index}")
        viewers.append(Viewer(account, relation, block, mute))

    world_tag = Tag.objects.create(name="world")
    TagFollow.objects.bulk_create(
        [
            TagFollow(account=v.account, tag=world_tag)
            for v in viewers
            if v.relation == "tag-follower"
        ]
    )
    follows, requests, blocks, mutes = [], [], [], []
    for viewer in viewers:
        follows.append(Follow(account=viewer.account, target=booster))
        follows.append(Follow(account=viewer.account, target=quiet_booster, show_reblogs=False))
        if viewer.relation == "self":
            continue
        for author in authors.values():
            if viewer.relation.startswith("follower"):
                shows_reblogs = viewer.relation != "follower-reblogs-off"
                follows.append(
                    Follow(account=viewer.account, target=author, show_reblogs=shows_reblogs)
                )
            elif viewer.relation == "requested":
                requests.append(FollowRequest(account=viewer.account, target=author))
            if viewer.block == "viewer-blocks":
                blocks.append(Block(account=viewer.account, target=author))
            elif viewer.block == "author-blocks":
                blocks.append(Block(account=author, target=viewer.account))
            if viewer.mute != "no-mute":
                expires = now - dt.timedelta(minutes=1) if viewer.mute == "mute-expired" else None
                mutes.append(Mute(account=viewer.account, target=author, expires_at=expires))
    Follow.objects.bulk_create(follows)
    memberships = []
    for viewer in viewers:
        if viewer.relation == "follower-exclusive":
            exclusive = List.objects.create(account=viewer.account, title="x", exclusive=True)
            memberships += [
                ListAccount(list=exclusive, account=author) for author in authors.values()
            ]
    ListAccount.objects.bulk_create(memberships)
    FollowRequest.objects.bulk_create(requests)
    Block.objects.bulk_create(blocks)
    Mute.objects.bulk_create(mutes)

    posts: list[Post] = []
    mentions, tagged = [], []
    for standing, author in authors.items():
        for (name, (visibility, mentioning)), moderation in itertools.product(
            VISIBILITIES.items(), MODERATION
        ):
            status = Status.objects.create(
                account=author,
                text=name,
                content=f"<p>{name}</p>",
                visibility=visibility,
                moderation_state=moderation,
            )
            mentioned = [v.account for v in viewers] if mentioning else [bystander]
            mentions += [Mention(status=status, account=account) for account in mentioned]
            tagged.append(Status.tags.through(status_id=status.pk, tag_id=world_tag.pk))
            posts.append(Post(status, author, standing, name, moderation, "original"))
            if visibility == Visibility.DIRECT:
                continue  # a direct status cannot be reblogged
            for form, reblogger in (("reblog", booster), ("reblog-reblogs-off", quiet_booster)):
                reblog = Status.objects.create(account=reblogger, reblog_of=status)
                posts.append(Post(reblog, author, standing, name, moderation, form))
    Mention.objects.bulk_create(mentions)
    Status.tags.through.objects.bulk_create(tagged)
    for standing, (value, until) in STANDINGS.items():
        User.objects.filter(pk=authors[standing].pk).update(
            standing=value, standing_until=now + until if until is not None else None
        )
    # Read back as the handlers load them, with the standings just set.
    loaded = Status.objects.select_related("account", "reblog_of__account").in_bulk(
        [post.status.pk for post in posts]
    )
    return World(
        viewers=[
            Viewer(User.objects.get(pk=v.account.pk), v.relation, v.block, v.mute) for v in viewers
        ],
        posts=[dataclasses.replace(post, status=loaded[post.status.pk]) for post in posts],
    )


def home_ids(viewer: User) -> set[int]:
    """The source of truth: what the viewer's home timeline shows (from ``visible_to``)."""
    return set(selectors.home_queryset(viewer).values_list("pk", flat=True))


def disagreements(world: World, decide) -> list[str]:
    """The rows where ``decide(viewer, post, home_ids)`` names a disagreement."""
    found = []
    for viewer in world.viewers:
        home = home_ids(viewer.account)
        for post in world.posts:
            if viewer.relation == "self" and post.author != viewer.account:
                continue
            problem = decide(viewer, post, home)
            if problem:
                found.append(f"{viewer.label} sees {post.label}: {problem}")
    return found


def assert_agree(world: World, decide) -> None:
    found = disagreements(world, decide)
    assert not found, f"{len(found)} rows disagree:\n" + "\n".join(found)


MEMBER_STANDINGS = ("none", "limited")
MEMBER_RELATIONS = ("follower", "follower-reblogs-off", "non-follower", "tag-follower")
MEMBER_VISIBILITIES = ("public", "unlisted", "private", "private-mentioning")


def build_members_world(paying_members: dict[int, set[int]]) -> World:
    """Members-only statuses against membership: one viewer per (relation, paying or not)
    towards every author, each author viewing its own; one author per standing of
    ``MEMBER_STANDINGS``, with one status per (visibility, moderation, members-only or not),
    each also reblogged by the two boosters every viewer follows."""
    now = timezone.now()
    authors = {
        name: UserFactory(username=f"creator{index}") for index, name in enumerate(MEMBER_STANDINGS)
    }
    booster = UserFactory(username="booster")
    quiet_booster = UserFactory(username="quiet-booster")
    viewers = [Viewer(author, "self") for author in authors.values()]
    for index, (relation, member) in enumerate(itertools.product(MEMBER_RELATIONS, (False, True))):
        account = UserFactory(username=f"fan{index}")
        viewers.append(Viewer(account, relation, member=member))
        if member:
            paying_members[account.pk] = {author.pk for author in authors.values()}
    world_tag = Tag.objects.create(name="world")
    TagFollow.objects.bulk_create(
        [
            TagFollow(account=v.account, tag=world_tag)
            for v in viewers
            if v.relation == "tag-follower"
        ]
    )
    follows = []
    for viewer in viewers:
        follows.append(Follow(account=viewer.account, target=booster))
        follows.append(Follow(account=viewer.account, target=quiet_booster, show_reblogs=False))
        if viewer.relation.startswith("follower"):
            shows_reblogs = viewer.relation != "follower-reblogs-off"
            follows += [
                Follow(account=viewer.account, target=author, show_reblogs=shows_reblogs)
                for author in authors.values()
            ]
    Follow.objects.bulk_create(follows)

    posts: list[Post] = []
    mentions, tagged = [], []
    for standing, author in authors.items():
        for name, moderation, members_only in itertools.product(
            MEMBER_VISIBILITIES, MODERATION, (False, True)
        ):
            visibility, mentioning = VISIBILITIES[name]
            status = Status.objects.create(
                account=author,
                text=name,
                content=f"<p>{name}</p>",
                visibility=visibility,
                moderation_state=moderation,
                members_only=members_only,
            )
            if mentioning:
                mentions += [Mention(status=status, account=v.account) for v in viewers]
            tagged.append(Status.tags.through(status_id=status.pk, tag_id=world_tag.pk))
            posts.append(Post(status, author, standing, name, moderation, "original", members_only))
            for form, reblogger in (("reblog", booster), ("reblog-reblogs-off", quiet_booster)):
                reblog = Status.objects.create(account=reblogger, reblog_of=status)
                posts.append(Post(reblog, author, standing, name, moderation, form, members_only))
    Mention.objects.bulk_create(mentions)
    Status.tags.through.objects.bulk_create(tagged)
    for standing, author in authors.items():
        value, until = STANDINGS[standing]
        User.objects.filter(pk=author.pk).update(
            standing=value, standing_until=now + until if until is not None else None
        )
    loaded = Status.objects.select_related("account", "reblog_of__account").in_bulk(
        [post.status.pk for post in posts]
    )
    return World(
        viewers=[
            dataclasses.replace(v, account=User.objects.get(pk=v.account.pk)) for v in viewers
        ],
        posts=[dataclasses.replace(post, status=loaded[post.status.pk]) for post in posts],
        kind="members-only",
    )


@pytest.fixture(params=["everything", "members-only"])
def world(request) -> World:
    if request.param == "members-only":
        return build_members_world(request.getfixturevalue("paying_members"))
    return build_world()


def test_the_world_holds_every_combination_and_both_answers(world):
    # given the world / then it has every row, and the home timeline says yes and no
    if world.kind == "members-only":
        assert len(world.viewers) == len(MEMBER_STANDINGS) + 2 * len(MEMBER_RELATIONS)
        assert (
            len(world.posts)
            == len(MEMBER_STANDINGS) * len(MEMBER_VISIBILITIES) * len(MODERATION) * 2 * 3
        )
        # and both answers come up for members-only statuses in home
        members_only = {post.status.pk for post in world.posts if post.members_only}
        shown = set().union(*(home_ids(v.account) for v in world.viewers)) & members_only
        assert 0 < len(shown) < len(members_only)
    else:
        assert len(world.viewers) == len(STANDINGS) + len(RELATIONS) * len(BLOCKS) * len(MUTES)
        assert len(world.posts) == len(STANDINGS) * len(MODERATION) * (
            len(VISIBILITIES) + 2 * (len(VISIBILITIES) - 2)
        )
    shown = [len(home_ids(viewer.account)) for viewer in world.viewers]
    assert 0 < sum(shown) < len(world.viewers) * len(world.posts)
    # and home is visible_to narrowed, never wider
    for viewer in world.viewers:
        visible = set(Status.objects.visible_to(viewer.account).values_list("pk", flat=True))
        assert home_ids(viewer.account) <= visible


def test_the_stores_read_filter_shows_exactly_the_home_timeline(world):
    # given every status, read back from a feed by every viewer
    ids = [post.status.pk for post in world.posts]
    shown_by = {
        viewer.account.pk: {s.pk for s in reads.shown_among(viewer=viewer.account, ids=ids)}
        for viewer in world.viewers
    }

    # when the store's rules decide each row / then they agree with the home timeline
    def decide(viewer, post, home):
        in_home = post.status.pk in home
        in_store = post.status.pk in shown_by[viewer.account.pk]
        return None if in_home == in_store else f"home={in_home} store={in_store}"

    assert_agree(world, decide)


def test_the_stores_audience_holds_everyone_whose_home_shows_the_status(world):
    # given the feeds each status is pushed into (None: not pushed at all)
    pushed_to = {}
    for post in world.posts:
        found = audience.status_audience(status_id=post.status.pk)
        pushed_to[post.status.pk] = set(found[1]) if found is not None else set()

    # when each row is checked / then no home timeline misses a status its feed lacks
    def decide(viewer, post, home):
        if post.status.pk in home and viewer.account.pk not in pushed_to[post.status.pk]:
            return "in the home timeline but never pushed into the feed"
        return None

    assert_agree(world, decide)


def test_the_user_stream_reaches_exactly_the_home_timeline_and_direct_mentions(world):
    # given who hears of each status on the user stream (its home audience)
    audiences = {post.status.pk: streaming._home_audience(post.status) for post in world.posts}
    visible_to = {
        viewer.account.pk: set(
            Status.objects.visible_to(viewer.account).values_list("pk", flat=True)
        )
        for viewer in world.viewers
    }

    # when each row is checked, the consumer's filter being visible_to less mutes (checked
    # against the real consumer filter below) / then the stream is the home timeline, plus a
    # direct status to the accounts it mentions
    def decide(viewer, post, home):
        in_home = post.status.pk in home
        passes_filter = post.status.pk in visible_to[viewer.account.pk] and viewer.mute != "muted"
        direct_mention = post.visibility == "direct-mentioning" and viewer.relation != "self"
        expected = in_home or (direct_mention and passes_filter)
        actual = viewer.account.pk in audiences[post.status.pk] and passes_filter
        return None if actual == expected else f"home={in_home} expected={expected} stream={actual}"

    assert_agree(world, decide)


#: The consumer's filter costs a few queries a row: it runs for the statuses of one standing,
#: whose statuses reach followers only (so both answers come up for every relation), with
#: every visibility, moderation state and form, for the viewers without a block (blocks are
#: ``visible_to``'s own clause, which the filter calls as it is; the mute check is its own).
FILTERED_STANDINGS = ("limited",)


def test_the_consumers_filter_is_visible_to_less_mutes(world):
    # given the rows whose viewer hears of the status (the filter runs for no one else)
    posts = [
        post
        for post in world.posts
        if post.standing in FILTERED_STANDINGS and post.moderation != ModerationState.REMOVED
    ]
    audiences = {post.status.pk: streaming._home_audience(post.status) for post in posts}
    rows = [
        (viewer, post)
        for viewer, post in itertools.product(world.viewers, posts)
        if viewer.account.pk in audiences[post.status.pk]
        and viewer.block == "no-block"
        and (viewer.relation != "self" or post.author == viewer.account)
    ]

    # when the consumer's filter decides each / then it lets through what visible_to shows,
    # less statuses whose author (or original's author) the viewer mutes
    visible_to = {
        viewer.account.pk: set(
            Status.objects.visible_to(viewer.account).values_list("pk", flat=True)
        )
        for viewer in world.viewers
    }
    wrong = []
    for viewer, post in rows:
        expected = post.status.pk in visible_to[viewer.account.pk] and viewer.mute != "muted"
        found = streaming.status_for_viewer(viewer=viewer.account, status_id=post.status.pk)
        if (found is not None) != expected:
            wrong.append(f"{viewer.label} sees {post.label}: expected={expected}")
    assert len(rows) > 100
    assert wrong == []


def test_the_public_stream_reaches_exactly_the_public_timeline(world):
    # given which statuses go to the public stream, and each viewer's public timeline
    # (one page holding everything)
    broadcast = {
        post.status.pk
        for post in world.posts
        if streaming.PUBLIC_GROUP in streaming._status_groups(post.status)
    }
    everything = PageParams(max_id=None, since_id=None, min_id=None, limit=len(world.posts))
    public = {
        viewer.account.pk: {
            s.pk for s in selectors.public_timeline(viewer=viewer.account, params=everything)
        }
        for viewer in world.viewers
    }
    visible_to = {
        viewer.account.pk: set(
            Status.objects.visible_to(viewer.account).values_list("pk", flat=True)
        )
        for viewer in world.viewers
    }

    # when each row is checked, the consumer's filter being visible_to less mutes / then
    # the public stream shows a viewer their public timeline, less the author's own statuses
    # hidden by moderation: those stay in the author's timelines but are never broadcast
    def decide(viewer, post, home):
        in_timeline = post.status.pk in public[viewer.account.pk]
        expected = in_timeline and post.moderation != ModerationState.HIDDEN
        passes_filter = post.status.pk in visible_to[viewer.account.pk] and viewer.mute != "muted"
        streamed = post.status.pk in broadcast and passes_filter
        return None if streamed == expected else f"timeline={in_timeline} stream={streamed}"

    assert_agree(world, decide)

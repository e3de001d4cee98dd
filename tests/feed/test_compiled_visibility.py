"""The visibility rules are compiled once per shape and bound per query (``apps.feed.models.compiled``).

``Status.objects.visible_to`` runs the rules' SQL compiled for a shape (the database,
whether there is a viewer, how many creators they pay), with the viewer's values bound.
Checked here: it answers exactly what the rules built afresh by the ORM answer, for every
kind of viewer and status; one compilation serves every viewer of a shape; the clock is
bound per query, not frozen at compilation; a query using the rules pickles, as Django's
querysets do; a condition that does not use a value it is given is refused when compiled.
"""

from __future__ import annotations

import datetime as dt
import pickle

import pytest
from django.db import connection
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from apps.accounts.models import Standing
from apps.feed.models import Block, Follow, Mention, Notification, Status, Visibility
from apps.feed.models.compiled import CompiledCondition, Holds
from apps.feed.models.statuses import VISIBILITY, ModerationState, _visibility_rules
from core import memberships
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def post(author, visibility=Visibility.PUBLIC, **fields) -> Status:
    return Status.objects.create(account=author, text="hello", visibility=visibility, **fields)


@pytest.fixture
def world(paying_members):
    """Authors of every standing, statuses of every visibility and moderation state,
    reblogs, mentions, follows, a block and a membership; viewers related to them."""
    authors = {
        "plain": UserFactory(username="plain"),
        "limited": UserFactory(username="limited", standing=Standing.LIMITED),
        "suspended": UserFactory(username="suspended", standing=Standing.SUSPENDED),
        "lapsed": UserFactory(
            username="lapsed",
            standing=Standing.SUSPENDED,
            standing_until=timezone.now() - dt.timedelta(hours=1),
        ),
        "inactive": UserFactory(username="inactive", is_active=False),
    }
    follower = UserFactory(username="follower")
    member = UserFactory(username="member")
    blocked = UserFactory(username="blocked")
    stranger = UserFactory(username="stranger")
    statuses = []
    for author in authors.values():
        Follow.objects.create(account=follower, target=author)
        Block.objects.create(account=author, target=blocked)
        for visibility in Visibility.values:
            for state in ModerationState.values:
                for members_only in (False, True):
                    status = post(
                        author, visibility, moderation_state=state, members_only=members_only
                    )
                    statuses.append(status)
                    if visibility in (Visibility.PRIVATE, Visibility.DIRECT):
                        Mention.objects.create(status=status, account=stranger)
    for original in list(statuses):
        statuses.append(post(authors["plain"], reblog_of=original))
    paying_members[member.pk] = {authors["plain"].pk, authors["limited"].pk}
    Follow.objects.create(account=member, target=authors["limited"])  # so its posts reach
    viewers = [None, follower, member, blocked, stranger, authors["plain"], authors["limited"]]
    return viewers, statuses


def test_the_compiled_rules_answer_what_the_rules_built_afresh_answer(world):
    viewers, statuses = world
    now = timezone.now()
    answers = set()
    for viewer in viewers:
        creators = sorted(memberships.creators_of(viewer)) if viewer is not None else []
        compiled = set(Status.objects.visible_to(viewer).values_list("pk", flat=True))
        afresh = set(
            _visibility_rules(viewer.pk if viewer else None, creators, now).values_list(
                "pk", flat=True
            )
        )
        assert compiled == afresh, viewer
        answers.add(frozenset(compiled))
    # the world tells the viewers apart
    assert len(answers) == len(viewers)
    assert max(len(answer) for answer in answers) < len(statuses)


def test_as_a_subquery_the_compiled_rules_follow_the_outer_row(world):
    viewers, _statuses = world
    stranger = viewers[4]
    # a notification about each status, for the stranger
    for status in Status.objects.all():
        Notification.objects.create(
            account=stranger, from_account=status.account, type="mention", status=status
        )
    visible = Status.objects.visible_to(stranger).filter(pk=OuterRef("status_id"))
    shown = set(
        Notification.objects.filter(account=stranger)
        .filter(Exists(visible))
        .values_list("status_id", flat=True)
    )

    assert shown == set(Status.objects.visible_to(stranger).values_list("pk", flat=True))


def test_one_compilation_serves_every_viewer_of_a_shape(world):
    viewers, _statuses = world
    follower, stranger, blocked = viewers[1], viewers[4], viewers[3]
    list(Status.objects.visible_to(follower))  # compiled for "a viewer paying no one"
    compiled_before = VISIBILITY.template.cache_info().misses

    for viewer in (stranger, blocked, follower):
        list(Status.objects.visible_to(viewer))

    assert VISIBILITY.template.cache_info().misses == compiled_before


def test_the_clock_is_bound_per_query_not_at_compilation(world):
    viewers, _statuses = world
    stranger = viewers[4]
    author = UserFactory(
        username="soon_free",
        standing=Standing.SUSPENDED,
        standing_until=timezone.now() + dt.timedelta(minutes=5),
    )
    status = post(author)
    assert not Status.objects.visible_to(stranger).filter(pk=status.pk).exists()

    # when the suspension's end passes, with the rules already compiled for this shape
    later = timezone.now() + dt.timedelta(minutes=10)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: later)
        shown_later = Status.objects.visible_to(stranger).filter(pk=status.pk).exists()

    assert shown_later


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="how PostgreSQL plans the rules' subquery"
)
def test_postgresql_plans_the_rules_apart_from_the_query_using_them(world):
    # Folded into the outer query (a semi join), the rules' joins join its join search, and
    # under an OR PostgreSQL plans them twice (per row and hashed) to choose: planning cost
    # more than the query. Kept apart, they are one subplan, planned once.
    viewers, _statuses = world
    stranger = viewers[4]
    timeline = Status.objects.visible_to(stranger).order_by("-pk")[:20]

    plan = timeline.explain().splitlines()

    rules_row = next(n for n, line in enumerate(plan) if "on feed_status agv0" in line)
    assert "SubPlan" in _enclosing_nodes(plan, rules_row), "\n".join(plan)
    assert list(timeline) == list(Status.objects.visible_to(stranger).order_by("-pk")[:20])


def _enclosing_nodes(plan: list[str], row: int) -> list[str]:
    """The names of the nodes of an EXPLAIN text that enclose its line ``row``."""
    enclosing, indent = [], len(plan[row]) - len(plan[row].lstrip())
    for line in reversed(plan[:row]):
        line_indent = len(line) - len(line.lstrip())
        if line_indent < indent:
            enclosing.append(line.strip().removeprefix("->").strip().split(" ")[0])
            indent = line_indent
    return enclosing


def test_a_condition_that_drops_a_value_it_is_given_is_refused():
    # a "rule" that never uses the viewer: its SQL would be bound to nobody's values
    ignores_viewer = CompiledCondition(
        lambda viewer_id, creators, now: Status.objects.filter(edited_at__lt=now),
        path="tests.feed.test_compiled_visibility.nowhere",
    )
    someone = UserFactory(username="someone")
    holds = Holds(ignores_viewer, F("pk"), viewer_id=someone.pk, creators=[], now=timezone.now())

    with pytest.raises(ValueError, match="does not hold each value"):
        list(Status.objects.filter(holds))


def test_a_query_using_the_compiled_rules_pickles_as_django_querysets_do(world):
    viewers, _statuses = world
    stranger = viewers[4]
    visible = Status.objects.visible_to(stranger)
    expected = set(visible.values_list("pk", flat=True))

    # a queryset's query is pickled (Django's documented way of caching one) and read back
    restored = Status.objects.all()
    restored.query = pickle.loads(pickle.dumps(visible.query))  # noqa: S301  # our own bytes

    assert set(restored.values_list("pk", flat=True)) == expected


def test_a_constant_with_quotes_percent_signs_and_backslashes_is_matched_as_written():
    # On PostgreSQL the rules' constants are written into the SQL's text (written_in): a
    # constant must reach it as the same value, whatever characters it holds.
    awkward = "it's 100% \\ sure"
    by_text = CompiledCondition(
        lambda viewer_id, creators, now: Status.objects.filter(
            account_id=viewer_id, text=awkward, created_at__lte=now
        ),
        path="tests.feed.test_compiled_visibility.nowhere",
    )
    author = UserFactory(username="awkward")
    matching, _doubled, _plain = (
        Status.objects.create(account=author, text=text)
        for text in (awkward, "it's 100%% \\\\ sure", "its 100 sure")  # and escaped twice
    )
    holds = Holds(by_text, F("pk"), viewer_id=author.pk, creators=[], now=timezone.now())

    found = Status.objects.filter(holds)

    assert list(found) == [matching]
    sql, params = found.query.sql_with_params()
    if connection.vendor == "postgresql":  # the constants in the text, the bound values apart
        assert "it''s 100%% " in sql
        assert len(params) == 2  # the viewer and the clock

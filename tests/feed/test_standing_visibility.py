"""The feed's two readings of an account's standing agree: ``Status.objects.visible_to``
(with the home query) and the feed store's read filter (``home_row`` reads the standing in
force from the account rows, ``shown_on_home`` applies it), for every standing and every
``until``."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.models import Standing, User
from apps.feed import selectors
from apps.feed.fanout import rules
from apps.feed.models import Follow, Status
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

PAST = dt.timedelta(minutes=-1)
FUTURE = dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("standing", "until", "shown"),
    [
        pytest.param(Standing.NONE, None, True, id="none"),
        pytest.param(Standing.LIMITED, None, True, id="limited-followed"),
        pytest.param(Standing.LIMITED, FUTURE, True, id="limited-until-later"),
        pytest.param(Standing.SUSPENDED, None, False, id="suspended"),
        pytest.param(Standing.SUSPENDED, FUTURE, False, id="suspended-until-later"),
        pytest.param(Standing.SUSPENDED, PAST, True, id="suspended-lapsed"),
        pytest.param(Standing.DISABLED, None, False, id="disabled"),
        pytest.param(Standing.DISABLED, PAST, True, id="disabled-lapsed"),
    ],
)
@pytest.mark.parametrize("reblogged", [False, True], ids=["original", "reblog"])
def test_the_visibility_rule_and_the_fanout_sql_agree_on_standing(
    standing, until, shown, reblogged
):
    # given a viewer who follows the author (and the reblogger), and the author's standing
    viewer, author, reblogger = UserFactory(), UserFactory(), UserFactory()
    Follow.objects.create(account=viewer, target=author)
    Follow.objects.create(account=viewer, target=reblogger)
    status = Status.objects.create(account=author, text="s", content="<p>s</p>")
    if reblogged:
        status = Status.objects.create(account=reblogger, reblog_of=status)
    User.objects.filter(pk=author.pk).update(
        standing=standing, standing_until=timezone.now() + until if until else None
    )
    viewer = User.objects.get(pk=viewer.pk)

    # when the database's rule and the fan-out's rule each decide
    in_database = selectors.home_queryset(viewer).filter(pk=status.pk).exists()
    row = rules.home_row(
        Status.objects.select_related("account", "reblog_of__account").get(pk=status.pk)
    )
    relations = rules.home_relations(viewer=viewer, rows=[row])
    in_store = rules.shown_on_home(viewer=viewer, status=row, relations=relations)

    # then they agree, and say what the standing means
    assert (in_database, in_store) == (shown, shown)


@pytest.mark.parametrize(
    ("standing", "until", "seen_by_stranger"),
    [
        pytest.param(Standing.NONE, None, True, id="none"),
        pytest.param(Standing.LIMITED, None, False, id="limited"),
        pytest.param(Standing.LIMITED, PAST, True, id="limited-lapsed"),
        pytest.param(Standing.SUSPENDED, None, False, id="suspended"),
    ],
)
def test_a_limited_account_reaches_only_its_followers_in_both_rules(
    standing, until, seen_by_stranger
):
    # given a stranger who follows only the reblogger of the author's status
    stranger, author, reblogger = UserFactory(), UserFactory(), UserFactory()
    Follow.objects.create(account=stranger, target=reblogger)
    original = Status.objects.create(account=author, text="s", content="<p>s</p>")
    status = Status.objects.create(account=reblogger, reblog_of=original)
    User.objects.filter(pk=author.pk).update(
        standing=standing, standing_until=timezone.now() + until if until else None
    )

    in_database = selectors.home_queryset(stranger).filter(pk=status.pk).exists()
    row = rules.home_row(
        Status.objects.select_related("account", "reblog_of__account").get(pk=status.pk)
    )
    relations = rules.home_relations(viewer=stranger, rows=[row])
    in_store = rules.shown_on_home(viewer=stranger, status=row, relations=relations)

    assert (in_database, in_store) == (seen_by_stranger, seen_by_stranger)

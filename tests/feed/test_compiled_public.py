"""The public timelines' rules are compiled once per shape and bound per query.

``public_statuses`` (the public, hashtag and link timelines) applies ``PUBLIC``
(``apps.feed.selectors.timelines``): the visibility rules, no limited account, no muted
one, compiled once and bound to the viewer. Checked here: it answers what the same rules
built afresh by the ORM answer, and what a reader of the rules expects, for a viewer and
for anyone; one compilation serves every viewer; the clock is bound per query.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.models import Standing
from apps.feed.models import Follow, Mute, Status, Visibility
from apps.feed.models.statuses import ModerationState
from apps.feed.selectors.timelines import PUBLIC, _public_rules, public_statuses
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def town():
    """A viewer, and statuses by authors of every standing and relation to the viewer;
    returns the viewer and the ids the viewer's public timeline and anyone's show."""
    viewer = UserFactory(username="looker")
    authors = {
        "plain": UserFactory(username="plain"),
        "muted": UserFactory(username="muted"),
        "limited": UserFactory(username="limited", standing=Standing.LIMITED),
        "followed_limited": UserFactory(username="followed_limited", standing=Standing.LIMITED),
        "suspended": UserFactory(username="suspended", standing=Standing.SUSPENDED),
        "lapsed": UserFactory(
            username="lapsed",
            standing=Standing.LIMITED,
            standing_until=timezone.now() - dt.timedelta(hours=1),
        ),
    }
    Mute.objects.create(account=viewer, target=authors["muted"])
    Follow.objects.create(account=viewer, target=authors["followed_limited"])
    for_viewer, for_anyone = set(), set()
    for kind, author in authors.items():
        public = Status.objects.create(account=author, text="hi")
        Status.objects.create(account=author, text="quiet", visibility=Visibility.UNLISTED)
        Status.objects.create(account=author, text="mine", visibility=Visibility.PRIVATE)
        Status.objects.create(
            account=author, text="hidden", moderation_state=ModerationState.HIDDEN
        )
        Status.objects.create(account=author, reblog_of=public)
        if kind in {"plain", "lapsed"}:
            for_viewer.add(public.pk)
            for_anyone.add(public.pk)
        if kind == "muted":
            for_anyone.add(public.pk)
    own = Status.objects.create(account=viewer, text="me")
    for_viewer.add(own.pk)
    for_anyone.add(own.pk)
    return viewer, for_viewer, for_anyone


def test_the_compiled_rules_answer_what_the_rules_built_afresh_answer(town):
    viewer, for_viewer, for_anyone = town
    now = timezone.now()

    compiled = set(public_statuses(viewer).values_list("pk", flat=True))
    afresh = set(_public_rules(viewer.pk, [], now).values_list("pk", flat=True))
    anyone = set(public_statuses(None).values_list("pk", flat=True))
    anyone_afresh = set(_public_rules(None, [], now).values_list("pk", flat=True))

    assert compiled == afresh == for_viewer
    assert anyone == anyone_afresh == for_anyone


def test_one_compilation_serves_every_viewer_and_the_clock_is_bound_per_query(town):
    viewer, for_viewer, _for_anyone = town
    other = UserFactory(username="other_looker")
    list(public_statuses(viewer))
    compiled_before = PUBLIC.template.cache_info().misses
    soon_free = UserFactory(
        username="soon_free",
        standing=Standing.LIMITED,
        standing_until=timezone.now() + dt.timedelta(minutes=5),
    )
    status = Status.objects.create(account=soon_free, text="later")

    assert status.pk not in set(public_statuses(other).values_list("pk", flat=True))
    later = timezone.now() + dt.timedelta(minutes=10)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: later)
        shown_later = set(public_statuses(viewer).values_list("pk", flat=True))

    assert shown_later == for_viewer | {status.pk}
    assert PUBLIC.template.cache_info().misses == compiled_before

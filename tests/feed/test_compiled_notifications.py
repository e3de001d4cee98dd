"""A viewer's browsable notifications are compiled once per shape and bound per query.

``notifications_browsable`` applies ``BROWSABLE`` (``apps.feed.selectors.notifications``):
the rules of which notifications a client may list, compiled once and bound to the viewer.
Checked here: it answers what the same rules built afresh by the ORM answer, and what a
reader of the rules expects, for senders of every standing and statuses of every kind; and
one compilation serves every viewer.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.models import Standing
from apps.feed.models import Block, Follow, Mention, Notification, Status, Visibility
from apps.feed.models.statuses import ModerationState
from apps.feed.selectors.notifications import (
    BROWSABLE,
    _browsable_rules,
    notifications_browsable,
)
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox():
    """Two viewers, each notified by senders of every standing, about statuses of every
    kind; returns the viewers and, per viewer, the notifications a client may list."""
    viewers = [UserFactory(username="reader"), UserFactory(username="other_reader")]
    senders = {
        "plain": UserFactory(username="plain"),
        "suspended": UserFactory(username="suspended", standing=Standing.SUSPENDED),
        "lapsed": UserFactory(
            username="lapsed",
            standing=Standing.SUSPENDED,
            standing_until=timezone.now() - dt.timedelta(hours=1),
        ),
        "disabled": UserFactory(username="disabled", standing=Standing.DISABLED),
        "inactive": UserFactory(username="inactive", is_active=False),
        "blocked": UserFactory(username="blocked"),
    }
    author = UserFactory(username="author")
    statuses = {
        "none": None,
        "public": Status.objects.create(account=author, text="hi"),
        "removed": Status.objects.create(
            account=author, text="gone", moderation_state=ModerationState.REMOVED
        ),
        "private": Status.objects.create(
            account=author, text="for followers", visibility=Visibility.PRIVATE
        ),
        "direct": Status.objects.create(
            account=author, text="for one", visibility=Visibility.DIRECT
        ),
    }
    # the first viewer follows the author and is mentioned in the direct status
    Follow.objects.create(account=viewers[0], target=author)
    Mention.objects.create(status=statuses["direct"], account=viewers[0])
    expected: dict[int, set[int]] = {}
    for viewer in viewers:
        Block.objects.create(account=viewer, target=senders["blocked"])
        expected[viewer.pk] = set()
        for sender_kind, sender in senders.items():
            for status_kind, status in statuses.items():
                notification = Notification.objects.create(
                    account=viewer, from_account=sender, type="mention", status=status
                )
                sender_acts = sender_kind in {"plain", "lapsed"}
                status_seen = status_kind in {"none", "public"} or (
                    viewer == viewers[0] and status_kind in {"private", "direct"}
                )
                if sender_acts and status_seen:
                    expected[viewer.pk].add(notification.pk)
    return viewers, expected


def test_the_compiled_rules_answer_what_the_rules_built_afresh_answer(inbox):
    viewers, expected = inbox
    now = timezone.now()
    for viewer in viewers:
        compiled = set(notifications_browsable(viewer=viewer).values_list("pk", flat=True))
        afresh = set(_browsable_rules(viewer.pk, [], now).values_list("pk", flat=True))

        assert compiled == afresh == expected[viewer.pk], viewer
    assert expected[viewers[0].pk] != expected[viewers[1].pk]


def test_one_compilation_serves_every_viewer(inbox):
    viewers, _expected = inbox
    list(notifications_browsable(viewer=viewers[0]))
    compiled_before = BROWSABLE.template.cache_info().misses

    for viewer in (viewers[1], viewers[0]):
        list(notifications_browsable(viewer=viewer))

    assert BROWSABLE.template.cache_info().misses == compiled_before

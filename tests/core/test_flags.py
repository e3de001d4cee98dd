"""The platform's default feature flags, and who may change them in the admin."""

from decimal import Decimal

import pytest
from django.urls import reverse
from waffle.models import Flag

from core import flags
from tests.accounts.factories import UserFactory
from tests.security.staff import staff_member, verified_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "percent"),
    [
        (flags.AI_MODERATION, 100),
        (flags.HUMAN_REVIEW_QUEUE, 100),
        (flags.APPEALS, 50),
        (flags.COMMUNITY_JURY_VOTING, 10),
        (flags.LINK_SAFETY_SCANNING, 100),
        (flags.SCAM_DETECTION, 80),
    ],
)
def test_the_migration_creates_each_default_flag_with_its_rollout(name, percent):
    # when
    flag = Flag.objects.get(name=name)

    # then
    assert flags.rollout_percent(flag) == Decimal(percent)
    assert flag.note != ""


def test_the_defaults_in_core_flags_match_the_database():
    # then
    assert {
        flag.name: flags.rollout_percent(flag)
        for flag in Flag.objects.filter(name__in=[d.name for d in flags.DEFAULT_FLAGS])
    } == {default.name: Decimal(default.percent) for default in flags.DEFAULT_FLAGS}


def test_a_full_rollout_is_on_for_everyone_and_a_partial_one_uses_percent():
    # then
    assert (
        Flag.objects.get(name=flags.AI_MODERATION).everyone,
        Flag.objects.get(name=flags.AI_MODERATION).percent,
    ) == (True, None)
    appeals = Flag.objects.get(name=flags.APPEALS)
    assert (appeals.everyone, appeals.percent) == (None, Decimal("50.0"))


def change_flag_form(flag, **changes):
    data = {
        "name": flag.name,
        "everyone": "unknown" if flag.everyone is None else str(flag.everyone),
        "percent": "" if flag.percent is None else str(flag.percent),
        "testing": "",
        "superusers": "on",
        "staff": "",
        "authenticated": "",
        "languages": "",
        "note": flag.note,
        "created_0": flag.created.strftime("%Y-%m-%d"),
        "created_1": flag.created.strftime("%H:%M:%S"),
        "modified_0": flag.modified.strftime("%Y-%m-%d"),
        "modified_1": flag.modified.strftime("%H:%M:%S"),
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def test_an_operator_changes_a_flag_rollout_in_the_admin():
    # given
    appeals = Flag.objects.get(name=flags.APPEALS)
    client = verified_client(staff_member("operator"))

    # when
    response = client.post(
        reverse("admin:waffle_flag_change", args=[appeals.pk]),
        change_flag_form(appeals, percent="75"),
    )

    # then
    assert response.status_code == 302
    appeals.refresh_from_db()
    assert appeals.percent == Decimal("75.0")


def test_a_moderator_cannot_change_a_flag():
    # given
    appeals = Flag.objects.get(name=flags.APPEALS)
    client = verified_client(staff_member("moderator"))

    # when
    response = client.post(
        reverse("admin:waffle_flag_change", args=[appeals.pk]),
        change_flag_form(appeals, percent="99"),
    )

    # then
    assert response.status_code == 403
    appeals.refresh_from_db()
    assert appeals.percent == Decimal("50.0")


def test_a_percentage_rollout_outside_a_request_is_stable_per_user():
    # given a flag rolled out to half the users, and a few users
    Flag.objects.update_or_create(
        name=flags.AI_MODERATION, defaults={"everyone": None, "percent": 50}
    )
    users = UserFactory.create_batch(8)

    # when each user's answer is asked several times
    answers = {
        user.pk: {flags.flag_is_on_for(flags.AI_MODERATION, user=user) for _ in range(5)}
        for user in users
    }

    # then each user always gets the same answer
    assert all(len(seen) == 1 for seen in answers.values())


def test_a_listed_user_is_in_outside_a_request():
    flag, _ = Flag.objects.update_or_create(
        name=flags.SCAM_DETECTION, defaults={"everyone": None, "percent": None}
    )
    listed, other = UserFactory(), UserFactory()
    flag.users.add(listed)

    assert flags.flag_is_on_for(flags.SCAM_DETECTION, user=listed) is True
    assert flags.flag_is_on_for(flags.SCAM_DETECTION, user=other) is False

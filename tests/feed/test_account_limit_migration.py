"""The migration that carries the feed's AccountLimit rows over to the accounts' standing."""

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
from django.utils import timezone

from apps.accounts.models import Standing, StandingSource, User
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("apps.feed.migrations.0006_account_limits_to_account_standing")


class _Rows:
    """The historical AccountLimit model, as far as the migration reads it."""

    def __init__(self, rows):
        self.objects = SimpleNamespace(iterator=lambda: iter(rows))


@pytest.mark.parametrize(
    ("restriction", "standing"),
    [
        pytest.param("limit", Standing.LIMITED, id="limit"),
        pytest.param("suspend", Standing.SUSPENDED, id="suspend"),
        pytest.param("disable", Standing.DISABLED, id="disable"),
    ],
)
def test_each_account_limit_becomes_the_accounts_standing(restriction, standing):
    # given an AccountLimit row of an account, and another account without one
    limited, untouched = UserFactory(), UserFactory()
    until = timezone.now() + dt.timedelta(days=3)
    changed = timezone.now() - dt.timedelta(days=1)
    row = SimpleNamespace(
        account_id=limited.pk,
        restriction=restriction,
        reason="spam",
        until=until,
        updated_at=changed,
    )
    models = {"AccountLimit": _Rows([row]), "User": User}
    apps = SimpleNamespace(get_model=lambda app_label, name: models[name])

    # when the migration runs
    migration.limits_to_standing(apps, schema_editor=None)

    # then the account has the standing, with its reason, until and moderation as source
    limited = User.objects.get(pk=limited.pk)
    assert (
        limited.standing,
        limited.standing_reason,
        limited.standing_source,
        limited.standing_until,
        limited.standing_changed_at,
    ) == (standing, "spam", StandingSource.MODERATION, until, changed)
    assert User.objects.get(pk=untouched.pk).standing == Standing.NONE

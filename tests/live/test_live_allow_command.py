"""``manage.py live_allow USER [--revoke]``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.live.models import LiveAllowance
from apps.live.services import may_go_live

pytestmark = pytest.mark.django_db


def test_live_allow_by_email_then_revoke(user):
    out = StringIO()

    call_command("live_allow", user.email.upper(), stdout=out)

    assert may_go_live(user)
    allowance = LiveAllowance.objects.get(account=user)
    assert allowance.granted_by.startswith("manage.py (")
    assert f"{user.username} may now go live." in out.getvalue()

    call_command("live_allow", user.username, "--revoke", stdout=out)

    assert not LiveAllowance.objects.filter(account=user).exists()
    assert not may_go_live(user)


def test_allowing_twice_changes_nothing(user):
    call_command("live_allow", user.username, stdout=StringIO())
    out = StringIO()
    call_command("live_allow", user.username, stdout=out)
    assert LiveAllowance.objects.filter(account=user).count() == 1
    assert "already" in out.getvalue()


def test_an_allowance_does_not_let_a_suspended_account_go_live(user):
    call_command("live_allow", user.username, stdout=StringIO())
    user.standing = "suspended"
    user.save(update_fields=["standing"])
    assert not may_go_live(user)


def test_an_unknown_user_is_a_clear_error():
    with pytest.raises(CommandError, match="No account with the username or e-mail address"):
        call_command("live_allow", "nobody-here", stdout=StringIO())
    assert not LiveAllowance.objects.exists()

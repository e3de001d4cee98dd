"""``manage.py grant_role`` and ``revoke_role``, as an operator runs them."""

import logging
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def run(name, *args):
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def role_names_of(user):
    user.refresh_from_db()
    return sorted(user.groups.values_list("name", flat=True))


def test_grant_role_by_username_adds_the_group_and_makes_staff(caplog):
    # given
    alice = UserFactory(username="alice")
    caplog.set_level(logging.INFO, logger="agora.audit")

    # when
    output = run("grant_role", "alice", "moderator")

    # then
    assert role_names_of(alice) == ["moderator"]
    assert alice.is_staff is True
    assert "Granted role moderator to alice." in output
    assert "alice is now staff." in output
    assert "manage.py otp_enroll alice" in output
    [record] = caplog.records
    assert record.audit == "role.granted"
    assert record.account == "alice"
    assert record.role == "moderator"
    assert record.actor.startswith("manage.py (")


def test_grant_role_by_email_any_case():
    # given
    bob = UserFactory(username="bob", email="bob@example.com")

    # when
    output = run("grant_role", "BOB@example.com", "finance")

    # then
    assert role_names_of(bob) == ["finance"]
    assert "Granted role finance to bob." in output


def test_grant_role_twice_changes_nothing_and_writes_no_audit_line(caplog):
    # given
    alice = UserFactory(username="alice")
    run("grant_role", "alice", "operator")
    caplog.set_level(logging.INFO, logger="agora.audit")
    caplog.clear()

    # when
    output = run("grant_role", "alice", "operator")

    # then
    assert role_names_of(alice) == ["operator"]
    assert "alice already has role operator; nothing changed." in output
    assert caplog.records == []


@pytest.mark.parametrize("command", ["grant_role", "revoke_role"])
def test_unknown_role_is_refused_with_exit_code_1(command):
    # given
    alice = UserFactory(username="alice")

    # when
    with pytest.raises(CommandError, match="Unknown role 'janitor'; the roles are: ") as error:
        run(command, "alice", "janitor")

    # then
    assert error.value.returncode == 1
    assert "finance, moderator, operator, reviewer" in str(error.value)
    assert role_names_of(alice) == []
    assert alice.is_staff is False


@pytest.mark.parametrize("command", ["grant_role", "revoke_role"])
@pytest.mark.parametrize("identifier", ["nobody", "nobody@example.com"])
def test_unknown_user_is_refused_with_exit_code_1(command, identifier):
    # given
    UserFactory(username="alice")

    # when
    with pytest.raises(CommandError, match="No account with the username or e-mail") as error:
        run(command, identifier, "moderator")

    # then
    assert error.value.returncode == 1
    assert identifier in str(error.value)


def test_revoking_one_of_two_roles_keeps_staff():
    # given
    alice = UserFactory(username="alice")
    run("grant_role", "alice", "moderator")
    run("grant_role", "alice", "reviewer")

    # when
    output = run("revoke_role", "alice", "moderator")

    # then
    assert role_names_of(alice) == ["reviewer"]
    assert alice.is_staff is True
    assert output == "Revoked role moderator from alice.\n"


def test_revoking_the_last_role_clears_staff(caplog):
    # given
    alice = UserFactory(username="alice")
    run("grant_role", "alice", "finance")
    caplog.set_level(logging.INFO, logger="agora.audit")
    caplog.clear()

    # when
    output = run("revoke_role", "alice@example.com", "finance")

    # then
    assert role_names_of(alice) == []
    assert alice.is_staff is False
    assert "alice has no role left and is no longer staff." in output
    [record] = caplog.records
    assert record.audit == "role.revoked"
    assert record.is_staff is False


def test_revoking_the_last_role_of_a_superuser_keeps_staff():
    # given
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    run("grant_role", "root", "operator")

    # when
    output = run("revoke_role", "root", "operator")

    # then
    assert role_names_of(root) == []
    assert root.is_staff is True
    assert output == "Revoked role operator from root.\n"


def test_revoking_a_role_the_user_lacks_changes_nothing(caplog):
    # given: staff without any role (set by a superuser by hand)
    carol = UserFactory(username="carol", is_staff=True)
    caplog.set_level(logging.INFO, logger="agora.audit")

    # when
    output = run("revoke_role", "carol", "reviewer")

    # then
    carol.refresh_from_db()
    assert carol.is_staff is True
    assert output == "carol does not have role reviewer; nothing changed.\n"
    assert caplog.records == []


def test_granting_to_a_user_with_a_totp_device_prints_no_enrolment_hint():
    # given
    alice = UserFactory(username="alice")
    alice.totpdevice_set.create(name="phone", confirmed=True)

    # when
    output = run("grant_role", "alice", "reviewer")

    # then
    assert "otp_enroll" not in output

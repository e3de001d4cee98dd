"""Staff sign in to the admin with a password and a one-time code (django-otp), and
django-axes still counts failed sign-ins there."""

import re
from base64 import b32decode
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP

from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.security.staff import current_code, staff_member

pytestmark = pytest.mark.django_db

LOGIN_URL = "/admin/login/"
INDEX_URL = "/admin/"


def sign_in(client, username, password=DEFAULT_PASSWORD, device=None, token=None):
    data = {"username": username, "password": password, "next": INDEX_URL}
    if device is not None:
        data["otp_device"] = device.persistent_id
    if token is not None:
        data["otp_token"] = token
    return client.post(LOGIN_URL, data)


def is_signed_in(client) -> bool:
    return client.get(INDEX_URL).status_code == 200


def test_password_only_does_not_sign_staff_in(client):
    # given
    staff = staff_member("operator", username="ops")

    # when
    response = sign_in(client, "ops")

    # then
    assert response.status_code == 200
    assert "Enter the code from your authenticator app, or a backup code." in (
        response.content.decode()
    )
    assert DEVICE_ID_SESSION_KEY not in client.session
    assert not is_signed_in(client)
    assert staff.totpdevice_set.get().last_t == -1


def test_staff_without_a_confirmed_device_cannot_sign_in(client):
    # given: a device set up but never confirmed
    staff = UserFactory(username="newstaff", is_staff=True)
    device = staff.totpdevice_set.create(name="phone", confirmed=False)

    # when
    response = sign_in(client, "newstaff", device=device, token=current_code(device))

    # then
    assert response.status_code == 200
    assert "This account has no two-factor device" in response.content.decode()
    assert "manage.py otp_enroll newstaff" in response.content.decode()
    assert not is_signed_in(client)
    device.refresh_from_db()
    assert device.last_t == -1


def test_staff_without_any_device_is_told_how_to_get_one(client):
    # given
    UserFactory(username="newstaff", is_staff=True)

    # when
    response = sign_in(client, "newstaff", token="123456")

    # then
    assert response.status_code == 200
    assert "manage.py otp_enroll newstaff" in response.content.decode()
    assert not is_signed_in(client)


def test_a_code_typed_without_choosing_a_device_goes_to_the_authenticator_app(client):
    # given: the account also has backup codes
    staff = staff_member("operator", username="ops")
    staff.staticdevice_set.create(name="backup codes", confirmed=True).token_set.create(
        token="abcd2345"
    )
    device = staff.totpdevice_set.get()

    # when
    response = sign_in(client, "ops", token=current_code(device))

    # then
    assert response.status_code == 302
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert is_signed_in(client)


def test_password_and_a_valid_code_sign_staff_in(client):
    # given
    staff = staff_member("operator", username="ops")
    device = staff.totpdevice_set.get()

    # when
    response = sign_in(client, "ops", device=device, token=current_code(device))

    # then
    assert response.status_code == 302
    assert response["Location"] == INDEX_URL
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert is_signed_in(client)


def test_a_wrong_code_does_not_sign_staff_in(client):
    # given
    staff = staff_member("operator", username="ops")
    device = staff.totpdevice_set.get()
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"

    # when
    response = sign_in(client, "ops", device=device, token=wrong)

    # then
    assert response.status_code == 200
    assert "That code is not valid." in response.content.decode()
    assert not is_signed_in(client)


def test_a_code_replayed_after_use_is_refused(client):
    # given: the code signed in once
    staff = staff_member("operator", username="ops")
    device = staff.totpdevice_set.get()
    code = current_code(device)
    assert sign_in(client, "ops", device=device, token=code).status_code == 302
    client.logout()

    # when
    response = sign_in(client, "ops", device=device, token=code)

    # then
    assert response.status_code == 200
    assert "That code is not valid." in response.content.decode()
    assert not is_signed_in(client)


def test_a_backup_code_signs_in_once(client):
    # given
    staff = staff_member("operator", username="ops")
    backup = staff.staticdevice_set.create(name="backup codes", confirmed=True)
    backup.token_set.create(token="abcd2345")
    assert sign_in(client, "ops", token="abcd2345").status_code == 302
    client.logout()

    # when
    response = sign_in(client, "ops", token="abcd2345")

    # then
    assert response.status_code == 200
    assert not is_signed_in(client)
    assert backup.token_set.count() == 0


def test_someone_elses_device_does_not_sign_staff_in(client):
    # given
    staff_member("operator", username="ops")
    other = staff_member("moderator", username="mod")
    other_device = other.totpdevice_set.get()

    # when
    response = sign_in(client, "ops", device=other_device, token=current_code(other_device))

    # then
    assert response.status_code == 200
    assert not is_signed_in(client)


def test_a_signed_in_user_who_is_not_staff_is_sent_to_the_login_page(client):
    # given
    user = UserFactory(username="alice")
    device = user.totpdevice_set.create(name="phone", confirmed=True)

    # when
    response = sign_in(client, "alice", device=device, token=current_code(device))

    # then
    assert response.status_code == 200
    assert not is_signed_in(client)


def test_axes_counts_wrong_passwords_at_the_admin_login(client, settings):
    # given
    staff_member("operator", username="ops")

    # when
    for _ in range(2):
        sign_in(client, "ops", password="wrong password")

    # then
    [attempt] = AccessAttempt.objects.filter(username="ops")
    assert attempt.failures_since_start == 2
    assert attempt.path_info == LOGIN_URL


def test_axes_locks_the_admin_login_after_the_failure_limit(client, settings):
    # given
    staff = staff_member("operator", username="ops")
    device = staff.totpdevice_set.get()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "ops", password="wrong password")

    # when: the right password and code
    response = sign_in(client, "ops", device=device, token=current_code(device))

    # then
    assert response.status_code == 429
    assert not is_signed_in(client)
    assert device.__class__.objects.get(pk=device.pk).last_t == -1


def enroll(*args):
    out = StringIO()
    call_command("otp_enroll", *args, stdout=out)
    return out.getvalue()


def test_otp_enroll_prints_a_uri_whose_codes_sign_staff_in(client):
    # given
    staff = UserFactory(username="newstaff", is_staff=True)

    # when
    output = enroll("newstaff", "--backup-codes", "3")

    # then
    device = staff.totpdevice_set.get()
    assert device.confirmed is True
    [uri] = re.findall(r"otpauth://\S+", output)
    assert uri == device.config_url
    [secret] = re.findall(r"secret: (\S+)", output)
    code = f"{TOTP(b32decode(secret)).token():06d}"
    assert sign_in(client, "newstaff", token=code).status_code == 302
    assert is_signed_in(client)
    [codes] = re.findall(r"^  ([a-z2-7]{8}(?: [a-z2-7]{8})*)$", output, re.M)
    assert sorted(codes.split()) == sorted(
        staff.staticdevice_set.get().token_set.values_list("token", flat=True)
    )
    assert "\u2588" in output or "\u2580" in output  # the QR code's block characters


def test_otp_enroll_refuses_to_replace_a_device_silently():
    # given
    staff = staff_member("operator", username="ops")
    key = staff.totpdevice_set.get().key

    # when
    with pytest.raises(
        CommandError, match="ops already has a TOTP device; pass --replace"
    ) as error:
        enroll("ops")

    # then
    assert error.value.returncode == 1
    assert list(staff.totpdevice_set.values_list("key", flat=True)) == [key]


def test_otp_enroll_replace_ends_the_old_device():
    # given
    staff = staff_member("operator", username="ops")
    old = staff.totpdevice_set.get()

    # when
    output = enroll("ops@example.com", "--replace", "--no-qr")

    # then
    [new] = staff.totpdevice_set.all()
    assert new.pk != old.pk
    assert new.config_url in output
    assert "\u2588" not in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody"], "No account with the username or e-mail address 'nobody'"),
        (["ops", "--backup-codes", "21"], "--backup-codes must be between 0 and 20"),
        (["ops", "--backup-codes", "-1"], "--backup-codes must be between 0 and 20"),
    ],
    ids=["unknown-user", "too-many-codes", "negative-codes"],
)
def test_otp_enroll_refuses_bad_input(args, message):
    # given
    staff = UserFactory(username="ops", is_staff=True)

    # when
    with pytest.raises(CommandError, match=message) as error:
        enroll(*args)

    # then
    assert error.value.returncode == 1
    assert not staff.totpdevice_set.exists()
    assert not staff.staticdevice_set.exists()

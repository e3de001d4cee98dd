"""Staff sign in to the admin with a password and a one-time code (django-otp), and
django-axes still counts failed sign-ins there."""

import pytest
from axes.models import AccessAttempt
from django_otp import DEVICE_ID_SESSION_KEY

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

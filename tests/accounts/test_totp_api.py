"""Two-factor management: /api/agora/v1/account/totp (+ /confirm)."""

from urllib.parse import parse_qs, urlsplit

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.accounts.factories import DEFAULT_PASSWORD

URL = "/api/agora/v1/account/totp"


def code_for(device, *, step_offset=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + step_offset * device.step
    return f"{totp.token():06d}"


def wrong_code(device):
    return f"{(int(code_for(device)) + 1) % 1_000_000:06d}"


def test_setup_returns_the_secret_and_otpauth_uri(auth_client):
    response = auth_client.post(URL, {"password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 200
    body = response.json()
    device = TOTPDevice.objects.get(user=auth_client.user)
    assert device.confirmed is False
    uri = urlsplit(body["provisioning_uri"])
    assert uri.scheme == "otpauth"
    assert uri.netloc == "totp"
    assert parse_qs(uri.query)["secret"] == [body["secret"]]
    assert parse_qs(uri.query)["issuer"] == ["Agora"]
    assert body["confirmed"] is False


def test_setup_with_a_wrong_password_is_403_and_creates_nothing(auth_client):
    response = auth_client.post(URL, {"password": "wrong"}, format="json")

    assert response.status_code == 403
    assert response.json() == {"error": "The password is incorrect."}
    assert not TOTPDevice.objects.exists()


def test_setup_without_a_password_is_422(auth_client):
    response = auth_client.post(URL, {}, format="json")

    assert response.status_code == 422
    assert "password" in response.json()["details"]
    assert not TOTPDevice.objects.exists()


def test_setup_needs_a_user(api_client, db):
    response = api_client.post(URL, {"password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 401
    assert not TOTPDevice.objects.exists()


def test_confirming_with_a_code_turns_two_factor_on(auth_client):
    auth_client.post(URL, {"password": DEFAULT_PASSWORD}, format="json")
    device = TOTPDevice.objects.get()

    response = auth_client.post(f"{URL}/confirm", {"code": code_for(device)}, format="json")

    assert response.status_code == 200
    assert response.json() == {"confirmed": True}
    device.refresh_from_db()
    assert device.confirmed is True


def test_confirming_with_a_wrong_code_is_422_and_changes_nothing(auth_client):
    auth_client.post(URL, {"password": DEFAULT_PASSWORD}, format="json")
    device = TOTPDevice.objects.get()

    response = auth_client.post(f"{URL}/confirm", {"code": wrong_code(device)}, format="json")

    assert response.status_code == 422
    assert response.json() == {"error": "The two-factor code is invalid."}
    device.refresh_from_db()
    assert device.confirmed is False


def test_confirming_with_nothing_pending_is_422(auth_client):
    response = auth_client.post(f"{URL}/confirm", {"code": "123456"}, format="json")

    assert response.status_code == 422
    assert response.json() == {"error": "No two-factor setup is in progress."}


def test_malformed_code_is_422(auth_client):
    auth_client.post(URL, {"password": DEFAULT_PASSWORD}, format="json")

    response = auth_client.post(f"{URL}/confirm", {"code": "abc"}, format="json")

    assert response.status_code == 422
    assert "code" in response.json()["details"]
    assert TOTPDevice.objects.get().confirmed is False


def test_setup_again_while_enabled_is_422(auth_client):
    TOTPDevice.objects.create(user=auth_client.user, name="phone", confirmed=True)

    response = auth_client.post(URL, {"password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 422
    assert response.json() == {"error": "Two-factor authentication is already enabled."}
    assert TOTPDevice.objects.count() == 1


def test_disabling_needs_password_and_code(auth_client):
    device = TOTPDevice.objects.create(user=auth_client.user, name="phone", confirmed=True)

    response = auth_client.delete(
        URL, {"password": DEFAULT_PASSWORD, "code": code_for(device)}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {}
    assert not TOTPDevice.objects.exists()


def test_disabling_with_a_wrong_password_is_403_and_keeps_the_device(auth_client):
    device = TOTPDevice.objects.create(user=auth_client.user, name="phone", confirmed=True)

    response = auth_client.delete(
        URL, {"password": "wrong", "code": code_for(device)}, format="json"
    )

    assert response.status_code == 403
    assert TOTPDevice.objects.filter(pk=device.pk, confirmed=True).exists()


def test_disabling_with_a_wrong_code_is_422_and_keeps_the_device(auth_client):
    device = TOTPDevice.objects.create(user=auth_client.user, name="phone", confirmed=True)

    response = auth_client.delete(
        URL, {"password": DEFAULT_PASSWORD, "code": wrong_code(device)}, format="json"
    )

    assert response.status_code == 422
    assert response.json() == {"error": "The two-factor code is invalid."}
    assert TOTPDevice.objects.filter(pk=device.pk, confirmed=True).exists()


def test_disabling_when_not_enabled_is_422(auth_client):
    response = auth_client.delete(
        URL, {"password": DEFAULT_PASSWORD, "code": "123456"}, format="json"
    )

    assert response.status_code == 422
    assert response.json() == {"error": "Two-factor authentication is not enabled."}


def test_a_used_code_cannot_disable_two_factor(auth_client):
    auth_client.post(URL, {"password": DEFAULT_PASSWORD}, format="json")
    device = TOTPDevice.objects.get()
    code = code_for(device)
    auth_client.post(f"{URL}/confirm", {"code": code}, format="json")

    response = auth_client.delete(URL, {"password": DEFAULT_PASSWORD, "code": code}, format="json")

    assert response.status_code == 422
    assert TOTPDevice.objects.filter(confirmed=True).count() == 1

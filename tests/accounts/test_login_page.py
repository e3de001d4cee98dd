"""The sign-in page (/auth/login/), its two-factor step, and sign-out."""

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.accounts.factories import DEFAULT_PASSWORD, ApplicationFactory, UserFactory

OOB = "urn:ietf:wg:oauth:2.0:oob"


@pytest.fixture
def web():
    return Client()


@pytest.fixture
def device(user):
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def current_code(device):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def test_login_page_is_a_plain_accessible_form(web, db):
    response = web.get("/auth/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert '<label for="id_username">E-mail address or username</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert "http://" not in html.replace('"http://', "")
    assert "<script" not in html


def test_login_page_is_translated(web, db):
    response = web.get("/auth/login/", HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 200
    assert '<html lang="de">' in response.content.decode()


@pytest.mark.parametrize("field", ["email", "username"])
def test_signing_in_redirects_to_next(web, user, field):
    response = web.post(
        "/auth/login/",
        {
            "username": getattr(user, field),
            "password": DEFAULT_PASSWORD,
            "next": "/oauth/authorize?x=1",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/oauth/authorize?x=1"
    assert web.session["_auth_user_id"] == str(user.pk)


def test_next_pointing_elsewhere_is_ignored(web, user):
    response = web.post(
        "/auth/login/",
        {"username": user.email, "password": DEFAULT_PASSWORD, "next": "https://evil.example/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/auth/login/"


def test_wrong_password_shows_an_error_and_signs_nobody_in(web, user):
    response = web.post("/auth/login/", {"username": user.email, "password": "nope"})

    assert response.status_code == 400
    assert "The e-mail address, username or password is incorrect." in response.content.decode()
    assert "_auth_user_id" not in web.session


def test_disabled_account_cannot_sign_in(web, db):
    user = UserFactory(is_active=False)

    response = web.post("/auth/login/", {"username": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 400
    assert "_auth_user_id" not in web.session


def test_login_form_needs_the_csrf_token(user):
    web = Client(enforce_csrf_checks=True)

    response = web.post("/auth/login/", {"username": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 403
    assert "_auth_user_id" not in web.session


def test_two_factor_account_is_asked_for_a_code_before_signing_in(web, user, device):
    response = web.post(
        "/auth/login/", {"username": user.email, "password": DEFAULT_PASSWORD, "next": "/x"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/auth/login/code/?next=%2Fx"
    assert "_auth_user_id" not in web.session

    page = web.get(response["Location"])
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.content.decode()

    done = web.post("/auth/login/code/", {"code": current_code(device), "next": "/x"})

    assert done.status_code == 302
    assert done["Location"] == "/x"
    assert web.session["_auth_user_id"] == str(user.pk)
    assert web.session["otp_device_id"] == device.persistent_id


def test_wrong_code_is_refused(web, user, device):
    web.post("/auth/login/", {"username": user.email, "password": DEFAULT_PASSWORD})
    code = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"

    response = web.post("/auth/login/code/", {"code": code})

    assert response.status_code == 400
    assert "The code is invalid or was already used." in response.content.decode()
    assert "_auth_user_id" not in web.session


def test_a_code_works_only_once(user, device):
    first, second = Client(), Client()
    for browser in (first, second):
        browser.post("/auth/login/", {"username": user.email, "password": DEFAULT_PASSWORD})
    code = current_code(device)

    assert first.post("/auth/login/code/", {"code": code}).status_code == 302
    replay = second.post("/auth/login/code/", {"code": code})

    assert replay.status_code == 400
    assert "_auth_user_id" not in second.session


def test_code_step_without_a_password_first_goes_back_to_login(web, user, device):
    response = web.post("/auth/login/code/", {"code": current_code(device)})

    assert response.status_code == 302
    assert response["Location"] == "/auth/login/"
    assert "_auth_user_id" not in web.session


def test_unconfirmed_device_does_not_ask_for_a_code(web, user):
    TOTPDevice.objects.create(user=user, name="phone", confirmed=False)

    response = web.post("/auth/login/", {"username": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/auth/login/"
    assert web.session["_auth_user_id"] == str(user.pk)


def test_logout_needs_a_post(web, user):
    web.force_login(user)

    page = web.get("/auth/logout/")
    assert page.status_code == 200
    assert web.session["_auth_user_id"] == str(user.pk)

    response = web.post("/auth/logout/")

    assert response.status_code == 302
    assert "_auth_user_id" not in web.session


def test_authorization_code_flow_through_the_login_page_with_two_factor(web, user, device):
    app = ApplicationFactory(client_secret="s3cret", scopes="read write")
    query = f"response_type=code&client_id={app.client_id}&redirect_uri={OOB}&scope=read"

    to_login = web.get(f"/oauth/authorize?{query}")
    assert to_login.status_code == 302
    next_url = f"/oauth/authorize?{query}"
    to_code = web.post(
        "/auth/login/", {"username": user.email, "password": DEFAULT_PASSWORD, "next": next_url}
    )
    back = web.post("/auth/login/code/", {"code": current_code(device), "next": next_url})
    assert back["Location"] == next_url
    assert to_code.status_code == 302

    page = web.get(next_url)
    assert page.status_code == 200
    assert "Allow" in page.content.decode()
    form = {k: v for k, v in page.context["form"].initial.items() if v}
    shown = web.post("/oauth/authorize", {**form, "allow": "Authorize"})
    token = web.post(
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": shown.context["code"],
            "redirect_uri": OOB,
            "client_id": app.client_id,
            "client_secret": "s3cret",
        },
    )

    assert token.status_code == 200
    assert token.json()["scope"] == "read"

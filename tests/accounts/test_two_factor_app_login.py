"""An app's authorization-code login for an account with two-factor sign-in, as a browser does it.

The browser follows each redirect and submits each form as the page renders it
(hidden fields included): /oauth/authorize -> /auth/login/ -> /auth/login/code/ ->
/oauth/authorize -> the app's redirect URI with a code the app exchanges. Every
part of the authorize request survives both steps.
"""

import base64
import hashlib
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.accounts.factories import DEFAULT_PASSWORD, ApplicationFactory

SECRET = "s3cret"  # noqa: S105
CALLBACK = "https://app.example/callback?from=agora"
VERIFIER = "a-code-verifier-that-is-long-enough-for-pkce-0123456789abcdef"


class FormFields(HTMLParser):
    """The name/value pairs of the ``<input>`` elements of the page's first form."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self.forms = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms += 1
        elif tag == "input" and self.forms == 1 and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value") or ""


def form_fields(response) -> dict[str, str]:
    parser = FormFields()
    parser.feed(response.content.decode())
    return parser.fields


def current_code(device):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


@pytest.fixture
def app(db):
    return ApplicationFactory(
        client_secret=SECRET, redirect_uris=CALLBACK, scopes="read write follow"
    )


@pytest.fixture
def device(user):
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def authorize_query(app) -> dict[str, str]:
    challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest())
    return {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": CALLBACK,
        "scope": "read write",
        "state": "state with spaces & ampersands=1",
        "code_challenge": challenge.decode().rstrip("="),
        "code_challenge_method": "S256",
    }


def test_two_factor_account_completes_an_apps_login_with_the_whole_request_kept(app, user, device):
    browser = Client()
    query = authorize_query(app)

    # the app sends the browser to /oauth/authorize; not signed in, it goes to the login page
    to_login = browser.get(f"/oauth/authorize?{urlencode(query)}")
    assert to_login.status_code == 302
    login_page = browser.get(to_login["Location"])
    assert login_page.status_code == 200

    # password step, submitted as the page renders its form
    to_code = browser.post(
        "/auth/login/",
        {**form_fields(login_page), "username": user.email, "password": DEFAULT_PASSWORD},
    )
    assert to_code.status_code == 302
    assert urlsplit(to_code["Location"]).path == "/auth/login/code/"
    code_page = browser.get(to_code["Location"])
    assert code_page.status_code == 200

    # code step, the same way
    back = browser.post(
        "/auth/login/code/", {**form_fields(code_page), "code": current_code(device)}
    )
    assert back.status_code == 302
    returned = urlsplit(back["Location"])
    assert returned.path == "/oauth/authorize"
    assert {k: v for k, (v,) in parse_qs(returned.query).items()} == query

    # the consent page, then the app's redirect URI with a code
    consent = browser.get(back["Location"])
    assert consent.status_code == 200
    allowed = browser.post("/oauth/authorize", {**form_fields(consent), "allow": "Authorize"})
    assert allowed.status_code == 302
    redirect = urlsplit(allowed["Location"])
    assert f"{redirect.scheme}://{redirect.netloc}{redirect.path}" == CALLBACK.split("?")[0]
    answer = parse_qs(redirect.query)
    assert answer["state"] == [query["state"]]
    assert answer["from"] == ["agora"]

    # the app exchanges the code (with its PKCE verifier) for a token
    token = Client().post(
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": answer["code"][0],
            "redirect_uri": CALLBACK,
            "client_id": app.client_id,
            "client_secret": SECRET,
            "code_verifier": VERIFIER,
        },
    )
    assert token.status_code == 200
    assert token.json()["scope"] == "read write"


@pytest.mark.parametrize(
    "next_url",
    [
        pytest.param("https://evil.example/oauth/authorize", id="other-host"),
        pytest.param("//evil.example/", id="scheme-relative"),
        pytest.param("javascript:alert(1)", id="javascript"),
    ],
)
def test_the_code_step_never_sends_the_browser_elsewhere(user, device, next_url):
    browser = Client()

    to_code = browser.post(
        "/auth/login/",
        {"username": user.email, "password": DEFAULT_PASSWORD, "next": next_url},
    )
    code_page = browser.get(to_code["Location"])
    done = browser.post(
        "/auth/login/code/", {**form_fields(code_page), "code": current_code(device)}
    )

    assert to_code["Location"] == "/auth/login/code/"
    assert done.status_code == 302
    assert done["Location"] == "/auth/login/"

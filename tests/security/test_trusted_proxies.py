"""Client addresses come only from proxies the operator trusts (AGORA_TRUSTED_PROXIES).

uvicorn is started without its own proxy-header handling (it would trust
X-Forwarded-For from loopback), and Agora walks X-Forwarded-For from the right past
the configured proxies only. A client that forges the header from an untrusted peer
keeps its own address, for the login lockout and for the anonymous rate limits.
"""

import asyncio
import re
import shlex
from pathlib import Path

import pytest
import uvicorn
from axes.models import AccessAttempt
from django.test import Client

from tests.accounts.factories import UserFactory
from tests.api_client import APIClient

ROOT = Path(__file__).resolve().parents[2]
LIMITED = "/api/test/limited"


@pytest.fixture
def tight_rates(settings):
    settings.ROOT_URLCONF = "tests.core.urls_for_tests"
    settings.AGORA_THROTTLE_ENABLED = True
    settings.AGORA_THROTTLE_RATES = {
        "anonymous": {"default": "100/m", "burst": "2/m"},
        "free": {"default": "100/m", "burst": "2/m"},
    }


def anonymous_statuses(count, **headers):
    return [APIClient().get(LIMITED, **headers).status_code for _ in range(count)]


@pytest.mark.django_db
def test_by_default_no_proxy_is_trusted_and_a_rotating_header_shares_one_budget(tight_rates):
    codes = [
        APIClient()
        .get(LIMITED, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        .status_code
        for n in range(3)
    ]

    assert codes == [200, 200, 429]


@pytest.mark.django_db
def test_behind_a_configured_proxy_each_client_has_its_own_budget(tight_rates, settings):
    settings.AGORA_TRUSTED_PROXIES = ["10.0.0.0/8"]
    via_proxy = {"REMOTE_ADDR": "10.1.2.3"}

    first = anonymous_statuses(3, HTTP_X_FORWARDED_FOR="203.0.113.1", **via_proxy)
    second = anonymous_statuses(1, HTTP_X_FORWARDED_FOR="203.0.113.2", **via_proxy)

    assert first == [200, 200, 429]
    assert second == [200]


@pytest.mark.django_db
def test_a_client_forging_the_header_through_a_proxy_keeps_its_own_budget(tight_rates, settings):
    # The proxy appends the address it saw; what the client sent stays on the left.
    settings.AGORA_TRUSTED_PROXIES = ["10.0.0.0/8"]

    codes = [
        APIClient()
        .get(
            LIMITED,
            REMOTE_ADDR="10.1.2.3",
            HTTP_X_FORWARDED_FOR=f"198.18.0.{n}, 203.0.113.9",
        )
        .status_code
        for n in range(3)
    ]

    assert codes == [200, 200, 429]


@pytest.mark.django_db
def test_an_untrusted_peer_is_the_client_even_when_proxies_are_configured(tight_rates, settings):
    settings.AGORA_TRUSTED_PROXIES = ["10.0.0.0/8"]

    codes = [
        APIClient()
        .get(LIMITED, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
        .status_code
        for n in range(3)
    ]

    assert codes == [200, 200, 429]


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "client"),
    [
        pytest.param([], "127.0.0.1", "203.0.113.1", "127.0.0.1", id="none-trusted"),
        pytest.param(["10.0.0.0/8"], "10.0.0.1", "203.0.113.1", "203.0.113.1", id="one-proxy"),
        pytest.param(
            ["10.0.0.0/8", "192.0.2.10"],
            "10.0.0.1",
            "198.18.0.1, 203.0.113.1, 192.0.2.10",
            "203.0.113.1",
            id="two-proxies-forged-left",
        ),
        pytest.param(["10.0.0.0/8"], "10.0.0.1", "not-an-address", "10.0.0.1", id="garbage-header"),
        pytest.param(["10.0.0.0/8"], "10.0.0.1", "", "10.0.0.1", id="no-header"),
        pytest.param(["10.0.0.0/8"], "10.0.0.1", "10.0.0.2", "10.0.0.2", id="all-trusted"),
        pytest.param(
            ["2001:db8::/32"],
            "2001:db8::1",
            "2001:db8:ffff::5, 2001:4860::8",
            "2001:4860::8",
            id="ipv6",
        ),
    ],
)
def test_the_login_lockout_counts_the_address_the_proxies_vouch_for(
    db, settings, proxies, remote, forwarded, client
):
    settings.AGORA_TRUSTED_PROXIES = proxies
    victim = UserFactory()

    Client().post(
        "/auth/login/",
        {"username": victim.email, "password": "guess"},
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded,
    )

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [client]


def uvicorn_commands() -> dict[str, list[str]]:
    """Every uvicorn command line in deploy/, by file, as uvicorn's arguments."""
    commands = {}
    for path in sorted((ROOT / "deploy").rglob("*")):
        if not path.is_file():
            continue
        text = path.read_text()
        if path.name == "Dockerfile":
            for cmd in re.findall(r"^CMD (\[.*?\])\s*$", text.replace("\\\n", ""), re.M | re.S):
                words = [w.strip().strip('"') for w in cmd.strip("[]").split(",")]
                if words[0] == "uvicorn":
                    commands[path.name] = words[1:]
            continue
        for line in text.splitlines():
            match = re.search(r"(?:\S*/)?uvicorn (config\.asgi:application.*)$", line)
            if match:
                words = shlex.split(match.group(1).split("#")[0].strip("\"'[] "))
                commands[str(path.relative_to(ROOT))] = [
                    re.sub(r"\$\{?\w+(:-(\d+))?\}?", r"\2", w) for w in words
                ]
    return commands


def client_uvicorn_passes_on(args: list[str], *, peer: str, forwarded_for: str):
    """The client address the app sees, with uvicorn configured by ``args``."""
    # Parse the arguments as uvicorn's command line does, then let uvicorn build the app.
    params = uvicorn.main.make_context("uvicorn", list(args)).params
    seen = {}

    async def app(scope, receive, send):
        seen["client"] = scope["client"]

    config = uvicorn.Config(
        app,
        proxy_headers=params["proxy_headers"],
        forwarded_allow_ips=params["forwarded_allow_ips"],
    )
    config.load()
    scope = {
        "type": "http",
        "client": (peer, 50000),
        "headers": [(b"x-forwarded-for", forwarded_for.encode())],
        "scheme": "http",
    }
    asyncio.run(config.loaded_app(scope, None, None))
    return seen["client"][0]


def test_every_deploy_file_starts_uvicorn_without_trusting_loopback_headers():
    commands = uvicorn_commands()

    assert {"Dockerfile", "deploy/Procfile.dev"} <= set(commands)
    seen = {
        name: client_uvicorn_passes_on(args, peer="127.0.0.1", forwarded_for="203.0.113.77")
        for name, args in commands.items()
    }
    assert seen == dict.fromkeys(commands, "127.0.0.1")

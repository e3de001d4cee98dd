"""core.outbound: requests to addresses users choose, refused unless public (no SSRF)."""

from __future__ import annotations

import time

import pytest

from core import outbound
from tests.local_http import LocalServer, Page


@pytest.fixture
def server():
    with LocalServer() as running:
        yield running


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:6379/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
    ],
)
def test_non_public_addresses_are_refused_by_default(settings, url):
    settings.AGORA_OUTBOUND_ALLOW_PRIVATE = False
    with pytest.raises(outbound.OutboundError, match="non-public"):
        outbound.fetch(url, timeout=2)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "scheme"),
        ("ftp://example.com/", "scheme"),
        ("gopher://example.com/", "scheme"),
        ("http://user:secret@example.com/", "credentials"),
        ("http:///nohost", "no host"),
        ("http://example.com:notaport/", "port"),
    ],
)
def test_only_plain_http_urls_are_fetched(url, reason):
    with pytest.raises(outbound.OutboundError, match=reason):
        outbound.fetch(url, timeout=2)


def test_a_redirect_to_a_private_address_is_refused_at_that_hop(settings, server):
    """The first hop is allowed here only because the test server is local; the check runs
    again for the redirect's target, so with the guard on, an internal target is refused."""
    settings.AGORA_OUTBOUND_ALLOW_PRIVATE = True
    server.pages["/go"] = Page(status=302, headers={"Location": "http://10.1.2.3/"})
    checked = []
    original = outbound._public_address

    def guard_after_first_hop(host, port):
        checked.append(host)
        settings.AGORA_OUTBOUND_ALLOW_PRIVATE = len(checked) == 1
        return original(host, port)

    outbound._public_address = guard_after_first_hop
    try:
        with pytest.raises(outbound.OutboundError, match="non-public"):
            outbound.fetch(server.url("/go"), timeout=2)
    finally:
        outbound._public_address = original
    assert checked == ["127.0.0.1", "10.1.2.3"]


def test_a_local_server_is_fetched_when_allowed(settings, server):
    settings.AGORA_OUTBOUND_ALLOW_PRIVATE = True
    server.pages["/page"] = Page(b"<title>hi</title>")
    server.pages["/moved"] = Page(status=301, headers={"Location": "/page"})

    fetched = outbound.fetch(server.url("/moved"), timeout=5)

    assert fetched.status == 200
    assert fetched.url == server.url("/page")
    assert fetched.body == b"<title>hi</title>"
    assert fetched.content_type == "text/html"
    assert fetched.charset == "utf-8"
    assert server.hits[0][1]["User-Agent"].startswith("Agora (+")


def test_a_body_is_cut_at_the_limit(settings, server):
    settings.AGORA_OUTBOUND_ALLOW_PRIVATE = True
    server.pages["/big"] = Page(b"x" * 500_000)

    fetched = outbound.fetch(server.url("/big"), max_bytes=1000, timeout=5)

    assert fetched.truncated
    assert len(fetched.body) == 1000


def test_a_slow_server_is_given_up_on(settings, server):
    settings.AGORA_OUTBOUND_ALLOW_PRIVATE = True
    server.pages["/slow"] = Page(b"late", delay=3)

    started = time.monotonic()
    with pytest.raises(outbound.OutboundError):
        outbound.fetch(server.url("/slow"), timeout=0.5)
    assert time.monotonic() - started < 2


def test_redirect_loops_end(settings, server):
    settings.AGORA_OUTBOUND_ALLOW_PRIVATE = True
    server.pages["/loop"] = Page(status=302, headers={"Location": "/loop"})
    with pytest.raises(outbound.OutboundError, match="too many redirects"):
        outbound.fetch(server.url("/loop"), timeout=5)

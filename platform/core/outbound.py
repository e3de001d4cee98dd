"""Requests to other servers that users choose the address of, made safe (no SSRF).

A link in a status (and a Web Push endpoint) names a server Agora then talks to. Left
alone, that lets anyone make the server fetch ``http://127.0.0.1:6379/`` or a cloud
metadata address. :func:`fetch` therefore

- accepts only ``http`` and ``https`` URLs on the default or an explicit port;
- resolves the host once, refuses it if *any* address is not public (private,
  loopback, link-local, multicast, reserved, shared, unspecified — ``ip.is_global``),
  and connects to the address it checked, so a second DNS answer cannot swap in an
  internal one (TLS still verifies the certificate for the host name);
- follows at most a few redirects, checking every hop the same way;
- reads at most ``max_bytes`` of the body and gives up after ``timeout`` seconds in
  all (connect, headers and body together).

``AGORA_OUTBOUND_ALLOW_PRIVATE`` lifts the address check for development and tests
with local servers; ``AGORA_OUTBOUND_CA_BUNDLE`` replaces the system's certificate
authorities (tests with a local HTTPS server). Errors are :class:`OutboundError`, with
a reason for logs; :class:`OutboundRefused` when the request never left.

Used by link previews (:mod:`apps.feed.services.cards`) and Web Push deliveries
(:mod:`apps.feed.services.push`).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings

from core.base_url import base_url

MAX_REDIRECTS = 3
# Connection pools by everything that configures one: the scheme, host, port, address
# and the certificates an https pool trusts (a pool made before AGORA_OUTBOUND_CA_BUNDLE
# changed would go on trusting the old ones).
_pools: dict[tuple[str, str, int, str, str], urllib3.HTTPConnectionPool] = {}


class OutboundError(Exception):
    """The request failed on the way (or was refused before it left); ``str()`` says why."""


class OutboundRefused(OutboundError):
    """Refused before it left: a URL or an address Agora never calls. Trying again is
    pointless, where a plain :class:`OutboundError` (a timeout, a refused connection) may
    succeed later."""


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    truncated: bool = False

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for part in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                return value.strip("\"'")
        return None


def user_agent() -> str:
    return f"Agora (+{base_url()}/)"


def _public_address(host: str, port: int) -> str:
    """One address of ``host``, refused unless every address it resolves to is public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise OutboundError(f"cannot resolve {host}: {error}") from None
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        addresses.append(address)
    if not addresses:
        raise OutboundError(f"{host} has no address")
    if not settings.AGORA_OUTBOUND_ALLOW_PRIVATE:
        for address in addresses:
            if not address.is_global or address.is_multicast:
                raise OutboundRefused(f"{host} resolves to a non-public address ({address})")
    return str(addresses[0])


def check_url(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of an ``http(s)`` URL, or OutboundError."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise OutboundRefused(f"scheme {scheme or '(none)'} is not fetched")
    if not parts.hostname:
        raise OutboundRefused("the URL has no host")
    if parts.username or parts.password:
        raise OutboundRefused("URLs with credentials are not fetched")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise OutboundRefused("the URL's port is not a number") from None
    return scheme, parts.hostname, port


def _pool(scheme: str, host: str, port: int, address: str) -> urllib3.HTTPConnectionPool:
    ca_bundle = settings.AGORA_OUTBOUND_CA_BUNDLE if scheme == "https" else ""
    key = (scheme, host, port, address, ca_bundle)
    pool = _pools.get(key)
    if pool is None:
        if scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                address,
                port,
                server_hostname=host,
                assert_hostname=host,
                cert_reqs="CERT_REQUIRED",
                ca_certs=ca_bundle or None,
                maxsize=2,
                retries=False,
            )
        else:
            pool = urllib3.HTTPConnectionPool(address, port, maxsize=2, retries=False)
        if len(_pools) > 256:
            _pools.clear()
        _pools[key] = pool
    return pool


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    max_bytes: int = 1024 * 1024,
    timeout: float = 10.0,
    follow_redirects: bool = True,
) -> Fetched:
    """Send ``method`` to ``url`` under the rules above; the answer, whatever its status."""
    deadline = time.monotonic() + timeout
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port = check_url(url)
        address = _public_address(host, port)
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        default_port = port == (443 if scheme == "https" else 80)
        sent = {
            "User-Agent": user_agent(),
            "Host": host if default_port else f"{host}:{port}",
            **(headers or {}),
        }
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise OutboundError("timed out")
        try:
            response = _pool(scheme, host, port, address).urlopen(
                method,
                target,
                headers=sent,
                body=body,
                redirect=False,
                preload_content=False,
                timeout=urllib3.Timeout(connect=min(remaining, 5.0), read=remaining),
                assert_same_host=False,
            )
        except urllib3.exceptions.HTTPError as error:
            raise OutboundError(f"{host}: {error}") from None
        try:
            if follow_redirects and response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    raise OutboundError("a redirect without a location")
                url = urljoin(url, location)
                if response.status == 303:
                    method, body = "GET", None
                continue
            chunks: list[bytes] = []
            size = 0
            truncated = False
            for chunk in response.stream(64 * 1024):
                if time.monotonic() > deadline:
                    raise OutboundError("timed out reading the body")
                chunks.append(chunk)
                size += len(chunk)
                if size > max_bytes:
                    truncated = True
                    break
            data = b"".join(chunks)[:max_bytes]
            return Fetched(
                url=url,
                status=response.status,
                headers={name.lower(): value for name, value in response.headers.items()},
                body=data,
                truncated=truncated,
            )
        except urllib3.exceptions.HTTPError as error:
            raise OutboundError(f"{host}: {error}") from None
        finally:
            # Never read the rest of a body we stopped reading: drop the connection.
            response.close()
    raise OutboundError("too many redirects")


def fetch(url: str, **options) -> Fetched:
    """``GET url`` (see :func:`request`)."""
    return request("GET", url, **options)

"""The client's address, as far as the operator's trusted proxies vouch for it.

One rule for every part of the platform that counts by address (the login lockout,
the anonymous rate limits): the socket's peer (``REMOTE_ADDR``) is the client
unless it is one of ``settings.AGORA_TRUSTED_PROXIES``; then ``X-Forwarded-For`` is
read from the right, each hop a proxy appended, until the first address that is not
a trusted proxy. Whatever a client writes into the header itself stays on the left
of what the proxies appended, so it is never reached. The ASGI server must not
rewrite ``REMOTE_ADDR`` from the header itself (uvicorn runs with
``--no-proxy-headers``).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies)


def _parse(value: str) -> Address | None:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent ``request``.

    ``REMOTE_ADDR`` when no proxy is trusted (the default) or the peer is not a
    trusted proxy; otherwise the rightmost ``X-Forwarded-For`` hop that is not a
    trusted proxy (the leftmost hop if all are). A hop that is not an address ends
    the walk at the last proxy that was trusted.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _networks(tuple(getattr(settings, "AGORA_TRUSTED_PROXIES", ()) or ()))
    peer = _parse(remote)
    if not networks or peer is None or not _is_trusted(peer, networks):
        return remote
    client = peer
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        if not hop.strip():
            continue
        address = _parse(hop)
        if address is None:
            break
        client = address
        if not _is_trusted(address, networks):
            break
    return str(client)

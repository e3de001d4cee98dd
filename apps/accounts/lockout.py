"""django-axes hooks: whose attempts count (the client address) and what a locked-out client is told."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _


def client_ip_address(request) -> str:
    """The client address django-axes counts failures against.

    Only the socket's address (REMOTE_ADDR) unless ``AGORA_TRUSTED_PROXY_HEADER``
    names the header a trusted proxy sets; then the address that proxy appended
    (``AGORA_TRUSTED_PROXY_COUNT`` from the right), so addresses a client forges at
    the left of the header are ignored. The same rule as the API rate limits
    (``core.throttling``).
    """
    header = settings.AGORA_TRUSTED_PROXY_HEADER
    if header and request.META.get(header):
        addresses = [part.strip() for part in request.META[header].split(",") if part.strip()]
        count = max(settings.AGORA_TRUSTED_PROXY_COUNT, 1)
        if len(addresses) >= count:
            return addresses[-count]
    return request.META.get("REMOTE_ADDR", "")


def lockout_response(request, credentials, *args, **kwargs):
    """429 in Mastodon's error shape, for the API, the token endpoint and the login page."""
    return JsonResponse(
        {"error": _("Too many failed login attempts. Try again later.")}, status=429
    )

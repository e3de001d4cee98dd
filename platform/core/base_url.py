"""The one base URL of this instance, for every absolute URL in an API response.

Built from settings only (``AGORA_HTTPS`` and ``AGORA_DOMAIN``), never from the
request's Host header, so an account's, a status's and a media file's URLs agree
in one response, in the cached entities and on the streaming API. ``Link``
pagination headers are the exception: a client follows them, so they keep the URL
the client asked (as Mastodon's do; ``core.pagination``).
"""

from __future__ import annotations

from django.conf import settings


def base_url() -> str:
    """``https://agora.example`` (no trailing slash): the scheme and the public host."""
    scheme = "https" if settings.AGORA_HTTPS else "http"
    return f"{scheme}://{settings.AGORA_DOMAIN}"


def absolute_url(path: str) -> str:
    """``path`` on the base URL; a URL that is already absolute (S3, a CDN) is kept."""
    if path.startswith(("http://", "https://")):
        return path
    return f"{base_url()}/{path.lstrip('/')}"


def streaming_url() -> str:
    """The streaming API's base, ``wss://agora.example`` (``ws://`` without HTTPS)."""
    scheme = "wss" if settings.AGORA_HTTPS else "ws"
    return f"{scheme}://{settings.AGORA_DOMAIN}"


def is_local_domain(domain: str) -> bool:
    """Whether ``domain`` (from an ``acct`` or a URL) names this instance.

    ``AGORA_DOMAIN`` may carry a port (``localhost:8000``): both the host alone and
    the host with that port count.
    """
    ours = settings.AGORA_DOMAIN.lower()
    host = ours.rsplit(":", 1)[0] if not ours.endswith("]") else ours
    return domain.lower() in {ours, host}

"""Requests Agora itself sends to other servers: link previews and Web Push deliveries.

Every outbound request goes through :mod:`core.outbound`, which refuses private,
loopback, link-local and other non-public addresses unless
``AGORA_OUTBOUND_ALLOW_PRIVATE`` is set (a development instance previewing its own
network, or tests with a local server). Never set it on an instance users post to:
anyone could make the server fetch its own internal services.
"""

from .environment import env

AGORA_OUTBOUND_ALLOW_PRIVATE = env.bool("AGORA_OUTBOUND_ALLOW_PRIVATE", default=False)
# AGORA_OUTBOUND_CA_BUNDLE: a PEM file of the certificate authorities HTTPS servers are
# checked against instead of the system's (blank: the system's trust store).
AGORA_OUTBOUND_CA_BUNDLE = env.str("AGORA_OUTBOUND_CA_BUNDLE", default="")

# Link previews (Mastodon's preview cards), fetched by the worker for a status's first link.
AGORA_CARDS_ENABLED = env.bool("AGORA_CARDS_ENABLED", default=True)
AGORA_CARD_PAGE_MAX_BYTES = env.int("AGORA_CARD_PAGE_MAX_BYTES", default=1024 * 1024)
AGORA_CARD_IMAGE_MAX_BYTES = env.int("AGORA_CARD_IMAGE_MAX_BYTES", default=2 * 1024 * 1024)
AGORA_CARD_FETCH_SECONDS = env.float("AGORA_CARD_FETCH_SECONDS", default=10.0)

# /api/v1/trends/links ranks this many links; /api/v1/timelines/link serves only those.
FEED_TRENDING_LINKS_MAX = env.int("FEED_TRENDING_LINKS_MAX", default=50)

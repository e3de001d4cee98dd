"""The server's Web Push identity (VAPID, RFC 8292), as the apps are told it.

``/api/v2/instance`` (``configuration.vapid.public_key``) and the Application entity
(``vapid_key``) give apps the VAPID public key they subscribe with; feed's push
subscriptions (``server_key``) give the same. Push is configured only with both
halves of the key pair (``VAPID_PRIVATE_KEY`` and ``VAPID_PUBLIC_KEY``, made by
``manage.py push_vapid_keys``); without them every one of those answers an empty key.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings


def is_configured() -> bool:
    """Whether the server holds a VAPID key pair to sign and deliver pushes with."""
    return bool(
        getattr(settings, "VAPID_PRIVATE_KEY", "") and getattr(settings, "VAPID_PUBLIC_KEY", "")
    )


def vapid_public_key() -> str:
    """The VAPID public key (base64url, uncompressed P-256 point); "" when not configured."""
    return settings.VAPID_PUBLIC_KEY if is_configured() else ""


def generate_vapid_keys() -> tuple[str, str]:
    """A new VAPID key pair as the settings hold it: (private, public), base64url without
    padding; the private key is the raw 32-byte P-256 number, the public key the
    65-byte uncompressed point (what apps pass to ``PushManager.subscribe``)."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    return _b64url(private), _public_key(key)


def public_key_of(private_key: str) -> str | None:
    """The public key (as :func:`generate_vapid_keys` writes it) of ``private_key``;
    None when that is not a base64url P-256 private number."""
    try:
        raw = base64.urlsafe_b64decode(private_key + "=" * (-len(private_key) % 4))
        if len(raw) != 32:
            return None
        key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except (binascii.Error, ValueError):
        return None
    return _public_key(key)


def _public_key(key: ec.EllipticCurvePrivateKey) -> str:
    return _b64url(
        key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")

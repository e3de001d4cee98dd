"""Stream keys: made here, shown once, stored as their SHA-256, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_BYTES = 32
INTERNAL_NAME_BYTES = 16


def key_new() -> str:
    """A fresh stream key (URL-safe, so any encoder and RTMP URL take it as a name)."""
    return secrets.token_urlsafe(KEY_BYTES)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_matches(key: str, stored_hash: str) -> bool:
    """Whether ``key`` is the key whose hash is ``stored_hash``, in constant time."""
    return hmac.compare_digest(key_hash(key), stored_hash)


def internal_name_new() -> str:
    """The unguessable name a stream is published and played under."""
    return secrets.token_hex(INTERNAL_NAME_BYTES)

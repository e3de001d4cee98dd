"""Protection's domain-event handlers. Thin: each calls a service or enqueues a task."""

from __future__ import annotations


def connect() -> None:
    """Subscribe protection's handlers (``ProtectionConfig.ready``)."""

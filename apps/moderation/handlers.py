"""What moderation does when other apps publish events."""

from __future__ import annotations


def connect() -> None:
    from apps.moderation import case_handlers, pipeline_handlers

    pipeline_handlers.connect()
    case_handlers.connect()

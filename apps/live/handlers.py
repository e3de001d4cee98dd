"""What live does when other apps publish events."""

from __future__ import annotations

from core import events


def on_content_actioned(event: events.ContentActioned) -> None:
    """Moderation decided on a chat message: hide or remove deletes it for everyone."""
    from apps.live.services.chat import CONTENT_TYPE, chat_message_moderate

    if event.content_type != CONTENT_TYPE:
        return
    chat_message_moderate(message_id=event.content_id, action=event.action, reason=event.reason)


def connect() -> None:
    """Subscribe live's handlers (``LiveConfig.ready``)."""
    events.subscribe(events.ContentActioned, on_content_actioned)

"""What the feed does when other apps publish events."""

from __future__ import annotations

from core import events, relationships


def on_content_actioned(event: events.ContentActioned) -> None:
    """Moderation decided on a status: remove it everywhere, or hide it from all but its author."""
    if event.content_type != "status":
        return
    from apps.feed import services

    state = {"remove": "removed", "hide": "hidden", "approve": "visible", "restore": "visible"}.get(
        event.action
    )
    if state is not None:
        services.status_moderate(status_id=event.content_id, state=state, reason=event.reason)
    elif event.action == "sensitive":
        services.status_mark_sensitive(status_id=event.content_id)


class Relationships:
    """The feed's side of :mod:`core.relationships` (registered by :func:`connect`)."""

    def follow_requests_count(self, *, account) -> int:
        from apps.feed import selectors

        return selectors.follow_requests_count(account=account)


def on_account_warned(event: events.AccountWarned) -> None:
    """Moderation warned an account: it gets Mastodon's ``moderation_warning`` notification."""
    from apps.feed import services

    services.warning_notify(event=event)


def on_content_written(event: events.ContentPublished | events.ContentUpdated) -> None:
    """A status was posted or edited: its link preview is fetched by the worker."""
    if event.content_type != "status":
        return
    from apps.feed.services import cards

    cards.status_card_schedule(status_id=event.content_id)


def on_shield_changed(event: events.ShieldChanged) -> None:
    """An account's shield went up or down: its scheduled statuses are held or released."""
    from apps.feed.services.scheduling import scheduled_statuses_hold

    scheduled_statuses_hold(account_id=event.account_id, held=event.active)


def connect() -> None:
    """Subscribe the feed's handlers and fill in core's interfaces (``FeedConfig.ready``)."""
    from apps.feed import streaming

    events.subscribe(events.ContentActioned, on_content_actioned)
    relationships.set_provider(Relationships())
    streaming.connect()

    from apps.feed.fanout import handlers as fanout_handlers

    fanout_handlers.connect()
    events.subscribe(events.AccountWarned, on_account_warned)
    events.subscribe(events.ContentPublished, on_content_written)
    events.subscribe(events.ContentUpdated, on_content_written)
    events.subscribe(events.ShieldChanged, on_shield_changed)

    from apps.feed import card_tasks, scheduling_tasks  # noqa: F401 (register the Celery tasks)

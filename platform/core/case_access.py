"""Private content that staff may open only through a moderation case, each opening recorded.

Lower apps show their content in the back office, but a direct message is its
sender's and recipients' alone: a moderator may read one only when a moderation
case (or a report in it) concerns it, and every reading is audited (a
``personal_data_viewed`` row, :mod:`core.audit`). Cases belong to moderation, above
the feed; moderation fills in this interface in its ``AppConfig.ready()`` with
:func:`set_provider`. Without it no case concerns anything, so private content
stays closed.
"""

from __future__ import annotations

from typing import Protocol


class Provider(Protocol):
    def cases_concerning(self, *, content_type: str, content_id: int, author_id: int) -> list[int]:
        """Ids of the cases about the content or holding a report that names it."""

    def record_view(
        self, *, actor, content_type: str, content_id: int, case_ids: list[int], what: str
    ) -> None:
        """Append an audit row: ``actor`` opened the content through ``case_ids``."""


_provider: Provider | None = None


def set_provider(provider: Provider | None) -> None:
    """Install (or with ``None`` remove) moderation's side of this interface."""
    global _provider
    _provider = provider


def cases_concerning(*, content_type: str, content_id: int, author_id: int) -> list[int]:
    """Ids of the moderation cases that concern the content; empty without moderation."""
    if _provider is None:
        return []
    return _provider.cases_concerning(
        content_type=content_type, content_id=content_id, author_id=author_id
    )


def private_content_viewed(
    *, actor, content_type: str, content_id: int, case_ids: list[int], what: str
) -> None:
    """Record that ``actor`` opened private content through ``case_ids`` (an audit row)."""
    if _provider is None:
        raise RuntimeError("No moderation audit trail is installed to record the view.")
    _provider.record_view(
        actor=actor, content_type=content_type, content_id=content_id, case_ids=case_ids, what=what
    )

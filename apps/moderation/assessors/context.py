"""What the live pipeline knows beyond a post's text, weighed as a person would.

A borderline score (from ``BORDERLINE`` up) is lifted to ``LIFTED`` (the default queue
threshold: a person looks) when the context makes the harm likelier:

- offensive: the post replies to another account and speaks to someone ("you", an @mention),
  so an insult in it is aimed at the person it answers (``reply_to_target``);
- any category: the author has active strikes (``author_strikes:N``);
- scam and spam: a linked domain was in posts the pipeline hid or removed for scam or spam
  within ``MODERATION_LINK_REPUTATION_DAYS`` (``link_reputation:N``, N such posts).

Context never hides or removes on its own: it asks for a person, and says why in the signals.
``manage.py moderation_assess`` has no context (single texts), so none of this applies there.
Domain reputation lives in the cache (Redis in production); two workers recording the same
domain at the same instant can lose one count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.cache import cache

from . import text as features
from .base import Item
from .offensive import ADDRESSED_RE

BORDERLINE = 0.3
LIFTED = 0.5
DOMAIN_KEY = "moderation:domain:{}"
REPUTATION_CATEGORIES = ("scam", "spam")


def domains_reputation(items: Sequence[Item]) -> dict[str, int]:
    """Per linked domain of ``items``: how many hidden or removed scam and spam posts linked it."""
    found = {domain for item in items for domain in features.domains(item.text) if domain}
    if not found:
        return {}
    stored = cache.get_many([DOMAIN_KEY.format(domain) for domain in sorted(found)])
    return {
        domain: int(stored.get(DOMAIN_KEY.format(domain)) or 0)
        for domain in found
        if stored.get(DOMAIN_KEY.format(domain))
    }


def domains_record(texts: Iterable[str]) -> None:
    """Count the domains linked by posts hidden or removed for scam or spam."""
    counts: dict[str, int] = {}
    for text in texts:
        for domain in set(features.domains(text)):
            if domain:
                counts[domain] = counts.get(domain, 0) + 1
    if not counts:
        return
    keys = {domain: DOMAIN_KEY.format(domain) for domain in counts}
    stored = cache.get_many(list(keys.values()))
    cache.set_many(
        {key: int(stored.get(key) or 0) + counts[domain] for domain, key in keys.items()},
        timeout=settings.MODERATION_LINK_REPUTATION_DAYS * 86400,
    )


def context_signals(
    item: Item, category: str, score: float, reputation: dict[str, int]
) -> tuple[str, ...]:
    """The context signals that make ``item``'s borderline ``score`` in ``category`` worth a look."""
    if score < BORDERLINE:
        return ()
    signals = []
    if category == "offensive" and item.reply_to_other and ADDRESSED_RE.search(item.text):
        signals.append("reply_to_target")
    if item.author_strikes:
        signals.append(f"author_strikes:{item.author_strikes}")
    if category in REPUTATION_CATEGORIES and reputation:
        worst = max((reputation.get(d, 0) for d in features.domains(item.text)), default=0)
        if worst:
            signals.append(f"link_reputation:{worst}")
    return tuple(signals)

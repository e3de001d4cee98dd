"""Spam: repeated text across accounts, link/mention/hashtag stuffing, spam phrasing, new-account bursts.

Repetition and bursts are counted in the cache (Redis in production) over a
sliding window, one read and one write per batch. Two workers updating the same
fingerprint at the same instant can lose one sighting; the next copy counts again.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from django.conf import settings
from django.core.cache import cache

from . import text as features
from .base import Context, Item, Score, noisy_or

SPAM_PHRASES = re.compile(
    r"\b(?:buy now|click (?:here|the link|my link)|limited[- ]time offer|act now|order now"
    r"|free followers|get followers|(?:follow|like) for (?:follow|like)|f4f|l4l|check out my (?:profile|page|bio|channel)"
    r"|subscribe to my channel|discount code|promo code|use code \w+|dm (?:me )?for (?:promo|prices|deals)"
    r"|make money (?:fast|online|from home)|work from home|earn \$?\d+|100% free|best prices?"
    r"|cheap (?:pills|meds|viagra|watches|followers|likes)|onlyfans|link in (?:my )?bio|hot singles"
    r"|visit (?:my|our) (?:site|website|store|shop))\b",
    re.IGNORECASE,
)

FINGERPRINT_KEY = "moderation:fingerprint:{}"
BURST_KEY = "moderation:burst:{}"
MAX_BURST_ENTRIES = 100
# The most a new-account burst alone scores (the default spam policy hides at 0.9).
BURST_MAX_SCORE = 0.8
MAX_KEYS = 20
MAX_AUTHORS = 50


# Short repeated text with nothing to sell ("Happy new year everyone!") is what crowds say,
# not spam: without a link, a mention or spam phrasing, repetition alone stays below this.
PLAIN_REPEAT_CAP = 0.5
PLAIN_REPEAT_MAX_CHARS = 100


def _repeat_score(other_authors: int, same_author_repeats: int) -> float:
    """Other accounts posting the text weigh most; one account repeating itself from its third copy."""
    by_others = {0: 0.0, 1: 0.45, 2: 0.7, 3: 0.85}.get(other_authors, 0.95)
    by_self = 0.0 if same_author_repeats < 2 else min(0.8, 0.3 + 0.15 * same_author_repeats)
    return max(by_others, by_self)


def _most_recent(seen: dict[str, list]) -> dict[str, list]:
    """A fingerprint's sightings, cut to the latest authors: enough to say "many accounts"."""
    if len(seen) <= MAX_AUTHORS:
        return seen
    latest = sorted(seen.items(), key=lambda entry: entry[1][0], reverse=True)[:MAX_AUTHORS]
    return dict(latest)


class SpamAssessor:
    name = "spam-rules"
    categories = ("spam",)
    version = "spam-rules 1"

    def assess(self, items: Sequence[Item], context: Context) -> list[list[Score]]:
        now = time.time()
        window = settings.MODERATION_REPEAT_WINDOW_SECONDS
        burst_window = settings.MODERATION_BURST_WINDOW_SECONDS
        # Without an author there is no telling accounts apart: no repetition signal.
        prints = [
            features.fingerprint(item.text) if item.author_id is not None else None
            for item in items
        ]
        print_keys = {fp: FINGERPRINT_KEY.format(fp) for fp in prints if fp}
        burst_keys = {
            item.author_id: BURST_KEY.format(item.author_id)
            for item in items
            if item.author_id is not None and item.author_is_new()
        }
        stored = cache.get_many([*print_keys.values(), *burst_keys.values()])
        # Per fingerprint: {author id: [last seen, [content keys]]}. Content is counted once
        # however often it is edited (an edit is assessed again with the same key).
        sightings: dict[str, dict[str, list]] = {
            fp: {
                author: [entry[0], list(entry[1])]
                for author, entry in (stored.get(key) or {}).items()
                if isinstance(entry, list | tuple) and len(entry) == 2 and entry[0] > now - window
            }
            for fp, key in print_keys.items()
        }
        # Per new author: [[time, content key], ...] within the burst window (pairs as
        # the cache gives them back, lists or tuples).
        bursts: dict[int, list[list | tuple]] = {
            author: [
                entry
                for entry in (stored.get(key) or [])
                if isinstance(entry, list | tuple)
                and len(entry) == 2
                and entry[0] > now - burst_window
            ]
            for author, key in burst_keys.items()
        }
        results = []
        for item, fp in zip(items, prints, strict=True):
            author = str(item.author_id)
            signals: list[str] = []
            parts: list[float] = []
            links = features.urls(item.text)
            tagged = features.mentions(item.text)
            phrases = {m.lower() for m in SPAM_PHRASES.findall(item.text)}
            if fp:
                seen = sightings[fp]
                others = sum(1 for other in seen if other != author)
                keys = [k for k in (seen[author][1] if author in seen else []) if k != item.key]
                again = len(keys)
                score = _repeat_score(others, again)
                if not (links or tagged or phrases) and len(item.text) < PLAIN_REPEAT_MAX_CHARS:
                    score = min(score, PLAIN_REPEAT_CAP)
                if score:
                    signals.append(
                        f"repeated:{others}_accounts" if others else f"repeated_by_author:{again}"
                    )
                    parts.append(score)
                    if links:
                        parts.append(0.3)
                seen[author] = [now, [*keys, item.key][-MAX_KEYS:]]
            if len(links) >= 3:
                signals.append(f"links:{len(links)}")
                parts.append(0.85 if len(links) >= 5 else 0.5)
            if len(tagged) >= 5:
                signals.append(f"mentions:{len(tagged)}")
                parts.append(0.9 if len(tagged) >= 8 else 0.55)
            tags = features.hashtags(item.text)
            if len(tags) >= 8:
                signals.append(f"hashtags:{len(tags)}")
                parts.append(0.5)
            if phrases:
                signals.append(f"phrasing:{len(phrases)}")
                parts.append(min(0.8, 0.4 + 0.22 * (len(phrases) - 1)))
            if item.author_id in bursts:
                recent = [entry for entry in bursts[item.author_id] if entry[1] != item.key]
                recent.append([now, item.key])
                bursts[item.author_id] = recent
                limit = settings.MODERATION_BURST_POSTS
                if len(recent) >= limit:
                    signals.append(f"new_account_burst:{len(recent)}")
                    # Pace alone never reaches the hide threshold: a newcomer
                    # live-posting an event is queued for a person, not hidden.
                    parts.append(min(BURST_MAX_SCORE, 0.6 + 0.05 * (len(recent) - limit)))
                elif links and len(recent) >= 2:
                    signals.append("new_account_links")
                    parts.append(0.25)
            score = noisy_or(parts)
            confidence = min(0.95, 0.6 + 0.1 * len(signals))
            results.append([Score("spam", score, confidence, self.name, tuple(signals))])
        if context.record:
            updates: dict[str, object] = {
                print_keys[fp]: _most_recent(seen) for fp, seen in sightings.items()
            }
            updates.update(
                {burst_keys[a]: recent[-MAX_BURST_ENTRIES:] for a, recent in bursts.items()}
            )
            if updates:
                cache.set_many(updates, timeout=max(window, burst_window))
        return results

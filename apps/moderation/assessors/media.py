"""Known media: Hamming distance between perceptual hashes (hex pHash) and the moderators' list.

A hash at distance 0 from an active :class:`KnownMediaHash` scores 1.0; the score
falls linearly to 0.5 at that row's ``max_distance``; farther is no match. Hashes
of different lengths are not compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .base import Context, Item, Score


@dataclass(frozen=True)
class KnownHash:
    pk: int
    value: int
    bits: int
    max_distance: int
    label: str


def parse_hash(value: str) -> tuple[int, int] | None:
    """(integer, bit length) of a hex hash, or None when it is not hex."""
    value = value.strip().lower()
    try:
        return int(value, 16), len(value) * 4
    except ValueError:
        return None


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def match_score(distance: int, max_distance: int) -> float:
    if distance > max_distance:
        return 0.0
    return 1.0 - 0.5 * distance / max(max_distance, 1)


def load_known_hashes() -> list[KnownHash]:
    from apps.moderation.models import KnownMediaHash

    known = []
    for row in KnownMediaHash.objects.filter(is_active=True).only(
        "pk", "hash", "max_distance", "label"
    ):
        parsed = parse_hash(row.hash)
        if parsed is not None:
            known.append(KnownHash(row.pk, parsed[0], parsed[1], row.max_distance, row.label))
    return known


class MediaMatchAssessor:
    name = "phash"
    categories = ("media_match",)
    version = "phash-hamming 1"

    def __init__(self, known: list[KnownHash] | None = None) -> None:
        self._known = known

    def assess(self, items: Sequence[Item], context: Context) -> list[list[Score]]:
        if not any(item.media_hashes for item in items):
            return [[] for _ in items]
        known = self._known if self._known is not None else load_known_hashes()
        return [self.assess_hashes(item.media_hashes, known) for item in items]

    def assess_hashes(self, hashes: Sequence[str], known: list[KnownHash]) -> list[Score]:
        if not hashes:
            return []
        best_score = 0.0
        best_match: tuple[int, KnownHash] | None = None  # its distance, and the hash
        for value in hashes:
            parsed = parse_hash(value)
            if parsed is None:
                continue
            number, bits = parsed
            for entry in known:
                if entry.bits != bits:
                    continue
                distance = hamming(number, entry.value)
                score = match_score(distance, entry.max_distance)
                if score > best_score:
                    best_score, best_match = score, (distance, entry)
        if best_match is None:
            return [Score("media_match", 0.0, 0.9 if known else 0.0, self.name)]
        best_distance, best_entry = best_match
        confidence = 1.0 - best_distance / best_entry.bits
        signal = f"known_hash:{best_entry.pk}:distance={best_distance}"
        return [Score("media_match", best_score, confidence, self.name, (signal,))]

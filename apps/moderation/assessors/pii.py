"""Personal data: e-mail addresses, phone numbers and payment card numbers (Luhn-checked).

Signals name what was found and how many, never the data itself: the evidence
snapshot already keeps the text for moderators who may see it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .base import Context, Item, Score, noisy_or

EMAIL_RE = re.compile(r"(?<![\w.+@-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# Digits with optional single spaces or dashes between groups: 13 to 19 digits is a card candidate.
CARD_RE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
# Digit groups with separators, optionally after +CC or an (area code); filtered by digit count
# and shape in :func:`phone_numbers`.
PHONE_RE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{1,5}(?:[\s.-]\d{1,6}){1,5}(?![\w])"
    r"|(?<![\w+])\+\d{8,14}(?!\w)"
    r"|(?<![\w+])0\d{9,10}(?!\w)"
)
DATE_LIKE_RE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
TIME_OR_RANGE_RE = re.compile(r"^\d{1,2}[.:]\d{2}(?:\s*-\s*\d{1,2}[.:]\d{2})?$")

EMAIL_SCORE = 0.55
PHONE_SCORE = 0.62
CARD_SCORE = 0.95


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum card numbers carry (any 13 to 19 digits)."""
    if not digits.isdigit() or not 13 <= len(digits) <= 19:
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def card_numbers(text: str) -> list[str]:
    """Digits of each Luhn-valid card-like number in ``text`` (one repeated digit excluded)."""
    found = []
    for match in CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if luhn_valid(digits) and len(set(digits)) > 1:
            found.append(digits)
    return found


def phone_numbers(text: str) -> list[str]:
    """Phone-number-like runs of 9 to 15 digits that are not dates, times or card numbers."""
    found = []
    for match in PHONE_RE.finditer(text):
        candidate = match.group().strip()
        digits = re.sub(r"\D", "", candidate)
        if not 9 <= len(digits) <= 15:
            continue
        if DATE_LIKE_RE.match(candidate) or TIME_OR_RANGE_RE.match(candidate):
            continue
        if len(set(digits)) <= 2:
            continue
        # Plain numbers in a row ("in 2023 12 000 people 45 67") are not a phone number: a
        # phone starts with +, 0 or an (area code), or is written with dashes or dots.
        if not candidate.startswith(("+", "0", "(")) and not re.search(r"\d[.-]\d", candidate):
            continue
        found.append(digits)
    return found


class PersonalDataAssessor:
    name = "pii"
    categories = ("pii",)
    version = "pii-rules 1"

    def assess_text(self, text: str) -> Score:
        emails = EMAIL_RE.findall(text)
        cards = card_numbers(text)
        without_cards = CARD_RE.sub(" ", text) if cards else text
        phones = phone_numbers(EMAIL_RE.sub(" ", without_cards))
        signals: list[str] = []
        parts: list[float] = []
        if cards:
            signals.append(f"card_number:{len(cards)}")
            parts.append(CARD_SCORE)
        if phones:
            signals.append(f"phone:{len(phones)}")
            parts.append(min(0.85, PHONE_SCORE + 0.1 * (len(phones) - 1)))
        if emails:
            signals.append(f"email:{len(emails)}")
            parts.append(min(0.8, EMAIL_SCORE + 0.1 * (len(emails) - 1)))
        score = noisy_or(parts) if len(parts) > 1 else (parts[0] if parts else 0.0)
        # Patterns are exact about what they match, less about whether it is someone's data.
        confidence = 0.9 if cards else (0.7 if parts else 0.8)
        return Score("pii", min(score, 0.99), confidence, self.name, tuple(signals))

    def assess(self, items: Sequence[Item], context: Context) -> list[list[Score]]:
        return [[self.assess_text(item.text)] for item in items]

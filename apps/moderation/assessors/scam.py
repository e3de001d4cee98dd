"""Scams: known scam phrasing, in families (crypto doubling, credential phishing, fake
investments, prizes, payment pressure, off-platform contact), weighed up by links and new accounts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from . import text as features
from .base import Context, Item, Score, noisy_or

CRYPTO = r"(?:btc|bitcoin|eth|ether(?:eum)?|usdt|crypto|sol(?:ana)?|doge(?:coin)?|xrp|bnb|coins?)"
FAMILIES: dict[str, re.Pattern[str]] = {
    "crypto_doubling": re.compile(
        rf"\b(?:send|transfer|deposit)\b.{{0,40}}\b{CRYPTO}\b.{{0,60}}\b(?:back|double|doubled|2x|twice|receive)\b"
        rf"|\bdouble (?:your|ur) (?:{CRYPTO}|money|investment)"
        rf"|\b{CRYPTO}\b.{{0,30}}\bgiveaway\b|\bgiveaway\b.{{0,30}}\b{CRYPTO}\b",
        re.IGNORECASE,
    ),
    "credentials": re.compile(
        r"\bverify (?:your|ur) (?:account|identity|wallet)\b"
        r"|\bconfirm (?:your|ur) (?:password|login|identity|details)\b"
        r"|\baccount (?:will be|has been|is) (?:suspended|locked|disabled|terminated)\b"
        r"|\b(?:seed|recovery|secret) phrase\b|\bprivate key\b"
        r"|\b(?:connect|validate|sync|restore) (?:your|ur) wallet\b",
        re.IGNORECASE,
    ),
    "investment": re.compile(
        r"\bguaranteed (?:returns?|profits?|income)\b|\b\d{2,4} ?% (?:daily|weekly|monthly)?\s?(?:returns?|profits?)\b"
        r"|\brisk[- ]free (?:investment|trading|profits?)\b|\b(?:forex|binary options?) (?:signals|trading|expert)\b"
        r"|\b(?:account|investment) manager\b|\binvest with me\b"
        r"|\b(?:dm|message|inbox) me (?:to|for|and) (?:invest|earn|profit|start earning)",
        re.IGNORECASE,
    ),
    "prize": re.compile(
        r"\byou(?:'ve| have)? (?:won|been selected)\b|\bclaim (?:your|ur) (?:prize|reward|gift|winnings)\b"
        r"|\bcongratulations?\b.{0,40}\b(?:winner|selected|won)\b|\bfree (?:iphone|gift ?card)\b"
        r"|\bgift ?cards?\b.{0,30}\b(?:pay|send|buy)\b|\b(?:pay|send|buy)\b.{0,30}\bgift ?cards?\b",
        re.IGNORECASE,
    ),
    "payment_pressure": re.compile(
        r"\b(?:small|processing|release|clearance|delivery) fee\b|\bwire (?:me|the money|transfer)\b"
        r"|\bwestern union\b|\bmoneygram\b|\bcash ?app (?:me|tag)\b"
        r"|\b(?:within|in) (?:24|48) hours\b.{0,40}\b(?:or|otherwise)\b"
        r"|\b(?:send|pay) (?:me )?(?:the )?(?:money|payment|fee) (?:via|through|by|with)\b",
        re.IGNORECASE,
    ),
    "off_platform": re.compile(
        r"\b(?:whatsapp|telegram|signal) (?:me|us)\b|\bcontact (?:me|us) on (?:whatsapp|telegram)\b"
        r"|\b(?:official|customer) support (?:team|agent)\b.{0,60}\b(?:dm|whatsapp|telegram|contact)\b"
        r"|\bt\.me/\w+",
        re.IGNORECASE,
    ),
}
FAMILY_WEIGHT = 0.55


class ScamAssessor:
    name = "scam-rules"
    categories = ("scam",)
    version = "scam-rules 1"

    def assess_item(self, item: Item) -> Score:
        matched = [name for name, pattern in FAMILIES.items() if pattern.search(item.text)]
        parts = [FAMILY_WEIGHT] * len(matched)
        signals = list(matched)
        if matched and features.urls(item.text):
            signals.append("with_link")
            parts.append(0.3)
        if matched and item.author_is_new():
            signals.append("new_account")
            parts.append(0.25)
        score = noisy_or(parts)
        confidence = min(0.95, 0.55 + 0.15 * len(matched)) if matched else 0.6
        return Score("scam", score, confidence, self.name, tuple(signals))

    def assess(self, items: Sequence[Item], context: Context) -> list[list[Score]]:
        return [[self.assess_item(item)] for item in items]

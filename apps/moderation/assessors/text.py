"""Text features the rule-based assessors share: links, mentions, a repetition fingerprint."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
MENTION_RE = re.compile(r"(?<![\w/])@[A-Za-z0-9_]+(?:@[\w.-]+)?")
HASHTAG_RE = re.compile(r"(?<![\w/])#\w+")
WORD_RE = re.compile(r"[^\W\d_]+")
MIN_FINGERPRINT_CHARS = 24


def urls(text: str) -> list[str]:
    return URL_RE.findall(text)


def domains(text: str) -> list[str]:
    found = []
    for url in urls(text):
        host = urlsplit(url if "://" in url else f"http://{url}").hostname or ""
        found.append(host.removeprefix("www."))
    return found


def mentions(text: str) -> list[str]:
    return MENTION_RE.findall(text)


def hashtags(text: str) -> list[str]:
    return HASHTAG_RE.findall(text)


def fingerprint(text: str) -> str | None:
    """A hash of the text with what spammers vary removed: case, mentions, digits, spacing.

    Links count by domain only (spam rotates paths and tracking ids). ``None`` for
    text too short to say anything by repetition ("good morning" is not spam).
    """
    normalised = URL_RE.sub(lambda m: " " + _domain(m.group()) + " ", text.lower())
    normalised = MENTION_RE.sub(" ", normalised)
    normalised = HASHTAG_RE.sub(lambda m: m.group()[1:], normalised)
    words = WORD_RE.findall(normalised)
    joined = " ".join(words)
    if len(joined) < MIN_FINGERPRINT_CHARS:
        return None
    return hashlib.sha1(joined.encode(), usedforsecurity=False).hexdigest()[:20]


def _domain(url: str) -> str:
    host = urlsplit(url if "://" in url else f"http://{url}").hostname or ""
    return host.removeprefix("www.")

"""The links in a text: plain text as people type it, and HTML as statuses are rendered.

The feed stores what the author typed (``Status.text``) and renders it to HTML
itself, linking only ``http(s)`` URLs; other texts (a remote status, a profile
field) may arrive as HTML. So both are read: URLs written out or bare (``аpple.com``,
with linkify-it's fuzzy matching, IDN included) in the text, and every ``href`` and
``src`` in markup, whatever its label says. ``javascript:`` and ``data:`` URLs are
found where a browser would run them (an attribute) or where they are unmistakable
in text (``javascript:`` followed by code, ``data:`` followed by a media type).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

from linkify_it import LinkifyIt

_linkify = LinkifyIt(options={"fuzzy_link": True, "fuzzy_email": False})

# Browsers drop ASCII tab and newline anywhere in a URL and leading control characters
# and spaces, so "java\tscript:" in an href is still javascript:.
_URL_IGNORED = re.compile(r"[\x00-\x20]")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)
_SCRIPT_IN_TEXT = re.compile(
    r"(?<![\w.+-])(?:javascript:\S|vbscript:\S"
    r"|data:(?:[\w.+-]+/[\w.+-]+)?(?:;[\w.+-]+(?:=[\w.+-]+)?)*,)",
    re.IGNORECASE,
)
SCRIPT_SCHEMES = frozenset({"javascript", "vbscript", "data"})


@dataclass(frozen=True)
class Link:
    """One link: ``url`` as found (shortened for messages), its ``scheme`` and ``host``
    (lower case, ``""`` for a URL without one, such as ``javascript:``)."""

    url: str
    scheme: str
    host: str


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        for name, value in attrs:
            if name in ("href", "src", "action", "formaction", "xlink:href") and value:
                self.urls.append(value)

    def handle_data(self, data) -> None:
        self.text.append(data)


def _link(url: str) -> Link | None:
    compact = _URL_IGNORED.sub("", html.unescape(url))
    if _SCHEME.match(compact) is None:  # bare (example.org/x) or scheme-relative (//example.org)
        compact = ("http:" if compact.startswith("//") else "http://") + compact
    scheme = compact.split(":", 1)[0].lower()
    if scheme in SCRIPT_SCHEMES:
        return Link(url=compact[:80], scheme=scheme, host="")
    try:
        host = urlsplit(compact).hostname or ""
    except ValueError:
        host = ""
    if not host:
        return None
    return Link(url=url.strip()[:200], scheme=scheme, host=host.rstrip(".").lower())


def links_in(text: str) -> list[Link]:
    """Every link in ``text`` (plain text or HTML), each once, in order of appearance."""
    found: list[Link] = []
    plain = text
    if "<" in text and ">" in text:
        markup = _Markup()
        markup.feed(text)
        markup.close()
        for url in markup.urls:
            link = _link(url)
            if link is not None:
                found.append(link)
        plain = text + "\n" + " ".join(markup.text)
    for match in _SCRIPT_IN_TEXT.finditer(plain):
        scheme = match.group(0).split(":", 1)[0].lower()
        found.append(
            Link(url=plain[match.start() : match.start() + 80].split()[0], scheme=scheme, host="")
        )
    for match in _linkify.match(plain) or []:
        if match.schema.lower() == "mailto:":
            continue
        link = _link(match.url)
        if link is not None:
            found.append(link)
    unique: dict[tuple[str, str, str], Link] = {}
    for link in found:
        unique.setdefault((link.scheme, link.host, link.url), link)
    return list(unique.values())

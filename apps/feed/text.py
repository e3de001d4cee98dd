"""Status text to safe HTML, with links, mentions and hashtags, as Mastodon renders it.

The input is plain text: every character is escaped, then Agora adds its own
links. The result goes through nh3 (the Ammonia sanitiser) with a short allowlist
as a second line of defence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

import nh3
from linkify_it import LinkifyIt

from core.base_url import base_url, is_local_domain

MENTION_RE = re.compile(r"(?<![\w/@])@([A-Za-z0-9_]{1,30})(?:@([\w.-]+\.[\w-]+))?", re.UNICODE)
HASHTAG_RE = re.compile(r"(?<![\w/&#])#(\w{1,100})", re.UNICODE)

_linkify = LinkifyIt(options={"fuzzy_link": False, "fuzzy_email": False})
_ALLOWED_TAGS = {"p", "br", "a", "span"}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "class", "rel", "target", "translate"},
    "span": {"class", "translate"},
}


@dataclass
class RenderedText:
    html: str
    mentions: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


def _local_mention(match: re.Match) -> str | None:
    username, domain = match.group(1), match.group(2)
    if domain and not is_local_domain(domain):
        return None
    return username


def render(text: str, *, known_usernames: set[str] | None = None) -> RenderedText:
    """Render ``text``; mentions link only when the username is in ``known_usernames``.

    ``known_usernames`` is the lower-cased set of existing local usernames among the
    text's mentions (the caller looks them up in one query via :func:`mentioned_usernames`).
    """
    known = known_usernames or set()
    spans: list[tuple[int, int, str]] = []
    mentions: list[str] = []
    tags: list[str] = []
    base = base_url()

    for link in _linkify.match(text) or []:
        if link.schema.lower() not in ("http:", "https:"):
            continue
        url = escape(link.url, quote=True)
        label = escape(link.raw)
        spans.append(
            (
                link.index,
                link.last_index,
                f'<a href="{url}" target="_blank" rel="nofollow noopener noreferrer" translate="no">{label}</a>',
            )
        )

    for match in MENTION_RE.finditer(text):
        username = _local_mention(match)
        if username is None or username.lower() not in known:
            continue
        if username.lower() not in mentions:
            mentions.append(username.lower())
        spans.append(
            (
                match.start(),
                match.end(),
                f'<span class="h-card" translate="no"><a href="{base}/@{escape(username)}" '
                f'class="u-url mention">@<span>{escape(username)}</span></a></span>',
            )
        )

    for match in HASHTAG_RE.finditer(text):
        name = match.group(1)
        if name.isdigit():
            continue
        if name.lower() not in (t.lower() for t in tags):
            tags.append(name)
        spans.append(
            (
                match.start(),
                match.end(),
                f'<a href="{base}/tags/{escape(name.lower())}" class="mention hashtag" '
                f'rel="tag">#<span>{escape(name)}</span></a>',
            )
        )

    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    out: list[str] = []
    position = 0
    for start, end, html in spans:
        if start < position:
            continue  # overlaps an earlier span (a hashtag inside a link, say)
        out.append(escape(text[position:start]))
        out.append(html)
        position = end
    out.append(escape(text[position:]))
    body = "".join(out).replace("\r\n", "\n")

    paragraphs = [p for p in re.split(r"\n{2,}", body.strip()) if p]
    html = "".join(f"<p>{p.replace(chr(10), '<br />')}</p>" for p in paragraphs)
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel=None,
    )
    return RenderedText(html=clean, mentions=mentions, tags=tags)


def mentioned_usernames(text: str) -> set[str]:
    """Lower-cased local usernames ``text`` mentions (before checking they exist)."""
    names = set()
    for match in MENTION_RE.finditer(text):
        username = _local_mention(match)
        if username:
            names.add(username.lower())
    return names

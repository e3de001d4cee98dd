"""Preview cards: the first link of a status, fetched by the worker and shown as its ``card``.

As Mastodon's FetchLinkCardService: the first ``http(s)`` link in the status that is not a
mention, a hashtag or a page of this instance is fetched through :mod:`core.outbound`
(public addresses only, at most ``AGORA_CARD_PAGE_MAX_BYTES`` in
``AGORA_CARD_FETCH_SECONDS``), its OpenGraph, Twitter and HTML metadata read, and its
image copied, resized and stored locally (at most ``AGORA_CARD_IMAGE_MAX_BYTES``), so a
viewer's client never contacts the linked site. A URL is fetched once and its card shared
by every status linking to it; it is fetched again when older than
:data:`REFRESH_AFTER`. A page that cannot be fetched, or has no title, gives no card.
"""

from __future__ import annotations

import html
import io
import logging
import re
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import blurhash
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from PIL import Image, UnidentifiedImageError

from apps.feed.models import PreviewCard, Status
from core import outbound, queue
from core.base_url import is_local_domain

logger = logging.getLogger(__name__)

REFRESH_AFTER = timedelta(days=14)
IMAGE_MAX_SIDE = 640
IMAGE_MAX_PIXELS = 40_000_000
_ANCHOR = re.compile(r"<a\s[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')


def first_link(status: Status) -> str | None:
    """The URL a card previews: the first link of the rendered content that is not a
    mention or hashtag and does not point at this instance."""
    for anchor in _ANCHOR.findall(status.content or ""):
        attributes = dict(_ATTRIBUTE.findall(anchor))
        classes = attributes.get("class", "").split()
        if "mention" in classes or "hashtag" in classes:
            continue
        url = html.unescape(attributes.get("href", ""))
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            continue
        if is_local_domain(parts.hostname):
            continue
        return url
    return None


# Reading a page's metadata ----------------------------------------------------


@dataclass
class PageMeta:
    """What a page says about itself, from its ``<head>``."""

    meta: dict[str, str] = field(default_factory=dict)  # first value per property/name
    title: str = ""
    language: str = ""
    canonical: str = ""


class _HeadParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = PageMeta()
        self._in_title = False
        self._title: list[str] = []
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        if tag == "html" and values.get("lang"):
            self.page.language = values["lang"].split("-")[0].lower()[:16]
        elif tag == "meta":
            key = (values.get("property") or values.get("name") or "").strip().lower()
            content = values.get("content", "").strip()
            if key and content and key not in self.page.meta:
                self.page.meta[key] = content
        elif tag == "title" and not self.page.title:
            self._in_title = True
        elif tag == "link" and "canonical" in values.get("rel", "").lower().split():
            self.page.canonical = values.get("href", "")
        elif tag == "body":
            self.done = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title = False
            self.page.title = " ".join("".join(self._title).split())
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)


def read_head(document: str) -> PageMeta:
    """The metadata of an HTML document (stops at ``</head>`` or ``<body>``)."""
    parser = _HeadParser()
    for start in range(0, len(document), 16 * 1024):
        parser.feed(document[start : start + 16 * 1024])
        if parser.done:
            break
    return parser.page


@dataclass(frozen=True)
class CardData:
    """A card's fields, read from a page (no image yet: ``image_url`` is fetched after)."""

    url: str
    title: str
    description: str = ""
    type: str = PreviewCard.Type.LINK
    provider_name: str = ""
    provider_url: str = ""
    author_name: str = ""
    author_url: str = ""
    image_url: str = ""
    image_description: str = ""
    language: str = ""
    published_at: str = ""


def card_data(url: str, page: PageMeta) -> CardData | None:
    """The card a page describes (OpenGraph first, then Twitter, then plain HTML), or None
    when it has no title."""
    meta = page.meta

    def first(*keys: str) -> str:
        for key in keys:
            if meta.get(key):
                return " ".join(html.unescape(meta[key]).split())
        return ""

    title = first("og:title", "twitter:title") or page.title
    if not title:
        return None
    image = first("og:image:secure_url", "og:image", "og:image:url", "twitter:image")
    og_type = first("og:type")
    parts = urlsplit(url)
    return CardData(
        url=url,
        title=title[:400],
        description=first("og:description", "twitter:description", "description")[:1000],
        type=PreviewCard.Type.VIDEO if og_type.startswith("video") else PreviewCard.Type.LINK,
        provider_name=first("og:site_name")[:200] or (parts.hostname or "")[:200],
        provider_url="",
        author_name=first("author", "article:author", "twitter:creator")[:200],
        image_url=urljoin(url, image) if image else "",
        image_description=first("og:image:alt", "twitter:image:alt")[:1500],
        language=(first("og:locale").split("_")[0].lower() or page.language)[:16],
        published_at=first("article:published_time", "og:published_time"),
    )


# Fetching ---------------------------------------------------------------------------


def _decode(fetched: outbound.Fetched) -> str:
    charset = fetched.charset or "utf-8"
    try:
        return fetched.body.decode(charset, errors="replace")
    except LookupError:
        return fetched.body.decode("utf-8", errors="replace")


def _fetch(url: str, max_bytes: int, accept: str) -> outbound.Fetched | None:
    try:
        fetched = outbound.fetch(
            url,
            max_bytes=max_bytes,
            timeout=settings.AGORA_CARD_FETCH_SECONDS,
            headers={"Accept": accept},
        )
    except outbound.OutboundError as error:
        logger.info("card fetch refused or failed", extra={"url": url, "reason": str(error)})
        return None
    if fetched.status != 200:
        logger.info("card fetch answered %s", fetched.status, extra={"url": url})
        return None
    return fetched


@dataclass(frozen=True)
class CardImage:
    content: bytes
    extension: str
    width: int
    height: int
    blurhash: str


def _image(fetched: outbound.Fetched) -> CardImage | None:
    """The fetched image, resized to fit :data:`IMAGE_MAX_SIDE`, or None if it is not one."""
    if fetched.truncated:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(fetched.body)) as probe:
                if probe.width * probe.height > IMAGE_MAX_PIXELS:
                    return None
                probe.draft("RGB", (IMAGE_MAX_SIDE, IMAGE_MAX_SIDE))
                image = probe.convert("RGBA" if probe.mode in ("RGBA", "LA", "P") else "RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombWarning):
        return None
    image.thumbnail((IMAGE_MAX_SIDE, IMAGE_MAX_SIDE))
    small = image.copy()
    small.thumbnail((64, 64))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        hashed = blurhash.encode(small.convert("RGB"), x_components=4, y_components=3)
    buffer = io.BytesIO()
    if image.mode == "RGBA":
        image.save(buffer, "PNG", optimize=True)
        extension = "png"
    else:
        image.save(buffer, "JPEG", quality=85, optimize=True)
        extension = "jpg"
    return CardImage(buffer.getvalue(), extension, image.width, image.height, hashed)


def fetch_card_data(url: str) -> tuple[CardData, CardImage | None] | None:
    """Fetch ``url`` and read its card (and image); None when there is nothing to show."""
    fetched = _fetch(url, settings.AGORA_CARD_PAGE_MAX_BYTES, "text/html, image/*;q=0.8")
    if fetched is None:
        return None
    if fetched.content_type.startswith("image/"):
        picture = _image(fetched)
        if picture is None:
            return None
        name = urlsplit(url).path.rsplit("/", 1)[-1] or urlsplit(url).hostname or url
        data = CardData(url=url, title=name[:400], type=PreviewCard.Type.PHOTO)
        return data, picture
    if fetched.content_type not in ("text/html", "application/xhtml+xml"):
        return None
    page = card_data(url, read_head(_decode(fetched)))
    if page is None:
        return None
    picture = None
    if page.image_url:
        image = _fetch(page.image_url, settings.AGORA_CARD_IMAGE_MAX_BYTES, "image/*")
        picture = _image(image) if image is not None else None
    return page, picture


def _store(data: CardData, picture: CardImage | None) -> PreviewCard:
    """Create or refresh the card of ``data.url``."""
    published = parse_datetime(data.published_at) if data.published_at else None
    fields = {
        "title": data.title,
        "description": data.description,
        "type": data.type,
        "provider_name": data.provider_name,
        "provider_url": data.provider_url,
        "author_name": data.author_name,
        "author_url": data.author_url,
        "image_description": data.image_description,
        "language": data.language,
        "published_at": published if published and published.tzinfo else None,
        "width": picture.width if picture else 0,
        "height": picture.height if picture else 0,
        "blurhash": picture.blurhash if picture else "",
    }
    try:
        with transaction.atomic():
            card, _created = PreviewCard.objects.update_or_create(url=data.url, defaults=fields)
    except IntegrityError:  # another worker stored the same URL at the same moment
        card = PreviewCard.objects.get(url=data.url)
    if picture is not None:
        old = card.image.name if card.image else ""
        card.image.save(f"{card.pk}.{picture.extension}", ContentFile(picture.content), save=True)
        if old and old != card.image.name:
            card.image.storage.delete(old)
    elif card.image:
        card.image.delete(save=True)
    return card


def card_for_url(url: str) -> PreviewCard | None:
    """The card of ``url``: the stored one while fresh, otherwise fetched now."""
    card = PreviewCard.objects.filter(url=url).first()
    if card is not None and card.updated_at > timezone.now() - REFRESH_AFTER:
        return card
    fetched = fetch_card_data(url)
    if fetched is None:
        return card  # keep showing the last good preview if the page is down now
    return _store(*fetched)


def status_card_fetch(*, status_id: int) -> PreviewCard | None:
    """Give a status the card of its first link (or none, if the link went away on an edit).

    Run by the worker after a status is published or edited; safe to run twice.
    """
    if not settings.AGORA_CARDS_ENABLED:
        return None
    status = Status.objects.filter(pk=status_id, reblog_of__isnull=True).first()
    if status is None:
        return None
    url = first_link(status)
    if url is None and _has_local_card(status):
        return status.preview_card  # pre-filled by the app that made the page: kept
    card = card_for_url(url) if url else None
    card_id = card.pk if card else None
    if status.preview_card_id != card_id:
        # save(): the row's updated_at changes too, and with it the cached entity's key.
        status.preview_card_id = card_id
        status.save(update_fields=["preview_card", "updated_at"])
    return card


def status_card_schedule(*, status_id: int) -> bool:
    """Ask the worker for a status's card if it links somewhere or had a card (an edit may
    have removed the link). Returns whether a fetch was enqueued."""
    if not settings.AGORA_CARDS_ENABLED:
        return False
    status = Status.objects.filter(pk=status_id, reblog_of__isnull=True).only(
        "content", "preview_card"
    )
    found = status.first()
    if found is None or (
        first_link(found) is None and (found.preview_card_id is None or _has_local_card(found))
    ):
        return False
    queue.send_on_commit("feed.fetch_card", status_id=status_id)
    return True


def _has_local_card(status: Status) -> bool:
    """Whether the status's card previews a page of this instance (one is never fetched)."""
    card = status.preview_card if status.preview_card_id is not None else None
    return card is not None and is_local_domain(urlsplit(card.url).hostname or "")


def status_card_prefill(*, status_id: int, data: CardData) -> PreviewCard:
    """Give a status the card ``data`` describes, without fetching anything.

    For a page of this instance, which the worker never fetches (:func:`first_link`
    skips them): the app that made the page knows what it shows (the live app's watch
    page). The card is stored under ``data.url`` (replacing an older one of that URL) and
    kept by later fetches while the status links nowhere else. Precondition: ``data.url``
    is on this instance (``core.base_url``); raises ValueError otherwise.
    """
    if not is_local_domain(urlsplit(data.url).hostname or ""):
        raise ValueError(f"not a page of this instance: {data.url}")
    with transaction.atomic():
        card = _store(data, None)
        # save(): the row's updated_at changes too, and with it the cached entity's key.
        status = Status.objects.select_for_update().get(pk=status_id)
        status.preview_card = card
        status.save(update_fields=["preview_card", "updated_at"])
    return card

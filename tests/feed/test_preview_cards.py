"""Preview cards: a status's first link fetched by the worker and shown as its ``card``;
``/api/v1/trends/links`` and ``/api/v1/timelines/link`` built on them."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from apps.feed.models import PreviewCard, Status
from apps.feed.services import cards
from config.celery import app as celery_app
from tests.local_http import LocalServer, Page

pytestmark = pytest.mark.django_db


def jpeg(size=(1200, 800)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


ARTICLE = """<!doctype html><html lang="en-GB"><head>
<meta charset="utf-8"><title>Fallback title</title>
<meta property="og:title" content="Cats &amp; dogs agree">
<meta property="og:description" content="A   peace treaty, at last.">
<meta property="og:site_name" content="The Daily Paw">
<meta property="og:image" content="/img/cover.jpg">
<meta property="og:image:alt" content="A cat and a dog shaking paws">
<meta name="author" content="Rex">
<meta property="article:published_time" content="2026-11-30T10:00:00+00:00">
</head><body><p>text</p></body></html>"""


@pytest.fixture
def site(settings):
    settings.AGORA_OUTBOUND_ALLOW_PRIVATE = True
    with LocalServer() as server:
        server.pages["/article"] = Page(ARTICLE.encode())
        server.pages["/img/cover.jpg"] = Page(jpeg(), "image/jpeg")
        yield server


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def post(member, text, django_capture_on_commit_callbacks, **extra):
    with django_capture_on_commit_callbacks(execute=True):
        status = member.post(text, **extra)
    return status


def test_posting_a_link_gives_the_status_its_card(
    alice, bob, site, eager, django_capture_on_commit_callbacks
):
    status = post(alice, f"read this {site.url('/article')} !", django_capture_on_commit_callbacks)

    card = bob.client.get(f"/api/v1/statuses/{status['id']}").json()["card"]

    assert card["url"] == site.url("/article")
    assert card["title"] == "Cats & dogs agree"
    assert card["description"] == "A peace treaty, at last."
    assert card["type"] == "link"
    assert card["provider_name"] == "The Daily Paw"
    assert card["author_name"] == "Rex"
    assert card["authors"] == [{"name": "Rex", "url": "", "account": None}]
    assert card["image_description"] == "A cat and a dog shaking paws"
    assert card["language"] == "en"
    assert card["published_at"].startswith("2026-11-30T10:00:00")
    assert card["html"] == ""
    assert (card["width"], card["height"]) == (640, 427)  # resized, never above 640
    assert card["image"].startswith("http")
    assert card["image"].endswith(".jpg")
    assert card["blurhash"]
    with PreviewCard.objects.get().image.open("rb") as file, Image.open(file) as stored:
        assert stored.size == (640, 427)


def test_the_card_reaches_timelines_and_reblogs(
    alice, bob, site, eager, django_capture_on_commit_callbacks
):
    bob.follow(alice)
    status = post(alice, site.url("/article"), django_capture_on_commit_callbacks)
    bob.client.post(f"/api/v1/statuses/{status['id']}/reblog")

    home = bob.client.get("/api/v1/timelines/home").json()

    assert home[0]["reblog"]["card"]["title"] == "Cats & dogs agree"
    assert home[1]["card"]["title"] == "Cats & dogs agree"


def test_one_fetch_serves_every_status_linking_there(
    alice, bob, site, eager, django_capture_on_commit_callbacks
):
    post(alice, site.url("/article"), django_capture_on_commit_callbacks)
    post(bob, f"also {site.url('/article')}", django_capture_on_commit_callbacks)

    assert [path for path, _ in site.hits] == ["/article", "/img/cover.jpg"]
    assert PreviewCard.objects.count() == 1
    assert Status.objects.filter(preview_card__isnull=False).count() == 2


def test_mentions_hashtags_and_local_links_are_not_previewed(alice, bob, settings):
    alice.post(f"hi @bob #cats {settings.AGORA_DOMAIN and 'https://' + settings.AGORA_DOMAIN}/x")

    status = Status.objects.get()
    assert cards.first_link(status) is None
    assert cards.status_card_schedule(status_id=status.pk) is False


@pytest.mark.parametrize(
    "page",
    [
        Page(b"<html><head></head><body>no title</body></html>"),
        Page(b"gone", status=404),
        Page(b"%PDF-1.4", "application/pdf"),
        Page(b"<title>slow</title>", delay=3),
    ],
    ids=["no-title", "not-found", "not-html", "too-slow"],
)
def test_a_page_that_cannot_be_previewed_gives_no_card(alice, site, settings, page):
    settings.AGORA_CARD_FETCH_SECONDS = 1
    site.pages["/bad"] = page
    status = Status.objects.get(pk=alice.post(site.url("/bad"))["id"])

    assert cards.status_card_fetch(status_id=status.pk) is None

    assert alice.client.get(f"/api/v1/statuses/{status.pk}").json()["card"] is None
    assert not PreviewCard.objects.exists()


def test_a_broken_image_leaves_a_card_without_one(alice, site):
    site.pages["/img/cover.jpg"] = Page(b"not an image", "image/jpeg")
    status = Status.objects.get(pk=alice.post(site.url("/article"))["id"])

    cards.status_card_fetch(status_id=status.pk)

    card = alice.client.get(f"/api/v1/statuses/{status.pk}").json()["card"]
    assert card["title"] == "Cats & dogs agree"
    assert card["image"] is None
    assert card["blurhash"] is None


def test_an_image_link_is_a_photo_card(alice, site):
    status = Status.objects.get(pk=alice.post(site.url("/img/cover.jpg"))["id"])

    cards.status_card_fetch(status_id=status.pk)

    card = alice.client.get(f"/api/v1/statuses/{status.pk}").json()["card"]
    assert (card["type"], card["title"]) == ("photo", "cover.jpg")
    assert card["image"] is not None


def test_private_addresses_are_never_fetched_by_default(alice, site, settings):
    settings.AGORA_OUTBOUND_ALLOW_PRIVATE = False
    status = Status.objects.get(pk=alice.post(site.url("/article"))["id"])

    assert cards.status_card_fetch(status_id=status.pk) is None
    assert site.hits == []


def test_an_edit_that_removes_the_link_removes_the_card(
    alice, site, eager, django_capture_on_commit_callbacks
):
    status = post(alice, site.url("/article"), django_capture_on_commit_callbacks)
    assert alice.client.get(f"/api/v1/statuses/{status['id']}").json()["card"] is not None

    with django_capture_on_commit_callbacks(execute=True):
        alice.client.put(f"/api/v1/statuses/{status['id']}", {"status": "no link now"})

    assert alice.client.get(f"/api/v1/statuses/{status['id']}").json()["card"] is None


def test_a_page_of_statuses_with_cards_costs_no_more_queries(
    alice, site, django_assert_max_num_queries
):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def page_queries() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            alice.client.get(f"/api/v1/accounts/{alice.id}/statuses")
        return len(queries.captured_queries)

    cards.status_card_fetch(status_id=int(alice.post(site.url("/article"))["id"]))
    one = page_queries()
    for number in range(8):
        site.pages[f"/a{number}"] = Page(ARTICLE.replace("Cats", f"Cats {number}").encode())
        cards.status_card_fetch(status_id=int(alice.post(site.url(f"/a{number}"))["id"]))

    assert PreviewCard.objects.count() == 9
    assert page_queries() <= one


# Trending links and the link timeline ------------------------------------------------


def share(member, site, path="/article", **extra) -> dict:
    status = member.post(f"look {site.url(path)}", **extra)
    cards.status_card_fetch(status_id=int(status["id"]))
    return status


def test_links_shared_by_more_accounts_trend_first(alice, bob, carol, site, api_client):
    site.pages["/other"] = Page(b"<title>Other news</title>")
    share(alice, site)
    share(bob, site)
    share(carol, site, "/other")
    share(carol, site, "/other")
    share(carol, site, "/article", visibility="private")  # not public: does not count

    response = api_client.get("/api/v1/trends/links")

    assert response.status_code == 200
    links = response.json()
    assert [link["title"] for link in links] == ["Cats & dogs agree", "Other news"]
    today = links[0]["history"][0]
    assert (today["accounts"], today["uses"]) == ("2", "2")
    assert len(links[0]["history"]) == 7


def test_the_link_timeline_shows_public_statuses_sharing_a_trending_link(
    alice, bob, site, api_client
):
    first = share(alice, site)
    second = share(bob, site)
    share(bob, site, visibility="unlisted")
    alice.post("unrelated")

    response = api_client.get("/api/v1/timelines/link", {"url": site.url("/article")})

    assert response.status_code == 200
    assert [status["id"] for status in response.json()] == [second["id"], first["id"]]


@pytest.mark.parametrize("url", ["", "https://nowhere.example/", "not a url"])
def test_the_link_timeline_of_a_link_that_does_not_trend_is_not_found(api_client, url):
    response = api_client.get("/api/v1/timelines/link", {"url": url})

    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}

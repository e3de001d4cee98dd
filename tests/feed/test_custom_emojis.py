"""Custom emojis: listed by ``GET /api/v1/custom_emojis`` and rendered in statuses and accounts.

Mastodon leaves ``:shortcode:`` in the text and lists the emojis it uses in the entity's
``emojis``; clients draw them. A disabled emoji disappears from every entity at once,
cached status renderings included.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from apps.accounts.models import CustomEmoji
from tests.accounts.factories import UserFactory
from tests.security.staff import staff_member, verified_client

pytestmark = pytest.mark.django_db


def png(name="emoji.png", size=(32, 32)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGBA", size, (200, 30, 30, 255)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def emoji(shortcode, **fields) -> CustomEmoji:
    return CustomEmoji.objects.create(shortcode=shortcode, image=png(f"{shortcode}.png"), **fields)


def test_the_list_shows_enabled_emojis_without_signing_in(api_client):
    emoji("blobcat", category="Blobs")
    emoji("hidden", visible_in_picker=False)
    emoji("gone", disabled=True)

    response = api_client.get("/api/v1/custom_emojis")

    assert response.status_code == 200
    body = response.json()
    assert [e["shortcode"] for e in body] == ["blobcat", "hidden"]
    blobcat = body[0]
    assert blobcat["category"] == "Blobs"
    assert blobcat["visible_in_picker"] is True
    assert blobcat["url"].startswith("http")
    assert blobcat["url"].endswith(".png")
    assert blobcat["static_url"] == blobcat["url"]
    assert body[1]["visible_in_picker"] is False
    assert body[1]["category"] is None


def test_a_status_lists_the_emojis_its_text_and_warning_use(alice):
    emoji("blobcat")
    emoji("party")
    emoji("unused")

    status = alice.post("hello :blobcat: and :blobcat: again :nope:", spoiler_text=":party:")

    assert sorted(e["shortcode"] for e in status["emojis"]) == ["blobcat", "party"]
    assert ":blobcat:" in status["content"]


def test_disabling_an_emoji_removes_it_from_cached_timelines(alice):
    blobcat = emoji("blobcat")
    status = alice.post("hello :blobcat:")
    page = alice.client.get(f"/api/v1/accounts/{alice.id}/statuses").json()
    assert [e["shortcode"] for e in page[0]["emojis"]] == ["blobcat"]

    blobcat.disabled = True
    blobcat.save()

    page = alice.client.get(f"/api/v1/accounts/{alice.id}/statuses").json()
    assert page[0]["id"] == status["id"]
    assert page[0]["emojis"] == []


def test_an_account_lists_the_emojis_of_its_name_note_and_fields(api_client):
    emoji("blobcat")
    emoji("wave")
    emoji("star")
    account = UserFactory(
        display_name="Alice :blobcat:",
        note="hi :wave:",
        fields=[{"name": "site", "value": ":star: here"}],
    )

    body = api_client.get(f"/api/v1/accounts/{account.pk}").json()

    assert sorted(e["shortcode"] for e in body["emojis"]) == ["blobcat", "star", "wave"]


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries.captured_queries)


def test_a_page_of_statuses_costs_the_same_queries_however_many_emojis(alice):
    for shortcode in ("blobcat", "party", "wave"):
        emoji(shortcode)
    alice.post("one :blobcat:")
    page = f"/api/v1/accounts/{alice.id}/statuses?limit=20"
    one = _queries(alice.client, page)
    for number in range(19):
        alice.post(f"post {number} :blobcat: :party: :wave:")

    assert _queries(alice.client, page) <= one


@pytest.fixture
def operator_client():
    """An operator (the role that manages emojis), signed in with two factors."""
    return verified_client(staff_member("operator"))


def test_the_admin_refuses_an_oversized_or_foreign_image(operator_client):
    url = reverse("admin:accounts_customemoji_add")
    big_bytes = io.BytesIO()
    Image.effect_noise((700, 700), 100).convert("RGB").save(big_bytes, "PNG")
    noisy = SimpleUploadedFile("noisy.png", big_bytes.getvalue(), content_type="image/png")
    assert noisy.size > CustomEmoji.MAX_IMAGE_BYTES
    jpeg = io.BytesIO()
    Image.new("RGB", (16, 16)).save(jpeg, "JPEG")

    for image in (noisy, SimpleUploadedFile("a.jpg", jpeg.getvalue(), content_type="image/jpeg")):
        response = operator_client.post(url, {"shortcode": "blobcat", "image": image})
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["image"]
    assert not CustomEmoji.objects.exists()


def test_the_admin_adds_and_disables_emojis(operator_client, api_client):
    response = operator_client.post(
        reverse("admin:accounts_customemoji_add"),
        {"shortcode": "blobcat", "image": png(), "visible_in_picker": "on"},
    )
    assert response.status_code == 302
    assert [e["shortcode"] for e in api_client.get("/api/v1/custom_emojis").json()] == ["blobcat"]

    operator_client.post(
        reverse("admin:accounts_customemoji_changelist"),
        {"action": "disable", "_selected_action": [CustomEmoji.objects.get().pk]},
    )

    assert api_client.get("/api/v1/custom_emojis").json() == []


def test_shortcodes_are_unique_whatever_their_case(operator_client):
    emoji("blobcat")
    response = operator_client.post(
        reverse("admin:accounts_customemoji_add"), {"shortcode": "BlobCat", "image": png()}
    )
    assert response.status_code == 200
    assert CustomEmoji.objects.count() == 1

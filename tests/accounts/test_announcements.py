"""``/api/v1/announcements``: what operators publish, dismissed and reacted to by accounts.

Mastodon's AnnouncementsController and Announcements::ReactionsController: published
announcements that have not ended, newest first; ``dismiss`` marks one read (hidden
unless ``with_dismissed``); reactions are Unicode or custom emojis, at most eight
different ones per announcement.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from apps.accounts import services
from apps.accounts.models import (
    Announcement,
    AnnouncementDismissal,
    AnnouncementReaction,
    CustomEmoji,
)
from tests.accounts.factories import UserFactory
from tests.api_client import APIClient
from tests.security.staff import staff_member, verified_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/announcements"


def published(text="Maintenance tonight", **fields) -> Announcement:
    announcement = Announcement.objects.create(text=text, **fields)
    services.publish_announcements(Announcement.objects.filter(pk=announcement.pk))
    announcement.refresh_from_db()
    return announcement


@pytest.fixture
def other_client(token_for):
    client = APIClient()
    client.user = UserFactory()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(client.user)}")
    return client


def test_published_announcements_that_have_not_ended_are_listed_newest_first(auth_client):
    Announcement.objects.create(text="a draft")
    published("ended", ends_at=timezone.now() - timedelta(minutes=1))
    older = published("older <b>news</b>\n\nsecond paragraph")
    newer = published("newer", starts_at=timezone.now(), ends_at=timezone.now() + timedelta(days=1))

    response = auth_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert [a["id"] for a in body] == [str(newer.pk), str(older.pk)]
    assert body[1]["content"] == "<p>older &lt;b&gt;news&lt;/b&gt;</p>\n\n<p>second paragraph</p>"
    assert body[1]["read"] is False
    assert body[1]["reactions"] == []
    assert body[1]["mentions"] == []
    assert body[0]["ends_at"] is not None
    assert body[1]["ends_at"] is None


def test_signing_in_is_required(api_client):
    published()
    assert api_client.get(URL).status_code == 401


def test_dismissing_hides_it_unless_asked_for(auth_client, other_client):
    announcement = published()

    response = auth_client.post(f"{URL}/{announcement.pk}/dismiss")

    assert response.status_code == 200
    assert auth_client.get(URL).json() == []
    [shown] = auth_client.get(f"{URL}?with_dismissed=true").json()
    assert shown["read"] is True
    assert other_client.get(URL).json()[0]["read"] is False
    assert auth_client.post(f"{URL}/{announcement.pk}/dismiss").status_code == 200
    assert AnnouncementDismissal.objects.count() == 1


@pytest.mark.parametrize("state", ["unknown", "draft"])
def test_an_unknown_or_unpublished_announcement_is_not_found(auth_client, state):
    target = 999 if state == "unknown" else Announcement.objects.create(text="draft").pk

    for response in (
        auth_client.post(f"{URL}/{target}/dismiss"),
        auth_client.put(f"{URL}/{target}/reactions/👍"),
    ):
        assert response.status_code == 404
        assert response.json() == {"error": "Record not found"}
    assert not AnnouncementDismissal.objects.exists()
    assert not AnnouncementReaction.objects.exists()


def test_reactions_are_counted_per_name_with_the_viewers_own(auth_client, other_client):
    announcement = published()
    assert auth_client.put(f"{URL}/{announcement.pk}/reactions/👍").status_code == 200
    assert auth_client.put(f"{URL}/{announcement.pk}/reactions/👍").status_code == 200
    other_client.put(f"{URL}/{announcement.pk}/reactions/👍")
    other_client.put(f"{URL}/{announcement.pk}/reactions/🎉")

    mine = auth_client.get(URL).json()[0]["reactions"]
    theirs = other_client.get(URL).json()[0]["reactions"]

    assert mine == [{"name": "👍", "count": 2, "me": True}, {"name": "🎉", "count": 1, "me": False}]
    assert theirs == [
        {"name": "👍", "count": 2, "me": True},
        {"name": "🎉", "count": 1, "me": True},
    ]

    assert auth_client.delete(f"{URL}/{announcement.pk}/reactions/👍").status_code == 200
    assert auth_client.delete(f"{URL}/{announcement.pk}/reactions/👍").status_code == 200
    assert auth_client.get(URL).json()[0]["reactions"][0] == {"name": "👍", "count": 1, "me": False}


def test_a_custom_emoji_reaction_carries_its_image(auth_client):
    buffer = io.BytesIO()
    Image.new("RGBA", (8, 8)).save(buffer, "PNG")
    CustomEmoji.objects.create(
        shortcode="blobcat", image=SimpleUploadedFile("b.png", buffer.getvalue())
    )
    announcement = published("party :blobcat:")

    assert auth_client.put(f"{URL}/{announcement.pk}/reactions/blobcat").status_code == 200

    [shown] = auth_client.get(URL).json()
    [reaction] = shown["reactions"]
    assert reaction["name"] == "blobcat"
    assert reaction["url"].endswith(".png")
    assert [e["shortcode"] for e in shown["emojis"]] == ["blobcat"]


@pytest.mark.parametrize("name", ["notanemoji", "👍👍", "a", "blob cat"])
def test_a_reaction_that_is_not_an_emoji_is_refused(auth_client, name):
    announcement = published()

    response = auth_client.put(f"{URL}/{announcement.pk}/reactions/{name}")

    assert response.status_code == 422
    assert "is not a recognized emoji" in response.json()["error"]
    assert not AnnouncementReaction.objects.exists()


def test_a_ninth_different_reaction_is_refused(auth_client, other_client):
    announcement = published()
    for name in "😀😁😂🤣😃😄😅😆":
        assert other_client.put(f"{URL}/{announcement.pk}/reactions/{name}").status_code == 200

    refused = auth_client.put(f"{URL}/{announcement.pk}/reactions/🎉")
    again = auth_client.put(f"{URL}/{announcement.pk}/reactions/😀")

    assert refused.status_code == 422
    assert "limit" in refused.json()["error"]
    assert again.status_code == 200
    assert AnnouncementReaction.objects.count() == 9


def test_a_read_only_token_cannot_react_or_dismiss(token_for):
    announcement = published()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(UserFactory(), scope='read')}")

    assert client.get(URL).status_code == 200
    assert client.put(f"{URL}/{announcement.pk}/reactions/👍").status_code == 403
    assert client.post(f"{URL}/{announcement.pk}/dismiss").status_code == 403
    assert not AnnouncementReaction.objects.exists()


def test_the_list_costs_the_same_queries_for_many_announcements(auth_client, other_client):
    published()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            auth_client.get(URL)
        return len(queries.captured_queries)

    one = count()
    for number in range(10):
        announcement = published(f"news {number}")
        other_client.put(f"{URL}/{announcement.pk}/reactions/👍")
        auth_client.put(f"{URL}/{announcement.pk}/reactions/🎉")

    assert count() <= one


def test_an_operator_publishes_and_withdraws_in_the_admin(auth_client):
    operator = verified_client(staff_member("operator"))
    response = operator.post(
        reverse("admin:accounts_announcement_add"), {"text": "Welcome", "all_day": ""}
    )
    assert response.status_code == 302
    announcement = Announcement.objects.get()
    assert auth_client.get(URL).json() == []

    changelist = reverse("admin:accounts_announcement_changelist")
    operator.post(changelist, {"action": "publish", "_selected_action": [announcement.pk]})
    assert [a["content"] for a in auth_client.get(URL).json()] == ["<p>Welcome</p>"]

    operator.post(changelist, {"action": "unpublish", "_selected_action": [announcement.pk]})
    assert auth_client.get(URL).json() == []


def test_an_announcement_cannot_end_before_it_starts(auth_client):
    operator = verified_client(staff_member("operator"))
    now = timezone.now()
    response = operator.post(
        reverse("admin:accounts_announcement_add"),
        {
            "text": "Backwards",
            "starts_at_0": now.strftime("%Y-%m-%d"),
            "starts_at_1": "12:00:00",
            "ends_at_0": (now - timedelta(days=1)).strftime("%Y-%m-%d"),
            "ends_at_1": "12:00:00",
        },
    )
    assert response.status_code == 200
    assert not Announcement.objects.exists()

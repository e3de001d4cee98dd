"""Statuses through the Mastodon API: publish, read, edit, delete, interact."""

import pytest

from apps.feed.models import Notification, Status
from tests.api_client import APIClient

pytestmark = pytest.mark.django_db


def test_posting_renders_safe_html_with_mentions_links_and_hashtags(alice, bob):
    # given a status with a mention, a link, a hashtag and hostile markup
    text = 'Hi @bob <script>alert("x")</script> <img src=x onerror=alert(1)> see https://example.org/a?b=1 #Django'

    # when alice posts it
    status = alice.post(text)

    # then the HTML is escaped, and only Agora's own links are markup
    assert "<script" not in status["content"]
    assert "<img" not in status["content"]
    assert "&lt;script&gt;" in status["content"]
    assert 'href="https://example.org/a?b=1"' in status["content"]
    assert [m["username"] for m in status["mentions"]] == ["bob"]
    assert [t["name"] for t in status["tags"]] == ["Django"]
    assert status["account"]["id"] == alice.id
    assert status["visibility"] == "public"
    assert isinstance(status["id"], str)
    # and bob is notified of the mention
    assert Notification.objects.filter(account=bob.account, type="mention").count() == 1


def test_status_read_edit_history_source_and_delete(alice):
    status = alice.post("first draft")

    edited = alice.client.put(
        f"/api/v1/statuses/{status['id']}", {"status": "second draft"}, format="json"
    )
    assert edited.status_code == 200
    assert edited.json()["content"] == "<p>second draft</p>"
    assert edited.json()["edited_at"] is not None

    history = alice.client.get(f"/api/v1/statuses/{status['id']}/history").json()
    assert [h["content"] for h in history] == ["<p>first draft</p>", "<p>second draft</p>"]

    source = alice.client.get(f"/api/v1/statuses/{status['id']}/source").json()
    assert source == {"id": status["id"], "text": "second draft", "spoiler_text": ""}

    deleted = alice.client.delete(f"/api/v1/statuses/{status['id']}")
    assert deleted.status_code == 200
    assert deleted.json()["text"] == "second draft"
    assert alice.client.get(f"/api/v1/statuses/{status['id']}").status_code == 404
    alice.account.refresh_from_db()
    assert alice.account.statuses_count == 0


def test_favourite_reblog_bookmark_and_counts(alice, bob):
    status = alice.post("like me")

    favourited = bob.client.post(f"/api/v1/statuses/{status['id']}/favourite").json()
    assert favourited["favourited"] is True
    assert favourited["favourites_count"] == 1
    reblog = bob.client.post(f"/api/v1/statuses/{status['id']}/reblog").json()
    assert reblog["reblog"]["id"] == status["id"]
    assert reblog["reblog"]["reblogs_count"] == 1
    assert reblog["reblog"]["reblogged"] is True
    again = bob.client.post(f"/api/v1/statuses/{status['id']}/reblog").json()
    assert again["id"] == reblog["id"]  # reblogging twice makes no second reblog
    bookmarked = bob.client.post(f"/api/v1/statuses/{status['id']}/bookmark").json()
    assert bookmarked["bookmarked"] is True

    assert [s["id"] for s in bob.client.get("/api/v1/favourites").json()] == [status["id"]]
    assert [s["id"] for s in bob.client.get("/api/v1/bookmarks").json()] == [status["id"]]
    assert [
        a["id"] for a in alice.client.get(f"/api/v1/statuses/{status['id']}/favourited_by").json()
    ] == [bob.id]
    assert [
        a["id"] for a in alice.client.get(f"/api/v1/statuses/{status['id']}/reblogged_by").json()
    ] == [bob.id]
    types = sorted(n["type"] for n in alice.client.get("/api/v1/notifications").json())
    assert types == ["favourite", "reblog"]

    undone = bob.client.post(f"/api/v1/statuses/{status['id']}/unfavourite").json()
    assert (undone["favourited"], undone["favourites_count"]) == (False, 0)
    unreblogged = bob.client.post(f"/api/v1/statuses/{status['id']}/unreblog").json()
    assert (unreblogged["reblogged"], unreblogged["reblogs_count"]) == (False, 0)
    assert (
        bob.client.post(f"/api/v1/statuses/{status['id']}/unbookmark").json()["bookmarked"] is False
    )


def test_context_lists_ancestors_and_descendants(alice, bob):
    root = alice.post("root")
    reply = bob.post("reply", in_reply_to_id=root["id"])
    nested = alice.post("nested", in_reply_to_id=reply["id"])

    context = bob.client.get(f"/api/v1/statuses/{reply['id']}/context").json()

    assert [s["id"] for s in context["ancestors"]] == [root["id"]]
    assert [s["id"] for s in context["descendants"]] == [nested["id"]]
    assert reply["in_reply_to_id"] == root["id"]
    assert reply["in_reply_to_account_id"] == alice.id
    assert alice.client.get(f"/api/v1/statuses/{root['id']}").json()["replies_count"] == 1


def test_pin_and_unpin(alice):
    status = alice.post("pin me")
    assert alice.client.post(f"/api/v1/statuses/{status['id']}/pin").json()["pinned"] is True
    pinned = alice.client.get(f"/api/v1/accounts/{alice.id}/statuses", {"pinned": "true"}).json()
    assert [s["id"] for s in pinned] == [status["id"]]
    assert alice.client.post(f"/api/v1/statuses/{status['id']}/unpin").json()["pinned"] is False


def test_idempotency_key_returns_the_same_status(alice):
    first = alice.client.post(
        "/api/v1/statuses", {"status": "once"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    second = alice.client.post(
        "/api/v1/statuses", {"status": "once"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert first.json()["id"] == second.json()["id"]
    assert Status.objects.filter(account=alice.account).count() == 1


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        pytest.param({"status": "x" * 501}, "too long", id="over-long"),
        pytest.param({"status": "   "}, "blank", id="blank"),
        pytest.param(
            {"status": "hi", "visibility": "everyone"}, "visibility", id="invalid-visibility"
        ),
        pytest.param(
            {"status": "hi", "in_reply_to_id": "nope"}, "in_reply_to_id", id="malformed-reply-id"
        ),
    ],
)
def test_bad_status_input_is_a_422_and_stores_nothing(alice, payload, message):
    response = alice.client.post("/api/v1/statuses", payload, format="json")

    assert response.status_code == 422
    assert message in response.json()["error"]
    assert Status.objects.count() == 0


def test_unknown_and_foreign_statuses(alice, bob):
    status = alice.post("mine")

    assert bob.client.get("/api/v1/statuses/123456789").status_code == 404
    assert bob.client.get("/api/v1/statuses/not-a-number").json() == {"error": "Record not found"}
    # another account's status cannot be edited or deleted
    assert (
        bob.client.put(
            f"/api/v1/statuses/{status['id']}", {"status": "hacked"}, format="json"
        ).status_code
        == 404
    )
    assert bob.client.delete(f"/api/v1/statuses/{status['id']}").status_code == 404
    assert Status.objects.get(pk=status["id"]).text == "mine"


def test_reply_to_an_invisible_status_is_refused(alice, bob):
    private = alice.post("followers only", visibility="private")

    response = bob.client.post(
        "/api/v1/statuses", {"status": "hi", "in_reply_to_id": private["id"]}, format="json"
    )

    assert response.status_code == 404
    assert Status.objects.filter(account=bob.account).count() == 0


def test_anonymous_may_read_public_but_not_write(alice):
    status = alice.post("hello world")
    anonymous = APIClient()

    assert anonymous.get(f"/api/v1/statuses/{status['id']}").status_code == 200
    response = anonymous.post("/api/v1/statuses", {"status": "hi"}, format="json")
    assert response.status_code == 401
    assert "error" in response.json()


def test_read_only_token_cannot_post(alice):
    from tests.accounts.factories import AccessTokenFactory

    token = AccessTokenFactory(user=alice.account, scope="read").token
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = client.post("/api/v1/statuses", {"status": "hi"}, format="json")

    assert response.status_code == 403
    assert response.json() == {"error": "This action is outside the authorized scopes"}


def test_the_source_of_another_accounts_status_is_not_found(alice, bob):
    status = alice.post("mine")

    response = bob.client.get(f"/api/v1/statuses/{status['id']}/source")

    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}

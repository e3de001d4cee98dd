"""Statuses with media attachments: attaching rules, Status entities, only_media, deletion."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from PIL import Image

from apps.feed import services
from apps.feed.models import Status
from apps.media.models import MediaAttachment, ProcessingState
from config.celery import app as celery_app
from core.errors import Invalid, Unprocessable


def upload_image(member, color=(200, 30, 30), description="") -> dict:
    """Upload a small PNG through the API as ``member``; it is ready at once."""
    buffer = io.BytesIO()
    Image.new("RGB", (48, 32), color).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "x.png"
    response = member.client.post(
        "/api/v2/media", {"file": buffer, "description": description}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    return response.json()


def post_with_media(member, media_ids, text="look", **fields) -> Status:
    return services.status_create(author=member.account, text=text, media_ids=media_ids, **fields)


def test_status_shows_its_media_in_order(alice, bob):
    # given alice's two images
    first = upload_image(alice, (255, 0, 0), "red")
    second = upload_image(alice, (0, 0, 255), "blue")

    # when she posts them (second first)
    status = post_with_media(alice, [second["id"], first["id"]])

    # then anybody who sees the status sees the attachments, in her order
    body = bob.client.get(f"/api/v1/statuses/{status.pk}").json()
    attachments = body["media_attachments"]
    assert [m["id"] for m in attachments] == [second["id"], first["id"]]
    assert [m["description"] for m in attachments] == ["blue", "red"]
    assert attachments[0]["type"] == "image"
    assert attachments[0]["url"] == second["url"]
    assert attachments[0]["meta"]["original"]["size"] == "48x32"
    assert attachments[0]["blurhash"] == second["blurhash"]


def test_media_alone_makes_a_status(alice):
    media = upload_image(alice)
    status = post_with_media(alice, [media["id"]], text="")
    assert MediaAttachment.objects.get(pk=media["id"]).status_id == status.pk


def test_text_or_media_is_required(alice):
    with pytest.raises(Invalid):
        services.status_create(author=alice.account, text="", media_ids=[])


def test_someone_elses_media_cannot_be_attached(alice, bob):
    # given alice's image
    media = upload_image(alice)
    # when bob tries to attach it
    with pytest.raises(Unprocessable, match="not yours"):
        post_with_media(bob, [media["id"]])
    # then nothing changed: no status, the media still unattached
    assert not Status.objects.filter(account=bob.account).exists()
    assert MediaAttachment.objects.get(pk=media["id"]).status_id is None


def test_attached_media_cannot_be_attached_again(alice):
    media = upload_image(alice)
    first = post_with_media(alice, [media["id"]])
    with pytest.raises(Unprocessable, match="already attached"):
        post_with_media(alice, [media["id"]], text="again")
    assert MediaAttachment.objects.get(pk=media["id"]).status_id == first.pk
    assert Status.objects.filter(account=alice.account).count() == 1


def test_media_still_processing_cannot_be_attached(alice):
    media = MediaAttachment.objects.create(
        account=alice.account, type="video", state=ProcessingState.PROCESSING
    )
    with pytest.raises(Unprocessable, match="finished processing"):
        post_with_media(alice, [str(media.pk)])
    assert not Status.objects.exists()


def test_at_most_four_attachments(alice):
    ids = [upload_image(alice, (i * 40, 0, 0))["id"] for i in range(5)]
    with pytest.raises(Unprocessable, match="at most 4"):
        post_with_media(alice, ids)
    assert MediaAttachment.objects.filter(status_id__isnull=False).count() == 0


def test_duplicate_and_malformed_ids_are_refused(alice):
    media = upload_image(alice)
    with pytest.raises(Unprocessable, match="twice"):
        post_with_media(alice, [media["id"], media["id"]])
    with pytest.raises(Unprocessable, match="media attachment ids"):
        post_with_media(alice, ["abc"])


def test_attached_media_can_no_longer_be_changed(alice):
    media = upload_image(alice, description="before")
    post_with_media(alice, [media["id"]])
    response = alice.client.put(
        f"/api/v1/media/{media['id']}", {"description": "after"}, format="json"
    )
    assert response.status_code == 404
    assert MediaAttachment.objects.get(pk=media["id"]).description == "before"


def test_private_status_media_stays_private(alice, bob, carol):
    # given a followers-only status with media, and bob following alice
    bob.follow(alice)
    media = upload_image(alice)
    status = post_with_media(alice, [media["id"]], visibility="private")
    # then bob sees the attachment and carol sees neither the status nor the media
    seen = bob.client.get(f"/api/v1/statuses/{status.pk}").json()
    assert [m["id"] for m in seen["media_attachments"]] == [media["id"]]
    assert carol.client.get(f"/api/v1/statuses/{status.pk}").status_code == 404
    assert carol.client.get(f"/api/v1/media/{media['id']}").status_code == 404


def test_reblog_shows_the_originals_media(alice, bob):
    media = upload_image(alice)
    status = post_with_media(alice, [media["id"]])
    reblog = bob.client.post(f"/api/v1/statuses/{status.pk}/reblog").json()
    assert [m["id"] for m in reblog["reblog"]["media_attachments"]] == [media["id"]]
    page = bob.client.get(f"/api/v1/accounts/{bob.id}/statuses").json()
    assert [m["id"] for m in page[0]["reblog"]["media_attachments"]] == [media["id"]]


def test_only_media_lists_statuses_with_media(alice, bob):
    media = upload_image(alice)
    with_media = post_with_media(alice, [media["id"]])
    alice.post("no media here")
    for url in (f"/api/v1/accounts/{alice.id}/statuses", "/api/v1/timelines/public"):
        page = bob.client.get(url, {"only_media": "true"}).json()
        assert [s["id"] for s in page] == [str(with_media.pk)], url


def test_timeline_query_count_does_not_grow_with_media(alice, bob, django_assert_max_num_queries):
    # given one status with media in bob's home timeline
    bob.follow(alice)
    post_with_media(alice, [upload_image(alice)["id"]])
    cache.clear()
    with django_assert_max_num_queries(40) as few:
        assert len(bob.client.get("/api/v1/timelines/public").json()) == 1
        few_count = len(few)
    # when there are many, each with several attachments
    for index in range(6):
        post_with_media(alice, [upload_image(alice, (index, 9, 9))["id"] for _ in range(3)])
    cache.clear()
    with django_assert_max_num_queries(few_count):
        page = bob.client.get("/api/v1/timelines/public").json()
    # then the page (rendered afresh) costs no more queries than the small one
    assert len(page) == 7
    assert sorted(len(s["media_attachments"]) for s in page) == [1, 3, 3, 3, 3, 3, 3]


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_deleting_a_status_deletes_its_media(alice, eager, django_capture_on_commit_callbacks):
    media = upload_image(alice)
    status = post_with_media(alice, [media["id"]])
    with django_capture_on_commit_callbacks(execute=True):
        response = alice.client.delete(f"/api/v1/statuses/{status.pk}")
    assert response.status_code == 200
    assert [m["id"] for m in response.json()["media_attachments"]] == [media["id"]]
    assert not MediaAttachment.objects.filter(pk=media["id"]).exists()


def test_form_encoded_media_ids_are_read_as_mastodon_clients_send_them():
    from django.http import QueryDict

    from apps.feed.api.serializers import StatusCreateSerializer

    form = StatusCreateSerializer(data=QueryDict("status=hi&media_ids[]=12&media_ids[]=34"))
    assert form.is_valid(), form.errors
    assert form.validated_data["media_ids"] == ["12", "34"]
    too_many = QueryDict("&".join(f"media_ids[]={n}" for n in range(5)))
    assert not StatusCreateSerializer(data=too_many).is_valid()


def test_post_status_with_media_ids_through_the_api(alice, bob):
    first = upload_image(alice, (1, 2, 3))
    second = upload_image(alice, (4, 5, 6))
    response = alice.client.post(
        "/api/v1/statuses", {"status": "two", "media_ids": [first["id"], second["id"]]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.json()
    assert [m["id"] for m in response.json()["media_attachments"]] == [first["id"], second["id"]]
    # form-encoded, as Mastodon.py sends it
    third = upload_image(alice, (7, 8, 9))
    form = alice.client.post("/api/v1/statuses", f"status=&media_ids[]={third['id']}",
                             content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert form.status_code == 200, form.json()
    assert [m["id"] for m in form.json()["media_attachments"]] == [third["id"]]


def test_api_refuses_someone_elses_media(alice, bob):
    media = upload_image(alice)
    response = bob.client.post(
        "/api/v1/statuses", {"status": "mine now", "media_ids": [media["id"]]}, format="json"
    )
    assert response.status_code == 422
    assert "not yours" in response.json()["error"]
    assert not Status.objects.filter(account=bob.account).exists()
    assert MediaAttachment.objects.get(pk=media["id"]).status_id is None


def test_api_refuses_five_media_ids(alice):
    ids = [upload_image(alice, (i, 0, 0))["id"] for i in range(5)]
    response = alice.client.post(
        "/api/v1/statuses", {"status": "many", "media_ids": ids}, format="json"
    )
    assert response.status_code == 422
    assert MediaAttachment.objects.filter(status_id__isnull=False).count() == 0


def test_processed_videos_on_a_page_read_no_job_rows(alice, bob, django_assert_max_num_queries):
    # given statuses with processed videos (each with the job that processed it)
    from core.jobs import job_create

    def video() -> str:
        media = MediaAttachment.objects.create(
            account=alice.account, type="video", state=ProcessingState.READY,
            files={"mp4": "media/x/video.mp4", "poster": "media/x/poster.jpg",
                   "hls": "media/x/master.m3u8"},
            meta={"original": {"width": 640, "height": 360}},
            job=job_create(owner=alice.account, kind="media.process"),
        )  # fmt: skip
        return str(media.pk)

    post_with_media(alice, [video()])
    cache.clear()
    with django_assert_max_num_queries(40) as few:
        bob.client.get("/api/v1/timelines/public")
        few_count = len(few)
    for _ in range(5):
        post_with_media(alice, [video(), video()])
    cache.clear()
    with django_assert_max_num_queries(few_count):
        page = bob.client.get("/api/v1/timelines/public").json()
    assert len(page) == 6
    assert all(m["agora"]["progress"] == 100 for s in page for m in s["media_attachments"])
    assert page[0]["media_attachments"][0]["agora"]["hls_url"].endswith("/master.m3u8")


def edit(member, status, media_ids, text="edited"):
    return services.status_edit(
        status=status, editor=member.account, text=text, media_ids=media_ids
    )


def test_edit_replaces_reorders_and_detaches_media(alice, bob):
    first, second, third = (upload_image(alice, (i, i, i))["id"] for i in (10, 20, 30))
    status = post_with_media(alice, [first, second])

    edit(alice, Status.objects.get(pk=status.pk), [third, first])

    body = bob.client.get(f"/api/v1/statuses/{status.pk}").json()
    assert [m["id"] for m in body["media_attachments"]] == [third, first]
    assert MediaAttachment.objects.get(pk=second).status_id is None


def test_edit_without_media_ids_keeps_the_media(alice):
    media = upload_image(alice)["id"]
    status = post_with_media(alice, [media])
    services.status_edit(status=Status.objects.get(pk=status.pk), editor=alice.account, text="")
    assert MediaAttachment.objects.get(pk=media).status_id == status.pk


def test_edit_cannot_take_someone_elses_or_attached_media(alice, bob):
    mine = upload_image(alice)["id"]
    status = post_with_media(alice, [mine], text="before")
    theirs = upload_image(bob)["id"]
    other = post_with_media(alice, [upload_image(alice)["id"]], text="other")
    on_other = MediaAttachment.objects.get(status_id=other.pk).pk

    with pytest.raises(Unprocessable, match="not yours"):
        edit(alice, Status.objects.get(pk=status.pk), [mine, theirs])
    with pytest.raises(Unprocessable, match="already attached"):
        edit(alice, Status.objects.get(pk=status.pk), [str(on_other)])

    status.refresh_from_db()
    assert status.text == "before"
    assert MediaAttachment.objects.get(pk=mine).status_id == status.pk
    assert MediaAttachment.objects.get(pk=theirs).status_id is None


def test_edit_through_the_api_keeps_the_listed_media_and_drops_the_rest(alice, bob):
    first, second = upload_image(alice, (1, 1, 1))["id"], upload_image(alice, (2, 2, 2))["id"]
    status = alice.client.post(
        "/api/v1/statuses", {"status": "v1", "media_ids": [first, second]}, format="json"
    ).json()

    reordered = alice.client.put(
        f"/api/v1/statuses/{status['id']}", {"status": "v2", "media_ids": [second, first]},
        format="json",
    )  # fmt: skip
    assert reordered.status_code == 200, reordered.json()
    assert [m["id"] for m in reordered.json()["media_attachments"]] == [second, first]

    # As Mastodon: an edit names the attachments to keep; naming none drops them.
    dropped = alice.client.put(f"/api/v1/statuses/{status['id']}", {"status": "v3"}, format="json")
    assert dropped.status_code == 200, dropped.json()
    assert dropped.json()["media_attachments"] == []
    assert bob.client.get(f"/api/v1/statuses/{status['id']}").json()["media_attachments"] == []
    assert MediaAttachment.objects.filter(status_id=status["id"]).count() == 0


def test_edit_through_the_api_refuses_someone_elses_media_and_changes_nothing(alice, bob):
    mine = upload_image(alice)["id"]
    theirs = upload_image(bob)["id"]
    status = alice.client.post(
        "/api/v1/statuses", {"status": "before", "media_ids": [mine]}, format="json"
    ).json()

    response = alice.client.put(
        f"/api/v1/statuses/{status['id']}", {"status": "after", "media_ids": [mine, theirs]},
        format="json",
    )  # fmt: skip

    assert response.status_code == 422
    after = alice.client.get(f"/api/v1/statuses/{status['id']}").json()
    assert "before" in after["content"]
    assert [m["id"] for m in after["media_attachments"]] == [mine]
    assert MediaAttachment.objects.get(pk=theirs).status_id is None


def test_a_notifications_page_costs_the_same_however_many_statuses_have_media(alice, bob):
    """Each notification's status is rendered with the page's statuses, through the entity
    cache: one query per relation for the page, not one per notification."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def favourite_with_media(number: int) -> None:
        media = upload_image(alice, (number, 0, 0))
        status = post_with_media(alice, [media["id"]], text=f"picture {number}")
        bob.client.post(f"/api/v1/statuses/{status.pk}/favourite")

    def page_queries() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            response = alice.client.get("/api/v1/notifications")
        assert response.status_code == 200
        return len(captured)

    favourite_with_media(1)
    one = page_queries()
    for number in range(2, 9):
        favourite_with_media(number)

    assert len(alice.client.get("/api/v1/notifications").json()) == 8
    assert page_queries() <= one

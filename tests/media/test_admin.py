"""The media library in the back office: state, progress, and retry for those allowed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps.media.models import MediaAttachment, ProcessingState
from core.models import BackgroundJob
from tests.security.staff import staff_member, verified_client

CHANGELIST = "admin:media_mediaattachment_changelist"


def staff_with(*codenames: str):
    user = staff_member()
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="media", codename__in=codenames)
    )
    return verified_client(user)


@pytest.fixture
def failed_media(alice, samples):
    """A video whose processing failed (its upload kept for a retry)."""
    response = alice.upload(samples["video"])
    media = MediaAttachment.objects.get(pk=response.json()["id"])
    BackgroundJob.objects.filter(pk=media.job_id).update(status="FAILURE", progress=40)
    MediaAttachment.objects.filter(pk=media.pk).update(
        state=ProcessingState.FAILED, failure_reason="Transcoding failed: boom"
    )
    return media


def test_viewer_sees_state_and_progress_but_cannot_retry(failed_media, alice, samples):
    alice.upload(samples["jpeg"])
    client = staff_with("view_mediaattachment")

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    html = response.content.decode()
    assert "@alice" in html
    assert "failed" in html
    assert "40%" in html
    assert "100%" in html
    assert "retry_processing" not in html
    refused = client.post(
        reverse(CHANGELIST), {"action": "retry_processing", "_selected_action": [failed_media.pk]}
    )
    assert refused.status_code == 200  # the unknown action is ignored
    failed_media.refresh_from_db()
    assert failed_media.state == ProcessingState.FAILED


def test_retry_action_queues_a_new_job(failed_media):
    client = staff_with("view_mediaattachment", "retry_mediaattachment")
    old_job = failed_media.job_id

    response = client.post(
        reverse(CHANGELIST),
        {"action": "retry_processing", "_selected_action": [failed_media.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 attachment(s) queued again." in response.content.decode()
    failed_media.refresh_from_db()
    assert failed_media.state == ProcessingState.PENDING
    assert failed_media.job_id != old_job
    assert failed_media.job.status == "PENDING"


def test_retry_of_ready_media_is_refused_with_a_message(alice, samples):
    media_id = alice.upload(samples["jpeg"]).json()["id"]
    client = staff_with("view_mediaattachment", "retry_mediaattachment")
    response = client.post(
        reverse(CHANGELIST),
        {"action": "retry_processing", "_selected_action": [media_id]},
        follow=True,
    )
    assert "Only media whose processing failed can be retried." in response.content.decode()
    assert MediaAttachment.objects.get(pk=media_id).state == ProcessingState.READY


def test_detail_page_and_uploads_are_read_only(failed_media):
    client = staff_with("view_mediaattachment", "view_upload")
    page = client.get(reverse("admin:media_mediaattachment_change", args=[failed_media.pk]))
    assert page.status_code == 200
    assert "Transcoding failed: boom" in page.content.decode()
    assert client.get(reverse("admin:media_upload_changelist")).status_code == 200
    assert client.get(reverse("admin:media_mediaattachment_add")).status_code == 403


def test_staff_without_permission_is_refused(failed_media):
    client = staff_with()
    assert client.get(reverse(CHANGELIST)).status_code == 403


def test_list_query_count_is_flat(alice, samples, django_assert_max_num_queries):
    client = staff_with("view_mediaattachment")
    alice.upload(samples["jpeg"])
    with django_assert_max_num_queries(30) as few:
        client.get(reverse(CHANGELIST))
        few_count = len(few)
    for _ in range(5):
        alice.upload(samples["png_alpha"])
    with django_assert_max_num_queries(few_count):
        client.get(reverse(CHANGELIST))

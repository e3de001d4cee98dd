"""Moderation's decisions on media no status carries (``ContentActioned`` for "media")."""

import pytest
from django.core.files.storage import default_storage

from apps.media.models import MediaAttachment
from core import events

pytestmark = pytest.mark.django_db


def decide(media_id, action, capture):
    with capture(execute=True):
        events.publish(
            events.ContentActioned(content_type="media", content_id=int(media_id), action=action)
        )


def test_removed_unattached_media_is_deleted_with_its_files(
    alice, samples, eager, django_capture_on_commit_callbacks
):
    media_id = alice.upload(samples["jpeg"]).json()["id"]
    files = list(MediaAttachment.objects.get(pk=media_id).files.values())
    assert files
    assert all(default_storage.exists(name) for name in files)

    decide(media_id, "remove", django_capture_on_commit_callbacks)

    assert not MediaAttachment.objects.filter(pk=media_id).exists()
    assert not any(default_storage.exists(name) for name in files)
    assert alice.client.get(f"/api/v1/media/{media_id}").status_code == 404


@pytest.mark.parametrize("action", ["hide", "approve", "sensitive"])
def test_other_decisions_leave_unattached_media_to_its_owner(
    alice, samples, eager, django_capture_on_commit_callbacks, action
):
    media_id = alice.upload(samples["jpeg"]).json()["id"]

    decide(media_id, action, django_capture_on_commit_callbacks)

    assert alice.client.get(f"/api/v1/media/{media_id}").status_code == 200


def test_media_on_a_status_follows_its_status(
    alice, samples, eager, django_capture_on_commit_callbacks
):
    media_id = alice.upload(samples["jpeg"]).json()["id"]
    MediaAttachment.objects.filter(pk=media_id).update(status_id=42)

    decide(media_id, "remove", django_capture_on_commit_callbacks)

    assert MediaAttachment.objects.filter(pk=media_id).exists()

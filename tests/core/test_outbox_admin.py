"""The outbox's admin page: read-only, failed events show why, and can be delivered again."""

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_event():
    return OutboxEvent.objects.create(
        event_type="AccountRestricted",
        payload={"account_id": 1, "restriction": "suspend", "reason": "", "until": None},
        status=OutboxEvent.Status.FAILED,
        attempts=10,
        last_error="apps.accounts.handlers.on_account_restricted: RuntimeError: down",
        next_attempt_at=timezone.now(),
        finished_at=timezone.now(),
    )


def test_a_failed_event_shows_its_reason_and_cannot_be_edited(admin_client, failed_event):
    # when the operator opens the failed event
    url = reverse("admin:core_outboxevent_change", args=[failed_event.pk])
    response = admin_client.get(url)

    # then its reason is shown, read-only
    assert response.status_code == 200
    assert "RuntimeError: down" in response.content.decode()
    assert admin_client.post(url, {"status": "DONE"}).status_code == 403
    failed_event.refresh_from_db()
    assert failed_event.status == OutboxEvent.Status.FAILED
    # and nobody adds one by hand
    assert admin_client.get(reverse("admin:core_outboxevent_add")).status_code == 403


def test_the_redeliver_action_puts_a_failed_event_back_in_the_queue(admin_client, failed_event):
    # when the operator delivers it again
    response = admin_client.post(
        reverse("admin:core_outboxevent_changelist"),
        {"action": "redeliver_events", "_selected_action": [failed_event.pk]},
    )

    # then it waits for the sweep with its attempts reset
    assert response.status_code == 302
    failed_event.refresh_from_db()
    assert failed_event.status == OutboxEvent.Status.PENDING
    assert failed_event.attempts == 0
    assert failed_event.finished_at is None

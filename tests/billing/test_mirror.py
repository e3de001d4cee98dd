"""dj-stripe's copy of Stripe's objects, made after Agora processed each event."""

from __future__ import annotations

import pytest

from apps.billing.models import WebhookEvent

pytestmark = pytest.mark.django_db


def test_every_processed_event_is_mirrored_into_dj_stripes_tables(
    user, subscribed, stripe_fake, deliver_all
):
    from djstripe import models as djstripe

    subscription = subscribed(user)
    stripe_fake.renew(subscription.stripe_id, succeed=False)
    deliver_all()

    events = WebhookEvent.objects.all()
    assert events.filter(mirrored_at__isnull=True).count() == 0, list(
        events.filter(mirrored_at__isnull=True).values_list("type", "mirror_error")
    )
    assert djstripe.Event.objects.count() == events.count()
    assert djstripe.Subscription.objects.get(id=subscription.stripe_id).status == "past_due"
    assert djstripe.Customer.objects.filter(id=user.billing_customer.stripe_id).exists()
    assert djstripe.Invoice.objects.count() == 2


def test_a_mirror_that_fails_is_kept_with_its_error_and_retried(
    api_client, token_for, user, plan, stripe_fake, deliver_all, monkeypatch, eager
):
    import stripe
    from django.utils import timezone
    from djstripe import models as djstripe

    from apps.billing.tasks import retry_events_task

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    url = api_client.post(
        "/api/agora/v1/billing/checkout", {"price": plan.stripe_price_id}, format="json"
    ).json()["url"]
    stripe_fake.complete_checkout(url.rsplit("/", 1)[-1])
    # dj-stripe calls the library's module-level API: out of reach while the events arrive
    monkeypatch.setattr(stripe, "api_base", "http://127.0.0.1:9")
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    deliver_all()

    stuck = WebhookEvent.objects.filter(mirrored_at__isnull=True)
    assert stuck.exists()
    assert all(event.mirror_error for event in stuck)
    assert all(
        event.state == "processed" for event in WebhookEvent.objects.all()
    )  # Agora's state is unaffected

    monkeypatch.setattr(stripe, "api_base", stripe_fake.url)
    WebhookEvent.objects.update(processed_at=timezone.now() - timezone.timedelta(minutes=5))
    with eager():
        retry_events_task()
    assert not WebhookEvent.objects.filter(mirrored_at__isnull=True).exists()
    assert djstripe.Subscription.objects.count() == 1

"""Billing's fixtures: a real fake Stripe server (tests/fakestripe) and signed deliveries.

The fake runs in this process on a free port, in ``manual`` delivery: a test takes
the events Stripe would send from it and posts them to Agora's webhook endpoint
itself, signed with Stripe's real scheme, in whatever order and number it needs.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.fakestripe import FakeStripe, sign

WEBHOOK_SECRET = "whsec_agora_unit_tests"
WEBHOOK_PATH = "/api/agora/v1/billing/webhook"


@pytest.fixture(scope="session")
def stripe_server():
    server = FakeStripe(deliver="manual").start()
    yield server
    server.stop()


@pytest.fixture
def stripe_fake(stripe_server, settings):
    """Billing configured against an empty fake Stripe."""
    stripe_server.reset()
    settings.STRIPE_TEST_SECRET_KEY = "sk_test_agoraUnitTests0000000000000000"
    settings.STRIPE_IS_CONFIGURED = True
    settings.STRIPE_API_BASE = stripe_server.url
    settings.DJSTRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return stripe_server


@pytest.fixture
def eager(settings, django_capture_on_commit_callbacks):
    """``with eager(): ...``: tasks sent inside run in this process when the block ends."""
    from contextlib import contextmanager

    from config.celery import app as celery_app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True

    @contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            yield

    yield run
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_eager_propagates = False


@pytest.fixture
def plan(db, stripe_fake):
    """The "pro" plan: a real price at the fake Stripe, 5,000 characters, its own rate tier."""
    from apps.billing.models import Plan

    stripe = _client(stripe_fake)
    product = stripe.v1.products.create({"name": "Agora Pro"})
    price = stripe.v1.prices.create(
        {
            "product": product.id,
            "unit_amount": 500,
            "currency": "eur",
            "recurring": {"interval": "month"},
        }
    )
    return Plan.objects.create(
        tier="pro",
        name="Pro",
        stripe_price_id=price.id,
        max_status_characters=5000,
        max_scheduled_statuses=1000,
        rate_limit_tier="pro",
        can_go_live=True,
    )


def _client(server):
    import stripe

    return stripe.StripeClient(
        "sk_test_agoraUnitTests0000000000000000", base_addresses={"api": server.url}
    )


@pytest.fixture
def stripe_client(stripe_fake):
    return _client(stripe_fake)


@pytest.fixture
def deliver(client, eager):
    """``deliver(event)`` posts a Stripe event (a dict) signed as Stripe signs it, and runs
    the processing task it sends; ``secret`` and ``timestamp`` forge a bad delivery."""

    def post(
        event: dict,
        *,
        secret: str = WEBHOOK_SECRET,
        timestamp: int | None = None,
        raw: bytes | None = None,
    ):
        body = raw if raw is not None else json.dumps(event).encode()
        header = sign(
            body, secret, timestamp=timestamp if timestamp is not None else int(time.time())
        )
        with eager():
            return client.post(
                WEBHOOK_PATH,
                data=body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=header,
            )

    return post


@pytest.fixture
def deliver_all(stripe_fake, deliver):
    """``deliver_all()`` posts every event the fake Stripe emitted since the last call, in order."""
    seen: set[str] = set()

    def run(*, types: tuple[str, ...] | None = None) -> list[dict]:
        sent = []
        for event in stripe_fake.events():
            if event["id"] in seen or (types and event["type"] not in types):
                continue
            seen.add(event["id"])
            response = deliver(event)
            assert response.status_code == 200, response.content
            sent.append(event)
        return sent

    return run


@pytest.fixture
def subscribed(api_client, token_for, stripe_fake, plan, deliver_all):
    """``subscribed(user)``: the user goes through Checkout for the pro plan and pays."""

    def run(user):
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
        response = api_client.post(
            "/api/agora/v1/billing/checkout", {"price": plan.stripe_price_id}, format="json"
        )
        assert response.status_code == 200, response.content
        session_id = response.json()["url"].rsplit("/", 1)[-1]
        stripe_fake.complete_checkout(session_id)
        deliver_all()
        api_client.credentials()
        from apps.billing.models import Subscription

        return Subscription.objects.get(account=user)

    return run


@pytest.fixture
def onboarded(api_client, token_for, stripe_fake, deliver_all):
    """``onboarded(user)``: the user sets up payouts through Connect Express and finishes."""

    def run(user):
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
        response = api_client.post("/api/agora/v1/billing/payouts/onboarding")
        assert response.status_code == 200, response.content
        account_id = response.json()["url"].rsplit("/", 1)[-1]
        stripe_fake.onboard(account_id)
        deliver_all()
        api_client.credentials()
        from apps.billing.models import ConnectAccount

        return ConnectAccount.objects.get(account=user)

    return run


@pytest.fixture
def tier_of(api_client, token_for):
    """``tier_of(creator, amount=500)``: the creator offers a monthly tier."""

    def run(creator, amount=500, name="Supporter"):
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(creator)}")
        response = api_client.post(
            "/api/agora/v1/billing/tiers",
            {"name": name, "amount": amount, "benefits": ["Subscriber-only streams"]},
            format="json",
        )
        assert response.status_code == 200, response.content
        api_client.credentials()
        from apps.billing.models import CreatorTier

        return CreatorTier.objects.get(pk=response.json()["id"])

    return run


@pytest.fixture
def member_of(api_client, token_for, stripe_fake, deliver_all):
    """``member_of(fan, tier)``: the fan subscribes to the tier through Checkout and pays."""

    def run(fan, tier):
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(fan)}")
        response = api_client.post(
            "/api/agora/v1/billing/checkout", {"price": tier.stripe_price_id}, format="json"
        )
        assert response.status_code == 200, response.content
        stripe_fake.complete_checkout(response.json()["url"].rsplit("/", 1)[-1])
        deliver_all()
        api_client.credentials()
        from apps.billing.models import Subscription

        return Subscription.objects.get(account=fan, creator=tier.creator)

    return run

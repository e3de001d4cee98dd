"""Creators through the API: Connect onboarding, tiers, fans' memberships, earnings."""

from __future__ import annotations

import pytest

from apps.billing.models import LedgerEntry, PayoutHold
from core.memberships import is_member, membership_of
from core.models import OutboxEvent
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def creator(db):
    return UserFactory(username="maker")


@pytest.fixture
def fan(db):
    return UserFactory(username="fan")


def as_user(api_client, token_for, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return api_client


def test_onboarding_starts_at_none_and_ends_active(
    api_client, token_for, creator, stripe_fake, onboarded
):
    client = as_user(api_client, token_for, creator)
    assert client.get("/api/agora/v1/billing/payouts/onboarding").json()["state"] == "none"
    first = client.post("/api/agora/v1/billing/payouts/onboarding").json()["url"]
    second = client.post("/api/agora/v1/billing/payouts/onboarding").json()["url"]
    assert first.rsplit("/", 1)[-1] == second.rsplit("/", 1)[-1]  # one Express account
    state = client.get("/api/agora/v1/billing/payouts/onboarding").json()
    assert state["state"] == "pending"
    assert state["requirements_due"]

    connect = onboarded(creator)

    assert connect.state == "active"
    body = (
        as_user(api_client, token_for, creator)
        .get("/api/agora/v1/billing/payouts/onboarding")
        .json()
    )
    assert body == {
        "state": "active",
        "charges_enabled": True,
        "payouts_enabled": True,
        "requirements_due": [],
    }
    assert OutboxEvent.objects.filter(
        event_type="PayoutAccountUpdated", payload__state="active"
    ).exists()


def test_a_tier_needs_payouts_set_up_first(api_client, token_for, creator, stripe_fake):
    client = as_user(api_client, token_for, creator)
    response = client.post(
        "/api/agora/v1/billing/tiers", {"name": "Gold", "amount": 500}, format="json"
    )
    assert response.status_code == 409
    assert "payouts" in response.json()["error"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "", "amount": 500}, "name"),
        ({"name": "Gold", "amount": 5}, "amount"),
        ({"name": "Gold", "amount": 10_000_000}, "amount"),
        ({"name": "Gold"}, "amount"),
        ({"name": "Gold", "amount": 500, "benefits": "one line"}, "benefits"),
        ({"name": "Gold", "amount": 500, "benefits": ["x" * 201]}, "benefits"),
    ],
)
def test_bad_tiers_are_refused_by_field(
    api_client, token_for, creator, stripe_fake, onboarded, payload, field
):
    onboarded(creator)
    response = as_user(api_client, token_for, creator).post(
        "/api/agora/v1/billing/tiers", payload, format="json"
    )
    assert response.status_code == 422
    assert field in response.json()["details"]


def test_tiers_are_listed_renamed_and_retired(
    api_client, token_for, creator, fan, stripe_fake, onboarded, tier_of, stripe_client
):
    onboarded(creator)
    tier = tier_of(creator, amount=700, name="Gold")
    public = (
        as_user(api_client, token_for, fan)
        .get(f"/api/agora/v1/billing/creators/{creator.pk}/tiers")
        .json()
    )
    assert [(t["name"], t["amount"], t["currency"]) for t in public] == [("Gold", 700, "eur")]
    client = as_user(api_client, token_for, creator)
    duplicate = client.post(
        "/api/agora/v1/billing/tiers", {"name": "Gold", "amount": 900}, format="json"
    )
    assert duplicate.status_code == 409
    renamed = client.patch(
        f"/api/agora/v1/billing/tiers/{tier.pk}", {"name": "Platinum"}, format="json"
    )
    assert renamed.json()["name"] == "Platinum"
    assert client.delete(f"/api/agora/v1/billing/tiers/{tier.pk}").status_code == 200
    assert stripe_client.v1.prices.retrieve(tier.stripe_price_id).active is False
    assert client.get("/api/agora/v1/billing/tiers").json() == []
    other = as_user(api_client, token_for, fan).patch(
        f"/api/agora/v1/billing/tiers/{tier.pk}", {"name": "x"}, format="json"
    )
    assert other.status_code == 404


def test_a_fan_subscribes_through_a_connect_charge_and_becomes_a_member(
    creator, fan, onboarded, tier_of, member_of, stripe_client
):
    connect = onboarded(creator)
    tier = tier_of(creator, amount=1000)
    assert not is_member(fan, creator.pk)

    subscription = member_of(fan, tier)

    assert subscription.kind == "creator"
    assert subscription.creator_tier == tier
    from core.memberships import creators_of

    assert creators_of(fan) == {creator.pk}
    assert creators_of(creator) == frozenset()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert creators_of(fan) == {creator.pk}  # cached: visibility filters ask on every read
    assert len(queries) == 0
    membership = membership_of(fan, creator.pk)
    assert membership is not None
    assert membership.tier == tier.name
    remote = stripe_client.v1.subscriptions.retrieve(subscription.stripe_id)
    assert remote.application_fee_percent == 10.0
    assert remote.transfer_data.destination == connect.stripe_id
    # the creator's share is revenue, paid by Stripe with the charge: the balance owes nothing
    entries = {e.kind: e.amount for e in LedgerEntry.objects.filter(creator=creator)}
    assert entries == {"subscription": 900, "charge_transfer": -900}
    # and a fan's membership does not change the fan's own plan
    from core.entitlements import entitlements_for

    assert entitlements_for(fan).tier == "free"


def test_a_fan_cannot_subscribe_to_themselves_or_twice(
    api_client, token_for, creator, fan, onboarded, tier_of, member_of
):
    onboarded(creator)
    tier = tier_of(creator)
    own = as_user(api_client, token_for, creator).post(
        "/api/agora/v1/billing/checkout", {"price": tier.stripe_price_id}, format="json"
    )
    assert own.status_code == 422
    member_of(fan, tier)
    again = as_user(api_client, token_for, fan).post(
        "/api/agora/v1/billing/checkout", {"price": tier.stripe_price_id}, format="json"
    )
    assert again.status_code == 409


def test_a_refund_posts_a_reversing_entry(
    creator, fan, onboarded, tier_of, member_of, stripe_client, deliver_all
):
    onboarded(creator)
    subscription = member_of(fan, tier_of(creator, amount=1000))
    invoice = stripe_client.v1.invoices.list({"subscription": subscription.stripe_id}).data[0]
    charge = stripe_client.v1.charges.list({"customer": invoice.customer}).data[0]

    stripe_client.v1.refunds.create({"charge": charge.id, "amount": 500})
    deliver_all()
    stripe_client.v1.refunds.create({"charge": charge.id, "amount": 500})
    deliver_all()

    refunds = list(
        LedgerEntry.objects.filter(creator=creator, kind="refund").values_list("amount", flat=True)
    )
    assert sum(refunds) == -900
    assert OutboxEvent.objects.filter(event_type="PaymentRefunded").count() == 2


def test_a_dispute_holds_payouts_and_a_lost_one_takes_the_share_back(
    api_client,
    token_for,
    creator,
    fan,
    onboarded,
    tier_of,
    member_of,
    stripe_fake,
    stripe_client,
    deliver_all,
):
    onboarded(creator)
    subscription = member_of(fan, tier_of(creator, amount=1000))
    customer = stripe_client.v1.subscriptions.retrieve(subscription.stripe_id).customer
    charge = stripe_client.v1.charges.list({"customer": customer}).data[0]

    opened = stripe_fake.dispute(charge.id)
    deliver_all()

    hold = PayoutHold.objects.get(creator=creator, kind="dispute")
    assert hold.is_open
    statement = as_user(api_client, token_for, creator).get("/api/agora/v1/billing/earnings").json()
    assert [h["kind"] for h in statement["holds"]] == ["dispute"]
    assert "dispute" in statement["holds"][0]["appeal"]

    stripe_fake.close_dispute(opened["dispute"]["id"], outcome="lost")
    deliver_all()

    hold.refresh_from_db()
    assert not hold.is_open
    assert LedgerEntry.objects.get(creator=creator, kind="dispute").amount == -900
    assert {
        row.event_type for row in OutboxEvent.objects.filter(event_type__startswith="Dispute")
    } == {
        "DisputeOpened",
        "DisputeClosed",
    }


def test_a_membership_that_ends_is_no_membership(
    creator, fan, onboarded, tier_of, member_of, stripe_fake, deliver_all
):
    from apps.billing.models import Notice

    onboarded(creator)
    subscription = member_of(fan, tier_of(creator))
    assert is_member(fan, creator.pk)

    stripe_fake.expire(subscription.stripe_id, status="canceled")
    deliver_all()

    assert not is_member(fan, creator.pk)
    ended = Notice.objects.get(account=fan, kind="plan_ended")
    assert "membership" in ended.text
    assert "free plan" not in ended.text


def test_a_members_only_post_is_seen_by_paying_members_only(
    api_client, token_for, creator, fan, onboarded, tier_of, member_of, stripe_fake, deliver_all
):
    onboarded(creator)
    tier = tier_of(creator)
    posted = as_user(api_client, token_for, creator).post(
        "/api/v1/statuses", {"status": "for my members", "agora_members_only": True}, format="json"
    )
    assert posted.status_code == 200
    status_id = posted.json()["id"]
    stranger = UserFactory()
    assert (
        as_user(api_client, token_for, fan).get(f"/api/v1/statuses/{status_id}").status_code == 404
    )

    subscription = member_of(fan, tier)

    assert (
        as_user(api_client, token_for, fan).get(f"/api/v1/statuses/{status_id}").status_code == 200
    )
    assert (
        as_user(api_client, token_for, stranger).get(f"/api/v1/statuses/{status_id}").status_code
        == 404
    )

    stripe_fake.expire(subscription.stripe_id, status="canceled")
    deliver_all()
    assert (
        as_user(api_client, token_for, fan).get(f"/api/v1/statuses/{status_id}").status_code == 404
    )

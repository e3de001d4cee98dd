"""Billing's entities in the platform API."""

from __future__ import annotations

from rest_framework import serializers

from apps.billing.models import CreatorTier, LedgerEntry, Notice, Payout, PayoutHold, Plan


class EntitlementsSerializer(serializers.Serializer):
    """What a plan allows (``core.entitlements.Entitlements``)."""

    tier = serializers.CharField()
    max_status_characters = serializers.IntegerField()
    max_media_attachments = serializers.IntegerField()
    max_image_bytes = serializers.IntegerField()
    max_video_bytes = serializers.IntegerField()
    max_video_seconds = serializers.IntegerField()
    max_upload_bytes = serializers.IntegerField()
    can_go_live = serializers.BooleanField()
    max_scheduled_statuses = serializers.IntegerField()
    max_scheduled_statuses_per_day = serializers.IntegerField()
    rate_limit_tier = serializers.CharField(source="throttle_tier")


class PlanSerializer(serializers.ModelSerializer):
    price = serializers.CharField(source="stripe_price_id")
    entitlements = EntitlementsSerializer(read_only=True)

    class Meta:
        model = Plan
        fields = ["tier", "name", "description", "price", "entitlements"]


class NoticeSerializer(serializers.ModelSerializer):
    id = serializers.CharField()

    class Meta:
        model = Notice
        fields = ["id", "kind", "text", "created_at"]


class SubscriptionSerializer(serializers.Serializer):
    """The account's plan now: ``plan`` is null and ``tier`` "free" on the free plan."""

    tier = serializers.CharField()
    plan = PlanSerializer(allow_null=True)
    status = serializers.CharField(
        allow_null=True, help_text="Stripe's status; null: never subscribed."
    )
    current_period_end = serializers.DateTimeField(allow_null=True)
    cancel_at_period_end = serializers.BooleanField()
    grace_until = serializers.DateTimeField(allow_null=True)
    entitlements = EntitlementsSerializer()
    notices = NoticeSerializer(many=True)


class CheckoutRequestSerializer(serializers.Serializer):
    price = serializers.CharField(max_length=255, help_text="The Stripe price of a plan on offer.")


class RedirectSerializer(serializers.Serializer):
    url = serializers.URLField()


class OnboardingSerializer(serializers.Serializer):
    """A creator's payout setup: ``none`` (not started), ``pending``, ``restricted`` or ``active``."""

    state = serializers.CharField()
    charges_enabled = serializers.BooleanField()
    payouts_enabled = serializers.BooleanField()
    requirements_due = serializers.ListField(child=serializers.CharField())


class TierSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)
    price = serializers.CharField(source="stripe_price_id", read_only=True)
    creator_id = serializers.CharField(read_only=True)

    class Meta:
        model = CreatorTier
        fields = [
            "id",
            "creator_id",
            "name",
            "description",
            "benefits",
            "amount",
            "currency",
            "price",
            "active",
        ]
        read_only_fields = fields


class TierCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    amount = serializers.IntegerField(help_text="Monthly, in the currency's minor unit.")
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, default=""
    )
    benefits = serializers.ListField(
        child=serializers.CharField(max_length=200, allow_blank=True),
        required=False,
        max_length=10,
        default=list,
    )


class TierUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    benefits = serializers.ListField(
        child=serializers.CharField(max_length=200, allow_blank=True), required=False, max_length=10
    )


class HoldSerializer(serializers.ModelSerializer):
    since = serializers.DateTimeField(source="created_at")
    appeal = serializers.SerializerMethodField()

    class Meta:
        model = PayoutHold
        fields = ["kind", "reason", "since", "appeal"]

    def get_appeal(self, hold: PayoutHold) -> str:
        from apps.billing.services.holds import appeal_text

        return appeal_text(hold.kind)


class PayoutSerializer(serializers.ModelSerializer):
    period = serializers.SerializerMethodField()
    transfer = serializers.CharField(source="stripe_transfer_id")

    class Meta:
        model = Payout
        fields = ["period", "amount", "currency", "state", "transfer"]

    def get_period(self, payout: Payout) -> str:
        return f"{payout.batch.period:%Y-%m}"


class StatementSerializer(serializers.Serializer):
    """A creator's earnings for one month; ``balance`` is what Agora owes them now."""

    period = serializers.SerializerMethodField()
    currency = serializers.CharField()
    opening_balance = serializers.IntegerField()
    closing_balance = serializers.IntegerField()
    balance = serializers.IntegerField()
    totals = serializers.DictField(
        child=serializers.IntegerField(), help_text="The month's sum by kind."
    )
    onboarding = serializers.CharField()
    holds = HoldSerializer(many=True)
    payouts = PayoutSerializer(many=True)

    def get_period(self, statement) -> str:
        return f"{statement.period:%Y-%m}"


class LedgerLineSerializer(serializers.ModelSerializer):
    """One ledger entry: what it is, and the Stripe object it traces to."""

    id = serializers.CharField()
    transfer = serializers.SerializerMethodField()

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "kind",
            "amount",
            "currency",
            "description",
            "occurred_at",
            "stripe_id",
            "transfer",
        ]

    def get_transfer(self, entry: LedgerEntry) -> str | None:
        return entry.payout.stripe_transfer_id if entry.payout_id else None  # type: ignore[union-attr]

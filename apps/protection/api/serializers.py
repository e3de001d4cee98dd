"""Protection's entities in the platform API."""

from __future__ import annotations

from rest_framework import serializers

from core import reputation, standing

STANDINGS = ("none", "limited", "suspended", "disabled")


class AppealSerializer(serializers.Serializer):
    """Whether the decision can be appealed: where (``url``), or why not (``reason``)."""

    available = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_null=True)


class DecisionRecordSerializer(serializers.Serializer):
    """The record of the decision: ``kind`` (strike, strike_policy, live_restriction, ...),
    its ``id`` and the moderation case it settled (null: none)."""

    kind = serializers.CharField(allow_blank=True)
    id = serializers.CharField(allow_null=True)
    case_id = serializers.CharField(allow_null=True)


class ReasonSerializer(serializers.Serializer):
    """Why the account is limited somewhere: the rule, in words, who decided, since and until."""

    rule = serializers.CharField(source="decision.rule")
    reason = serializers.CharField(source="decision.reason")
    # The metaclass takes declared fields off the class; mypy sees Field.source shadowed.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=standing.Source.ALL, source="decision.source"
    )
    decision = DecisionRecordSerializer()
    since = serializers.DateTimeField(source="decision.since", allow_null=True)
    until = serializers.DateTimeField(
        source="decision.until", allow_null=True, help_text="null: until lifted."
    )
    appeal = AppealSerializer()


class SurfaceSerializer(serializers.Serializer):
    surface = serializers.CharField(
        help_text="home, public, search, trends, recommendations or live_directory."
    )
    state = serializers.ChoiceField(choices=standing.State.ORDER)
    reasons = ReasonSerializer(many=True)


class RateLimitsSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=("standard", "tighter"))
    level = serializers.ChoiceField(choices=reputation.Level.ORDER)
    reason = ReasonSerializer(allow_null=True)


class AccountWarningSerializer(serializers.Serializer):
    """A strike, as Mastodon's AccountWarning has it, with the decision that gave it."""

    id = serializers.CharField(source="warning.id")
    action = serializers.CharField(source="warning.action")
    text = serializers.CharField(source="warning.text", allow_blank=True)
    status_ids = serializers.ListField(child=serializers.CharField(), source="warning.status_ids")
    created_at = serializers.DateTimeField(source="warning.created_at")
    expires_at = serializers.DateTimeField(source="warning.expires_at", allow_null=True)
    active = serializers.BooleanField(source="warning.is_active")
    reason = ReasonSerializer()


class ContentSerializer(serializers.Serializer):
    """A status (or other content) of the account's that moderation hid or removed."""

    content_type = serializers.CharField(source="content.content_type")
    content_id = serializers.CharField(source="content.content_id")
    state = serializers.ChoiceField(choices=("hidden", "removed"), source="content.state")
    reason = ReasonSerializer()


class StandingSerializer(serializers.Serializer):
    """The account standing page."""

    standing = serializers.ChoiceField(choices=STANDINGS)
    reason = ReasonSerializer(allow_null=True, help_text="Why the account is in its standing.")
    surfaces = SurfaceSerializer(many=True)
    rate_limits = RateLimitsSerializer()
    warnings = AccountWarningSerializer(many=True)
    content = ContentSerializer(
        many=True, help_text="The newest of the account's content moderation hid or removed."
    )

"""API rate limits scoped per entitlement tier.

Rates come from ``settings.AGORA_THROTTLE_RATES[tier][scope]`` (falling back to
the tier's ``default``); the tier comes from :mod:`core.entitlements`. A view sets
``throttle_scope`` to share a budget across endpoints (``registration``, say).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from core.entitlements import entitlements_for


class TierRateThrottle(SimpleRateThrottle):
    """Counts requests per account (or client address) per scope, at the tier's rate."""

    cache_format = "throttle:%(tier)s:%(scope)s:%(ident)s"

    def __init__(self):
        # Rates depend on the request's tier: resolved in allow_request.
        pass

    def parse_rate(self, rate):
        if rate is None:
            return None, None
        count, period = rate.split("/")
        multiplier = {"s": 1, "m": 60, "h": 3600, "d": 86400}
        number = period[:-1] or "1"
        return int(count), int(number) * multiplier[period[-1]]

    def allow_request(self, request, view) -> bool:
        if not getattr(settings, "AGORA_THROTTLE_ENABLED", True):
            return True
        tier = entitlements_for(request.user).tier
        self.scope = getattr(view, "throttle_scope", None) or "default"
        rates = settings.AGORA_THROTTLE_RATES.get(tier) or settings.AGORA_THROTTLE_RATES["free"]
        self.rate = rates.get(self.scope) or rates.get("default")
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.rate is None:
            return True
        self.tier = tier
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        if request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"tier": self.tier, "scope": self.scope, "ident": ident}

    def get_ident(self, request) -> str:
        # Only the socket's address unless a trusted proxy is configured (settings.security).
        header = getattr(settings, "AGORA_TRUSTED_PROXY_HEADER", "")
        if header and request.META.get(header):
            addresses = [a.strip() for a in request.META[header].split(",") if a.strip()]
            count = getattr(settings, "AGORA_TRUSTED_PROXY_COUNT", 1)
            if len(addresses) >= count:
                return addresses[-count]
        return request.META.get("REMOTE_ADDR", "")

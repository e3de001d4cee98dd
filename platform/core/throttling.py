"""API rate limits scoped per entitlement tier, counted as Mastodon counts them.

Rates come from ``settings.AGORA_THROTTLE_RATES[tier][scope]`` (falling back to
the tier's ``default``); the tier comes from :mod:`core.entitlements`. A view sets
``throttle_scope`` to share a budget across endpoints (``registration``, say).

Each budget is a window of fixed length aligned to the clock, as Rack::Attack (which
Mastodon uses) keeps it: one atomic increment of a counter in the cache per request.
DRF's ``SimpleRateThrottle`` instead reads the list of recent request times and
writes it back, so requests that arrive together each read the same list and all
but one of them go uncounted: parallel requests could exceed any limit. Responses
carry Mastodon's ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` headers (:class:`RateLimitHeadersMiddleware`); a refusal is
429 with ``Retry-After``.

When the counters' store (Redis) is out of reach, reads go through unlimited and
writes answer 503: see :meth:`TierRateThrottle.store_unavailable`.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from prometheus_client import Counter
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import BaseThrottle

from core.addresses import client_address
from core.entitlements import entitlements_for
from core.metrics import rate_limited_total, service_unavailable_total
from core.reputation import Trust, trust_of

logger = logging.getLogger(__name__)

rate_limit_store_errors = Counter(
    "agora_rate_limit_store_errors",
    "Requests whose rate limit could not be counted because the cache was out of reach.",
)

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class RateLimit:
    """One request's standing against its budget."""

    limit: int
    remaining: int
    reset: float  # when the window ends, in seconds since the epoch

    def headers(self) -> dict[str, str]:
        reset = datetime.fromtimestamp(self.reset, tz=UTC).isoformat(timespec="milliseconds")
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": reset.replace("+00:00", "Z"),
        }


def parse_rate(rate: str) -> tuple[int, int]:
    """``"300/5m"`` -> (300, 300): the number of requests and the window in seconds."""
    count, period = rate.split("/")
    number = period[:-1] or "1"
    return int(count), int(number) * _PERIODS[period[-1]]


def _count(key: str, *, expires_in: int, amount: int = 1) -> int:
    """Adds ``amount`` to ``key``'s counter (created expiring in ``expires_in`` seconds)."""
    try:
        return cache.incr(key, amount)
    except ValueError:  # no counter yet in this window
        if cache.add(key, amount, timeout=expires_in):
            return amount
        return cache.incr(key, amount)  # another request created it first


class TierRateThrottle(BaseThrottle):
    """Counts requests per account (or client address) per scope, at the tier's rate."""

    cache_format = "throttle:%(tier)s:%(scope)s:%(ident)s:%(window)d"
    timer = staticmethod(time.time)

    def allow_request(self, request, view) -> bool:
        if not getattr(settings, "AGORA_THROTTLE_ENABLED", True):
            return True
        budget = self.budget_for(request, view)
        if budget is None:
            return True
        tier, scope, rate = budget
        return self.spend(request, tier=tier, scope=scope, rate=rate)

    def budget_for(self, request, view) -> tuple[str, str, str] | None:
        """The request's budget: (tier, scope, rate), or None when it has no limit."""
        tier = entitlements_for(request.user).throttle_tier
        scope = self.scope_for(view)
        rate = self.rate_for(tier, scope)
        return None if rate is None else (tier, scope, rate)

    def spend(self, request, *, tier: str, scope: str, rate: str, amount: int = 1) -> bool:
        """Count ``amount`` against the budget; whether it is still within its limit.

        Puts the request's standing on it for :class:`RateLimitHeadersMiddleware`.
        """
        limit, period = parse_rate(rate)
        self.now = self.timer()
        window = int(self.now // period) * period
        self.reset = window + period
        key = self.cache_format % {
            "tier": tier, "scope": scope, "ident": self.ident(request), "window": window,
        }  # fmt: skip
        try:
            used = _count(key, expires_in=math.ceil(self.reset - self.now) + 1, amount=amount)
        except Exception as exc:
            # Imported here: core.exceptions imports DRF's views, whose settings import this.
            from core import exceptions as api_errors

            if not api_errors.is_outage(exc):
                raise
            return self.store_unavailable(request, exc)
        standing = RateLimit(limit=limit, remaining=max(0, limit - used), reset=self.reset)
        # For the response's headers (the HttpRequest outlives DRF's Request wrapper):
        # with several budgets on one request, the one closest to running out.
        django_request = getattr(request, "_request", request)
        shown = getattr(django_request, "rate_limit", None)
        if shown is None or standing.remaining < shown.remaining:
            django_request.rate_limit = standing
        if used > limit:
            rate_limited_total.labels(scope=scope).inc()
            return False
        return True

    def store_unavailable(self, request, exc: Exception) -> bool:
        """What a request gets when its budget cannot be counted: reads pass, writes 503.

        Failing open for reads keeps the read API (timelines from the database, the
        instance, profiles) serving through a Redis outage: a read costs one query
        and changes nothing, and refusing it would turn a cache outage into a full
        one. Writes fail closed: their budgets (registration, app creation, posting)
        hold back spam and abuse, which an outage, possibly one an attacker caused,
        must not lift; and most writes need Redis after the limiter anyway (feeds,
        the task broker). Each open pass is logged and counted
        (``agora_rate_limit_store_errors_total``) so the unlimited window is visible.

        Raises ServiceUnavailable (503 with ``Retry-After``) for a write.
        """
        rate_limit_store_errors.inc()
        if request.method in SAFE_METHODS:
            logger.warning(
                "rate limit store unavailable (%s): %s %s served without a limit",
                type(exc).__name__,
                request.method,
                request.path,
            )
            return True
        logger.warning(
            "rate limit store unavailable (%s): %s %s refused",
            type(exc).__name__,
            request.method,
            request.path,
        )
        from core import exceptions as api_errors

        service_unavailable_total.labels(cause="redis").inc()
        raise api_errors.ServiceUnavailable(
            _("The service is temporarily unavailable, try again shortly")
        )

    def scope_for(self, view) -> str:
        return getattr(view, "throttle_scope", None) or "default"

    def rate_for(self, tier: str, scope: str) -> str | None:
        """The rate (``"300/5m"``) of ``scope`` for ``tier``; None for no limit."""
        rates = settings.AGORA_THROTTLE_RATES.get(tier) or settings.AGORA_THROTTLE_RATES["free"]
        return rates.get(scope) or rates.get("default")

    def wait(self) -> float:
        return max(1, math.ceil(self.reset - self.now))

    def ident(self, request) -> str:
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return f"ip:{self.get_ident(request)}"

    def get_ident(self, request) -> str:
        return client_address(request)


class TrustRateThrottle(TierRateThrottle):
    """The tighter budgets of new and low-trust accounts (:mod:`core.reputation`).

    Applies to writes of a signed-in account on a view that names a ``trust_scope``
    (``statuses``, ``follows``), at ``settings.PROTECTION_TRUST_RATES[level][scope]``:
    levels without an entry (``normal``, ``established``, and everyone when protection
    is not installed: ``NEUTRAL``) have only their plan's limits. Counted as
    :class:`TierRateThrottle` counts, in budgets of their own; a refusal is the same 429
    with ``Retry-After`` and Mastodon's ``X-RateLimit-*`` headers.
    """

    cache_format = "throttle:trust:%(tier)s:%(scope)s:%(ident)s:%(window)d"

    def budget_for(self, request, view) -> tuple[str, str, str] | None:
        scope = getattr(view, "trust_scope", None)
        if not scope or request.method in SAFE_METHODS or not request.user.is_authenticated:
            return None
        return self.trust_budget(request_trust(request).level, scope)

    @staticmethod
    def trust_budget(level: str, scope: str) -> tuple[str, str, str] | None:
        """(level, scope, rate) of a ``level`` account's budget for ``scope``; None without one."""
        rate = getattr(settings, "PROTECTION_TRUST_RATES", {}).get(level, {}).get(scope)
        return (level, scope, rate) if rate else None


def request_trust(request) -> Trust:
    """The signed-in account's trust, asked once per request (the throttle and the view share it)."""
    django_request = getattr(request, "_request", request)
    trust = getattr(django_request, "account_trust", None)
    if trust is None:
        trust = trust_of(request.user.pk)
        django_request.account_trust = trust
    return trust


def mentions_check(request, *, count: int) -> None:
    """Hold a new or low-trust account's status to its mention limits (before it is posted).

    ``count``: the accounts the status mentions. More than the level's
    ``PROTECTION_MAX_MENTIONS`` in one status is refused with 422 on ``status``: the
    status as written will never be allowed, so waiting (what a 429 tells a client)
    would not help. Past the level's hourly ``mentions`` budget
    (``PROTECTION_TRUST_RATES``) it is 429 with the rate-limit headers, as any limit.
    Levels without limits, and throttling turned off, pass.

    Raises ``ValidationError`` (422) or ``Throttled`` (429).
    """
    if count <= 0 or not getattr(settings, "AGORA_THROTTLE_ENABLED", True):
        return
    trust = request_trust(request)
    most = getattr(settings, "PROTECTION_MAX_MENTIONS", {}).get(trust.level)
    if most is not None and count > most:
        raise ValidationError(
            {
                "status": [
                    _("your account may mention at most %(count)d accounts in one status for now")
                    % {"count": most}
                ]
            }
        )
    throttle = TrustRateThrottle()
    budget = throttle.trust_budget(trust.level, "mentions")
    if budget is None:
        return
    level, scope, rate = budget
    if not throttle.spend(request, tier=level, scope=scope, rate=rate, amount=count):
        raise Throttled(wait=throttle.wait())


class RateLimitHeadersMiddleware:
    """Puts the request's standing against its rate limit on the response, as Mastodon
    does (clients such as Mastodon.py pace themselves by these headers)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        rate_limit = getattr(request, "rate_limit", None)
        if rate_limit is not None:
            for name, value in rate_limit.headers().items():
                response[name] = value
        return response

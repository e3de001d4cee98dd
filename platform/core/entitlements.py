"""What a user's plan allows. Billing fills this in; the defaults are the free plan.

Lower layers ask ``entitlements_for(user)``; the billing app registers a provider
in its ``AppConfig.ready()`` with :func:`set_provider`. Without billing installed
everybody gets :data:`FREE`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Entitlements:
    """Limits and rate tier of one plan.

    ``tier`` names the plan ("free", "pro"); ``rate_limit_tier`` names the row of
    ``AGORA_THROTTLE_RATES`` its requests are counted against, the tier itself when empty.
    """

    tier: str
    max_status_characters: int = 500
    max_media_attachments: int = 4
    max_image_bytes: int = 16 * 1024 * 1024
    max_video_bytes: int = 512 * 1024 * 1024
    max_video_seconds: int = 10 * 60
    max_upload_bytes: int = 1024 * 1024 * 1024
    can_go_live: bool = False
    max_scheduled_statuses: int = 300
    max_scheduled_statuses_per_day: int = 50
    rate_limit_tier: str = ""

    @property
    def throttle_tier(self) -> str:
        """The tier whose request rates apply."""
        return self.rate_limit_tier or self.tier


ANONYMOUS = Entitlements(tier="anonymous")
FREE = Entitlements(tier="free")

Provider = Callable[[Any], Entitlements | None]
_provider: Provider | None = None


def set_provider(provider: Provider | None) -> None:
    """Install (or with ``None`` remove) the function that answers for signed-in users."""
    global _provider
    _provider = provider


def entitlements_for(user: Any) -> Entitlements:
    """The entitlements of ``user`` (anonymous users included)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    if _provider is not None:
        answer = _provider(user)
        if answer is not None:
            return answer
    return FREE

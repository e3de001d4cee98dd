"""Protection's back-office screens, one module per area."""

from apps.protection.admin import (
    links,  # noqa: F401
    reputation,  # noqa: F401
    shields,  # noqa: F401
)

"""Protection's back-office screens, one module per area."""

from apps.protection.admin import reputation  # noqa: F401

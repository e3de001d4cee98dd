"""The moderation app's readiness check: the learned text model's file can be read."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from apps.moderation.textmodel import ModelFileError, model_meta
from core import health

CHECK_NAME = "moderation_text_model"


def check_text_model() -> None:
    """Raise :class:`core.health.ReadinessProblem` when the configured model file is unusable."""
    path = settings.MODERATION_TEXT_MODEL
    if not path:
        return
    try:
        model_meta(Path(path))
    except ModelFileError as error:
        raise health.ReadinessProblem(
            f"moderation text model unusable, the rules decide alone: {error}"
        ) from None


def register() -> None:
    """Optional: without the model, moderation goes on with the rule assessors."""
    health.register_check(CHECK_NAME, check_text_model, critical=False)

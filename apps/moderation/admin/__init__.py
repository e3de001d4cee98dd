"""Moderation's back office: the pipeline's settings (pipeline.py) and the review queue (cases.py)."""

from . import cases, pipeline  # noqa: F401

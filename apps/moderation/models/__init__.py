"""Moderation's data: the automated pipeline's (assessment.py) and the human side's (cases.py)."""

from .assessment import Assessment, Category, Decision, KnownMediaHash, Policy
from .cases import *  # noqa: F403

__all__ = ["Assessment", "Category", "Decision", "KnownMediaHash", "Policy"]

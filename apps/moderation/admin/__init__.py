"""Moderation's back office: the pipeline's settings (pipeline.py), the review queue
(cases.py), and the report count on the feed's status screen (feed.py)."""

from . import cases, feed, pipeline  # noqa: F401

"""Fixtures of the protection tests."""

import pytest

from apps.protection import detector
from tests.feed.conftest import Member, alice, bob, carol  # noqa: F401
from tests.moderation.conftest import (  # noqa: F401
    moderator,
    moderator_admin,
    pipeline,
    pipeline_flags,
)


@pytest.fixture(autouse=True)
def _fresh_detector():
    """The in-process detector store starts empty in each test."""
    detector._memory_store.__init__()
    yield
    detector._memory_store.__init__()

"""core.relationships: the follow-request count accounts report, with a safe default."""

import pytest

from core import relationships


class Counting:
    def __init__(self, count: int):
        self.count = count

    def follow_requests_count(self, *, account) -> int:
        return self.count


@pytest.fixture
def provider():
    """Whatever provider the installed apps registered, put back after the test."""
    installed = relationships._provider
    yield
    relationships.set_provider(installed)


def test_without_a_provider_nobody_has_follow_requests(provider):
    # when
    relationships.set_provider(None)

    # then
    assert relationships.follow_requests_count(account=object()) == 0


def test_the_provider_answers_when_installed(provider):
    # when
    relationships.set_provider(Counting(3))

    # then
    assert relationships.follow_requests_count(account=object()) == 3

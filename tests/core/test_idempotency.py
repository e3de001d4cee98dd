"""core.idempotency: a retried create returns the first result for an hour, per account and scope."""

import time
from dataclasses import dataclass

import pytest

from core import idempotency


@dataclass
class Made:
    pk: int


class Maker:
    """Creates numbered objects and finds those not deleted since."""

    def __init__(self):
        self.made: dict[int, Made] = {}
        self.count = 0

    def create(self) -> Made:
        self.count += 1
        made = Made(pk=self.count)
        self.made[made.pk] = made
        return made

    def find(self, pk: int) -> Made | None:
        return self.made.get(pk)


@pytest.fixture
def maker():
    return Maker()


def once(maker, *, key="k1", scope="status", account_id=1) -> Made:
    return idempotency.create_once(
        scope=scope, account_id=account_id, key=key, find=maker.find, create=maker.create
    )


def test_a_repeated_key_returns_the_first_result_without_creating(maker):
    # when
    first, second = once(maker), once(maker)

    # then
    assert second is first
    assert list(maker.made) == [1]


@pytest.mark.parametrize(
    ("second_call", "expected_pks"),
    [
        pytest.param({"key": "k2"}, [1, 2], id="another-key"),
        pytest.param({"account_id": 2}, [1, 2], id="another-account"),
        pytest.param({"scope": "scheduled_status"}, [1, 2], id="another-scope"),
        pytest.param({"key": None}, [1, 2], id="no-key"),
        pytest.param({"key": ""}, [1, 2], id="empty-key"),
    ],
)
def test_only_the_same_key_account_and_scope_repeat(maker, second_call, expected_pks):
    # when
    once(maker)
    once(maker, **second_call)

    # then
    assert list(maker.made) == expected_pks


def test_without_a_key_every_call_creates(maker):
    # when
    once(maker, key=None)
    once(maker, key=None)

    # then
    assert list(maker.made) == [1, 2]


def test_a_first_result_that_is_gone_is_created_again(maker):
    # given
    first = once(maker)
    del maker.made[first.pk]

    # when
    again = once(maker)

    # then
    assert again.pk == 2
    assert once(maker) is again


def test_the_key_is_forgotten_after_an_hour(maker, monkeypatch):
    # given
    first = once(maker)
    started = time.time()

    # when: the clock moves past the hour
    monkeypatch.setattr(time, "time", lambda: started + idempotency.TTL_SECONDS + 1)
    later = once(maker)

    # then
    assert later.pk != first.pk


def test_a_failed_create_remembers_nothing(maker):
    # given
    def refuse():
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        idempotency.create_once(
            scope="status", account_id=1, key="k1", find=maker.find, create=refuse
        )

    # when
    made = once(maker)

    # then
    assert made.pk == 1


def test_any_client_key_is_usable(maker):
    # given: a key no cache backend would take as it is
    key = "ключ with spaces\n" + "x" * 500

    # when
    first, second = once(maker, key=key), once(maker, key=key)

    # then
    assert second is first

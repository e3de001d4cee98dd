"""The pile-on detector: a sliding window of each account's inbound attention from strangers.

Protection feeds it every reply, mention and quote from an account the recipient
neither follows nor talks with (:mod:`apps.protection.services.pile_ons`), with
moderation's hostility score and whether the sender is new or low-trust. Per
recipient it keeps, over the last ``PROTECTION_PILE_ON_WINDOW_SECONDS``:

- ``{prot:<id>}:strangers``, a sorted set of the strangers who reached it, scored by
  when each was last seen;
- ``{prot:<id>}:hostile`` and ``{prot:<id>}:weak``, the same for the hostile ones and
  the hostile ones who are new or low-trust;
- ``{prot:<id>}:days``, a hash of hostile interactions per UTC day (14 days kept), its
  baseline: what is ordinary for this account.

One interaction is one script run (atomic, one round trip; a batch is one pipeline),
which answers the window's counts. :func:`is_pile_on` decides from them: enough
distinct hostile strangers (new and low-trust ones weigh more), well over the
account's baseline, and a large enough share of all the strangers in the window — so
a viral post's flood of friendly replies never raises a shield, however large.

Without Redis (the embedded default: one process, and the unit suite)
:class:`MemoryDetectorStore` keeps the same structures in this process; the
integration suite and ``bench/protection.py`` run the Redis one.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import redis
from django.conf import settings

BASELINE_DAYS = 14
DAY_SECONDS = 86400


@dataclass(frozen=True)
class Observation:
    """One inbound interaction from a stranger: ``account_id`` is its recipient."""

    account_id: int
    sender_id: int
    hostility: float
    weak_sender: bool  # new or low-trust
    at: float  # seconds since the epoch

    @property
    def is_hostile(self) -> bool:
        return self.hostility >= settings.PROTECTION_HOSTILE_SCORE


@dataclass(frozen=True)
class Window:
    """The recipient's window once an interaction is counted, and its baseline."""

    strangers: int
    hostile: int
    weak_hostile: int
    # Hostile interactions over the BASELINE_DAYS days before today.
    baseline_hostile: int

    @property
    def weight(self) -> float:
        return self.hostile + settings.PROTECTION_PILE_ON_WEAK_WEIGHT * self.weak_hostile

    @property
    def baseline_per_window(self) -> float:
        """The hostile interactions an ordinary window of this account holds."""
        per_day = self.baseline_hostile / BASELINE_DAYS
        return per_day * settings.PROTECTION_PILE_ON_WINDOW_SECONDS / DAY_SECONDS

    @property
    def threshold(self) -> float:
        return max(
            settings.PROTECTION_PILE_ON_THRESHOLD,
            settings.PROTECTION_PILE_ON_SURGE * self.baseline_per_window,
        )

    @property
    def hostile_share(self) -> float:
        return self.hostile / self.strangers if self.strangers else 0.0

    def as_json(self) -> dict[str, float | int]:
        return {
            "strangers": self.strangers,
            "hostile_senders": self.hostile,
            "weak_hostile_senders": self.weak_hostile,
            "weight": round(self.weight, 2),
            "threshold": round(self.threshold, 2),
            "baseline_per_window": round(self.baseline_per_window, 3),
            "hostile_share": round(self.hostile_share, 3),
            "window_seconds": settings.PROTECTION_PILE_ON_WINDOW_SECONDS,
        }


def is_pile_on(window: Window) -> bool:
    """Whether the window is a pile-on (see the module's docstring)."""
    return (
        window.hostile >= settings.PROTECTION_PILE_ON_MIN_SENDERS
        and window.weight >= window.threshold
        and window.hostile_share >= settings.PROTECTION_PILE_ON_HOSTILE_SHARE
    )


class DetectorStore(Protocol):
    def record(self, observations: Sequence[Observation]) -> list[Window]: ...

    def hostile_senders(self, account_id: int, now: float) -> list[int]: ...

    def clear(self, account_id: int) -> None: ...


def _keys(account_id: int) -> list[str]:
    # One hash tag per account: the keys of a recipient share a Redis Cluster slot.
    tag = f"{{prot:{account_id}}}"
    return [f"{tag}:strangers", f"{tag}:hostile", f"{tag}:weak", f"{tag}:days"]


# KEYS: strangers, hostile, weak, days. ARGV: now, window, sender, hostile (0/1),
# weak (0/1), today (days since the epoch), baseline days.
RECORD_SCRIPT = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local sender = ARGV[3]
local today = tonumber(ARGV[6])
local floor = now - window
redis.call('ZADD', KEYS[1], now, sender)
if ARGV[4] == '1' then
  redis.call('ZADD', KEYS[2], now, sender)
  if ARGV[5] == '1' then redis.call('ZADD', KEYS[3], now, sender) end
  redis.call('HINCRBY', KEYS[4], today, 1)
  redis.call('EXPIRE', KEYS[4], (tonumber(ARGV[7]) + 1) * 86400)
end
local counts = {}
for i = 1, 3 do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. floor)
  redis.call('EXPIRE', KEYS[i], window)
  counts[i] = redis.call('ZCARD', KEYS[i])
end
local baseline = 0
local days = redis.call('HGETALL', KEYS[4])
for i = 1, #days, 2 do
  local day = tonumber(days[i])
  if day < today and day >= today - tonumber(ARGV[7]) then
    baseline = baseline + tonumber(days[i + 1])
  end
end
counts[4] = baseline
return counts
"""


class RedisDetectorStore:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self.script = client.register_script(RECORD_SCRIPT)

    def record(self, observations: Sequence[Observation]) -> list[Window]:
        if not observations:
            return []
        window = settings.PROTECTION_PILE_ON_WINDOW_SECONDS
        pipe = self.client.pipeline(transaction=False)
        for o in observations:
            self.script(
                keys=_keys(o.account_id),
                args=[
                    repr(o.at),
                    window,
                    o.sender_id,
                    int(o.is_hostile),
                    int(o.weak_sender),
                    int(o.at // DAY_SECONDS),
                    BASELINE_DAYS,
                ],  # fmt: skip
                client=pipe,
            )
        return [Window(*map(int, answer)) for answer in pipe.execute()]

    def hostile_senders(self, account_id: int, now: float) -> list[int]:
        floor = now - settings.PROTECTION_PILE_ON_WINDOW_SECONDS
        members: list[bytes] = self.client.zrangebyscore(_keys(account_id)[1], floor, "+inf")  # type: ignore[assignment]
        return sorted(int(member) for member in members)

    def clear(self, account_id: int) -> None:
        self.client.delete(*_keys(account_id))


class MemoryDetectorStore:
    """The same structures in this process's memory (one process: ``make run``, unit tests)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.windows: dict[str, dict[int, float]] = {}
        self.days: dict[int, dict[int, int]] = {}

    def record(self, observations: Sequence[Observation]) -> list[Window]:
        window = settings.PROTECTION_PILE_ON_WINDOW_SECONDS
        answers = []
        with self.lock:
            for o in observations:
                strangers, hostile, weak, _days = _keys(o.account_id)
                self.windows.setdefault(strangers, {})[o.sender_id] = o.at
                today = int(o.at // DAY_SECONDS)
                if o.is_hostile:
                    self.windows.setdefault(hostile, {})[o.sender_id] = o.at
                    if o.weak_sender:
                        self.windows.setdefault(weak, {})[o.sender_id] = o.at
                    days = self.days.setdefault(o.account_id, {})
                    days[today] = days.get(today, 0) + 1
                counts = []
                for key in (strangers, hostile, weak):
                    members = {
                        sender: at
                        for sender, at in self.windows.get(key, {}).items()
                        if at >= o.at - window
                    }
                    self.windows[key] = members
                    counts.append(len(members))
                baseline = sum(
                    count
                    for day, count in self.days.get(o.account_id, {}).items()
                    if today - BASELINE_DAYS <= day < today
                )
                answers.append(
                    Window(
                        strangers=counts[0],
                        hostile=counts[1],
                        weak_hostile=counts[2],
                        baseline_hostile=baseline,
                    )
                )
        return answers

    def hostile_senders(self, account_id: int, now: float) -> list[int]:
        floor = now - settings.PROTECTION_PILE_ON_WINDOW_SECONDS
        with self.lock:
            members = self.windows.get(_keys(account_id)[1], {})
            return sorted(sender for sender, at in members.items() if at >= floor)

    def clear(self, account_id: int) -> None:
        with self.lock:
            for key in _keys(account_id)[:3]:
                self.windows.pop(key, None)
            self.days.pop(account_id, None)


_memory_store = MemoryDetectorStore()


@lru_cache(maxsize=4)
def _redis_store(url: str) -> RedisDetectorStore:
    return RedisDetectorStore(
        redis.Redis.from_url(
            url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30
        )
    )


def detector_store() -> DetectorStore:
    """Redis when ``REDIS_URL`` is set, this process's memory otherwise."""
    if settings.REDIS_URL:
        return _redis_store(settings.REDIS_URL)
    return _memory_store

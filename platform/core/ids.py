"""Time-ordered 64-bit ids for public objects, as Mastodon makes them.

The upper 48 bits are milliseconds since the Unix epoch, the lower 16 a sequence
that starts at a random point each millisecond: ids sort by creation time, reveal
little about volume, and fit a signed 64-bit column until the year 10889. Clients
receive them as strings (JavaScript numbers lose precision past 2**53).
"""

import secrets
import threading
import time
from datetime import datetime

# Ids are signed 64-bit columns: a larger one is a client's error, not the database's.
MAX_ID = 2**63 - 1

_lock = threading.Lock()
_last_millis = 0
_sequence = 0
_SEQUENCE_BITS = 16
_SEQUENCE_MASK = (1 << _SEQUENCE_BITS) - 1


def generate_id() -> int:
    """Return a new id, strictly greater than any this process returned before."""
    global _last_millis, _sequence
    with _lock:
        millis = int(time.time() * 1000)
        if millis > _last_millis:
            _last_millis = millis
            _sequence = secrets.randbelow(1 << (_SEQUENCE_BITS - 1))
        else:
            _sequence += 1
            if _sequence > _SEQUENCE_MASK:
                # More than 32k ids in one millisecond: borrow the next one.
                _last_millis += 1
                _sequence = 0
        return (_last_millis << _SEQUENCE_BITS) | _sequence


def id_for_time(moment: datetime) -> int:
    """The smallest id that could have been made at ``moment`` (for time-range queries)."""
    return int(moment.timestamp() * 1000) << _SEQUENCE_BITS


def id_time(value: int) -> datetime:
    """When the object with id ``value`` was created."""
    from datetime import UTC

    return datetime.fromtimestamp((value >> _SEQUENCE_BITS) / 1000, tz=UTC)


def parse_id(value: object) -> int | None:
    """``value`` as an id if it is one (a decimal integer from 1 to :data:`MAX_ID`), else None.

    For ids that arrive in a body or a query string; ids in a path arrive through
    the ``<id:...>`` converter (:mod:`core.converters`) and need no parsing.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
    else:
        return None
    return number if 0 < number <= MAX_ID else None

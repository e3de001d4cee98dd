"""A small, real, stateful fake of Stripe's API for offline tests (see README.md).

``from tests.fakestripe import FakeStripe, sign``
"""

from .server import FakeStripe
from .state import API_VERSION, ApiError
from .webhooks import sign

__all__ = ["API_VERSION", "ApiError", "FakeStripe", "sign"]

"""Schema fuzzing: requests generated from ``/api/schema/`` never answer a 5xx.

schemathesis reads the OpenAPI schema drf-spectacular serves and, for every
operation, generates requests from it (valid and invalid bodies, parameters and
paths), sent in process through Django's WSGI handler, signed in as an account
that owns some content, with rate limits off. Any 5xx fails the test, naming the
operation and the request that caused it.

``AGORA_FUZZ_EXAMPLES`` sets the examples per operation: 5 in ``make test`` (about
2,900 requests, under a minute), 25 in CI (``.ci/run``: about 4,500), where
``AGORA_FUZZ_MIN_REQUESTS`` makes a run that generated fewer requests than that fail,
so the bound cannot shrink unseen.
"""

import json
import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error

from tests.accounts.factories import AccessTokenFactory, UserFactory

EXAMPLES = int(os.environ.get("AGORA_FUZZ_EXAMPLES", "5"))
# Requests sent, for the summary line (tests/security/conftest.py) and AGORA_FUZZ_MIN_REQUESTS.
SENT = {"requests": 0}


def _served_schema():
    """The schema ``/api/schema/`` serves, rendered as it is served, with the app to call."""
    from django.core.wsgi import get_wsgi_application
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = get_wsgi_application()
    return loaded


schema = _served_schema()


@pytest.fixture(scope="module")
def _stripe():
    """Billing answers 503 by design without Stripe: it is fuzzed against the fake Stripe."""
    from tests.fakestripe import FakeStripe

    server = FakeStripe(deliver="manual").start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _in_process(settings, _stripe):
    """Rate limits off; the test's transaction survives each request, as with Django's client."""
    settings.AGORA_THROTTLE_ENABLED = False
    settings.STRIPE_TEST_SECRET_KEY = "sk_test_fuzz"
    settings.STRIPE_IS_CONFIGURED = True
    settings.STRIPE_API_BASE = _stripe.url
    settings.DJSTRIPE_WEBHOOK_SECRET = "whsec_fuzz"
    # The handler's end-of-request signal would close the connection that holds the
    # test's transaction; Django's test client disconnects it the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def signed_in(db):
    """Headers of an account with a full-scope token and a status of its own."""
    from apps.feed import services

    account = UserFactory(username="fuzzer")
    services.status_create(author=account, text="a status for the fuzzer to find")
    token = AccessTokenFactory(user=account, scope="read write follow push").token
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_request_answers_a_server_error(case, signed_in):
    SENT["requests"] += 1
    case.call_and_validate(headers=signed_in, checks=[not_a_server_error])

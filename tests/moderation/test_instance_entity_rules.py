"""The instance entity (v1 and v2, served by accounts) lists moderation's server rules
through ``core.rules``, the same as ``GET /api/v1/instance/rules``."""

import pytest

from core import rules
from tests.api_client import APIClient
from tests.moderation.factories import RuleFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/instance", "/api/v2/instance"])
def test_instance_lists_the_server_rules_in_order(path):
    second = RuleFactory(text="No spam.", hint="Ads included.", position=2)
    first = RuleFactory(text="Be kind.", hint="", position=1)

    body = APIClient().get(path).json()

    assert body["rules"] == [
        {"id": str(first.pk), "text": "Be kind.", "hint": ""},
        {"id": str(second.pk), "text": "No spam.", "hint": "Ads included."},
    ]
    assert body["rules"] == APIClient().get("/api/v1/instance/rules").json()


def test_without_a_provider_the_instance_has_no_rules(monkeypatch):
    RuleFactory(text="Be kind.")
    monkeypatch.setattr(rules, "_provider", None)

    assert APIClient().get("/api/v2/instance").json()["rules"] == []

"""core.health's registry of extra readiness checks (media fills it in its AppConfig)."""

from __future__ import annotations

import pytest

from core import health


@pytest.fixture
def registered():
    names: list[str] = []

    def register(name, check, *, critical):
        health.register_check(name, check, critical=critical)
        names.append(name)

    yield register
    for name in names:
        health.unregister_check(name)


def failing() -> None:
    raise health.ReadinessProblem("search index unreachable")


def test_a_failing_critical_check_makes_readyz_503(db, worker_alive, client, registered):
    registered("search_index", failing, critical=True)
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["failing"] == ["search_index"]
    assert body["checks"]["search_index"]["detail"] == "search index unreachable"


def test_a_failing_optional_check_only_degrades(db, worker_alive, client, registered):
    registered("thumbnails", failing, critical=False)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert "thumbnails" in response.json()["degraded"]
    assert "thumbnails" not in response.json()["checks"]


def test_details_of_other_exceptions_stay_in_the_logs(db, worker_alive, client, registered):
    def leaky() -> None:
        raise RuntimeError("password=hunter2")

    registered("leaky", leaky, critical=False)
    check = client.get("/readyz").json()["optional"]["leaky"]
    assert check == {**check, "status": "error", "error": "RuntimeError"}
    assert "detail" not in check


def test_built_in_names_cannot_be_replaced():
    with pytest.raises(ValueError, match="built-in"):
        health.register_check("database", failing)

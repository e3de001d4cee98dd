"""Moderation's services speak the platform's errors (core.errors), never DRF's."""

import ast
from pathlib import Path

import pytest

import apps.moderation
from apps.moderation import services
from core import errors

pytestmark = pytest.mark.django_db

MODERATION = Path(apps.moderation.__file__).resolve().parent
BELOW_THE_VIEWS = [
    "services.py",
    "services",
    "pipeline.py",
    "strikes.py",
    "selectors.py",
    "handlers.py",
    "case_handlers.py",
    "pipeline_handlers.py",
    "case_access.py",
    "policies.py",
    "audit.py",
]


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("name", BELOW_THE_VIEWS)
def test_no_module_below_the_views_imports_drf(name):
    target = MODERATION / name
    files = sorted(target.glob("*.py")) if target.is_dir() else [target]
    files = [f for f in files if f.exists()]  # services.py, or the services/ package

    drf = {f.name: m for f in files for m in _imported_modules(f) if m.startswith("rest_framework")}

    assert drf == {}


def test_lifting_a_standing_the_account_is_not_in_is_forbidden(alice, moderator):
    with pytest.raises(errors.Forbidden):
        services.account_standing_lift(moderator=moderator, account=alice.account, type="unsuspend")


def test_a_bad_admin_action_type_is_invalid_field_by_field(alice, moderator):
    with pytest.raises(errors.Invalid) as raised:
        services.account_action(moderator=moderator, account=alice.account, type="banish")

    assert list(raised.value.detail) == ["type"]


def test_a_report_about_an_unknown_account_is_not_found(alice):
    with pytest.raises(errors.NotFound):
        services.report_create(reporter=alice.account, account_id="nope", category="spam")


def test_a_case_error_is_a_conflict():
    assert issubclass(services.CaseClaimed, errors.Conflict)
    assert issubclass(services.CaseClosed, errors.Conflict)

"""Whole-project checks: deploy settings, the layer contract, the API schema and docs."""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from drf_spectacular.validation import validate_schema

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "agora.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://agora.example.com",
    "DATABASE_URL": "postgres://agora:secret@db.example.com:5432/agora",
    "REDIS_URL": "redis://redis.example.com:6379/0",
    "CELERY_BROKER_URL": "redis://redis.example.com:6379/1",
    "EMAIL_URL": "smtp+tls://agora:secret@smtp.example.com:587",
    "LOG_LEVEL": "WARNING",
}


def clean_env(**extra: str) -> dict[str, str]:
    """The process environment without Agora's settings (pytest-env sets DEBUG), plus ``extra``."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}
    return {key: value for key, value in os.environ.items() if key in keep} | extra


def test_check_deploy_passes_with_production_values():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean_env(**PRODUCTION_ENV),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = clean_env(**{**PRODUCTION_ENV, "SECRET_KEY": ""})

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def database_settings(**extra: str) -> dict:
    """settings.DATABASES["default"] as production computes it with ``extra`` in the env."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; "
        "print(json.dumps({'OPTIONS': d.get('OPTIONS', {}), 'CONN_MAX_AGE': d['CONN_MAX_AGE']}, "
        "default=lambda o: f'{o.__module__}.{o.__qualname__}'))"  # a class by its dotted path
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean_env(
            **PRODUCTION_ENV, **extra, PYTHONPATH=f"{ROOT}:{ROOT / 'platform'}",
            DJANGO_SETTINGS_MODULE="config.settings",
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_postgresql_connections_are_pooled_by_default():
    database = database_settings()

    assert database["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 4, "timeout": 2.0}
    assert database["CONN_MAX_AGE"] == 0


def test_the_pool_is_sized_by_the_environment_and_can_be_turned_off():
    sized = database_settings(DATABASE_POOL_MAX_SIZE="8", DATABASE_POOL_MIN_SIZE="20")
    unpooled = database_settings(DATABASE_POOL_MAX_SIZE="0", DATABASE_CONN_MAX_AGE="60")

    # The floor never exceeds the ceiling; without a pool, persistent connections apply.
    assert sized["OPTIONS"]["pool"] == {"min_size": 8, "max_size": 8, "timeout": 2.0}
    assert "pool" not in unpooled["OPTIONS"]
    assert unpooled["CONN_MAX_AGE"] == 60


def test_only_statements_marked_prepared_are_and_that_can_be_turned_off():
    default = database_settings()
    turned_off = database_settings(DATABASE_PREPARED_STATEMENTS="false")
    client_side = database_settings(DATABASE_SERVER_SIDE_BINDING="false")

    # Statements starting with core.postgres.PREPARED are prepared, no other ever is.
    assert default["OPTIONS"]["cursor_factory"] == "core.postgres.PreparingCursor"
    assert default["OPTIONS"]["prepare_threshold"] == sys.maxsize
    assert "cursor_factory" not in turned_off["OPTIONS"]
    assert turned_off["OPTIONS"]["prepare_threshold"] is None
    assert turned_off["OPTIONS"]["server_side_binding"] is True
    assert "cursor_factory" not in client_side["OPTIONS"]


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"],
        cwd=cwd,
        env=clean_env(PYTHONPATH="platform:."),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_import_contract_is_kept():
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


def copy_of_the_code(tmp_path: Path) -> Path:
    """A copy of the packages lint-imports reads and its configuration, to plant imports in."""
    for name in ("platform", "apps"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_import_contract_catches_core_importing_an_app(tmp_path):
    # given a copy of the code where core imports the accounts app (a layer above it)
    copy = copy_of_the_code(tmp_path)
    (copy / "platform" / "core" / "upward.py").write_text("import apps.accounts.models\n")

    # when the contract is checked
    result = lint_imports(copy)

    # then it is broken, naming the import
    assert result.returncode == 1
    assert "Contracts: 3 kept, 1 broken." in result.stdout
    assert "core.upward -> apps.accounts.models" in result.stdout


def test_import_contract_catches_a_lower_app_importing_a_higher_one(tmp_path):
    # given a copy of the code where media imports the feed (a layer above it)
    copy = copy_of_the_code(tmp_path)
    (copy / "apps" / "media" / "upward.py").write_text("import apps.feed.models\n")

    # when the contract is checked
    result = lint_imports(copy)

    # then it is broken, naming the import
    assert result.returncode == 1
    assert "Contracts: 3 kept, 1 broken." in result.stdout
    assert "apps.media.upward -> apps.feed.models" in result.stdout


def test_import_contract_catches_an_inversion_inside_an_app(tmp_path):
    # given a copy of the code where media's selectors import media's API (an interface)
    copy = copy_of_the_code(tmp_path)
    selectors = copy / "apps" / "media" / "selectors.py"
    selectors.write_text(selectors.read_text() + "\nimport apps.media.api.views  # noqa\n")

    # when the contract is checked
    result = lint_imports(copy)

    # then it is broken, naming the import (and, through the API, DRF below the interfaces)
    assert result.returncode == 1
    assert "Contracts: 2 kept, 2 broken." in result.stdout
    assert "apps.media.selectors is not allowed to import apps.media.api" in result.stdout


def test_import_contract_catches_a_service_speaking_drf(tmp_path):
    # given a copy of the code where a media service raises DRF's errors
    copy = copy_of_the_code(tmp_path)
    services = copy / "apps" / "media" / "services.py"
    services.write_text(services.read_text() + "\nimport rest_framework.exceptions  # noqa\n")

    # when the contract is checked
    result = lint_imports(copy)

    # then it is broken, naming the import
    assert result.returncode == 1
    assert "Contracts: 3 kept, 1 broken." in result.stdout
    assert "apps.media.services is not allowed to import rest_framework" in result.stdout


def test_import_contract_catches_an_app_it_does_not_place(tmp_path):
    # given a copy of the code with a new app under apps/ that the contract does not list
    copy = copy_of_the_code(tmp_path)
    (copy / "apps" / "newapp").mkdir()
    (copy / "apps" / "newapp" / "__init__.py").write_text("")

    # when the contract is checked
    result = lint_imports(copy)

    # then it fails, naming the app
    assert result.returncode == 1
    assert "apps.newapp" in result.stdout + result.stderr


@pytest.mark.django_db
def test_openapi_schema_is_valid(client):
    response = client.get("/api/schema/")

    schema = yaml.safe_load(response.content)
    assert response.status_code == 200
    validate_schema(schema)
    assert "/api/agora/v1/jobs/{job_id}" in schema["paths"]


@pytest.mark.django_db
def test_api_docs_load_only_local_assets(client):
    response = client.get("/api/docs/")

    html = response.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert response.status_code == 200
    assert urls
    assert all(url.startswith("/static/") for url in urls), urls
    assert not re.search(r"https?://", html)
    assert '"/api/schema/"' in html

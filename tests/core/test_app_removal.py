"""Removing an app from INSTALLED_APPS breaks none of the apps below it.

Each app above accounts is removed in turn, with every app of a higher layer (which
may import it), and a subprocess started with those settings (``AGORA_DISABLED_APPS``)
must pass ``tests/core/app_removal_probe.py`` (system checks, migration graph,
importing every module left, URLs, WebSocket routes, grants, tasks, no removed module
imported) and then the unit tests of the apps left.

The apps come from the layer contract in pyproject.toml, so a new app is removed
here as soon as it is placed in the contract (and the contract is exhaustive over
apps/, so it must be).

Cost: the full suites of the apps left take minutes per removal, so by default
each test module of those apps runs its first ``TESTS_PER_MODULE`` tests: every
module and its helpers are still imported, which is where a removed app shows first.
``AGORA_APP_REMOVAL_FULL=1`` runs the full suites. The removals spawn subprocesses, so
they run one after another and, across test sessions on one machine, one at a time.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests import db_template

ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("app_removal_probe.py")
TESTS_PER_MODULE = 2

pytestmark = pytest.mark.app_removal


def app_layers() -> list[set[str]]:
    """The Agora apps of each layer of the apps contract, highest first, landed apps only."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ]
    (layers,) = [
        contract["layers"] for contract in contracts if contract.get("containers") == ["apps"]
    ]
    found = []
    for layer in layers:
        names = {f"apps.{name.strip('() ')}" for name in re.split(r"[|:]", layer)}
        landed = {name for name in names if (ROOT / Path(*name.split("."))).is_dir()}
        if landed:
            found.append(landed)
    return found


def removals() -> dict[str, list[str]]:
    """Each app above accounts -> the apps removed with it (itself and every higher layer)."""
    layers = app_layers()
    bottom = next(index for index, layer in enumerate(layers) if "apps.accounts" in layer)
    cases = {}
    for index, layer in enumerate(layers[:bottom]):
        higher = sorted(name for above in layers[:index] for name in above)
        for name in sorted(layer):
            cases[name] = [name, *higher]
    return cases


def subprocess_env(removed: list[str]) -> dict[str, str]:
    """The environment of a removal run: always the embedded SQLite database.

    What removal can break is wiring (imports, URLs, routes, grants, tasks), the same
    on every database; and a PostgreSQL test database shared with the session running
    this test would hold the removed apps' tables, whose foreign keys stop the lower
    apps' transactional tests from emptying it.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "DJANGO_SETTINGS_MODULE")) and key != "DATABASE_URL"
    }
    env.update(
        AGORA_DISABLED_APPS=",".join(removed),
        DEBUG="true",
        LOG_LEVEL="WARNING",
        EVENTS_RELAY_IN_PROCESS="true",
        PYTHONPATH=f"{ROOT}:{ROOT / 'platform'}",
    )
    return env


def run(command: list[str], env: dict[str, str], timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def seed_test_database(fingerprint: str) -> None:
    """Give these settings' test database the full one's template, when it is built.

    Building a template for a set of migrations from scratch takes minutes; the full
    settings' template (built by this session) has every table the smaller set needs,
    and the removed apps' extra tables change nothing for the apps left.
    """
    full = db_template.CACHE_DIR / f"template-{db_template.migrations_fingerprint()}.sqlite3"
    seeded = db_template.CACHE_DIR / f"template-{fingerprint}.sqlite3"
    if seeded.exists() or not full.exists():
        return
    shutil.copyfile(full, seeded.with_suffix(".seeding"))
    seeded.with_suffix(".json").write_text(full.with_suffix(".json").read_text())
    seeded.with_suffix(".seeding").replace(seeded)


@pytest.fixture(scope="module")
def one_at_a_time():
    """Removal runs of concurrent test sessions on one machine take turns."""
    lock_path = ROOT / "var" / "app-removal.lock"
    lock_path.parent.mkdir(exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def test_every_app_above_accounts_is_removed_in_turn():
    cases = removals()

    assert {"apps.moderation", "apps.feed", "apps.media"} <= set(cases)
    assert "apps.accounts" not in cases
    assert cases["apps.media"][:1] == ["apps.media"]
    assert {"apps.feed", "apps.moderation"} <= set(cases["apps.media"])


@pytest.mark.parametrize("app", sorted(removals()))
def test_removing_an_app_breaks_none_of_the_apps_below_it(app, one_at_a_time):
    removed = removals()[app]
    env = subprocess_env(removed)

    probe = run([sys.executable, str(PROBE)], env, timeout=300)
    assert probe.returncode == 0, f"without {removed}:\n{probe.stdout}\n{probe.stderr}"

    seed_test_database(probe.stdout.split()[-1])
    installed = {name for layer in app_layers() for name in layer} - set(removed)
    left = sorted(
        f"tests/{name.split('.')[-1]}"
        for name in installed
        if (ROOT / "tests" / name.split(".")[-1]).is_dir()
    )
    if not os.environ.get("AGORA_APP_REMOVAL_FULL"):
        env["AGORA_REMOVAL_TESTS_PER_MODULE"] = str(TESTS_PER_MODULE)
    suites = run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-m",
            "not integration",
            "-p",
            "tests.core.app_removal_plugin",
            *left,
        ],
        env,
        timeout=1800,
    )
    assert suites.returncode == 0, f"without {removed}:\n{suites.stdout[-20000:]}"


def test_the_probe_fails_when_an_app_below_imports_a_removed_one(tmp_path):
    # given a copy of the code where media imports moderation (a layer above it) on import
    for name in ("platform", "apps", "tests"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    services = tmp_path / "apps" / "media" / "services.py"
    services.write_text(services.read_text() + "\nimport apps.moderation.policies  # noqa\n")
    env = subprocess_env(["apps.moderation"])
    env["PYTHONPATH"] = f"{tmp_path}:{tmp_path / 'platform'}"

    # when moderation is removed
    probe = subprocess.run(
        [sys.executable, str(tmp_path / "tests" / "core" / PROBE.name)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    # then the probe fails, naming the module
    assert probe.returncode != 0
    assert "apps.moderation" in probe.stderr

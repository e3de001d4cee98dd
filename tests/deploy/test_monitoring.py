"""deploy/monitoring: the alert rules pass promtool's checks and unit tests, every alert
has a severity, a summary, a description and a runbook with the four sections, and
every metric an alert or a Grafana dashboard reads is one somebody exports: Agora's
/metrics (scraped here) or an exporter named in ``EXTERNAL_METRICS``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
ALERTS = MONITORING / "alerts.yaml"
ALERT_TESTS = MONITORING / "alerts.test.yaml"
DASHBOARDS = sorted((MONITORING / "grafana").glob("*.json"))
RUNBOOK_SECTIONS = ("## What it means", "## How to confirm", "## How to fix", "## How to verify")
SEVERITIES = {"critical", "warning"}

# Metrics that come from outside Agora, with who exports them.
EXTERNAL_METRICS = {
    # Prometheus itself, for every scrape target.
    "up": "prometheus",
    # node_exporter (filesystem collector).
    "node_filesystem_avail_bytes": "node_exporter",
    "node_filesystem_size_bytes": "node_exporter",
    "node_filesystem_readonly": "node_exporter",
    # postgres_exporter (pg_stat_activity and pg_settings collectors).
    "pg_stat_activity_count": "postgres_exporter",
    "pg_settings_max_connections": "postgres_exporter",
    # redis_exporter.
    "redis_memory_used_bytes": "redis_exporter",
    "redis_memory_max_bytes": "redis_exporter",
}

_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"}
_KEYWORDS |= {"group_left", "group_right", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (Grafana's ``$variables`` allowed)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)  # strings
    text = re.sub(r"\$\{[^}]*\}|\$\w+", "", text)  # Grafana variables
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges and subqueries
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*", text):
        word = match.group()
        if text[match.end() :].lstrip().startswith("(") or word.lower() in _KEYWORDS:
            continue  # a function, an aggregation or an operator
        names.add(word)
    return names


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('up{job="agora-web"} == 0', {"up"}),
        (
            'sum by (le) (rate(a_bucket{view!~"x|y"}[5m])) / ignoring (le) group_left b',
            {"a_bucket", "b"},
        ),
        ("(x > 0.5) unless (x <= 4 * sum by (m) (rate(x[1h] offset 5m)))", {"x"}),
        ("predict_linear(n[6h], 4 * 3600) < 0 and m == 0", {"n", "m"}),
        ("sum(rate(c_total[$__rate_interval])) or vector(0)", {"c_total"}),
    ],
    ids=["selector", "aggregation", "offset", "functions", "grafana"],
)
def test_metric_names_finds_the_selected_metrics_only(expr, names):
    assert metric_names(expr) == names


def promtool() -> str:
    """The promtool binary (Debian's ``prometheus`` package): CI must have it."""
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("promtool is not installed: run deploy/system-packages.sh (prometheus)")
        pytest.skip("promtool is not installed (Debian's prometheus package; make system)")
    return found


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [promtool(), *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def alert_rules() -> list[dict]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def test_the_rules_pass_promtool_check():
    result = run("check", "rules", str(ALERTS.relative_to(ROOT)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found" in result.stdout


def test_the_rules_pass_their_promtool_unit_tests():
    result = run("test", "rules", str(ALERT_TESTS.relative_to(ROOT)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_the_example_prometheus_configuration_is_valid():
    result = run("check", "config", str((MONITORING / "prometheus.yml").relative_to(ROOT)))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_is_unit_tested_firing_and_quiet():
    fired: set[str] = set()
    quiet: set[str] = set()
    for case in yaml.safe_load(ALERT_TESTS.read_text())["tests"]:
        for check in case.get("alert_rule_test", []):
            (fired if check.get("exp_alerts") else quiet).add(check["alertname"])
    names = {rule["alert"] for rule in alert_rules()}

    assert names - fired == set(), "alerts never tested firing"
    assert names - quiet == set(), "alerts never tested staying quiet"


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda rule: rule["alert"])
def test_every_alert_has_a_severity_a_summary_a_description_and_a_runbook(rule):
    assert rule["labels"]["severity"] in SEVERITIES
    annotations = rule["annotations"]
    assert annotations["summary"].strip()
    assert annotations["description"].strip()
    assert annotations["runbook_url"] == f"docs/runbooks/{rule['alert']}.md"
    runbook = ROOT / annotations["runbook_url"]
    assert runbook.is_file(), f"{runbook} is missing"
    text = runbook.read_text()
    assert text.startswith(f"# {rule['alert']}\n")
    positions = [text.find(section) for section in RUNBOOK_SECTIONS]
    assert -1 not in positions, f"{runbook} lacks one of {RUNBOOK_SECTIONS}"
    assert positions == sorted(positions), f"{runbook}: sections out of order"


def test_every_runbook_belongs_to_an_alert():
    names = {rule["alert"] for rule in alert_rules()}
    runbooks = {path.stem for path in (ROOT / "docs" / "runbooks").glob("*.md")} - {"README"}
    assert runbooks == names


@pytest.fixture
def exported(db) -> set[str]:
    """Every metric name Agora's /metrics serves (a real scrape), with the suffixes
    Prometheus stores for histograms and summaries."""
    response = Client().get("/metrics")
    assert response.status_code == 200
    names: set[str] = set()
    for line in response.content.decode().splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            names.add(name)
            if kind in ("histogram", "summary"):
                names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def test_agora_exports_none_of_the_external_names(exported):
    assert exported & set(EXTERNAL_METRICS) == set()


def test_every_metric_an_alert_reads_is_exported(exported):
    unknown = {
        rule["alert"]: sorted(metric_names(rule["expr"]) - exported - set(EXTERNAL_METRICS))
        for rule in alert_rules()
    }
    assert {alert: names for alert, names in unknown.items() if names} == {}


def dashboard_exprs(dashboard: dict) -> list[str]:
    panels = list(dashboard.get("panels", []))
    exprs = []
    while panels:
        panel = panels.pop()
        panels.extend(panel.get("panels", []))  # collapsed rows
        exprs.extend(target["expr"] for target in panel.get("targets", []) if "expr" in target)
    return exprs


def test_the_dashboards_cover_api_moderation_media_live_and_billing():
    assert {path.stem for path in DASHBOARDS} == {
        "agora-api",
        "agora-moderation",
        "agora-media-live",
        "agora-billing",
    }


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda path: path.stem)
def test_each_dashboard_is_grafana_json_on_a_prometheus_datasource_variable(path):
    dashboard = json.loads(path.read_text())

    assert isinstance(dashboard["schemaVersion"], int)
    assert dashboard["title"]
    assert dashboard["uid"] == path.stem
    variables = dashboard["templating"]["list"]
    assert {"name": "datasource", "type": "datasource", "query": "prometheus"}.items() <= {
        key: value for key, value in variables[0].items() if key in ("name", "type", "query")
    }.items()
    panels = [panel for panel in dashboard["panels"] if panel["type"] != "row"]
    assert panels
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in panels:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip()
            assert target["refId"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda path: path.stem)
def test_every_metric_a_dashboard_reads_is_exported(path, exported):
    exprs = dashboard_exprs(json.loads(path.read_text()))
    unknown = {
        expr: sorted(metric_names(expr) - exported - set(EXTERNAL_METRICS)) for expr in exprs
    }
    assert {expr: names for expr, names in unknown.items() if names} == {}

"""deploy/k8s: every manifest valid against the Kubernetes schemas, and wired together.

kubernetes-validate carries the Kubernetes JSON schemas of each release in its package:
the documents are checked offline (the tests block the network to show it), strictly
(a field Kubernetes does not know is refused, as ``kubectl apply`` would refuse it),
against the oldest release Agora supports and the newest the package knows.
"""

import copy
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from django.conf import settings
from django.urls import resolve
from kubernetes_validate.utils import latest_version

from config.celery import app
from core import health
from tests.core.test_task_names import agora_task_names

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
OLDEST_SUPPORTED = "1.30.0"
QUEUE_METRIC = "agora_celery_queue_length"
POD_TEMPLATE_KINDS = {"Deployment", "Job"}


def manifest_files() -> list[Path]:
    return sorted(path for path in K8S.glob("*.yaml") if path.name != "kustomization.yaml")


def documents() -> list[tuple[str, dict]]:
    """Every (file name, document) of deploy/k8s, kustomization.yaml aside."""
    found = []
    for path in manifest_files():
        for document in yaml.safe_load_all(path.read_text()):
            if document is not None:
                found.append((path.name, document))
    return found


def of_kind(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for _, doc in documents() if doc["kind"] == kind}


def containers(document: dict) -> Iterator[dict]:
    pod = document["spec"]["template"]["spec"]
    yield from pod.get("initContainers", [])
    yield from pod["containers"]


def worker_queues(deployment: dict) -> list[str]:
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    command = container["command"]
    assert command[command.index("-A") + 1 :][:2] == ["config", "worker"]
    return command[command.index("--queues") + 1].split(",")


def workers() -> dict[str, dict]:
    return {
        name: deployment
        for name, deployment in of_kind("Deployment").items()
        if deployment["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component")
        == "worker"
    }


@pytest.fixture
def offline(monkeypatch):
    """No connection can be opened and no name resolved while the test runs."""

    def refuse(*args, **kwargs):
        raise OSError("network access is blocked in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def document_id(item: tuple[str, dict]) -> str:
    name, document = item
    return f"{name}:{document['kind']}/{document['metadata']['name']}"


@pytest.mark.parametrize("version", [OLDEST_SUPPORTED, latest_version()])
@pytest.mark.parametrize("item", documents(), ids=document_id)
def test_every_document_is_valid_against_the_kubernetes_schema(offline, item, version):
    _, document = item
    kubernetes_validate.validate(document, version, strict=True)


BROKEN = {
    "an unknown field": lambda web: web["spec"].update(replica=3),
    "a misspelt probe field": lambda web: web["spec"]["template"]["spec"]["containers"][0][
        "livenessProbe"
    ]["httpGet"].update(paht="/healthz"),
    "a port that is no number": lambda web: web["spec"]["template"]["spec"]["containers"][0][
        "ports"
    ][0].update(containerPort="eight thousand"),
    "no selector": lambda web: web["spec"].pop("selector"),
    "no containers": lambda web: web["spec"]["template"]["spec"].pop("containers"),
}


@pytest.mark.parametrize("breakage", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_manifest_is_refused(offline, breakage):
    # given the real web Deployment, which is valid
    web = copy.deepcopy(of_kind("Deployment")["agora-web"])
    kubernetes_validate.validate(web, OLDEST_SUPPORTED, strict=True)
    # when it is broken, then the validator refuses it
    breakage(web)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(web, OLDEST_SUPPORTED, strict=True)


def test_an_unknown_kind_is_refused_not_skipped(offline):
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        kubernetes_validate.validate(
            {"apiVersion": "apps/v1", "kind": "Deploymnet", "metadata": {"name": "x"}},
            OLDEST_SUPPORTED,
            strict=True,
        )


def test_the_kustomization_lists_every_manifest():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())

    assert sorted(kustomization["resources"]) == [path.name for path in manifest_files()]


def test_every_container_has_cpu_and_memory_requests_and_limits():
    checked = 0
    for _, document in documents():
        if document["kind"] not in POD_TEMPLATE_KINDS:
            continue
        for container in containers(document):
            resources = container.get("resources", {})
            name = f"{document['metadata']['name']}/{container['name']}"
            assert set(resources.get("requests", {})) == {"cpu", "memory"}, name
            assert set(resources.get("limits", {})) == {"cpu", "memory"}, name
            checked += 1
    assert checked == 6  # web, three workers, beat, migrate


def test_every_pod_reads_the_configmap_and_secret():
    [configmap] = of_kind("ConfigMap")
    for _, document in documents():
        if document["kind"] not in POD_TEMPLATE_KINDS:
            continue
        for container in containers(document):
            assert container["envFrom"] == [
                {"configMapRef": {"name": configmap}},
                {"secretRef": {"name": "agora-secrets"}},
            ]


def test_the_web_probes_ask_healthz_and_readyz():
    [container] = of_kind("Deployment")["agora-web"]["spec"]["template"]["spec"]["containers"]

    paths = {
        probe: container[probe]["httpGet"]["path"]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert paths == {
        "startupProbe": "/healthz",
        "livenessProbe": "/healthz",
        "readinessProbe": "/readyz",
    }
    # and those are the health views Agora serves
    assert resolve("/healthz").func is health.healthz
    assert resolve("/readyz").func is health.readyz
    port_names = {port["name"] for port in container["ports"]}
    assert {container[probe]["httpGet"]["port"] for probe in paths} <= port_names


def liveness_of(deployment: dict) -> tuple[str, list[str], list[str]]:
    """A worker's liveness file, and its startup and liveness probes' commands."""
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    env = {variable["name"]: variable["value"] for variable in container["env"]}
    return (
        env["WORKER_LIVENESS_FILE"],
        container["startupProbe"]["exec"]["command"],
        container["livenessProbe"]["exec"]["command"],
    )


def probe_passes(command: list[str], named: str, path: Path) -> bool:
    """Whether the probe ``command`` passes, run by ``sh`` on ``path`` for the file it names."""
    result = subprocess.run(  # noqa: S603 (the manifest's own command)
        [part.replace(named, str(path)) for part in command], capture_output=True, check=False
    )
    return result.returncode == 0


def test_every_worker_names_its_liveness_file_and_probes_it():
    assert workers()
    for name, deployment in workers().items():
        path, startup, liveness = liveness_of(deployment)
        # /tmp: writable by the pod's unprivileged user, nothing shared outside the pod
        assert path.startswith("/tmp/"), name  # noqa: S108
        assert startup == liveness, name
        assert path in " ".join(liveness), name


@pytest.mark.parametrize(
    "name", ["agora-worker-default", "agora-worker-media", "agora-worker-moderation"]
)
def test_a_worker_probe_passes_while_its_file_is_touched_and_fails_once_it_is_not(name, tmp_path):
    named, _startup, command = liveness_of(workers()[name])
    path = tmp_path / "alive"
    # no file yet: the worker has not started its loop
    assert not probe_passes(command, named, path)
    # just touched
    path.touch()
    assert probe_passes(command, named, path)
    # missed a few touches of the default interval: still alive
    now = time.time()
    late = now - 3 * settings.WORKER_LIVENESS_SECONDS
    os.utime(path, (late, late))
    assert probe_passes(command, named, path)
    # untouched for over a minute: the loop stopped
    os.utime(path, (now - 61, now - 61))
    assert not probe_passes(command, named, path)


def test_beat_runs_exactly_one_replica_replaced_not_rolled():
    beat = of_kind("Deployment")["agora-beat"]

    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert "beat" in beat["spec"]["template"]["spec"]["containers"][0]["command"]
    targets = {
        hpa["spec"]["scaleTargetRef"]["name"] for hpa in of_kind("HorizontalPodAutoscaler").values()
    }
    assert "agora-beat" not in targets


def test_the_migration_job_migrates():
    job = of_kind("Job")["agora-migrate"]

    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in {"OnFailure", "Never"}


def test_each_queue_has_its_own_workers_and_every_routed_task_is_consumed():
    declared = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    consumed = {name: worker_queues(deployment) for name, deployment in workers().items()}

    assert consumed == {
        "agora-worker-default": ["celery"],
        "agora-worker-media": ["media"],
        "agora-worker-moderation": ["moderation"],
    }
    assert {queue for queues in consumed.values() for queue in queues} == declared
    routed = {app.amqp.router.route({}, name)["queue"].name for name in agora_task_names()}
    assert routed == declared


def test_every_autoscaler_targets_an_existing_deployment_that_leaves_replicas_to_it():
    deployments = of_kind("Deployment")
    autoscalers = of_kind("HorizontalPodAutoscaler")

    for name, hpa in autoscalers.items():
        target = hpa["spec"]["scaleTargetRef"]
        assert (target["apiVersion"], target["kind"]) == ("apps/v1", "Deployment"), name
        assert target["name"] in deployments, name
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"], name
        # A replicas field would reset the autoscaler's count on every apply.
        assert "replicas" not in deployments[target["name"]]["spec"], name
    scaled = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in autoscalers.values()}
    assert scaled == {"agora-web", *workers()}


def test_web_scales_on_cpu_and_workers_on_their_queue_length():
    autoscalers = {
        hpa["spec"]["scaleTargetRef"]["name"]: hpa
        for hpa in of_kind("HorizontalPodAutoscaler").values()
    }
    [web_metric] = autoscalers["agora-web"]["spec"]["metrics"]
    assert web_metric["type"] == "Resource"
    assert web_metric["resource"]["name"] == "cpu"

    for name, deployment in workers().items():
        [metric] = autoscalers[name]["spec"]["metrics"]
        assert metric["type"] == "External", name
        assert metric["external"]["metric"]["name"] == QUEUE_METRIC, name
        [queue] = worker_queues(deployment)
        assert metric["external"]["metric"]["selector"] == {"matchLabels": {"queue": queue}}
        assert metric["external"]["target"]["type"] == "AverageValue", name


def test_selectors_match_the_pods_they_are_meant_for():
    deployments = of_kind("Deployment")
    pod_labels = {
        name: deployment["spec"]["template"]["metadata"]["labels"]
        for name, deployment in deployments.items()
    }

    def selected(selector: dict) -> set[str]:
        assert set(selector) == {"matchLabels"}
        wanted = selector["matchLabels"].items()
        return {name for name, labels in pod_labels.items() if wanted <= labels.items()}

    for name, deployment in deployments.items():
        assert selected(deployment["spec"]["selector"]) == {name}
    [service] = of_kind("Service").values()
    assert selected({"matchLabels": service["spec"]["selector"]}) == {"agora-web"}
    budgets = {
        name: selected(pdb["spec"]["selector"])
        for name, pdb in of_kind("PodDisruptionBudget").items()
    }
    assert budgets == {name: {name} for name in ("agora-web", *workers())}

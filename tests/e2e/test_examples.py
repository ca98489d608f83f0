"""Every manifest under examples/ applies cleanly on the real local plane, with the operator running as a process:
the guards and policies become Ready, the operator renders their bundle, and the MCP servers get the sidecar."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from guardmesh.config.bundle_set import BundleSet, parse_pod_labels
from tests.support import peers
from tests.support.cluster import Cluster, wait_until

sys.path.insert(0, str(peers.REPO_ROOT / "hack"))
from gmdemo import examples, install

pytestmark = pytest.mark.e2e
NATIVE_KINDS = {
    "tool-poisoning",
    "rug-pull",
    "server-spoofing",
    "prompt-injection",
    "pii",
    "secrets",
    "tool-access",
    "rate-limit",
}


@pytest.fixture(scope="module")
def operator(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[install.OperatorProcess]:
    install.apply_crds(cluster)
    with install.operator(cluster, tmp_path_factory.mktemp("examples-operator")) as running:
        yield running
    assert "Traceback (most recent call last)" not in running.log_tail(100_000), running.log_tail()


@pytest.fixture(scope="module")
def namespace(cluster: Cluster, operator: install.OperatorProcess) -> Iterator[str]:
    name = f"gm-examples-{uuid.uuid4().hex[:6]}"
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture(scope="module")
def applied(cluster: Cluster, namespace: str) -> list[str]:
    return examples.apply_examples(cluster, namespace)


def test_every_manifest_under_examples_is_applied(applied: list[str]) -> None:
    on_disk = {
        str(p.relative_to(peers.REPO_ROOT))
        for folder in ("guards", "policies", "mcp-servers", "telemetry")
        for p in (examples.EXAMPLES / folder).glob("*.yaml")
        if p.name != "collector-config.yaml"
    }
    assert set(applied) == on_disk
    assert len(on_disk) == 9 + 3 + 2 + 1


def test_one_guard_per_native_kind_and_a_wasm_guard_become_ready(
    cluster: Cluster, namespace: str, applied: list[str]
) -> None:
    guards = examples.wait_ready(cluster, namespace, "securityguards", 9)
    native = {g["spec"]["native"]["kind"] for g in guards if g["spec"]["type"] == "native"}
    assert native == NATIVE_KINDS
    [wasm] = [g for g in guards if g["spec"]["type"] == "wasm"]
    assert wasm["spec"]["wasm"]["url"].endswith("pattern-guard.wasm")
    for guard in guards:
        assert examples.condition(guard, "Accepted").get("status") == "True", guard["status"]


def test_policies_become_ready_and_each_server_gets_its_own_guards(
    cluster: Cluster, namespace: str, applied: list[str]
) -> None:
    policies = examples.wait_ready(cluster, namespace, "policies", 3)
    assert sorted(p["metadata"]["name"] for p in policies) == ["baseline", "everything", "evil-weather"]
    bundle_set = BundleSet.model_validate(yaml.safe_load(examples.rendered_bundle(cluster, namespace, policies)))
    baseline = {"rug-pull", "tool-poisoning", "server-spoofing", "secrets", "pii", "prompt-injection"}
    everything = bundle_set.select({"app": "everything"})
    assert {g.name for g in everything.guards} == baseline | {"tool-access", "rate-limit"}
    evil = bundle_set.select({"app": "evil-weather"})
    assert {g.name for g in evil.guards} == baseline | {"wasm-pattern-guard", "tool-access"}
    [audited] = [g for g in evil.guards if g.name == "tool-access"]
    assert audited.spec.enforcement_action == "Audit"
    assert [s.name for s in evil.trusted_servers] == ["github"]


@pytest.mark.parametrize("app", examples.SERVERS)
def test_the_example_servers_get_the_sidecar_and_its_pod_labels(
    cluster: Cluster, namespace: str, applied: list[str], app: str
) -> None:
    pod = examples.injected_pod(cluster, namespace, app)
    sidecar = examples.sidecar_container(pod)
    assert "--pod-labels=/etc/guardmesh/pod/labels" in sidecar["args"]
    assert sidecar["ports"][0]["name"] == "mcp"
    assert parse_pod_labels(examples.downward_labels(pod))["app"] == app


def test_the_collector_config_is_accepted_by_a_real_collector(tmp_path: Path) -> None:
    config = examples.EXAMPLES / "telemetry" / "collector-config.yaml"
    env = {"SPANS_FILE": str(tmp_path / "spans.jsonl")}
    proc = subprocess.run(
        [str(peers.otelcol_binary()), "validate", f"--config={config}"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_every_example_deployment_is_admitted_under_the_restricted_standard_and_becomes_ready(
    cluster: Cluster, namespace: str, applied: list[str]
) -> None:
    labels = cluster.kubectl_json("get", "namespace", namespace)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"

    def ready() -> list[str] | None:
        items = cluster.kubectl_json("get", "deployments", "-n", namespace)["items"]
        names = [d["metadata"]["name"] for d in items if d["status"].get("readyReplicas") == d["spec"]["replicas"]]
        return names if len(names) == len(items) == 3 else None

    assert sorted(wait_until("every example Deployment ready", ready, timeout=90)) == [
        "everything",
        "evil-weather",
        "otel-collector",
    ]

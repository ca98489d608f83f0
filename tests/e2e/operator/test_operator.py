"""The operator on a real control plane: CRDs, reconciliation, the webhooks called by the real API server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.e2e.operator.conftest import make_namespace
from tests.e2e.operator.pods import server_container
from tests.e2e.operator.process import Operator
from tests.support.cluster import Cluster, ClusterError, wait_until
from tests.support.peers import REPO_ROOT

pytestmark = pytest.mark.e2e
EXAMPLES = REPO_ROOT / "examples" / "operator"


def _condition(obj: dict[str, Any], type_: str) -> dict[str, Any]:
    return next((c for c in (obj.get("status") or {}).get("conditions", []) if c["type"] == type_), {})


def _ready(cluster: Cluster, namespace: str, kind: str) -> list[dict[str, Any]] | None:
    items: list[dict[str, Any]] = cluster.kubectl_json("get", kind, "-n", namespace)["items"]
    ok = items and all(_condition(o, "Ready").get("status") == "True" for o in items)
    return items if ok else None


def _configmap(cluster: Cluster, namespace: str) -> dict[str, Any] | None:
    found = cluster.kubectl("get", "configmap", "guardmesh-bundle", "-n", namespace, "-o", "json", "--ignore-not-found")
    return json.loads(found) if found.strip() else None


def _rejected(cluster: Cluster, namespace: str, manifest: dict[str, Any]) -> str:
    with pytest.raises(ClusterError) as info:
        cluster.kubectl("apply", "-n", namespace, "-f", "-", stdin=json.dumps(manifest))
    return str(info.value)


@pytest.fixture(scope="module")
def applied(cluster: Cluster, namespace: str, operator: Operator) -> str:
    cluster.kubectl("apply", "-n", namespace, "-f", str(EXAMPLES / "guards.yaml"))
    cluster.kubectl("apply", "-n", namespace, "-f", str(EXAMPLES / "policy.yaml"))
    return namespace


def test_example_guards_and_policy_become_ready_and_compile_into_the_bundle(cluster: Cluster, applied: str) -> None:
    guards = wait_until("SecurityGuards Ready", lambda: _ready(cluster, applied, "securityguards"), timeout=60)
    assert sorted(g["metadata"]["name"] for g in guards) == ["no-dangerous-tools", "pin-tools", "redact-secrets"]
    for guard in guards:
        assert guard["status"]["observedGeneration"] == guard["metadata"]["generation"]
        assert _condition(guard, "Accepted")["reason"] == "Valid"
        assert "guardmesh.dev/finalizer" in guard["metadata"]["finalizers"]
    [policy] = wait_until("Policy Ready", lambda: _ready(cluster, applied, "policies"), timeout=60)
    configmap = _configmap(cluster, applied)
    assert configmap is not None
    assert configmap["metadata"]["annotations"]["guardmesh.dev/bundle-hash"] == policy["status"]["bundleHash"]
    assert [o["name"] for o in configmap["metadata"]["ownerReferences"]] == ["everything"]
    text = configmap["data"]["bundle.yaml"]
    assert "kind: GuardBundleSet" in text
    assert "- name: no-dangerous-tools" in text
    table = cluster.kubectl("get", "sg", "-n", applied)
    assert table.split("\n")[0].split() == ["NAME", "TYPE", "KIND", "ENFORCEMENT", "READY", "AGE"]
    assert "tool-access" in table
    assert "Enforce" in table


def _injected_pods(cluster: Cluster, namespace: str, count: int) -> list[dict[str, Any]] | None:
    pods = cluster.kubectl_json("get", "pods", "-n", namespace, "-l", "app=everything")["items"]
    injected = [p for p in pods if "guardmesh.dev/status" in p["metadata"].get("annotations", {})]
    return injected if len(injected) >= count else None


def test_a_deployment_with_the_opt_in_label_gets_the_sidecar_from_the_real_webhook(
    cluster: Cluster, applied: str
) -> None:
    cluster.kubectl("apply", "-n", applied, "-f", str(EXAMPLES / "mcp-server.yaml"))
    pods = wait_until("2 injected pods", lambda: _injected_pods(cluster, applied, 2), timeout=90)
    for pod in pods:
        spec = pod["spec"]
        [sidecar] = [c for c in spec["initContainers"] if c["name"] == "guardmesh-sidecar"]
        assert sidecar["restartPolicy"] == "Always"  # Kubernetes 1.36: a native sidecar
        assert sidecar["startupProbe"]["httpGet"]["path"] == "/readyz"
        assert {"name": "mcp", "containerPort": 15080, "protocol": "TCP"} in sidecar["ports"]
        [server] = spec["containers"]
        assert "name" not in server["ports"][0]
        assert "--upstream=http://127.0.0.1:3001/mcp" in sidecar["args"]
        assert pod["metadata"]["labels"]["guardmesh.dev/workload"] == "everything"
        assert {v["name"] for v in spec["volumes"]} >= {"guardmesh-bundle", "guardmesh-pod"}
    policy = cluster.kubectl("get", "networkpolicy", "guardmesh-everything", "-n", applied, "-o", "json")
    netpol = json.loads(policy)
    assert netpol["spec"]["ingress"] == [
        {"ports": [{"port": 15080, "protocol": "TCP"}, {"port": 15090, "protocol": "TCP"}]}
    ]
    assert netpol["metadata"]["ownerReferences"][0]["kind"] == "Deployment"

    def counted() -> dict[str, Any] | None:
        [policy] = cluster.kubectl_json("get", "policies", "-n", applied)["items"]
        status = policy.get("status", {})
        return status if (status.get("selectedPods"), status.get("injectedPods")) == (2, 2) else None

    assert wait_until("pod counts in the Policy status", counted, timeout=90)


def test_an_invalid_security_guard_is_rejected_with_its_reason(cluster: Cluster, applied: str) -> None:
    def guard(name: str, spec: dict[str, Any]) -> dict[str, Any]:
        return {
            "apiVersion": "guardmesh.dev/v1alpha1",
            "kind": "SecurityGuard",
            "metadata": {"name": name},
            "spec": spec,
        }

    unpinned = _rejected(
        cluster, applied, guard("unpinned", {"type": "wasm", "wasm": {"url": "https://example.org/g.wasm"}})
    )
    assert "sha256 is required for oci:// and https:// sources" in unpinned  # CEL in the CRD
    mixed = _rejected(cluster, applied, guard("mixed", {"type": "native", "native": {"kind": "pii", "deny": ["x"]}}))
    assert "deny is a setting of tool-access only" in mixed
    both = {"type": "native", "native": {"kind": "secrets"}, "wasm": {"url": "file:///g.wasm"}}
    assert "set exactly one of native and wasm" in _rejected(cluster, applied, guard("both", both))
    unknown = _rejected(
        cluster, applied, guard("unknown", {"type": "native", "native": {"kind": "rug-pull", "bogus": 1}})
    )
    assert 'unknown field "spec.native.bogus"' in unknown
    schema = {"type": "object", "properties": {"path": {"type": "string", "pattern": "^(a+)\\1$"}}}
    regex = guard("regex", {"type": "native", "native": {"kind": "tool-access", "argumentSchemas": {"fs_*": schema}}})
    message = _rejected(cluster, applied, regex)  # only the webhook knows RE2
    assert 'admission webhook "securityguards.validate.guardmesh.dev" denied the request' in message
    assert "spec.native.argumentSchemas[fs_*].properties.path.pattern: RE2 cannot compile" in message


def test_a_policy_naming_a_missing_guard_is_rejected(cluster: Cluster, applied: str) -> None:
    policy = {
        "apiVersion": "guardmesh.dev/v1alpha1",
        "kind": "Policy",
        "metadata": {"name": "ghostly"},
        "spec": {"guards": [{"name": "pin-tools"}, {"name": "ghost"}]},
    }
    message = _rejected(cluster, applied, policy)
    assert f"spec.guards[1].name: SecurityGuard 'ghost' does not exist in namespace {applied}" in message


def _pod(name: str, annotations: dict[str, str], **spec: Any) -> dict[str, Any]:
    container = server_container("example/mcp:1", 3000)
    meta = {"name": name, "labels": {"guardmesh.dev/inject": "enabled"}, "annotations": annotations}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {"containers": [container], **spec}}


def test_a_bad_pod_annotation_is_rejected_naming_it(cluster: Cluster, applied: str) -> None:
    message = _rejected(cluster, applied, _pod("bad", {"guardmesh.dev/port": "Web_Port"}))
    assert 'admission webhook "label.inject.guardmesh.dev" denied the request' in message
    assert 'guardmesh.dev/port: "Web_Port" is neither a port number (1-65535) nor a container port name' in message


def test_a_pod_opted_in_by_annotation_alone_is_injected(cluster: Cluster, applied: str) -> None:
    pod = _pod("annotated", {"guardmesh.dev/inject": "true"})
    del pod["metadata"]["labels"]
    cluster.kubectl("apply", "-n", applied, "-f", "-", stdin=json.dumps(pod))
    created = cluster.kubectl_json("get", "pod", "annotated", "-n", applied)
    assert [c["name"] for c in created["spec"]["initContainers"]] == ["guardmesh-sidecar"]


def test_a_host_network_pod_is_skipped_and_its_workload_told(cluster: Cluster, plain_namespace: str) -> None:
    pod = _pod("x", {})
    template = {"metadata": {"labels": {"app": "hostnet", "guardmesh.dev/inject": "enabled"}}, "spec": pod["spec"]}
    template["spec"]["hostNetwork"] = True
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "hostnet"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "hostnet"}}, "template": template},
    }
    cluster.kubectl("apply", "-n", plain_namespace, "-f", "-", stdin=json.dumps(deployment))

    def skipped() -> list[dict[str, Any]] | None:
        events = cluster.kubectl_json("get", "events", "-n", plain_namespace)["items"]
        found = [e for e in events if e.get("reason") == "InjectionSkipped"]
        return found or None

    [event, *_] = wait_until("an InjectionSkipped event", skipped, timeout=60)
    assert event["involvedObject"]["kind"] == "ReplicaSet"
    assert "hostNetwork" in event["message"]
    [pod] = cluster.kubectl_json("get", "pods", "-n", plain_namespace, "-l", "app=hostnet")["items"]
    assert "initContainers" not in pod["spec"]


def test_guard_changes_and_deletions_reach_the_bundle_and_the_policy_status(cluster: Cluster, applied: str) -> None:
    before = _configmap(cluster, applied)
    assert before is not None
    old_hash = before["metadata"]["annotations"]["guardmesh.dev/bundle-hash"]
    patch = json.dumps({"spec": {"native": {"deny": ["*delete*", "get-env", "echo"]}}})
    cluster.kubectl("patch", "securityguard", "no-dangerous-tools", "-n", applied, "--type=merge", "-p", patch)

    def updated() -> dict[str, Any] | None:
        current = _configmap(cluster, applied)
        changed = current and current["metadata"]["annotations"]["guardmesh.dev/bundle-hash"] != old_hash
        return current if changed else None

    after = wait_until("the bundle ConfigMap to change", updated, timeout=30)
    assert "- echo" in after["data"]["bundle.yaml"]

    def told(reason: str) -> list[dict[str, Any]] | None:
        events = cluster.kubectl_json("get", "events", "-n", applied)["items"]
        found = [e for e in events if e["involvedObject"].get("name") == "no-dangerous-tools" and e["reason"] == reason]
        return found or None

    assert (
        "guardmesh-bundle"
        in wait_until("a BundleUpdated event on the guard", lambda: told("BundleUpdated"))[0]["message"]
    )

    # A referenced guard may go; the Policy says what it misses, and the bundle no longer runs it.
    cluster.kubectl("delete", "securityguard", "pin-tools", "-n", applied, "--timeout=60s")

    def missing() -> dict[str, Any] | None:
        [policy] = cluster.kubectl_json("get", "policies", "-n", applied)["items"]
        ready = _condition(policy, "Ready")
        return ready if ready.get("reason") == "GuardsMissing" else None

    assert "pin-tools" in wait_until("the Policy to report the missing guard", missing, timeout=30)["message"]
    current = _configmap(cluster, applied)
    assert current is not None
    assert "- name: pin-tools" not in current["data"]["bundle.yaml"]

    cluster.kubectl("delete", "policy", "everything", "-n", applied, "--timeout=60s")
    # Running sidecars must drop the deleted Policy's guards, so the bundle stays, empty and unowned, rather than
    # vanish (a deleted ConfigMap leaves the kubelet's last copy in the pods).

    def emptied_bundle() -> dict[str, Any] | None:
        current = _configmap(cluster, applied)
        return current if current and "policy: everything" not in current["data"]["bundle.yaml"] else None

    emptied = wait_until("the bundle to lose the Policy", emptied_bundle, timeout=60)
    assert "ownerReferences" not in emptied["metadata"]
    assert "entries: []" in emptied["data"]["bundle.yaml"]
    remaining = [g["metadata"]["name"] for g in cluster.kubectl_json("get", "sg", "-n", applied)["items"]]
    assert remaining == ["no-dangerous-tools", "redact-secrets"]


@pytest.fixture(scope="module")
def opted_in_namespace(cluster: Cluster, operator: Operator) -> Iterator[str]:
    yield from make_namespace(cluster, {"guardmesh.dev/injection": "enabled"})


def test_a_namespace_label_opts_in_its_pods_and_a_pod_label_opts_out(cluster: Cluster, opted_in_namespace: str) -> None:
    plain = _pod("plain", {})
    del plain["metadata"]["labels"]
    out = _pod("out", {})
    out["metadata"]["labels"] = {"guardmesh.dev/inject": "disabled"}
    for pod in (plain, out):
        cluster.kubectl("apply", "-n", opted_in_namespace, "-f", "-", stdin=json.dumps(pod))
    injected = cluster.kubectl_json("get", "pod", "plain", "-n", opted_in_namespace)
    assert [c["name"] for c in injected["spec"]["initContainers"]] == ["guardmesh-sidecar"]
    skipped = cluster.kubectl_json("get", "pod", "out", "-n", opted_in_namespace)
    assert "initContainers" not in skipped["spec"]
    assert "guardmesh.dev/status" not in skipped["metadata"].get("annotations", {})


def test_every_golden_injected_pod_is_accepted_by_the_real_api_server(cluster: Cluster, plain_namespace: str) -> None:
    golden = REPO_ROOT / "tests" / "unit" / "operator" / "golden"
    checked = []
    for path in sorted(golden.glob("*.out.yaml")):
        expected = yaml.safe_load(path.read_text())
        if expected["action"] != "inject":
            continue
        pod = expected["pod"]
        pod["metadata"].pop("ownerReferences", None)  # owners that do not exist here would be garbage collected
        cluster.kubectl("create", "--dry-run=server", "-n", plain_namespace, "-f", "-", stdin=json.dumps(pod))
        checked.append(path.name)
    assert "classic-sidecar.out.yaml" in checked
    assert "native-named-port.out.yaml" in checked

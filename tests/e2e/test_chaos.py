"""Chaos on the cluster side, on the real control plane (hack/cluster; KWOK nodes), each with the
behaviour docs/operations.md documents asserted:

- the operator killed (SIGKILL) while pods are being admitted: with `failurePolicy: Fail` no opted-in
  pod is created without its sidecar (creations after the kill fail with the webhook error); with
  `Ignore` pods created after the kill exist without a sidecar (no `guardmesh.dev/status`);
- the API server restarted while a sidecar follows its bundle ConfigMap: the bundle in force keeps
  being enforced, the outage shows in /readyz, and a change written after the restart is followed.

(The upstream server restarted under load: tests/adversarial/test_chaos_upstream.py.)
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import threading
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest

from tests.adversarial.raw import Streamable, call
from tests.e2e.operator.pods import server_container
from tests.e2e.operator.process import running_operator
from tests.support import peers
from tests.support.cluster import Cluster, ClusterError, wait_until
from tests.support.sidecar import Sidecar, running_sidecar

pytestmark = pytest.mark.e2e

STATUS = "guardmesh.dev/status"
PODS = 12
KILL_AFTER = 4


def opted_in_pod(namespace: str, name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app": "chaos", "guardmesh.dev/inject": "enabled"},
        },
        "spec": {"containers": [server_container("guardmesh/e2e-server:1", 3001)]},
    }


@pytest.fixture
def namespace(cluster: Cluster) -> Iterator[str]:
    name = f"gm-chaos-{uuid.uuid4().hex[:8]}"
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


def admit_while_killing(cluster: Cluster, namespace: str, operator: subprocess.Popen[bytes]) -> dict[str, str]:
    """Create PODS opted-in pods one after another and SIGKILL the operator after KILL_AFTER of them.
    Returns each pod's outcome: `created` or the API server's error."""
    outcome: dict[str, str] = {}
    created = threading.Event()

    def create_all() -> None:
        for n in range(PODS):
            name = f"pod-{n:02d}"
            try:
                cluster.apply(opted_in_pod(namespace, name))
                outcome[name] = "created"
            except ClusterError as exc:
                outcome[name] = str(exc)
            if n + 1 == KILL_AFTER:
                created.set()

    worker = threading.Thread(target=create_all)
    worker.start()
    created.wait(120)
    operator.send_signal(signal.SIGKILL)
    operator.wait()
    worker.join(300)
    return outcome


def test_the_operator_killed_during_admission_with_failure_policy_fail_lets_no_pod_in_unguarded(
    cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    with running_operator(cluster, tmp_path) as operator:
        outcome = admit_while_killing(cluster, namespace, operator.proc)
    created = [name for name, result in outcome.items() if result == "created"]
    refused = {name: result for name, result in outcome.items() if result != "created"}
    assert len(created) >= KILL_AFTER, outcome
    assert refused, "no pod was admitted after the kill: the test did not reach the outage"
    assert all("failed calling webhook" in why for why in refused.values()), refused
    for name in created:
        pod = cluster.kubectl_json("get", "pod", name, "-n", namespace)
        assert STATUS in pod["metadata"].get("annotations", {}), f"{name} runs without its sidecar"
    existing = cluster.kubectl_json("get", "pods", "-n", namespace)["items"]
    assert sorted(p["metadata"]["name"] for p in existing) == sorted(created)


def test_the_operator_killed_during_admission_with_failure_policy_ignore_admits_pods_unguarded(
    cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    with running_operator(cluster, tmp_path) as operator:
        config = cluster.kubectl_json("get", "mutatingwebhookconfiguration", operator.mutating)
        patch = [
            {"op": "replace", "path": f"/webhooks/{i}/failurePolicy", "value": "Ignore"}
            for i in range(len(config["webhooks"]))
        ]
        cluster.kubectl(
            "patch", "mutatingwebhookconfiguration", operator.mutating, "--type=json", "-p", json.dumps(patch)
        )
        outcome = admit_while_killing(cluster, namespace, operator.proc)
    assert set(outcome.values()) == {"created"}, outcome
    pods = {p["metadata"]["name"]: p for p in cluster.kubectl_json("get", "pods", "-n", namespace)["items"]}
    guarded = [name for name, pod in pods.items() if STATUS in pod["metadata"].get("annotations", {})]
    unguarded = [name for name in pods if name not in guarded]
    assert len(guarded) >= KILL_AFTER, pods.keys()
    assert unguarded, "every pod was injected: the test did not reach the outage"
    assert max(guarded) < min(unguarded), "a pod admitted after the kill was injected, or one before was not"


# --- the API server restarted under a sidecar following its ConfigMap ---------------------------


CONFIGMAP = "guardmesh-bundle"


def bundle(denied: str) -> str:
    guard = {
        "name": "access",
        "spec": {"type": "native", "native": {"kind": "tool-access", "deny": [denied]}, "runsOn": ["request"]},
    }
    return json.dumps({"apiVersion": "guardmesh.dev/v1alpha1", "kind": "GuardBundle", "guards": [guard]})


def configmap(namespace: str, text: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": CONFIGMAP, "namespace": namespace},
        "data": {"bundle.yaml": text},
    }


def reader_access(cluster: Cluster, namespace: str, tmp: Path) -> list[str]:
    """A service account allowed to read the bundle ConfigMap; the sidecar flags to use it."""
    cluster.apply(
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "reader", "namespace": namespace}}
    )
    rule = {
        "apiGroups": [""],
        "resources": ["configmaps"],
        "resourceNames": [CONFIGMAP],
        "verbs": ["get", "list", "watch"],
    }
    role = {"name": "bundle-reader", "namespace": namespace}
    cluster.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": role, "rules": [rule]})
    cluster.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": role,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "bundle-reader"},
            "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": namespace}],
        }
    )
    ca = cluster.kubectl(
        "config", "view", "--raw", "--minify", "-o", "jsonpath={.clusters[0].cluster.certificate-authority-data}"
    )
    (tmp / "ca.crt").write_bytes(base64.b64decode(ca))
    (tmp / "token").write_text(cluster.kubectl("create", "token", "reader", "-n", namespace, "--duration=1h").strip())
    api = urlsplit(cluster.server)
    return [
        "--config-configmap", f"{namespace}/{CONFIGMAP}",
        "--kube-api", f"{api.hostname}:{api.port}",
        "--kube-token-file", str(tmp / "token"),
        "--kube-ca-file", str(tmp / "ca.crt"),
    ]  # fmt: skip


def readiness(sidecar: Sidecar) -> dict[str, Any]:
    with urllib.request.urlopen(f"{sidecar.admin}/readyz", timeout=10) as response:
        result: dict[str, Any] = json.load(response)
    return result


def restart_api_server(cluster: Cluster, while_down: Callable[[], object]) -> None:
    """Stop the plane's kube-apiserver (SIGTERM), call `while_down`, start it again with the same command."""
    state = cluster.kubeconfig.parent
    pid_file = state / "pids" / "kube-apiserver.pid"
    if not pid_file.exists():
        pytest.fail(
            f"{pid_file} is missing: this test restarts a plane the test session started (not GUARDMESH_KUBECONFIG)"
        )
    pid = int(pid_file.read_text())
    argv = [a.decode() for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]
    environ = dict(
        item.decode().split("=", 1) for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") if b"=" in item
    )
    cwd = os.readlink(f"/proc/{pid}/cwd")
    os.kill(pid, signal.SIGTERM)
    wait_until("the API server to stop", lambda: not Path(f"/proc/{pid}/exe").exists(), timeout=60)
    while_down()
    # Started through a shell that leaves it behind (not our child), as hack/cluster starts it: the plane's
    # `down` stops it by its pid file at the end of the session.
    started = subprocess.run(
        ["sh", "-c", 'cd "$1" && shift && setsid "$@" </dev/null >>"$GM_LOG" 2>&1 & echo $!', "sh", cwd, *argv],
        env={**environ, "GM_LOG": str(state / "logs" / "kube-apiserver.log")},
        capture_output=True,
        text=True,
        check=True,
    )
    pid_file.write_text(started.stdout.strip() + "\n")

    def ready() -> bool:
        try:
            return cluster.kubectl("get", "--raw", "/readyz", check=True, timeout=10).strip() == "ok"
        except (ClusterError, subprocess.TimeoutExpired):
            return False

    wait_until("the API server to be ready again", ready, timeout=120, interval=1)


async def denied(client: Streamable, tool: str, id_: int) -> bool:
    response = await client.post(orjson.dumps(call(id_, tool, {"message": "x"})))
    answer = response.json()
    message = answer[-1] if isinstance(answer, list) else answer
    return "error" in message and message["error"]["code"] == -32050


async def test_the_api_server_restarted_under_a_following_sidecar_keeps_the_bundle_then_follows_again(
    cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    cluster.apply(configmap(namespace, bundle("echo")))
    mounted = tmp_path / "bundle.yaml"
    mounted.write_text(bundle("nothing-yet"))
    server = peers.server_everything("streamableHttp")
    assert server.port is not None
    assert server.url is not None
    with (
        peers.running(server.argv, port=server.port, env=server.env),
        running_sidecar(server.url, config=mounted, extra_args=reader_access(cluster, namespace, tmp_path)) as sidecar,
    ):
        wait_until("the sidecar to follow the API", lambda: readiness(sidecar)["configSource"] == "api", timeout=30)
        client = await Streamable(sidecar.url).open()
        assert await denied(client, "echo", 1)
        in_force = readiness(sidecar)["configHash"]

        during: dict[str, Any] = {}

        def outage() -> None:
            during.update(wait_until("the outage in readiness", lambda: (r := readiness(sidecar))["apiError"] and r))

        restart_api_server(cluster, outage)
        assert during["configHash"] == in_force, "the bundle in force changed during the outage"
        assert during["status"] == "ready", "a sidecar is not taken out of service by an API outage"
        assert await denied(client, "echo", 2), "the bundle stopped being enforced"

        cluster.apply(configmap(namespace, bundle("get-sum")))
        wait_until(
            "the change written after the restart in force",
            lambda: readiness(sidecar)["configHash"] != in_force,
            timeout=90,
            interval=0.5,
        )
        assert await denied(client, "get-sum", 3)
        assert not await denied(client, "echo", 4)
        state = readiness(sidecar)
    assert state["configSource"] == "api"
    assert state["apiError"] is None

"""One real one-node cluster per test session (`hack/cluster up --pods`), the images built here, and GuardMesh
installed with `helm install` as README's "Protect your own MCP server" says."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.cluster import ClusterError, PodsCluster, running_pods_cluster, wait_until
from tests.support.peers import REPO_ROOT
from tests.support.workloads import EXAMPLES, as_stream, example_servers, renamed

RELEASE_NS = "guardmesh-system"
OPERATOR = "app.kubernetes.io/component=operator"
APP_NS = "my-mcp"
CHART = REPO_ROOT / "charts" / "guardmesh"
PROBE = Path(__file__).with_name("probe.py")


@pytest.fixture(scope="session")
def pods(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodsCluster]:
    """The plane with a real node (containerd, kubelet, kube-proxy, kube-router) and every image imported."""
    try:
        plane = running_pods_cluster(tmp_path_factory.mktemp("pods"))
        cluster = plane.__enter__()
    except ClusterError as exc:
        pytest.fail(str(exc))
    try:
        yield cluster
    finally:
        plane.__exit__(None, None, None)


def image(pods: PodsCluster, name: str) -> tuple[str, str]:
    """(repository, tag) of an image `hack/cluster images` built."""
    repository, tag = pods.images[name].rsplit(":", 1)
    return repository, tag


def helm(pods: PodsCluster, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["helm", *args], capture_output=True, text=True, env=pods.env(), timeout=600, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed: {proc.stderr}")
    return proc


def install_args(pods: PodsCluster) -> list[str]:
    """README step 1 with the images built here."""
    operator_repo, operator_tag = image(pods, "operator")
    sidecar_repo, sidecar_tag = image(pods, "sidecar")
    return [
        "install",
        "guardmesh",
        str(CHART),
        "-n",
        RELEASE_NS,
        "--create-namespace",
        f"--set=operator.image.repository={operator_repo}",
        f"--set=operator.image.tag={operator_tag}",
        f"--set=sidecar.image.repository={sidecar_repo}",
        f"--set=sidecar.image.tag={sidecar_tag}",
        "--wait",
        "--timeout=5m",
    ]


def client_pod(pods: PodsCluster) -> dict[str, Any]:
    """A pod with the MCP Python SDK and probe.py, to reach the servers from inside the cluster."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "client", "labels": {"app": "client"}},
        "spec": {
            "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
            "terminationGracePeriodSeconds": 1,
            "containers": [
                {
                    "name": "client",
                    "image": pods.images["mcp-python"],
                    "command": ["sleep", "infinity"],
                    "env": [{"name": "HOME", "value": "/tmp"}],
                    "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                    "volumeMounts": [{"name": "probe", "mountPath": "/probe", "readOnly": True}],
                }
            ],
            "volumes": [{"name": "probe", "configMap": {"name": "probe"}}],
        },
    }


def _clean(pods: PodsCluster) -> None:
    """What an earlier run on a reused plane (GUARDMESH_PODS_DIR) left. Without a running operator nothing removes
    the finalizers of SecurityGuards and Policies, so a namespace being deleted would wait for them for ever."""
    pods.kubectl("delete", "namespace", APP_NS, "--ignore-not-found", "--wait=false")
    for kind in ("securityguards", "policies"):
        for name in pods.kubectl("get", kind, "-n", APP_NS, "-o", "name", check=False).split():
            pods.kubectl(
                "patch", name, "-n", APP_NS, "--type=merge", "-p", '{"metadata":{"finalizers":null}}', check=False
            )
    wait_until(
        "an earlier my-mcp to go", lambda: not pods.kubectl("get", "namespace", APP_NS, check=False), timeout=180
    )
    helm(pods, "uninstall", "guardmesh", "-n", RELEASE_NS, "--wait", "--timeout=2m", check=False)


@pytest.fixture(scope="package")
def app_namespace(pods: PodsCluster) -> Iterator[str]:
    """my-mcp, enforcing the restricted Pod Security Standard, with the servers (not yet opted in) and a client."""
    _clean(pods)
    pods.kubectl("create", "namespace", APP_NS)
    pods.kubectl("label", "namespace", APP_NS, "pod-security.kubernetes.io/enforce=restricted")
    text = pods.kubectl(
        "create", "configmap", "probe", f"--from-file=probe.py={PROBE}", "-n", APP_NS, "--dry-run=client", "-o", "yaml"
    )
    pods.kubectl("apply", "-n", APP_NS, "-f", "-", stdin=text)
    servers = example_servers(pods.images, opted_in=False)
    everything = next(d for d in servers if d["metadata"]["name"] == "everything" and d["kind"] == "Deployment")
    docs = [*servers, renamed(everything, "everything-plain"), client_pod(pods)]
    pods.kubectl("apply", "-n", APP_NS, "-f", "-", stdin=as_stream(docs))
    for name in ("everything", "evil-weather", "everything-plain"):
        pods.kubectl("rollout", "status", "-n", APP_NS, f"deployment/{name}", "--timeout=180s", timeout=200)
    pods.kubectl("wait", "-n", APP_NS, "--for=condition=Ready", "pod/client", "--timeout=120s", timeout=140)
    yield APP_NS
    if os.environ.get("GUARDMESH_PODS_DIR"):
        _clean(pods)  # a reused plane stays; a private one goes down whole at the end of the session


def probe(pods: PodsCluster, *args: str) -> Any:
    """Run probe.py in the client pod (kubectl exec through the API server and the kubelet)."""
    out = pods.kubectl("exec", "-n", APP_NS, "client", "--", "python3", "/probe/probe.py", *args, timeout=90)
    return json.loads(out.strip().splitlines()[-1])


def service_url(pods: PodsCluster, name: str) -> str:
    ip = pods.kubectl("get", "service", name, "-n", APP_NS, "-o", "jsonpath={.spec.clusterIP}").strip()
    return f"http://{ip}:80/mcp"


def ready_pods(pods: PodsCluster, app: str, count: int = 1, timeout: float = 180) -> list[dict[str, Any]]:
    """The app's pods once exactly `count` are Ready and none is terminating."""

    def probe_pods() -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = pods.kubectl_json("get", "pods", "-n", APP_NS, "-l", f"app={app}")["items"]
        live = [p for p in items if "deletionTimestamp" not in p["metadata"]]
        ready = [
            p
            for p in live
            if any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))
        ]
        return ready if len(ready) == count and len(live) == count else None

    return wait_until(f"{count} Ready pod(s) of {app}", probe_pods, timeout=timeout, interval=1)


def operator_pods(pods: PodsCluster) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = pods.kubectl_json("get", "pods", "-n", RELEASE_NS, "-l", OPERATOR)["items"]
    return [p for p in items if "deletionTimestamp" not in p["metadata"]]


def operator_ready(pods: PodsCluster) -> dict[str, Any]:
    def ready() -> dict[str, Any] | None:
        live = operator_pods(pods)
        ok = [
            p
            for p in live
            if any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))
        ]
        return ok[0] if len(live) == 1 and ok else None

    return wait_until("the operator pod to be Ready", ready, timeout=240, interval=1)


@pytest.fixture(scope="package")
def release(pods: PodsCluster, app_namespace: str) -> dict[str, Any]:
    """README steps 1 and 2: `helm install` with the images built here, then the example guards and baseline.

    One release for the package; test_real_pods.py, which sorts last, upgrades, breaks and finally uninstalls it."""
    helm(pods, *install_args(pods))
    pods.kubectl(
        "apply", "-n", app_namespace, "-f", str(EXAMPLES / "guards"), "-f", str(EXAMPLES / "policies" / "baseline.yaml")
    )
    return operator_ready(pods)

"""The sidecar follows its bundle ConfigMap through the real API server, as a pod's service account.

A real kube-apiserver (hack/cluster), a ServiceAccount allowed to read one ConfigMap, its token from
the TokenRequest API, and a real sidecar process started with `--config-configmap`: a change written to
the ConfigMap is in force in the sidecar within a second or two, with the mounted file lagging behind;
a service account without the grant is refused and the mounted file stays in force.
"""

from __future__ import annotations

import base64
import json
import statistics
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.cluster import Cluster, wait_until
from tests.support.sidecar import Sidecar, running_sidecar

pytestmark = pytest.mark.e2e

NAMESPACE = "config-api"
CONFIGMAP = "guardmesh-bundle"


def bundle(denied: str) -> str:
    """A bundle whose only guard denies one tool, so a change is visible in readiness and in traffic."""
    return json.dumps(
        {
            "apiVersion": "guardmesh.dev/v1alpha1",
            "kind": "GuardBundle",
            "guards": [
                {
                    "name": "access",
                    "spec": {
                        "type": "native",
                        "native": {"kind": "tool-access", "deny": [denied]},
                        "runsOn": ["request", "response"],
                    },
                }
            ],
        }
    )


def configmap(text: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": CONFIGMAP, "namespace": NAMESPACE},
        "data": {"bundle.yaml": text},
    }


@pytest.fixture(scope="module")
def access(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Namespace, the ConfigMap, a reader service account and a stranger; their tokens and the API's CA."""
    tmp = tmp_path_factory.mktemp("config-api")
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
    cluster.apply(configmap(bundle("first-*")))
    for name in ("reader", "stranger"):
        cluster.apply(
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": NAMESPACE}}
        )
    rules = [
        {
            "apiGroups": [""],
            "resources": ["configmaps"],
            "resourceNames": [CONFIGMAP],
            "verbs": ["get", "list", "watch"],
        }
    ]
    cluster.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "bundle-reader", "namespace": NAMESPACE},
            "rules": rules,
        }
    )
    cluster.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "bundle-reader", "namespace": NAMESPACE},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "bundle-reader"},
            "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": NAMESPACE}],
        }
    )
    files = {"ca": tmp / "ca.crt"}
    ca = cluster.kubectl(
        "config", "view", "--raw", "--minify", "-o", "jsonpath={.clusters[0].cluster.certificate-authority-data}"
    )
    files["ca"].write_bytes(base64.b64decode(ca))
    for name in ("reader", "stranger"):
        files[name] = tmp / f"{name}.token"
        files[name].write_text(cluster.kubectl("create", "token", name, "-n", NAMESPACE).strip())
    return files


@pytest.fixture
def mounted(tmp_path: Path) -> Path:
    """The kubelet's copy of the ConfigMap, which in a pod lags behind the API by up to a minute."""
    path = tmp_path / "bundle.yaml"
    path.write_text(bundle("first-*"))
    return path


def sidecar_args(cluster: Cluster, token: Path, ca: Path) -> list[str]:
    api = urlsplit(cluster.server)
    return [
        "--config-configmap",
        f"{NAMESPACE}/{CONFIGMAP}",
        "--kube-api",
        f"{api.hostname}:{api.port}",
        "--kube-token-file",
        str(token),
        "--kube-ca-file",
        str(ca),
    ]


def readiness(sidecar: Sidecar) -> dict[str, Any]:
    with urllib.request.urlopen(f"{sidecar.admin}/readyz", timeout=5) as response:
        result: dict[str, Any] = json.load(response)
    return result


def config_hash(sidecar: Sidecar) -> str:
    return str(readiness(sidecar)["configHash"])


@pytest.fixture
def following(cluster: Cluster, access: dict[str, Path], mounted: Path) -> Iterator[Sidecar]:
    args = sidecar_args(cluster, access["reader"], access["ca"])
    with running_sidecar("http://127.0.0.1:9/mcp", config=mounted, extra_args=args) as sidecar:
        wait_until("the sidecar to follow the API", lambda: readiness(sidecar)["configSource"] == "api", timeout=20)
        yield sidecar


def test_a_configmap_change_is_in_force_within_seconds_though_the_mounted_file_is_stale(
    cluster: Cluster, following: Sidecar, mounted: Path
) -> None:
    seconds = []
    for i in range(10):
        before = config_hash(following)

        def changed(old: str = before) -> bool:
            return config_hash(following) != old

        started = time.monotonic()
        cluster.apply(configmap(bundle(f"tool-{i}-*")))
        wait_until("the new bundle in force", changed, timeout=20, interval=0.02)
        seconds.append(time.monotonic() - started)
    state = readiness(following)
    assert state["configError"] is None
    assert state["apiError"] is None
    assert state["configSource"] == "api"
    # The mounted file still holds the first bundle and, as it is older than the API's, was not read back.
    time.sleep(0.5)
    assert config_hash(following) == state["configHash"]
    assert mounted.read_text() == bundle("first-*")
    print(f"configmap change to enforcement: p50 {statistics.median(seconds):.3f} s, max {max(seconds):.3f} s")


def test_a_bad_bundle_in_the_configmap_keeps_the_previous_one_and_says_why(
    cluster: Cluster, following: Sidecar
) -> None:
    cluster.apply(configmap(bundle("good-*")))
    good = wait_until("the good bundle", lambda: readiness(following)["status"] == "ready" and config_hash(following))
    cluster.apply(configmap("guards: [{name: x}]"))
    state = wait_until("the bad bundle reported", lambda: (s := readiness(following))["configError"] and s)
    assert state["configHash"] == good
    assert f"configmap {NAMESPACE}/{CONFIGMAP}" in state["configError"]


def test_a_service_account_without_the_grant_is_refused_and_the_mounted_file_stays_in_force(
    cluster: Cluster, access: dict[str, Path], mounted: Path
) -> None:
    args = sidecar_args(cluster, access["stranger"], access["ca"])
    with running_sidecar("http://127.0.0.1:9/mcp", config=mounted, extra_args=args) as sidecar:
        state = wait_until("the refusal reported", lambda: (s := readiness(sidecar))["apiError"] and s, timeout=20)
    assert "403" in state["apiError"]
    assert "forbidden" in state["apiError"].lower()
    assert state["configSource"] == "file"
    assert state["status"] == "ready"

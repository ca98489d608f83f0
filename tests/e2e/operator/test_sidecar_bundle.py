"""The real sidecar enforces what the operator compiled for its pod, and follows a guard change.

The pod is created through the real webhook; KWOK runs no containers, so the sidecar runs locally with
the injected arguments, the pod's labels as the downward API writes them, and the bundle ConfigMap
mirrored into files as the kubelet does (tests/e2e/operator/kubelet.py), in front of server-everything.
"""

from __future__ import annotations

import asyncio
import json
import time
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from mcp.client import Client
from mcp.shared.exceptions import MCPError

from tests.e2e.operator.kubelet import ConfigMapMirror
from tests.e2e.operator.pods import api_access, labels_file, server_container
from tests.e2e.operator.process import Operator
from tests.support.cluster import Cluster, wait_until
from tests.support.peers import REPO_ROOT
from tests.support.sidecar import Sidecar, running_sidecar

pytestmark = pytest.mark.e2e
EXAMPLES = REPO_ROOT / "examples" / "operator"


def _injected_pod(cluster: Cluster, namespace: str) -> dict[str, Any]:
    container = server_container("example/everything:1", 3001)
    labels = {"app": "everything", "guardmesh.dev/inject": "enabled"}
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "everything-0", "labels": labels},
        "spec": {"containers": [container]},
    }
    cluster.kubectl("apply", "-n", namespace, "-f", "-", stdin=json.dumps(pod))
    created: dict[str, Any] = cluster.kubectl_json("get", "pod", "everything-0", "-n", namespace)
    return created


def _ready(sidecar: Sidecar) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(sidecar.get_admin("/readyz"))
    return state


async def _tools(url: str) -> list[str]:
    async with Client(url, mode="legacy") as client:
        return [t.name for t in (await client.list_tools(cache_mode="bypass")).tools]


async def _echo_denied(url: str) -> bool:
    """Whether a guard refused the call (-32050); any other error fails the test."""
    async with Client(url, mode="legacy") as client:
        try:
            await client.call_tool("echo", {"message": "hi"})
        except MCPError as exc:
            code = exc.error.code
        else:
            return False
    if code != -32050:
        pytest.fail(f"expected a guard's refusal (-32050), got {code}")
    return True


async def _until(check: Any, seconds: float) -> None:
    """Poll a synchronous check off the event loop until it holds or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while not await asyncio.to_thread(check) and time.monotonic() < deadline:
        await asyncio.to_thread(time.sleep, 0.05)


async def test_the_real_sidecar_enforces_the_operators_bundle_and_follows_a_change(
    cluster: Cluster, namespace: str, operator: Operator, everything_url: str, tmp_path: Path
) -> None:
    cluster.kubectl("apply", "-n", namespace, "-f", str(EXAMPLES / "guards.yaml"), "-f", str(EXAMPLES / "policy.yaml"))
    pod = _injected_pod(cluster, namespace)
    [sidecar_spec] = [c for c in pod["spec"]["initContainers"] if c["name"] == "guardmesh-sidecar"]
    args = dict(a.removeprefix("--").split("=", 1) for a in sidecar_spec["args"])
    labels = tmp_path / "pod" / "labels"
    labels.parent.mkdir()
    labels.write_text(labels_file(pod["metadata"]["labels"]))
    bundle_dir = tmp_path / "bundle"

    def policy_in_bundle() -> bool:
        found = cluster.kubectl("get", "cm", "guardmesh-bundle", "-n", namespace, "-o", "json", "--ignore-not-found")
        return bool(found.strip()) and "policy: everything" in json.loads(found)["data"]["bundle.yaml"]

    wait_until("the Policy in the namespace bundle", policy_in_bundle, timeout=60)
    with ConfigMapMirror(cluster.kubeconfig, namespace, "guardmesh-bundle", bundle_dir) as mirror:
        assert mirror.written.wait(30), "the bundle ConfigMap never arrived"
        extra = ["--pod-labels", str(labels), "--server-id", args["server-id"]]
        config = bundle_dir / Path(args["config"]).name
        with running_sidecar(everything_url, config=config, extra_args=extra) as sidecar:
            state = _ready(sidecar)
            assert state["guards"] == ["no-dangerous-tools", "pin-tools", "redact-secrets"]
            tools = await _tools(sidecar.url)
            assert "get-env" not in tools
            assert "echo" in tools

            before = state["configHash"]
            patch = json.dumps({"spec": {"native": {"deny": ["*delete*", "get-env", "echo"]}}})
            cluster.kubectl("patch", "sg", "no-dangerous-tools", "-n", namespace, "--type=merge", "-p", patch)
            await _until(lambda: _ready(sidecar)["configHash"] != before, 30)
            assert _ready(sidecar)["configHash"] != before, "the sidecar never reloaded"
            assert "echo" not in await _tools(sidecar.url)
            assert await _echo_denied(sidecar.url)

            # Another pod's labels pick another entry: relabelled out of the Policy, it enforces nothing.
            labels.write_text(labels_file({"app": "other"}))
            await _until(lambda: _ready(sidecar)["guards"] == [], 10)
            assert _ready(sidecar)["guards"] == []
            assert not await _echo_denied(sidecar.url)


async def test_a_sidecar_follows_the_bundle_through_the_api_with_only_the_access_the_operator_granted(
    cluster: Cluster, namespace: str, operator: Operator, everything_url: str, tmp_path: Path
) -> None:
    # Follows the test above in this module's namespace: its guards, Policy and injected pod `everything-0`.
    account = f"system:serviceaccount:{namespace}:default"
    can = partial(cluster.kubectl, "auth", "can-i", "-n", namespace, f"--as={account}", check=False)
    wait_until(
        "the bundle reader Role", lambda: can("watch", "configmaps/guardmesh-bundle").strip() == "yes", timeout=30
    )
    assert can("get", "configmaps/guardmesh-bundle").strip() == "yes"
    assert can("get", "configmaps/something-else").strip() == "no"
    assert can("list", "secrets").strip() == "no"

    pod = cluster.kubectl_json("get", "pod", "everything-0", "-n", namespace)
    [sidecar_spec] = [c for c in pod["spec"]["initContainers"] if c["name"] == "guardmesh-sidecar"]
    follow = next(a for a in sidecar_spec["args"] if a.startswith("--config-configmap="))
    assert follow == f"--config-configmap={namespace}/guardmesh-bundle/bundle.yaml"
    mounts = [m["mountPath"] for m in sidecar_spec["volumeMounts"]]
    assert "/var/run/secrets/kubernetes.io/serviceaccount" in mounts  # borrowed from the server container

    labels = tmp_path / "labels"
    labels.write_text(labels_file(pod["metadata"]["labels"]))
    stale = tmp_path / "bundle.yaml"  # the volume, before the kubelet's sync: an empty set
    stale.write_text("apiVersion: guardmesh.dev/v1alpha1\nkind: GuardBundleSet\nentries: []\n")
    extra = [follow, "--pod-labels", str(labels), *api_access(cluster, namespace, tmp_path)]
    with running_sidecar(everything_url, config=stale, extra_args=extra) as sidecar:
        await _until(lambda: _ready(sidecar).get("configSource") == "api", 30)
        state = _ready(sidecar)
        assert state["configSource"] == "api", state
        assert "no-dangerous-tools" in state["guards"]
        assert "get-env" not in await _tools(sidecar.url)

"""ToolBaselines end to end: learn a server's tools from its replicas, approve them with kubectl, scale the
Deployment, change the server's tools, restart the sidecars, and every replica enforces the same set.

The Deployment runs on KWOK nodes (no containers), so each pod's sidecar runs locally with the arguments
the webhook injected: the bundle followed through the real API server as the namespace's service
account, and the report token a pod-bound service-account token with the guardmesh.dev/observer audience
(what the kubelet would project), in front of a local Python-SDK server per pod that serves both
protocol eras. Clients are the Python SDK's, in a 2025 session and stateless at 2026-07-28.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from tests.e2e.operator.pods import api_access, labels_file, server_container, sidecar_args
from tests.e2e.operator.process import Operator
from tests.support import peers
from tests.support.cluster import Cluster, wait_until
from tests.support.sidecar import Sidecar, running_sidecar

pytestmark = pytest.mark.e2e

SERVER = Path(__file__).parents[1] / "servers" / "changing_server.py"
AUDIENCE = "guardmesh.dev/observer"
GUARD_DENIED = -32050
STATELESS = "2026-07-28"


@dataclass
class Replica:
    """One pod of the Deployment: its local server process and sidecar."""

    pod: dict[str, Any]
    directory: Path
    port: int = field(default_factory=peers.free_port)
    server: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    sidecar_stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    sidecar: Sidecar | None = None

    @property
    def name(self) -> str:
        return str(self.pod["metadata"]["name"])

    @property
    def url(self) -> str:
        assert self.sidecar is not None
        return self.sidecar.url

    def start_server(self, version: int) -> None:
        self.server.close()
        self.server = contextlib.ExitStack()
        argv = [sys.executable, str(SERVER), str(self.port), str(version)]
        self.server.enter_context(peers.running(argv, port=self.port))

    def start_sidecar(self, cluster: Cluster, namespace: str) -> None:
        self.sidecar_stack.close()
        self.sidecar_stack = contextlib.ExitStack()
        args = sidecar_args(self.pod)
        labels = self.directory / "labels"
        labels.write_text(labels_file(self.pod["metadata"]["labels"]))
        stale = self.directory / "bundle.yaml"  # the mounted volume before the kubelet's sync: nothing yet
        stale.write_text("apiVersion: guardmesh.dev/v1alpha1\nkind: GuardBundleSet\nentries: []\n")
        token = self.directory / "observer-token"
        token.write_text(_pod_token(cluster, namespace, self.pod, AUDIENCE))
        assert args["report-token"] == "/var/run/secrets/guardmesh.dev/observer/token"
        extra = [
            f"--server-id={args['server-id']}",
            f"--config-configmap={args['config-configmap']}",
            f"--pod-labels={labels}",
            f"--report-token={token}",
            *api_access(cluster, namespace, self.directory),
        ]
        self.sidecar = self.sidecar_stack.enter_context(
            running_sidecar(
                f"http://127.0.0.1:{self.port}/mcp",
                config=stale,
                audit_log=self.directory / f"audit-{len(list(self.directory.glob('audit-*')))}.jsonl",
                extra_args=extra,
            )
        )
        wait_until(f"{self.name}'s sidecar following the API", lambda: _ready(self)["configSource"] == "api", 30)

    def close(self) -> None:
        self.sidecar_stack.close()
        self.server.close()


def _pod_token(cluster: Cluster, namespace: str, pod: dict[str, Any], audience: str) -> str:
    meta = pod["metadata"]
    account = pod["spec"].get("serviceAccountName") or "default"
    return cluster.kubectl(
        "create",
        "token",
        account,
        "-n",
        namespace,
        f"--audience={audience}",
        "--bound-object-kind=Pod",
        f"--bound-object-name={meta['name']}",
        f"--bound-object-uid={meta['uid']}",
    ).strip()


def _ready(replica: Replica) -> dict[str, Any]:
    assert replica.sidecar is not None
    state: dict[str, Any] = json.loads(replica.sidecar.get_admin("/readyz"))
    return state


async def _names(url: str, era: str) -> list[str]:
    async with Client(url, mode="legacy" if era == "2025" else STATELESS) as client:
        if era == "2025":
            return sorted(t.name for t in (await client.list_tools(cache_mode="bypass")).tools)
        return sorted(t.name for t in (await client.list_tools()).tools)


async def _refusal(url: str, tool: str, arguments: dict[str, Any], era: str = "2025") -> str | None:
    """The guard's refusal of a call, or None when the call went through (any other error fails)."""
    async with Client(url, mode="legacy" if era == "2025" else STATELESS) as client:
        try:
            await client.call_tool(tool, arguments)
        except MCPError as exc:
            if exc.error.code != GUARD_DENIED:
                pytest.fail(f"{tool}: expected a guard's refusal ({GUARD_DENIED}), got {exc.error.code}: {exc}")
            return str(exc.error.message)
    return None


def _deployment(replicas: int) -> dict[str, Any]:
    labels = {"app": "weather", "guardmesh.dev/inject": "enabled"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "weather"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "weather"}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [server_container("example/weather:1", 3001)]},
            },
        },
    }


def _pods(cluster: Cluster, namespace: str) -> list[dict[str, Any]]:
    found = cluster.kubectl_json("get", "pods", "-n", namespace, "-l", "app=weather")["items"]
    return sorted((p for p in found if not p["metadata"].get("deletionTimestamp")), key=lambda p: p["metadata"]["name"])


def _baseline(cluster: Cluster, namespace: str) -> dict[str, Any]:
    found: dict[str, Any] = cluster.kubectl_json("get", "toolbaseline", "weather", "-n", namespace)
    return found


def _columns(cluster: Cluster, namespace: str) -> dict[str, str]:
    """`kubectl get tb weather` as the columns a person reads."""
    header, row = cluster.kubectl("get", "tb", "weather", "-n", namespace).splitlines()[:2]
    return dict(zip(header.split(), row.split(), strict=False))


def _pending(cluster: Cluster, namespace: str) -> dict[str, dict[str, Any]]:
    return {c["tool"]: c for c in _baseline(cluster, namespace).get("status", {}).get("changes", [])}


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[dict[str, Replica]]:
    out: dict[str, Replica] = {}
    yield out
    for replica in out.values():
        replica.close()


def _take_pods(cluster: Cluster, namespace: str, replicas: dict[str, Replica], tmp_path: Path, count: int) -> None:
    def injected() -> list[dict[str, Any]] | None:
        pods = _pods(cluster, namespace)
        return (
            pods
            if len(pods) == count and all("guardmesh.dev/status" in p["metadata"]["annotations"] for p in pods)
            else None
        )

    pods = wait_until(f"{count} injected pods", injected, timeout=60)
    for pod in pods:
        name = pod["metadata"]["name"]
        if name not in replicas:
            directory = tmp_path / name
            directory.mkdir()
            replicas[name] = Replica(pod, directory)


async def test_every_replica_enforces_the_approved_tools_across_scaling_changes_and_restarts(
    cluster: Cluster, plain_namespace: str, operator: Operator, replicas: dict[str, Replica], tmp_path: Path
) -> None:
    namespace = plain_namespace
    guard = {
        "apiVersion": "guardmesh.dev/v1alpha1",
        "kind": "SecurityGuard",
        "metadata": {"name": "access"},
        "spec": {"type": "native", "native": {"kind": "tool-access", "argumentChecks": []}},
    }
    policy = {
        "apiVersion": "guardmesh.dev/v1alpha1",
        "kind": "Policy",
        "metadata": {"name": "weather"},
        "spec": {"podSelector": {"matchLabels": {"app": "weather"}}, "guards": [{"name": "access"}]},
    }
    baseline = {
        "apiVersion": "guardmesh.dev/v1alpha1",
        "kind": "ToolBaseline",
        "metadata": {"name": "weather"},
        "spec": {"mode": "Learning"},
    }
    for manifest in (guard, policy, baseline, _deployment(2)):
        cluster.kubectl("apply", "-n", namespace, "-f", "-", stdin=json.dumps(manifest))

    # Learning: two replicas, one listed by a 2025 session client, the other by a stateless 2026 client.
    _take_pods(cluster, namespace, replicas, tmp_path, 2)
    first, second = replicas.values()
    for replica in (first, second):
        replica.start_server(1)
        replica.start_sidecar(cluster, namespace)
    # The policy gives no rug-pull guard: the baseline brings its own.
    assert _ready(first)["guards"] == ["tool-baseline", "access"]  # priority 40, then the default 100
    v1 = ["add", "get_forecast", "get_weather"]
    assert await _names(first.url, "2025") == v1
    assert await _names(second.url, STATELESS) == v1
    wait_until("three tools pending approval", lambda: len(_pending(cluster, namespace)) == 3, timeout=30)
    status = _baseline(cluster, namespace)["status"]
    assert {o["reportedBy"] for o in status["observed"]} <= {first.name, second.name}
    assert len({o["sha256"] for o in status["observed"]}) == 3, "the two eras listed different definitions"
    assert _columns(cluster, namespace) | {"AGE": ""} == {
        "NAME": "weather",
        "MODE": "Learning",
        "APPROVED": "0",
        "OBSERVED": "3",
        "PENDING": "3",
        "READY": "True",
        "AGE": "",
    }

    # Approve everything seen, with the one-liner the status offers, and enforce.
    approve_all = status["approveAll"]
    cluster.kubectl("patch", "tb", "weather", "-n", namespace, "--type=merge", "-p", approve_all)
    cluster.kubectl("patch", "tb", "weather", "-n", namespace, "--type=merge", "-p", '{"spec":{"mode":"Enforcing"}}')
    approved = _baseline(cluster, namespace)["spec"]["tools"]
    me = cluster.kubectl("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}").strip()
    assert {t["approvedBy"] for t in approved.values()} == {me}
    assert all(t["approvedAt"] for t in approved.values())
    wait_until("nothing pending", lambda: _columns(cluster, namespace)["PENDING"] == "0", timeout=30)

    # Scale up: the new replica enforces the approved set before it has listed anything.
    cluster.kubectl("scale", "deployment", "weather", "-n", namespace, "--replicas=3")
    _take_pods(cluster, namespace, replicas, tmp_path, 3)
    third = next(r for r in replicas.values() if r not in (first, second))
    third.start_server(1)
    third.start_sidecar(cluster, namespace)
    for replica in replicas.values():
        refusal = await _refusal(replica.url, "send_report", {"to": "x@example.com", "body": "hi"})
        assert refusal is not None
        assert "'send_report' is not approved" in refusal
        assert await _refusal(replica.url, "add", {"a": 1, "b": 2}) is None

    # The server changes its tools (a new version on every pod).
    for replica in replicas.values():
        replica.start_server(2)
    assert await _names(first.url, "2025") == ["add"]
    assert await _names(second.url, STATELESS) == ["add"]
    refusal = await _refusal(first.url, "get_forecast", {"city": "Oslo"})
    assert refusal is not None
    assert "changed since it was approved: description changed; inputSchema.properties.days added" in refusal
    assert "location history" not in refusal, "the summary must name fields, never their content"
    wait_until("the changes pending", lambda: len(_pending(cluster, namespace)) == 3, timeout=30)
    pending = _pending(cluster, namespace)
    assert pending["get_forecast"]["change"] == "Changed"
    assert pending["get_forecast"]["summary"] == "description changed; inputSchema.properties.days added"
    assert (pending["weather_now"]["change"], pending["weather_now"]["renamedFrom"]) == ("Renamed", "get_weather")
    assert pending["send_report"]["change"] == "New"

    # Restart every sidecar: fresh processes, nothing in memory. The third has not listed yet and still refuses
    # the changed tool, from what the others reported; then every replica lists and refuses the same.
    for replica in replicas.values():
        replica.start_sidecar(cluster, namespace)
    refusal = await _refusal(third.url, "get_forecast", {"city": "Oslo"}, STATELESS)
    assert refusal is not None
    assert "a replica saw the server list a definition" in refusal
    for replica, era in zip(replicas.values(), ("2025", STATELESS, "2025"), strict=True):
        assert await _names(replica.url, era) == ["add"]
        refusal = await _refusal(replica.url, "weather_now", {"city": "Oslo"}, era)
        assert refusal is not None
        assert "renamed from 'get_weather'" in refusal

    # Approve the changed get_forecast alone: every replica offers it again.
    cluster.kubectl("patch", "tb", "weather", "-n", namespace, "--type=merge", "-p", pending["get_forecast"]["approve"])
    for replica, era in zip(replicas.values(), ("2025", STATELESS, "2025"), strict=True):
        await _eventually(lambda r=replica, e=era: _names(r.url, e), ["add", "get_forecast"])  # type: ignore[misc]
    assert await _refusal(third.url, "get_forecast", {"city": "Oslo", "days": 2}) is None
    assert third.sidecar is not None
    records = [r for r in third.sidecar.audit() if r.get("kind") == "rug-pull"]
    assert records, "the refusals were not audited"
    assert not [r for r in records if "Oslo" in json.dumps(r)], "an argument value reached the audit log"


async def _eventually(probe: Callable[[], Awaitable[Any]], wanted: Any, seconds: float = 30) -> None:
    """Call `probe` until it returns `wanted` (the sidecars pick up a bundle change within a second or so)."""
    deadline = time.monotonic() + seconds
    while (got := await probe()) != wanted:
        if time.monotonic() > deadline:
            pytest.fail(f"still {got!r} after {seconds:.0f}s, wanted {wanted!r}")
        await asyncio.sleep(0.2)


def _post(operator: Operator, token: str, body: dict[str, Any]) -> tuple[int, str]:
    context = ssl.create_default_context(cafile=str(operator.ca))
    request = urllib.request.Request(
        f"{operator.webhook}/observe",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return response.status, json.loads(response.read())["message"]
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())["message"]


def test_reports_are_taken_only_from_a_pod_of_the_workload_with_its_own_bound_token(
    cluster: Cluster, plain_namespace: str, operator: Operator
) -> None:
    # Follows the test above in this module's namespace: its ToolBaseline and the weather pods.
    namespace = plain_namespace
    pod = _pods(cluster, namespace)[0]
    report = {"server": f"{namespace}/weather", "tools": [{"name": "fake", "description": "x"}]}
    other = {"server": f"{namespace}/billing", "tools": []}
    api_token = cluster.kubectl("create", "token", "default", "-n", namespace).strip()
    assert _post(operator, api_token, report)[0] == 401  # the API server's audience, not the observer's
    unbound = cluster.kubectl("create", "token", "default", "-n", namespace, f"--audience={AUDIENCE}").strip()
    status, message = _post(operator, unbound, report)
    assert (status, message) == (401, "the token is not bound to a pod")
    bound = _pod_token(cluster, namespace, pod, AUDIENCE)
    status, message = _post(operator, bound, other)
    assert status == 403
    assert "belongs to workload 'weather', not 'billing'" in message
    assert _post(operator, "not-a-token", report)[0] == 401
    assert "guardmesh_operator_tool_reports_total" in operator.metrics()

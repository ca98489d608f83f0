"""Kubernetes workload identity: the local plane's own kube-apiserver issues projected service-account tokens
(through the TokenRequest API, as the kubelet does for a projected volume; the plane's nodes run no
containers) with a GuardMesh audience; the sidecar verifies them against the API server's keys
(`/openid/v1/jwks`, read with a service account's token) and authorizes per service account, in both
protocol eras, with real MCP servers and the Python SDK client.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support import peers
from tests.support.cluster import Cluster, ClusterError
from tests.support.sidecar import Sidecar, running_sidecar, write_bundle

pytestmark = pytest.mark.e2e

NAMESPACE = "agents"
STATELESS = Path(__file__).parent / "servers" / "stateless_server.py"
GUARD_DENIED = -32050


@pytest.fixture(scope="module")
def accounts(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The API server's CA, a token the sidecar reads the keys with, and the agents' accounts."""
    tmp = tmp_path_factory.mktemp("workloads")
    cluster.kubectl("create", "namespace", NAMESPACE)
    for name in ("reader", "operator", "guardmesh-sidecar"):
        cluster.kubectl("create", "serviceaccount", name, "-n", NAMESPACE)
    ca = cluster.kubectl(
        "config", "view", "--raw", "--minify", "-o", "jsonpath={.clusters[0].cluster.certificate-authority-data}"
    )
    files = {"ca": tmp / "ca.crt", "sidecar": tmp / "sidecar.token"}
    files["ca"].write_bytes(base64.b64decode(ca))
    # Any service account may read the issuer's keys (the default `system:service-account-issuer-discovery`).
    files["sidecar"].write_text(cluster.kubectl("create", "token", "guardmesh-sidecar", "-n", NAMESPACE).strip())
    return files


def token(cluster: Cluster, account: str, audience: str = "guardmesh") -> str:
    """What a projected service-account token volume holds: a TokenRequest for the account and audience."""
    return cluster.kubectl("create", "token", account, "-n", NAMESPACE, "--audience", audience).strip()


def bundle(path: Path, cluster: Cluster, accounts: dict[str, Path], rules: list[dict[str, Any]]) -> Path:
    api = urlsplit(cluster.server)
    return write_bundle(
        path,
        [],
        authentication={
            "kubernetes": {
                "jwksUri": f"https://{api.netloc}/openid/v1/jwks",
                "caFile": str(accounts["ca"]),
                "tokenFile": str(accounts["sidecar"]),
            }
        },
        authorization={"rules": rules},
    )


@pytest.fixture(scope="module")
def sessions(
    cluster: Cluster, accounts: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sidecar]:
    rules = [
        {"name": "readers", "subjects": [{"serviceAccount": f"{NAMESPACE}/reader"}], "tools": ["echo"]},
        {"name": "operators", "subjects": [{"serviceAccount": f"{NAMESPACE}/operator"}], "tools": ["*"]},
    ]
    config = bundle(tmp_path_factory.mktemp("k8s-sessions") / "bundle.json", cluster, accounts, rules)
    server = peers.server_everything("streamableHttp")
    with (
        peers.running(server.argv, port=server.port, env=server.env),
        running_sidecar(server.url or "", config=config) as sidecar,
    ):
        yield sidecar


@pytest.fixture(scope="module")
def stateless(
    cluster: Cluster, accounts: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sidecar]:
    rules = [
        {"name": "namespace", "subjects": [{"namespace": NAMESPACE}], "tools": ["add"]},
        {"name": "operators", "subjects": [{"subject": f"system:serviceaccount:{NAMESPACE}:operator"}], "tools": ["*"]},
    ]
    tmp = tmp_path_factory.mktemp("k8s-stateless")
    config = bundle(tmp / "bundle.json", cluster, accounts, rules)
    port = peers.free_port()
    with (
        peers.running([sys.executable, str(STATELESS), str(port), str(tmp / "seen.jsonl")], port=port),
        running_sidecar(f"http://127.0.0.1:{port}/mcp", config=config) as sidecar,
    ):
        yield sidecar


async def as_workload(url: str, bearer: str, mode: str, calls: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The Python SDK client presenting a workload's token; the tools it sees and what its calls got."""
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.exceptions import MCPError

    out: dict[str, Any] = {"calls": []}
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {bearer}"}, timeout=30) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode) as client,
    ):
        out["tools"] = sorted(t.name for t in (await client.list_tools(cache_mode="bypass")).tools)
        for tool, arguments in calls:
            try:
                result = await client.call_tool(tool, arguments)
                out["calls"].append({"ok": result.model_dump(mode="json", by_alias=True, exclude_none=True)})
            except MCPError as exc:
                out["calls"].append({"code": exc.error.code, "message": exc.error.message})
    return out


async def test_two_service_accounts_see_different_tools_2025_sessions(cluster: Cluster, sessions: Sidecar) -> None:
    reader = await as_workload(sessions.url, token(cluster, "reader"), "legacy", [("get-env", {})])
    operator = await as_workload(sessions.url, token(cluster, "operator"), "legacy", [("get-env", {})])
    assert reader["tools"] == ["echo"]
    assert "get-env" in operator["tools"]
    assert reader["calls"][0]["code"] == GUARD_DENIED
    assert "no authorization rule grants tool 'get-env'" in reader["calls"][0]["message"]
    assert "ok" in operator["calls"][0]


async def test_two_service_accounts_see_different_tools_2026_stateless(cluster: Cluster, stateless: Sidecar) -> None:
    call = ("delete_file", {"path": "/tmp/x"})
    reader = await as_workload(stateless.url, token(cluster, "reader"), "2026-07-28", [("add", {"a": 1, "b": 2}), call])
    operator = await as_workload(stateless.url, token(cluster, "operator"), "2026-07-28", [])
    assert reader["tools"] == ["add"]
    assert operator["tools"] == ["add", "announce_tools_changed", "delete_file"]
    assert reader["calls"][0]["ok"]["structuredContent"] == {"result": 3}
    assert reader["calls"][1]["code"] == GUARD_DENIED


def test_a_token_for_another_audience_or_no_token_is_refused(cluster: Cluster, sessions: Sidecar) -> None:
    import urllib.error
    import urllib.request

    body = b'{"jsonrpc":"2.0","id":1,"method":"ping"}'
    for bearer, reason in (
        (token(cluster, "reader", audience="https://kubernetes.default.svc"), "audience"),
        (None, "missing"),
    ):
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(urllib.request.Request(sessions.url, data=body, headers=headers), timeout=5)
        with err.value:
            assert err.value.code == 401
            message = json.loads(err.value.read())["error"]["message"]
        assert bearer is None or "not meant for this server" in message
        metrics = sessions.get_admin("/metrics")
        assert f'guardmesh_authentications_total{{kind="bearer",result="{reason}"}}' in metrics
    assert 'guardmesh_authentications_total{kind="kubernetes",result="ok"}' in sessions.get_admin("/metrics")


EXAMPLES = peers.REPO_ROOT / "examples" / "identity"


def test_the_api_server_accepts_the_example_policies_and_refuses_authorization_without_identity(
    cluster: Cluster, accounts: dict[str, Path]
) -> None:
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(peers.REPO_ROOT / "crds"))
    for name in ("oauth.yaml", "workload.yaml"):
        cluster.kubectl("apply", "--dry-run=server", "-n", NAMESPACE, "-f", str(EXAMPLES / name))
    bad = {
        "apiVersion": "guardmesh.dev/v1alpha1",
        "kind": "Policy",
        "metadata": {"name": "no-identity", "namespace": NAMESPACE},
        "spec": {"authorization": {"rules": [{"name": "r", "subjects": [{"subject": "*"}], "tools": ["x"]}]}},
    }
    with pytest.raises(ClusterError, match="authorization needs authentication in the same Policy"):
        cluster.kubectl("apply", "--dry-run=server", "-f", "-", stdin=json.dumps(bad))


def _post(
    url: str, bearer: str, message: dict[str, Any], session: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    import urllib.error
    import urllib.request

    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "Authorization": f"Bearer {bearer}",
        "MCP-Protocol-Version": "2025-11-25",
    }
    if session is not None:
        headers["Mcp-Session-Id"] = session
    request = urllib.request.Request(url, data=json.dumps(message).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


def test_a_session_opened_by_one_workload_is_refused_to_another(cluster: Cluster, sessions: Sidecar) -> None:
    reader, operator = token(cluster, "reader"), token(cluster, "operator")
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}},
    }
    status, headers, _ = _post(sessions.url, reader, init)
    assert status == 200
    session = next(v for k, v in headers.items() if k.lower() == "mcp-session-id")
    _post(sessions.url, reader, {"jsonrpc": "2.0", "method": "notifications/initialized"}, session)
    ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
    assert _post(sessions.url, reader, ping, session)[0] == 200
    status, _, body = _post(sessions.url, operator, ping, session)
    assert status == 403
    assert json.loads(body)["error"] == {"code": -32059, "message": "This session belongs to another caller"}

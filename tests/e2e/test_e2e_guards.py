"""Guards at work end to end: real servers, real clients, the sidecar in between with a bundle file.

A tool-access deny list hides a tool from `tools/list` and refuses calls to it; a rug-pull guard
catches a server (written with the Python SDK to be malicious) that changes a tool's description
after the client has seen it. Every non-allow decision lands in the audit log.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import pytest

from tests.e2e.transcripts import differences, ts_transcript
from tests.support import peers
from tests.support.mcp_client import call_tool, tool_names
from tests.support.sidecar import Sidecar, running_sidecar, stdio_command, wait_for_audit, write_bundle
from tests.support.wire import JSON_AND_SSE, initialize

pytestmark = pytest.mark.e2e

GUARD_DENIED = -32050
FORBIDDEN_ORIGIN = -32055
ALLOWED_ORIGIN = "https://console.example.com"
RUG_PULL_SERVER = peers.REPO_ROOT / "examples" / "servers" / "rug_pull_server.py"


DENY_ECHO = {
    "name": "deny-echo",
    "spec": {
        "type": "native",
        "native": {"kind": "tool-access", "deny": ["echo"]},
        "runsOn": ["request", "response"],
    },
}


@pytest.fixture(scope="module")
def deny_echo(everything: peers.ServerCommand, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sidecar]:
    assert everything.url is not None
    work = tmp_path_factory.mktemp("deny-echo")
    config = write_bundle(work / "bundle.yaml", [DENY_ECHO], allowedOrigins=[ALLOWED_ORIGIN])
    with running_sidecar(everything.url, config=config, audit_log=work / "audit.jsonl") as sidecar:
        yield sidecar


async def test_a_denied_tool_is_filtered_out_of_tools_list(everything: peers.ServerCommand, deny_echo: Sidecar) -> None:
    assert everything.url is not None
    direct = await tool_names(everything.url)
    proxied = await tool_names(deny_echo.url)
    assert "echo" in direct
    assert "echo" not in proxied
    assert sorted(proxied) == sorted(t for t in direct if t != "echo")
    records = [r for r in deny_echo.wait_for_audit(1) if r["method"] == "tools/list"]
    assert records, f"no audit record for the filtered tools/list: {deny_echo.audit()}"
    assert records[-1]["guard"] == "deny-echo"
    assert records[-1]["decision"] == "modify"
    assert records[-1]["kind"] == "tool-access"


async def test_a_call_to_a_denied_tool_gets_a_json_rpc_error_naming_the_guard(deny_echo: Sidecar) -> None:
    from mcp.shared.exceptions import MCPError

    before = len(deny_echo.audit())
    outcome = await call_tool(deny_echo.url, "echo", {"message": "let me through"})
    assert isinstance(outcome, MCPError), f"the call was not refused: {outcome!r}"
    assert outcome.code == GUARD_DENIED
    assert "deny-echo" in outcome.message
    allowed = await call_tool(deny_echo.url, "get-sum", {"a": 1, "b": 2})
    assert not isinstance(allowed, MCPError), allowed
    records = [r for r in deny_echo.wait_for_audit(before + 1)[before:] if r["method"] == "tools/call"]
    assert len(records) == 1, deny_echo.audit()
    assert records[0]["decision"] == "deny"
    assert records[0]["guard"] == "deny-echo"
    assert records[0]["target"] == "echo"
    assert records[0]["phase"] == "request"
    assert records[0]["enforced"] is True


async def test_every_guard_decision_is_counted_in_metrics(deny_echo: Sidecar) -> None:
    await call_tool(deny_echo.url, "echo", {"message": "again"})
    metrics = deny_echo.get_admin("/metrics")
    lines = [line for line in metrics.splitlines() if line.startswith("guardmesh_guard_decisions_total{")]
    denied = [line for line in lines if 'guard="deny-echo"' in line and 'decision="deny"' in line]
    assert denied, "\n".join(lines) or metrics[:2000]
    assert float(denied[0].rsplit(" ", 1)[1]) >= 1


def _without_echo(transcript: dict[str, Any]) -> dict[str, Any]:
    """What the client should see through a deny list for `echo`: everything else, unchanged."""
    out = {k: v for k, v in transcript.items() if k != "forced"}
    out["tools"] = [t for t in transcript["tools"] if t["name"] != "echo"]
    out["calls"] = {k: v for k, v in transcript["calls"].items() if k != "echo"}
    return out


@pytest.mark.parametrize("transport", ["streamableHttp", "sse", "stdio"])
def test_a_deny_list_hides_and_refuses_a_tool_and_changes_nothing_else_on_every_transport(
    transport: str,
    everything: peers.ServerCommand,
    everything_sse: peers.ServerCommand,
    tmp_path: Path,
) -> None:
    config = write_bundle(tmp_path / "bundle.yaml", [DENY_ECHO])
    audit = tmp_path / "audit.jsonl"
    if transport == "stdio":
        server = peers.server_everything("stdio").argv
        direct = ts_transcript("stdio", server, force_calls=["echo"])
        guarded = ts_transcript("stdio", stdio_command(server, config=config, audit_log=audit), force_calls=["echo"])
        records = wait_for_audit(audit, 2)
    else:
        url = everything.url if transport == "streamableHttp" else everything_sse.url
        assert url is not None
        direct = ts_transcript(transport, [url], force_calls=["echo"])
        with running_sidecar(url, config=config, audit_log=audit) as sidecar:
            guarded = ts_transcript(transport, [sidecar.url], force_calls=["echo"])
            records = sidecar.wait_for_audit(2)
    assert "echo" in {t["name"] for t in direct["tools"]}
    assert "result" in direct["forced"]["echo"], direct["forced"]
    refused = guarded["forced"]["echo"]
    assert "error" in refused, f"the denied call was not refused: {refused}"
    assert refused["error"]["code"] == GUARD_DENIED
    assert "deny-echo" in refused["error"]["message"]
    diff = differences(_without_echo(direct), _without_echo(guarded))
    assert not diff, "the guard changed more than the denied tool:\n" + "\n".join(diff[:40])
    decisions = {(r["method"], r["decision"], r["guard"]) for r in records}
    assert ("tools/list", "modify", "deny-echo") in decisions, records
    assert ("tools/call", "deny", "deny-echo") in decisions, records


@pytest.fixture
def rug_pull_server() -> Iterator[str]:
    """examples/servers/rug_pull_server.py: `add` is honest on the first listing, poisoned afterwards."""
    port = peers.free_port()
    with peers.running([sys.executable, str(RUG_PULL_SERVER), "--port", str(port)], port=port):
        yield f"http://127.0.0.1:{port}/mcp"


async def test_a_tool_whose_description_changes_is_filtered_and_refused(rug_pull_server: str, tmp_path: Path) -> None:
    from mcp import Client
    from mcp.shared.exceptions import MCPError

    guard = {
        "name": "pin-tools",
        "spec": {"type": "native", "native": {"kind": "rug-pull", "onChange": "filter"}, "priority": 5},
    }
    config = write_bundle(tmp_path / "bundle.yaml", [guard])
    with running_sidecar(rug_pull_server, config=config, audit_log=tmp_path / "audit.jsonl") as sidecar:
        async with Client(sidecar.url, mode="legacy") as client:
            first = {t.name: t.description for t in (await client.list_tools(cache_mode="bypass")).tools}
            assert first["add"] == "Add two numbers."
            assert set(first) == {"add", "delete_all_files"}
            honest = await client.call_tool("add", {"a": 2, "b": 2})
            assert not honest.is_error
            second = {t.name: t.description for t in (await client.list_tools(cache_mode="bypass")).tools}
            assert set(second) == {"delete_all_files"}, f"the changed tool was not filtered: {second}"
            with pytest.raises(MCPError) as refused:
                await client.call_tool("add", {"a": 1, "b": 1, "note": "-----BEGIN OPENSSH PRIVATE KEY-----"})
            assert refused.value.code == GUARD_DENIED
            assert "pin-tools" in refused.value.message
            unchanged = await client.call_tool("delete_all_files", {"path": "/tmp/nothing"})
            assert not unchanged.is_error
        records = sidecar.wait_for_audit(2)
    # The server really did change the tool: the test is about a real rug pull, not a quiet server.
    async with Client(rug_pull_server, mode="legacy") as direct:
        poisoned = {t.name: t.description for t in (await direct.list_tools()).tools}
    assert "id_rsa" in (poisoned["add"] or "")
    decisions = [(r["method"], r["decision"], r["guard"], r["target"]) for r in records]
    assert ("tools/list", "modify", "pin-tools", None) in decisions, records
    assert ("tools/call", "deny", "pin-tools", "add") in decisions, records


INITIALIZE = initialize(client="browser")


async def _initialize_from(sidecar: Sidecar, headers: dict[str, str]) -> tuple[int, str]:
    all_headers = {**JSON_AND_SSE, **headers}
    async with (
        aiohttp.ClientSession() as http,
        http.post(sidecar.url, json=INITIALIZE, headers=all_headers) as response,
    ):
        return response.status, await response.text()


async def test_an_allowed_browser_origin_reaches_the_server(deny_echo: Sidecar) -> None:
    status, text = await _initialize_from(deny_echo, {"Origin": ALLOWED_ORIGIN})
    assert status == 200, text
    assert "protocolVersion" in text


async def test_a_foreign_browser_origin_is_refused(deny_echo: Sidecar) -> None:
    status, text = await _initialize_from(deny_echo, {"Origin": "https://attacker.example.net"})
    assert status == 403, text
    assert f'"code":{FORBIDDEN_ORIGIN}' in text.replace(" ", "")


async def test_a_dns_rebinding_request_is_refused_although_origin_and_host_agree(deny_echo: Sidecar) -> None:
    """DNS rebinding: a page on attacker.example.net whose name now resolves to the pod sends
    `Host: attacker.example.net` and `Origin: http://attacker.example.net` - the two agree, and
    the origin is still not one the bundle allows."""
    port = deny_echo.base.rsplit(":", 1)[1]
    host = f"attacker.example.net:{port}"
    status, text = await _initialize_from(deny_echo, {"Host": host, "Origin": f"http://{host}"})
    assert status == 403, f"the rebinding request reached the server: {status} {text[:300]}"
    assert f'"code":{FORBIDDEN_ORIGIN}' in text.replace(" ", "")


# --- responses the sidecar must still match to their request ------------------------------------
#
# A response guard (here: filtering `echo` out of tools/list) can only act on a response it can
# match to its request. The two tests below deliver a tools/list result on a path where the
# request was seen on another stream.


async def _read_until(stream: aiohttp.StreamReader, marker: bytes, seen: bytearray) -> str:
    """Read an event stream until ``marker`` appears (or 5 s pass); returns all text read so far."""
    with anyio.move_on_after(5):
        while marker not in seen:
            chunk = await stream.readany()
            if not chunk:
                break
            seen += chunk
    return seen.decode()


async def test_a_tools_list_result_replayed_after_last_event_id_is_still_filtered(deny_echo: Sidecar) -> None:
    """Streamable HTTP resumability: the client resumes with `Last-Event-ID` on a GET stream and the
    server replays the tools/list result there. It must be filtered like the original."""
    version = "2025-11-25"
    async with aiohttp.ClientSession() as http:
        async with http.post(deny_echo.url, json=INITIALIZE, headers=JSON_AND_SSE) as response:
            session = response.headers["mcp-session-id"]
            await response.read()
        headers = {**JSON_AND_SSE, "Mcp-Session-Id": session, "MCP-Protocol-Version": version}
        initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        async with http.post(deny_echo.url, json=initialized, headers=headers) as response:
            assert response.status == 202
        listing = {"jsonrpc": "2.0", "id": "list-1", "method": "tools/list", "params": {}}
        async with http.post(deny_echo.url, json=listing, headers=headers) as response:
            original = await response.text()
        assert '"tools"' in original, original[:500]
        assert '"name":"echo"' not in original.replace(" ", ""), "the tools/list result was not filtered"
        event_ids = [line[3:].strip() for line in original.splitlines() if line.startswith("id:")]
        assert event_ids, f"the server sent no resumable events: {original[:500]}"
        resume = {
            "Accept": "text/event-stream",
            "Mcp-Session-Id": session,
            "MCP-Protocol-Version": version,
            "Last-Event-ID": event_ids[0],
        }
        async with http.get(deny_echo.url, headers=resume) as stream:
            assert stream.status == 200
            replayed = await _read_until(stream.content, b'"tools"', bytearray())
    assert '"tools"' in replayed, f"the server replayed nothing, so this test proves nothing: {replayed[:500]}"
    assert '"name":"echo"' not in replayed.replace(" ", ""), "the replayed tools/list result bypassed the guard"


@pytest.fixture(scope="module")
def deny_echo_sse(everything_sse: peers.ServerCommand, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sidecar]:
    assert everything_sse.url is not None
    work = tmp_path_factory.mktemp("deny-echo-sse")
    config = write_bundle(work / "bundle.yaml", [DENY_ECHO])
    with running_sidecar(everything_sse.url, config=config, audit_log=work / "audit.jsonl") as sidecar:
        yield sidecar


@pytest.mark.parametrize(
    "endpoint_form",
    [
        "as-announced",
        pytest.param(
            "query-reordered",
        ),
    ],
)
async def test_a_legacy_sse_tools_list_result_is_filtered_however_the_endpoint_is_spelled(
    deny_echo_sse: Sidecar, endpoint_form: str
) -> None:
    """2024-11-05: the client POSTs to the endpoint the stream announced, and the answer arrives on
    the stream. The server accepts the same endpoint with its query spelled differently
    (`/message?x=1&sessionId=...`); the answer must be filtered all the same."""
    async with aiohttp.ClientSession() as http, http.get(deny_echo_sse.url) as stream:
        seen = bytearray()
        text = await _read_until(stream.content, b"\n\n", seen)
        endpoint = next(line[5:].strip() for line in text.splitlines() if line.startswith("data:"))
        path, _, query = endpoint.partition("?")
        post_to = deny_echo_sse.base + (endpoint if endpoint_form == "as-announced" else f"{path}?x=1&{query}")
        messages = [
            initialize("2024-11-05", client="browser"),
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": "list-1", "method": "tools/list", "params": {}},
        ]
        for message in messages:
            async with http.post(post_to, json=message) as response:
                assert response.status == 202, await response.text()
        text = await _read_until(stream.content, b'"id":"list-1"', seen)
    answers = [line for line in text.splitlines() if '"id":"list-1"' in line]
    assert answers, f"no tools/list answer on the stream: {text[-1000:]}"
    assert '"tools"' in answers[0]
    assert '"name":"echo"' not in answers[0].replace(" ", ""), "the tools/list result bypassed the guard"

"""The stateless 2026-07-28 revision through the sidecar, with a server and a client from the Python SDK.

No initialize, no session: every request is a self-contained POST carrying `Mcp-Method`/`Mcp-Name`
routing headers; a server that needs client input answers `input_required` and the client retries;
`subscriptions/listen` keeps a stream open for change events.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import pytest

from tests.e2e.transcripts import differences
from tests.support import peers
from tests.support.sidecar import Sidecar, running_sidecar, write_bundle

pytestmark = pytest.mark.e2e

SERVER = Path(__file__).parent / "servers" / "stateless_server.py"
REVISION = "2026-07-28"
HEADER_MISMATCH = -32020
GUARD_DENIED = -32050


@dataclass
class StatelessServer:
    url: str
    seen_log: Path

    def seen(self) -> list[dict[str, Any]]:
        """Every HTTP request that reached the server."""
        text = self.seen_log.read_text(encoding="utf-8") if self.seen_log.exists() else ""
        return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StatelessServer]:
    port = peers.free_port()
    seen_log = tmp_path_factory.mktemp("stateless") / "seen.jsonl"
    with peers.running([sys.executable, str(SERVER), str(port), str(seen_log)], port=port):
        yield StatelessServer(f"http://127.0.0.1:{port}/mcp", seen_log)


@pytest.fixture(scope="module")
def sidecar(server: StatelessServer) -> Iterator[Sidecar]:
    with running_sidecar(server.url) as sidecar:
        yield sidecar


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def stateless_transcript(url: str) -> dict[str, Any]:
    """What a 2026-07-28 Python SDK client gets from the test server, including an elicitation round trip."""
    import mcp_types as types
    from mcp import Client
    from mcp.client.session import ClientRequestContext

    asked: list[str] = []

    async def elicitation(context: ClientRequestContext, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={"confirm": True, "reason": "tested"})

    async with Client(url, mode=REVISION, elicitation_callback=elicitation) as client:
        out = {
            "protocolVersion": client.protocol_version,
            "tools": _dump(await client.list_tools()),
            "add": _dump(await client.call_tool("add", {"a": 20, "b": 22})),
            "delete": _dump(await client.call_tool("delete_file", {"path": "/tmp/report.txt"})),
            "prompts": _dump(await client.list_prompts()),
            "prompt": _dump(await client.get_prompt("review", {"language": "Rust"})),
            "resources": _dump(await client.list_resources()),
            "resource": _dump(await client.read_resource("config://settings")),
        }
    out["asked"] = asked
    return out


async def test_python_client_at_2026_07_28_gets_the_same_results_through_the_sidecar(
    server: StatelessServer, sidecar: Sidecar
) -> None:
    direct = await stateless_transcript(server.url)
    proxied = await stateless_transcript(sidecar.url)
    assert direct["protocolVersion"] == REVISION
    assert direct["add"]["structuredContent"] == {"result": 42}
    assert direct["asked"] == ["Really delete /tmp/report.txt?"], "the input_required round trip did not happen"
    assert direct["delete"]["structuredContent"] == {"result": "deleted /tmp/report.txt (tested)"}
    assert "Rust" in json.dumps(direct["prompt"])
    assert "strict" in json.dumps(direct["resource"])
    diff = differences(direct, proxied)
    assert not diff, "the sidecar changed what the client sees:\n" + "\n".join(diff)


async def test_subscriptions_listen_delivers_change_events_through_the_sidecar(sidecar: Sidecar) -> None:
    from mcp import Client
    from mcp.client.subscriptions import ToolsListChanged

    async with (
        Client(sidecar.url, mode=REVISION) as listener,
        Client(sidecar.url, mode=REVISION) as caller,
        listener.listen(tools_list_changed=True) as subscription,
    ):
        assert subscription.honored is not None
        assert subscription.honored.tools_list_changed is True
        await caller.call_tool("announce_tools_changed", {})
        with anyio.fail_after(10):
            event = await anext(aiter(subscription))
    assert isinstance(event, ToolsListChanged)


def _routed_call(marker: str, *, body_tool: str, header_method: str, header_name: str) -> tuple[dict[str, str], bytes]:
    body = {
        "jsonrpc": "2.0",
        "id": marker,
        "method": "tools/call",
        "params": {
            "name": body_tool,
            "arguments": {"path": f"/tmp/{marker}"} if body_tool == "delete_file" else {"a": 1, "b": 2},
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": REVISION,
                "io.modelcontextprotocol/clientInfo": {"name": "raw-http", "version": "1"},
                "io.modelcontextprotocol/clientCapabilities": {},
            },
        },
    }
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": REVISION,
        "Mcp-Method": header_method,
        "Mcp-Name": header_name,
    }
    return headers, json.dumps(body).encode()


@pytest.mark.parametrize(
    ("body_tool", "header_method", "header_name"),
    [
        pytest.param("delete_file", "tools/call", "add", id="mcp-name-names-another-tool"),
        pytest.param("delete_file", "tools/list", "delete_file", id="mcp-method-names-another-method"),
    ],
)
async def test_routing_headers_that_disagree_with_the_body_are_refused_before_reaching_the_server(
    server: StatelessServer, sidecar: Sidecar, body_tool: str, header_method: str, header_name: str
) -> None:
    marker = f"mismatch-{uuid.uuid4().hex}"
    headers, body = _routed_call(marker, body_tool=body_tool, header_method=header_method, header_name=header_name)
    async with aiohttp.ClientSession() as http, http.post(sidecar.url, data=body, headers=headers) as response:
        status = response.status
        reply = await response.json(content_type=None)
    assert status == 400, reply
    assert reply["jsonrpc"] == "2.0"
    assert reply["id"] == marker
    assert reply["error"]["code"] == HEADER_MISMATCH
    assert not [r for r in server.seen() if marker in r["body"]], "the server received the refused request"


async def test_routing_headers_that_agree_with_the_body_reach_the_server(
    server: StatelessServer, sidecar: Sidecar
) -> None:
    """The control for the refusal test: the same raw request with honest headers is served."""
    marker = f"honest-{uuid.uuid4().hex}"
    headers, body = _routed_call(marker, body_tool="add", header_method="tools/call", header_name="add")
    async with aiohttp.ClientSession() as http, http.post(sidecar.url, data=body, headers=headers) as response:
        status = response.status
        text = await response.text()
    assert status == 200, text
    assert '"result"' in text
    assert marker in text
    assert [r for r in server.seen() if marker in r["body"]], "the server never saw the request"


async def test_a_deny_list_filters_and_refuses_at_2026_07_28(server: StatelessServer, tmp_path: Path) -> None:
    from mcp import Client
    from mcp.shared.exceptions import MCPError

    guard = {"name": "no-deletes", "spec": {"type": "native", "native": {"kind": "tool-access", "deny": ["delete_*"]}}}
    config = write_bundle(tmp_path / "bundle.yaml", [guard])
    with running_sidecar(server.url, config=config, audit_log=tmp_path / "audit.jsonl") as sidecar:
        async with Client(sidecar.url, mode=REVISION) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            assert tools == {"add", "announce_tools_changed"}
            with pytest.raises(MCPError) as refused:
                await client.call_tool("delete_file", {"path": "/tmp/precious"})
            added = await client.call_tool("add", {"a": 1, "b": 1})
        records = sidecar.wait_for_audit(2)
    assert refused.value.code == GUARD_DENIED
    assert "no-deletes" in refused.value.message
    assert added.structured_content == {"result": 2}
    assert not [r for r in server.seen() if "/tmp/precious" in r["body"]], "the denied call reached the server"
    assert {(r["method"], r["decision"], r["protocolVersion"]) for r in records} == {
        ("tools/list", "modify", REVISION),
        ("tools/call", "deny", REVISION),
    }

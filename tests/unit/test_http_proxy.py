"""Bad input through the real HTTP proxy, in front of an in-process fake MCP server.

Every test ends by showing that the proxy still serves a good request afterwards.
"""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from guardmesh.app.server import Settings, serving
from guardmesh.protocol import errors
from guardmesh.protocol.sse import SseDecoder, format_event
from guardmesh.runtime import Runtime

TOOLS = [
    {"name": "fs_read", "description": "Read a file.", "inputSchema": {"type": "object"}},
    {"name": "fs_delete", "description": "Delete a file.", "inputSchema": {"type": "object"}},
]
LIMIT = 4096


def bundle(**limits: Any) -> dict[str, Any]:
    return {
        "guards": [
            {
                "name": "tool-policy",
                "spec": {"type": "native", "native": {"kind": "tool-access", "deny": ["fs_delete"]}},
            }
        ],
        "allowedOrigins": ["https://app.example"],
        "limits": {"maxBodyBytes": LIMIT, "upstreamTimeoutSeconds": 10, **limits},
    }


def rpc(**fields: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", **fields}


def call(tool: str, id_: int | str = 1) -> dict[str, Any]:
    return rpc(id=id_, method="tools/call", params={"name": tool, "arguments": {}})


# --- the fake MCP server -----------------------------------------------------------------------


@dataclass
class Upstream:
    """What the fake server saw, and events a test uses to follow or release its handlers."""

    url: str = ""
    seen: list[Any] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    stream_closed: asyncio.Event = field(default_factory=asyncio.Event)

    def calls_of(self, tool: str) -> list[Any]:
        return [b for b in self.seen if isinstance(b, dict) and b.get("params", {}).get("name") == tool]


UPSTREAM = web.AppKey("upstream", Upstream)


def json_reply(body: Any, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(body), content_type="application/json", headers=headers)


async def sse_reply(request: web.Request, *bodies: Any) -> web.StreamResponse:
    out = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await out.prepare(request)
    for body in bodies:
        await out.write(format_event(orjson.dumps(body), event="message"))
    await out.write_eof()
    return out


def answer(message: dict[str, Any]) -> dict[str, Any]:
    return rpc(id=message["id"], result={"content": [{"type": "text", "text": f"did {message['method']}"}]})


async def serve_mcp(request: web.Request) -> web.StreamResponse:
    upstream = request.app[UPSTREAM]
    body = orjson.loads(await request.read())
    upstream.seen.append(body)
    if isinstance(body, list):
        return json_reply([answer(m) for m in body if "id" in m])
    if "id" not in body:
        return web.Response(status=202)
    method, id_ = body["method"], body["id"]
    if method == "initialize":
        result = {"protocolVersion": "2025-06-18", "capabilities": {}, "serverInfo": {"name": "fake", "version": "1"}}
        return json_reply(rpc(id=id_, result=result), headers={"Mcp-Session-Id": "session-1"})
    if method == "tools/list":
        return await sse_reply(request, rpc(id=id_, result={"tools": TOOLS}))
    tool = body.get("params", {}).get("name")
    if tool == "slow":
        await upstream.release.wait()
    elif tool == "dies-mid-stream":
        out = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await out.prepare(request)
        progress = rpc(method="notifications/progress", params={"progressToken": 1, "progress": 0.5})
        await out.write(format_event(orjson.dumps(progress), event="message"))
        assert request.transport is not None
        request.transport.abort()
        return out
    elif tool == "answers-in-html":
        return web.Response(text="<html>not what you asked for</html>", content_type="text/html")
    elif tool == "streams-forever":
        out = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await out.prepare(request)
        try:
            while True:
                await out.write(b": keep-alive\n\n")
                await asyncio.sleep(0.01)
        finally:
            upstream.stream_closed.set()
    return json_reply(answer(body))


@contextlib.asynccontextmanager
async def fake_server() -> AsyncIterator[Upstream]:
    upstream = Upstream()
    app = web.Application()
    app[UPSTREAM] = upstream
    app.router.add_post("/mcp", serve_mcp)
    runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    upstream.url = f"http://127.0.0.1:{port}/mcp"
    try:
        yield upstream
    finally:
        upstream.release.set()
        await runner.cleanup()


# --- the proxy under test ----------------------------------------------------------------------


@dataclass
class Proxy:
    url: str
    admin: str
    runtime: Runtime
    http: aiohttp.ClientSession
    write_bundle: Callable[[dict[str, Any] | str], Path]

    async def post(
        self, body: Any, version: str | None = "2025-06-18", headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """POST a body (bytes as they are, anything else as JSON); returns the status and the decoded reply."""
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        sent = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if version is not None:
            sent["MCP-Protocol-Version"] = version
        async with self.http.post(self.url, data=data, headers={**sent, **(headers or {})}) as resp:
            payload = await resp.read()
            if resp.content_type == "text/event-stream":
                return resp.status, [orjson.loads(e.data) for e in SseDecoder(1 << 20).feed(payload) if e.data]
            return resp.status, orjson.loads(payload) if payload else None

    async def assert_serves(self) -> None:
        """A good request still goes through and gets the server's answer."""
        status, reply = await self.post(call("fs_read", "good"))
        assert status == 200
        assert reply == answer(call("fs_read", "good"))

    async def metric(self, name: str, **labels: str) -> float | None:
        async with self.http.get(self.admin + "/metrics") as resp:
            text = await resp.text()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and sample.labels == labels:
                    return sample.value
        return None


@contextlib.asynccontextmanager
async def proxy_to(
    upstream_url: str, config: Path, write_bundle: Callable[[dict[str, Any] | str], Path]
) -> AsyncIterator[Proxy]:
    settings = Settings(
        upstream=upstream_url, listen=("127.0.0.1", 0), admin=("127.0.0.1", 0), config=config, audit_log=None
    )
    async with serving(settings) as (runtime, addresses), aiohttp.ClientSession() as http:
        yield Proxy(f"http://{addresses[0]}/mcp", f"http://{addresses[1]}", runtime, http, write_bundle)


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    async with fake_server() as server:
        yield server


@pytest.fixture
async def proxy(upstream: Upstream, write_bundle: Callable[[dict[str, Any] | str], Path]) -> AsyncIterator[Proxy]:
    async with proxy_to(upstream.url, write_bundle(bundle()), write_bundle) as running:
        yield running


def error_code(reply: Any) -> int:
    assert isinstance(reply, dict), reply
    code = reply["error"]["code"]
    assert isinstance(code, int)
    return code


# --- the tests ---------------------------------------------------------------------------------


async def test_a_good_request_goes_through_unchanged(proxy: Proxy, upstream: Upstream) -> None:
    await proxy.assert_serves()
    assert upstream.seen == [call("fs_read", "good")]


@pytest.mark.parametrize(
    ("body", "code", "reason"),
    [
        pytest.param(b"{not json", errors.PARSE_ERROR, "parse", id="invalid-json"),
        pytest.param(b'{"jsonrpc":"2.0","id":1,"method":"tools/\xff"}', errors.PARSE_ERROR, "utf8", id="invalid-utf8"),
        pytest.param(b'{"hello": "world"}', errors.INVALID_REQUEST, "shape", id="not-json-rpc"),
        pytest.param(b'{"jsonrpc":"2.0","id":true,"method":"ping"}', errors.INVALID_REQUEST, "shape", id="bool-id"),
        pytest.param(
            b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":' + b"[" * 127 + b"]" * 127 + b"}}",
            errors.INVALID_REQUEST,
            "depth",
            id="nesting-129",
        ),
    ],
)
async def test_a_malformed_body_is_refused_with_400_and_counted(
    proxy: Proxy, upstream: Upstream, body: bytes, code: int, reason: str
) -> None:
    status, reply = await proxy.post(body)
    assert status == 400
    assert error_code(reply) == code
    assert upstream.seen == []
    assert await proxy.metric("guardmesh_rejected_total", reason=reason) == 1
    await proxy.assert_serves()


async def test_nesting_of_exactly_128_levels_is_forwarded(proxy: Proxy, upstream: Upstream) -> None:
    body = b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":' + b"[" * 126 + b"]" * 126 + b"}}"
    status, _ = await proxy.post(body)
    assert status == 200
    assert len(upstream.seen) == 1


async def test_a_body_over_the_limit_is_refused_with_413_before_the_server_sees_it(
    proxy: Proxy, upstream: Upstream
) -> None:
    big = call("fs_read") | {"params": {"name": "fs_read", "arguments": {"text": "x" * LIMIT}}}
    status, reply = await proxy.post(big)
    assert status == 413
    assert error_code(reply) == errors.TOO_LARGE
    assert upstream.seen == []
    assert await proxy.metric("guardmesh_rejected_total", reason="too-large") == 1
    await proxy.assert_serves()


async def test_a_chunked_body_over_the_limit_is_refused_with_413(proxy: Proxy, upstream: Upstream) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"'
        for _ in range(8):
            yield b"x" * 1024
        yield b'"}}'

    headers = {"Content-Type": "application/json", "MCP-Protocol-Version": "2025-06-18"}
    async with proxy.http.post(proxy.url, data=chunks(), headers=headers) as resp:
        assert resp.status == 413
        assert error_code(await resp.json()) == errors.TOO_LARGE
    assert upstream.seen == []
    await proxy.assert_serves()


async def test_a_batch_is_refused_in_revisions_that_removed_batches(proxy: Proxy, upstream: Upstream) -> None:
    status, reply = await proxy.post([call("fs_read", 1), call("fs_read", 2)], version="2025-06-18")
    assert status == 400
    assert error_code(reply) == errors.INVALID_REQUEST
    assert upstream.seen == []
    await proxy.assert_serves()


async def test_a_batch_is_forwarded_in_revisions_that_allow_batches(proxy: Proxy, upstream: Upstream) -> None:
    batch = [call("fs_read", 1), call("fs_read", 2)]
    status, reply = await proxy.post(batch, version="2025-03-26")
    assert status == 200
    assert reply == [answer(m) for m in batch]
    assert upstream.seen == [batch]


async def test_a_denied_request_in_a_batch_is_answered_beside_the_servers_answers(
    proxy: Proxy, upstream: Upstream
) -> None:
    status, reply = await proxy.post([call("fs_read", 1), call("fs_delete", 2)], version="2025-03-26")
    assert status == 200
    assert reply[0] == answer(call("fs_read", 1))
    assert reply[1]["id"] == 2
    assert error_code(reply[1]) == errors.GUARD_DENIED
    assert upstream.seen == [[call("fs_read", 1)]]


STATELESS = "2026-07-28"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Mcp-Method": "tools/list", "Mcp-Name": "fs_read"}, id="other-method"),
        pytest.param({"Mcp-Method": "tools/call", "Mcp-Name": "fs_write"}, id="other-name"),
        pytest.param({"Mcp-Method": "tools/call"}, id="no-name"),
        pytest.param({"Mcp-Name": "fs_read"}, id="no-method"),
    ],
)
async def test_routing_headers_that_disagree_with_the_body_are_refused_before_the_server(
    proxy: Proxy, upstream: Upstream, headers: dict[str, str]
) -> None:
    status, reply = await proxy.post(call("fs_read", 5), version=STATELESS, headers=headers)
    assert status == 400
    assert error_code(reply) == errors.HEADER_MISMATCH
    assert reply["id"] == 5
    assert upstream.seen == []
    assert await proxy.metric("guardmesh_rejected_total", reason="header-mismatch") == 1
    await proxy.assert_serves()


async def test_routing_headers_that_agree_with_the_body_pass(proxy: Proxy, upstream: Upstream) -> None:
    headers = {"Mcp-Method": "tools/call", "Mcp-Name": "fs_read"}
    status, reply = await proxy.post(call("fs_read", 5), version=STATELESS, headers=headers)
    assert status == 200
    assert reply == answer(call("fs_read", 5))


async def test_an_unknown_session_is_refused_with_404(proxy: Proxy, upstream: Upstream) -> None:
    status, reply = await proxy.post(call("fs_read"), headers={"Mcp-Session-Id": "never-issued"})
    assert status == 404
    assert error_code(reply) == errors.SESSION_NOT_FOUND
    assert upstream.seen == []
    await proxy.assert_serves()


async def test_a_session_the_server_issued_is_known(proxy: Proxy, upstream: Upstream) -> None:
    init = rpc(id=0, method="initialize", params={"protocolVersion": "2025-06-18", "capabilities": {}})
    status, _ = await proxy.post(init)
    assert status == 200
    status, reply = await proxy.post(call("fs_read", 1), headers={"Mcp-Session-Id": "session-1"})
    assert status == 200
    assert reply == answer(call("fs_read", 1))


async def test_a_browser_origin_not_allowed_is_refused_with_403(proxy: Proxy, upstream: Upstream) -> None:
    status, reply = await proxy.post(call("fs_read"), headers={"Origin": "https://evil.example"})
    assert status == 403
    assert error_code(reply) == errors.FORBIDDEN_ORIGIN
    assert upstream.seen == []
    assert await proxy.metric("guardmesh_rejected_total", reason="origin") == 1
    status, _ = await proxy.post(call("fs_read"), headers={"Origin": "https://app.example"})
    assert status == 200
    await proxy.assert_serves()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_an_unreachable_server_is_answered_with_502(
    bundle_path: Path, write_bundle: Callable[[dict[str, Any] | str], Path]
) -> None:
    write_bundle(bundle())
    async with proxy_to(f"http://127.0.0.1:{closed_port()}/mcp", bundle_path, write_bundle) as proxy:
        status, reply = await proxy.post(call("fs_read"))
        assert status == 502
        assert error_code(reply) == errors.UPSTREAM_UNAVAILABLE
        assert await proxy.metric("guardmesh_rejected_total", reason="upstream") == 1


async def test_a_server_that_does_not_answer_in_time_is_answered_with_504(proxy: Proxy, upstream: Upstream) -> None:
    proxy.write_bundle(bundle(upstreamTimeoutSeconds=0.05))
    assert proxy.runtime.reload()
    status, reply = await proxy.post(call("slow"))
    assert status == 504
    assert error_code(reply) == errors.UPSTREAM_TIMEOUT
    proxy.write_bundle(bundle())
    assert proxy.runtime.reload()
    await proxy.assert_serves()


async def test_an_answer_the_sidecar_cannot_inspect_never_reaches_the_client(proxy: Proxy, upstream: Upstream) -> None:
    status, reply = await proxy.post(call("answers-in-html"))
    assert status == 502
    assert error_code(reply) == errors.UPSTREAM_UNAVAILABLE
    assert "text/html" in reply["error"]["message"]
    await proxy.assert_serves()


async def test_a_server_dying_mid_stream_leaves_an_error_event_for_the_pending_request(
    proxy: Proxy, upstream: Upstream
) -> None:
    status, events = await proxy.post(call("dies-mid-stream", 41))
    assert status == 200
    assert events[0]["method"] == "notifications/progress"
    assert events[-1]["id"] == 41
    assert error_code(events[-1]) == errors.UPSTREAM_UNAVAILABLE
    assert await proxy.metric("guardmesh_rejected_total", reason="upstream-broken") == 1
    await proxy.assert_serves()


async def test_a_client_leaving_mid_stream_closes_the_servers_stream(proxy: Proxy, upstream: Upstream) -> None:
    headers = {"Content-Type": "application/json", "Accept": "text/event-stream", "MCP-Protocol-Version": "2025-06-18"}
    resp = await proxy.http.post(proxy.url, data=orjson.dumps(call("streams-forever")), headers=headers)
    try:
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        assert await resp.content.readuntil(b"\n\n") == b": keep-alive\n\n"
    finally:
        resp.close()
    async with asyncio.timeout(5):
        await upstream.stream_closed.wait()
    await proxy.assert_serves()


async def test_a_denied_tool_call_never_reaches_the_server(proxy: Proxy, upstream: Upstream) -> None:
    status, reply = await proxy.post(call("fs_delete", 9))
    assert status == 200
    assert reply["id"] == 9
    assert error_code(reply) == errors.GUARD_DENIED
    assert "'tool-policy'" in reply["error"]["message"]
    assert upstream.calls_of("fs_delete") == []
    labels = {"guard": "tool-policy", "kind": "tool-access", "decision": "deny", "enforced": "true"}
    assert await proxy.metric("guardmesh_guard_decisions_total", **labels) == 1
    await proxy.assert_serves()


async def test_a_tools_list_stream_is_filtered(proxy: Proxy, upstream: Upstream) -> None:
    status, events = await proxy.post(rpc(id="l", method="tools/list"))
    assert status == 200
    (result,) = events
    assert [t["name"] for t in result["result"]["tools"]] == ["fs_read"]


async def test_readiness_reports_a_bad_reload_while_the_old_config_keeps_serving(
    proxy: Proxy, upstream: Upstream
) -> None:
    proxy.write_bundle("guards: [\n")
    assert not proxy.runtime.reload()
    async with proxy.http.get(proxy.admin + "/readyz") as resp:
        ready = await resp.json()
    assert resp.status == 200
    assert ready["status"] == "degraded"
    assert "not valid YAML" in ready["configError"]
    assert ready["guards"] == ["tool-policy"]
    assert await proxy.metric("guardmesh_config_reloads_total", result="error") == 1
    status, reply = await proxy.post(call("fs_delete"))
    assert (status, error_code(reply)) == (200, errors.GUARD_DENIED), "the previous config is still enforced"
    await proxy.assert_serves()
    proxy.write_bundle(bundle(maxDepth=64))
    assert proxy.runtime.reload()
    async with proxy.http.get(proxy.admin + "/readyz") as resp:
        assert (await resp.json())["status"] == "ready"

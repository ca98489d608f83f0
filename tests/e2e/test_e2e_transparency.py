"""Through the default guards, a client sees the same server as directly, but for what a guard refuses.

Real clients (the TypeScript and Python SDKs) take a transcript of everything server-everything
offers - lists, every tool called, every prompt got, every resource read, and the server's own
requests (sampling, elicitation, roots) answered by the client - once directly and once through the
sidecar (no config: the built-in default guards), on each transport. The normalised transcripts must
be equal except for the one refusal the defaults make on purpose (EXPECTED_REFUSALS).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from tests.e2e.transcripts import differences, py_transcript, ts_transcript
from tests.support import peers
from tests.support.sidecar import Sidecar, running_sidecar, stdio_command
from tests.support.wire import JSON_AND_SSE, initialize

pytestmark = pytest.mark.e2e

ROUND_TRIPS = ["elicitation/create", "roots/list", "sampling/createMessage"]
EXPECTED_REFUSALS = {"demo://resource/static/document/instructions.md": "prompt-injection"}
"""Resources the default guards refuse. The server's instructions document addresses the model and tells
it how to answer ("If asked about server instructions, respond with ..."): an instruction to the model
inside a resource, which is what the prompt-injection guard is for."""


@pytest.fixture(scope="module")
def sidecar_http(everything: peers.ServerCommand) -> Iterator[Sidecar]:
    assert everything.url is not None
    with running_sidecar(everything.url) as sidecar:
        yield sidecar


def assert_same(direct: dict[str, Any], proxied: dict[str, Any]) -> None:
    refused = {uri: guard for uri, guard in EXPECTED_REFUSALS.items() if uri in direct.get("reads", {})}
    for uri, guard in refused.items():
        assert "result" in direct["reads"][uri]
        assert f"guard {guard!r}" in proxied["reads"][uri]["error"]["message"]
    diff = [d for d in differences(direct, proxied) if not any(d.startswith(f"$.reads.{uri}.") for uri in refused)]
    assert not diff, "the sidecar changed what the client sees:\n" + "\n".join(diff[:40])


def assert_exercised(transcript: dict[str, Any]) -> None:
    """Equal transcripts prove nothing if both are empty or failed the same way."""
    tools = {t["name"] for t in transcript["tools"]}
    assert {"echo", "get-sum", "trigger-sampling-request", "trigger-elicitation-request", "get-roots-list"} <= tools
    assert transcript["serverRequests"] == ROUND_TRIPS
    calls = transcript["calls"]
    assert calls["get-sum"]["result"]["content"][0]["text"].startswith("The sum of")
    assert "sampled(" in str(calls["trigger-sampling-request"]["result"])
    assert "User provided the requested information" in str(calls["trigger-elicitation-request"]["result"])
    assert "workspace" in str(calls["get-roots-list"]["result"])
    assert "firstProgress" in calls["trigger-long-running-operation"]


def test_typescript_client_over_streamable_http_sees_the_same_server_through_the_sidecar(
    everything: peers.ServerCommand, sidecar_http: Sidecar
) -> None:
    assert everything.url is not None
    direct = ts_transcript("streamableHttp", [everything.url])
    proxied = ts_transcript("streamableHttp", [sidecar_http.url])
    assert_exercised(direct)
    assert len(direct["reads"]) >= 5
    assert_same(direct, proxied)


async def test_python_client_over_streamable_http_sees_the_same_server_through_the_sidecar(
    everything: peers.ServerCommand, sidecar_http: Sidecar
) -> None:
    assert everything.url is not None
    direct = await py_transcript(everything.url)
    proxied = await py_transcript(sidecar_http.url)
    assert_exercised(direct)
    assert_same(direct, proxied)


async def test_python_client_in_auto_mode_falls_back_to_initialize_through_the_sidecar(sidecar_http: Sidecar) -> None:
    """Auto mode probes with a 2026-07-28 server/discover first; the legacy server's refusal must reach it."""
    from mcp import Client

    async with Client(sidecar_http.url, mode="auto") as client:
        assert client.protocol_version == "2025-11-25"
        result = await client.call_tool("echo", {"message": "auto"})
    assert result.content[0].model_dump()["text"] == "Echo: auto"


def test_typescript_client_over_legacy_sse_sees_the_same_server_through_the_sidecar(
    everything_sse: peers.ServerCommand,
) -> None:
    assert everything_sse.url is not None
    with running_sidecar(everything_sse.url) as sidecar:
        direct = ts_transcript("sse", [everything_sse.url])
        proxied = ts_transcript("sse", [sidecar.url])
    assert_exercised(direct)
    assert_same(direct, proxied)


def test_typescript_client_over_stdio_sees_the_same_server_through_the_sidecar() -> None:
    server = peers.server_everything("stdio").argv
    direct = ts_transcript("stdio", server)
    proxied = ts_transcript("stdio", stdio_command(server))
    assert_exercised(direct)
    assert_same(direct, proxied)


async def _raw_exchange(url: str) -> list[bytes]:
    """The exact response bodies of a short session (initialize, tools/list, a tool call), session ids and
    event ids (random per run) replaced."""
    headers = dict(JSON_AND_SSE)
    messages: list[dict[str, Any]] = [
        initialize(client="raw"),
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "get-tiny-image", "arguments": {}}},
    ]
    bodies = []
    async with aiohttp.ClientSession() as http:
        for message in messages:
            async with http.post(url, json=message, headers=headers) as response:
                if "mcp-session-id" in response.headers:
                    headers |= {
                        "Mcp-Session-Id": response.headers["mcp-session-id"],
                        "MCP-Protocol-Version": "2025-11-25",
                    }
                body = await response.read()
                bodies.append(f"{response.status} {response.content_type}\n".encode() + _UUID.sub(b"<uuid>", body))
    return bodies


_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


async def test_messages_no_guard_changed_are_forwarded_byte_for_byte(
    everything: peers.ServerCommand, sidecar_http: Sidecar
) -> None:
    assert everything.url is not None
    direct = await _raw_exchange(everything.url)
    proxied = await _raw_exchange(sidecar_http.url)
    assert b'"tools"' in direct[2]
    assert b'"image"' in direct[3]
    assert proxied == direct

"""Stopping the sidecar: SIGTERM lets requests in flight finish, and does not wait on idle event streams.

Kubernetes sends SIGTERM and kills the pod `terminationGracePeriodSeconds` (default 30 s) later.
A request in flight must still get its answer; an event stream that merely waits for server
messages (a Streamable HTTP GET stream, a legacy SSE stream) can be closed at once - clients
reconnect, with `Last-Event-ID` - and must not hold the shutdown (and the trace flush) hostage.
"""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from tests.support.sidecar import Sidecar, running_sidecar
from tests.support.wire import JSON_AND_SSE, initialize

pytestmark = pytest.mark.e2e

PROMPT_EXIT_S = 5.0
"""How long an idle sidecar may take to exit on SIGTERM; well inside Kubernetes' 30 s grace period."""

INITIALIZE = initialize(client="lifecycle")


async def _session(http: aiohttp.ClientSession, sidecar: Sidecar) -> dict[str, str]:
    """Initialize a Streamable HTTP session; returns the headers its later requests carry."""
    async with http.post(sidecar.url, json=INITIALIZE, headers=JSON_AND_SSE) as response:
        session = response.headers["mcp-session-id"]
        await response.read()
    headers = {**JSON_AND_SSE, "Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-11-25"}
    async with http.post(sidecar.url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers):
        pass
    return headers


async def test_sigterm_lets_a_request_in_flight_finish(everything_url: str) -> None:
    with running_sidecar(everything_url) as sidecar:
        async with aiohttp.ClientSession() as http:
            headers = await _session(http, sidecar)
            call = {
                "jsonrpc": "2.0",
                "id": "slow-1",
                "method": "tools/call",
                "params": {"name": "trigger-long-running-operation", "arguments": {"duration": 1.5, "steps": 3}},
            }
            async with http.post(sidecar.url, json=call, headers=headers) as response:
                assert response.status == 200
                first = await response.content.readany()  # the request is now in flight
                loop = asyncio.get_running_loop()
                exit_status = loop.run_in_executor(None, sidecar.terminate, 15.0)
                rest = await response.content.read()
            code = await exit_status
    body = (first + rest).decode()
    answers = [json.loads(line[5:]) for line in body.splitlines() if line.startswith("data:") and line[5:].strip()]
    assert [a.get("id") for a in answers if "result" in a] == ["slow-1"], body[-1000:]
    assert code == 0, f"exit status {code} after SIGTERM"


@pytest.mark.parametrize("stream", ["streamable-http-get", "legacy-sse"])
async def test_sigterm_does_not_wait_for_idle_event_streams(stream: str, request: pytest.FixtureRequest) -> None:
    upstream: str = request.getfixturevalue("everything_sse_url" if stream == "legacy-sse" else "everything_url")
    with running_sidecar(upstream) as sidecar:
        async with aiohttp.ClientSession() as http:
            if stream == "legacy-sse":
                events = await http.get(sidecar.url, headers={"Accept": "text/event-stream"})
            else:
                headers = await _session(http, sidecar)
                events = await http.get(sidecar.url, headers={**headers, "Accept": "text/event-stream"})
            assert events.status == 200
            started = time.monotonic()
            code = await asyncio.get_running_loop().run_in_executor(None, sidecar.terminate, PROMPT_EXIT_S)
            waited = time.monotonic() - started
            events.close()
    assert code is not None, f"the sidecar was still running {PROMPT_EXIT_S} s after SIGTERM, held by an idle stream"
    assert code == 0, f"exit status {code} after SIGTERM"
    assert waited < PROMPT_EXIT_S

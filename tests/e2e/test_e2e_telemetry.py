"""Traces reach a real OpenTelemetry Collector over OTLP (gRPC and HTTP), configured by OTEL_* variables.

The sidecar guards server-everything with a deny list; a raw MCP session (so request ids, session id
and trace context are known exactly) makes a few calls, one of them denied; SIGTERM must flush the
spans, which the collector's file exporter writes as OTLP/JSON.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support import peers
from tests.support.sidecar import Sidecar, running_sidecar, write_bundle
from tests.support.wire import JSON_AND_SSE

pytestmark = pytest.mark.e2e

GUARD_DENIED = -32050
OTLP_STATUS_ERROR = 2
OTLP_KIND_SERVER = 2
PROTOCOL_VERSION = "2025-11-25"


@dataclass
class Collector:
    grpc_port: int
    http_port: int
    spans_file: Path

    def spans(self, service: str) -> list[dict[str, Any]]:
        """Every span the collector wrote for ``service``, flattened, attributes as plain dicts."""
        out: list[dict[str, Any]] = []
        if not self.spans_file.exists():
            return out
        for line in self.spans_file.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            for resource_spans in json.loads(line).get("resourceSpans", []):
                resource = _attributes(resource_spans.get("resource", {}).get("attributes", []))
                if resource.get("service.name") != service:
                    continue
                for scope_spans in resource_spans.get("scopeSpans", []):
                    for span in scope_spans.get("spans", []):
                        events = [
                            {"name": e["name"], **_attributes(e.get("attributes", []))} for e in span.get("events", [])
                        ]
                        out.append({**span, "attributes": _attributes(span.get("attributes", [])), "events": events})
        return out

    def wait_for_spans(self, service: str, names: set[str], timeout: float = 15.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            spans = self.spans(service)
            if names <= {s["name"] for s in spans} or time.monotonic() > deadline:
                return spans
            time.sleep(0.1)


def _attributes(items: list[dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for item in items:
        value = item.get("value", {})
        out[item["key"]] = next(iter(value.values()), None) if value else None
    return out


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collector]:
    work = tmp_path_factory.mktemp("otelcol")
    grpc_port, http_port = peers.free_port(), peers.free_port()
    spans_file = work / "spans.jsonl"
    config = peers.otelcol_config(work / "config.yaml", grpc_port=grpc_port, http_port=http_port, spans_file=spans_file)
    binary = peers.otelcol_binary()
    with peers.running([str(binary), "--config", str(config)], port=grpc_port):
        peers.wait_for_port(http_port)
        yield Collector(grpc_port, http_port, spans_file)


def _traceparent() -> tuple[str, str, str]:
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    return f"00-{trace_id}-{span_id}-01", trace_id, span_id


class RawSession:
    """A Streamable HTTP MCP session spoken by hand, so every id on the wire is chosen by the test."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http, self.url = http, url
        self.session_id: str | None = None

    async def send(self, message: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any] | None:
        all_headers = dict(JSON_AND_SSE)
        if self.session_id is not None:
            all_headers |= {"Mcp-Session-Id": self.session_id, "MCP-Protocol-Version": PROTOCOL_VERSION}
        all_headers |= headers or {}
        async with self.http.post(self.url, json=message, headers=all_headers) as response:
            self.session_id = response.headers.get("mcp-session-id", self.session_id)
            text = await response.text()
            if "id" not in message:
                assert response.status == 202, text
                return None
            if response.content_type == "text/event-stream":
                for line in text.splitlines():
                    if line.startswith("data:") and line[5:].strip():  # skip priming events
                        payload: dict[str, Any] = json.loads(line[5:])
                        if payload.get("id") == message["id"]:
                            return payload
                raise AssertionError(f"no answer to {message['id']!r} in the stream: {text[:2000]}")
            answer: dict[str, Any] = json.loads(text)
            return answer

    async def close(self) -> None:
        if self.session_id is not None:
            headers = {"Mcp-Session-Id": self.session_id, "MCP-Protocol-Version": PROTOCOL_VERSION}
            async with self.http.delete(self.url, headers=headers):
                pass


async def _exercise(sidecar: Sidecar) -> dict[str, Any]:
    """Initialize, list tools (trace context in the HTTP header), call an allowed and a denied tool
    (trace context in params._meta). Returns what the test needs to find the spans again."""
    run = uuid.uuid4().hex[:8]
    header_parent, sum_parent, echo_parent = _traceparent(), _traceparent(), _traceparent()
    async with aiohttp.ClientSession() as http:
        mcp = RawSession(http, sidecar.url)
        init = await mcp.send(
            {
                "jsonrpc": "2.0",
                "id": f"init-{run}",
                "method": "initialize",
                "params": {
                    "protocolVersion": PROTOCOL_VERSION,
                    "capabilities": {},
                    "clientInfo": {"name": "telemetry-e2e", "version": "1"},
                },
            }
        )
        assert init is not None
        assert init["result"]["protocolVersion"] == PROTOCOL_VERSION, init
        await mcp.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        listed = await mcp.send(
            {"jsonrpc": "2.0", "id": f"list-{run}", "method": "tools/list", "params": {}},
            headers={"traceparent": header_parent[0]},
        )
        assert listed is not None
        assert "echo" not in {t["name"] for t in listed["result"]["tools"]}
        summed = await mcp.send(
            {
                "jsonrpc": "2.0",
                "id": f"sum-{run}",
                "method": "tools/call",
                "params": {"name": "get-sum", "arguments": {"a": 2, "b": 3}, "_meta": {"traceparent": sum_parent[0]}},
            }
        )
        assert summed is not None
        assert "result" in summed, summed
        echoed = await mcp.send(
            {
                "jsonrpc": "2.0",
                "id": f"echo-{run}",
                "method": "tools/call",
                "params": {"name": "echo", "arguments": {"message": "x"}, "_meta": {"traceparent": echo_parent[0]}},
            }
        )
        assert echoed is not None
        assert echoed["error"]["code"] == GUARD_DENIED, echoed
        session_id = mcp.session_id
        await mcp.close()
    return {
        "run": run,
        "session": session_id,
        "header_parent": header_parent,
        "sum_parent": sum_parent,
        "echo_parent": echo_parent,
    }


DENY_ECHO = {
    "name": "deny-echo",
    "spec": {"type": "native", "native": {"kind": "tool-access", "deny": ["echo"]}, "runsOn": ["request", "response"]},
}


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
async def test_spans_follow_the_mcp_conventions_and_reach_the_collector(
    collector: Collector, everything: peers.ServerCommand, tmp_path: Path, protocol: str
) -> None:
    assert everything.url is not None
    port = collector.grpc_port if protocol == "grpc" else collector.http_port
    service = f"guardmesh-e2e-{protocol.replace('/', '-')}-{uuid.uuid4().hex[:6]}"
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
        "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
        "OTEL_SERVICE_NAME": service,
    }
    config = write_bundle(tmp_path / "bundle.yaml", [DENY_ECHO])
    with running_sidecar(everything.url, config=config, env=env) as sidecar:
        seen = await _exercise(sidecar)
        metrics = sidecar.get_admin("/metrics")
    # Leaving the context sent SIGTERM: the batch processor's 5 s delay has not passed, so only the
    # shutdown flush can have delivered these spans.
    spans = collector.wait_for_spans(service, {"tools/call echo", "tools/call get-sum", "tools/list"})
    by_name = {s["name"]: s for s in spans}
    assert {"initialize", "tools/list", "tools/call get-sum", "tools/call echo"} <= set(by_name), sorted(by_name)

    run = seen["run"]
    echo = by_name["tools/call echo"]
    assert echo["kind"] == OTLP_KIND_SERVER
    assert echo["attributes"]["mcp.method.name"] == "tools/call"
    assert echo["attributes"]["jsonrpc.request.id"] == f"echo-{run}"
    assert echo["attributes"]["mcp.session.id"] == seen["session"]
    assert echo["attributes"]["mcp.protocol.version"] == PROTOCOL_VERSION
    assert echo["attributes"]["gen_ai.tool.name"] == "echo"
    assert echo["status"].get("code") == OTLP_STATUS_ERROR, echo["status"]
    assert echo["attributes"].get("error.type") == str(GUARD_DENIED)
    evaluations = [e for e in echo["events"] if e["name"] == "guardmesh.guard.evaluation"]
    assert [(e["guardmesh.guard.name"], e["guardmesh.guard.decision"]) for e in evaluations] == [("deny-echo", "deny")]
    assert evaluations[0]["guardmesh.guard.kind"] == "tool-access"
    # The traceparent in params._meta is the parent.
    assert echo["traceId"] == seen["echo_parent"][1]
    assert echo["parentSpanId"] == seen["echo_parent"][2]

    summed = by_name["tools/call get-sum"]
    assert summed["attributes"]["jsonrpc.request.id"] == f"sum-{run}"
    assert summed["attributes"]["gen_ai.tool.name"] == "get-sum"
    assert summed["status"].get("code") != OTLP_STATUS_ERROR, summed["status"]
    assert (summed["traceId"], summed["parentSpanId"]) == seen["sum_parent"][1:]
    # The default rug-pull guard judges calls on the way in; a call's result is not its business.
    assert [e["guardmesh.guard.decision"] for e in summed["events"]] == ["allow"]

    listed = by_name["tools/list"]
    assert (listed["traceId"], listed["parentSpanId"]) == seen["header_parent"][1:], "traceparent header ignored"
    assert "modify" in [e["guardmesh.guard.decision"] for e in listed["events"]]

    decisions = [line for line in metrics.splitlines() if line.startswith("guardmesh_guard_decisions_total{")]
    assert any('guard="deny-echo"' in line and 'decision="deny"' in line for line in decisions), metrics[:3000]
    assert any('guard="deny-echo"' in line and 'decision="modify"' in line for line in decisions), metrics[:3000]


async def test_the_initialize_span_carries_the_protocol_version_the_client_asked_for(
    collector: Collector, everything: peers.ServerCommand, tmp_path: Path
) -> None:
    assert everything.url is not None
    service = f"guardmesh-e2e-init-{uuid.uuid4().hex[:6]}"
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.grpc_port}",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_SERVICE_NAME": service,
    }
    with running_sidecar(everything.url, env=env) as sidecar:
        await _exercise_initialize_only(sidecar)
    spans = collector.wait_for_spans(service, {"initialize"})
    init = next(s for s in spans if s["name"] == "initialize")
    assert init["attributes"].get("mcp.protocol.version") == PROTOCOL_VERSION, init["attributes"]


async def _exercise_initialize_only(sidecar: Sidecar) -> None:
    async with aiohttp.ClientSession() as http:
        mcp = RawSession(http, sidecar.url)
        await mcp.send(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": PROTOCOL_VERSION,
                    "capabilities": {},
                    "clientInfo": {"name": "t", "version": "1"},
                },
            }
        )
        await mcp.close()

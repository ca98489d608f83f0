"""The processes that stand in for what would run in the pods: MCP servers, their sidecars, a collector."""

import json
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import peers
from tests.support.peers import REPO_ROOT

SIDECAR = str(REPO_ROOT / ".venv" / "bin" / "guardmesh-sidecar")
COLLECTOR_CONFIG = REPO_ROOT / "examples" / "telemetry" / "collector-config.yaml"
MALICIOUS_SERVER = REPO_ROOT / "examples" / "servers" / "malicious_server.py"


@dataclass(frozen=True)
class Collector:
    grpc: str
    spans_file: Path

    def spans(self) -> dict[str, int]:
        """Spans the collector has written so far, counted by service name."""
        counts: dict[str, int] = {}
        if not self.spans_file.exists():
            return counts
        for line in self.spans_file.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            for resource in json.loads(line).get("resourceSpans", []):
                attributes = resource.get("resource", {}).get("attributes", [])
                service = next(
                    (a["value"].get("stringValue", "?") for a in attributes if a["key"] == "service.name"), "?"
                )
                found = sum(len(scope.get("spans", [])) for scope in resource.get("scopeSpans", []))
                counts[service] = counts.get(service, 0) + found
        return counts

    def span(self, name: str) -> dict[str, Any] | None:
        """The first span called `name`, with its events' attributes flattened to plain values."""
        if not self.spans_file.exists():
            return None
        for line in self.spans_file.read_text(encoding="utf-8").splitlines():
            for resource in json.loads(line).get("resourceSpans", []) if line.strip() else []:
                for scope in resource.get("scopeSpans", []):
                    for span in scope.get("spans", []):
                        if span.get("name") == name:
                            events = [
                                {"name": e["name"], **{a["key"]: _plain(a["value"]) for a in e.get("attributes", [])}}
                                for e in span.get("events", [])
                            ]
                            return {**span, "events": events}
        return None


def _plain(value: dict[str, Any]) -> Any:
    """An OTLP/JSON AnyValue as a plain value."""
    return next(iter(value.values()), None)


def start_collector(stack: ExitStack, work: Path, binary: Path) -> Collector:
    """The OpenTelemetry Collector with examples/telemetry/collector-config.yaml on loopback ports."""
    grpc, http = peers.free_port(), peers.free_port()
    spans_file = work / "spans.jsonl"
    env = {
        "OTLP_GRPC_ENDPOINT": f"127.0.0.1:{grpc}",
        "OTLP_HTTP_ENDPOINT": f"127.0.0.1:{http}",
        "SPANS_FILE": str(spans_file),
    }
    stack.enter_context(peers.running([str(binary), f"--config={COLLECTOR_CONFIG}"], port=grpc, env=env))
    return Collector(f"127.0.0.1:{grpc}", spans_file)


def start_server(stack: ExitStack, app: str) -> str:
    """One example MCP server on a free loopback port; its Streamable HTTP URL."""
    if app == "everything":
        command = peers.server_everything("streamableHttp")
        stack.enter_context(peers.running(command.argv, port=command.port, env=command.env))
        assert command.url is not None  # an HTTP transport always has one
        return command.url
    port = peers.free_port()
    stack.enter_context(peers.running([sys.executable, str(MALICIOUS_SERVER), "--port", str(port)], port=port))
    return f"http://127.0.0.1:{port}/mcp"


@dataclass(frozen=True)
class Sidecar:
    url: str
    admin: str
    audit: Path
    argv: list[str]


def _replace(args: list[str], flag: str, value: str) -> list[str]:
    return [f"{flag}={value}" if a.startswith(f"{flag}=") else a for a in args]


def start_sidecar(
    stack: ExitStack, work: Path, pod: dict[str, Any], container: dict[str, Any], upstream: str, collector: Collector
) -> Sidecar:
    """`guardmesh-sidecar` with the injected container's arguments; files and ports are this machine's.

    The bundle and labels files sit where the pod's volumes would put them (work/<pod>/bundle, .../pod);
    the listen and admin ports move to free loopback ports; the upstream is the local server.
    """
    name = pod["metadata"]["name"]
    listen, admin = peers.free_port(), peers.free_port()
    audit = work / name / "audit.jsonl"
    args: list[str] = list(container["args"])
    for flag, value in (
        ("--listen", f"127.0.0.1:{listen}"),
        ("--admin-listen", f"127.0.0.1:{admin}"),
        ("--upstream", upstream),
        ("--config", str(work / name / "bundle" / "bundle.yaml")),
        ("--pod-labels", str(work / name / "pod" / "labels")),
    ):
        args = _replace(args, flag, value)
    argv = [SIDECAR, *args, f"--audit-log={audit}"]
    env = {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
    env["OTEL_RESOURCE_ATTRIBUTES"] = env.get("OTEL_RESOURCE_ATTRIBUTES", "").replace("$(POD_NAME)", name)
    env |= {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{collector.grpc}",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
    }
    stack.enter_context(peers.running(argv, port=listen, env=env, timeout=60))
    peers.wait_for_port(admin)
    return Sidecar(f"http://127.0.0.1:{listen}/mcp", f"http://127.0.0.1:{admin}", audit, argv)

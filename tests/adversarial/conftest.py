"""Real servers behind a real sidecar, for requests an attacker would send.

Every server offers a tool named `get-env` that the sidecar's bundle denies: a call of it that reaches
a server is a guard bypass. The same bundle redacts secrets and refuses prompt injection in results.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import peers
from tests.support.sidecar import Sidecar, running_sidecar, write_bundle

SERVERS = Path(__file__).parent / "servers"

DENY_GET_ENV: dict[str, Any] = {
    "name": "deny-get-env",
    "spec": {
        "type": "native",
        "native": {"kind": "tool-access", "deny": ["get-env"]},
        "runsOn": ["request", "response"],
        "priority": 10,
    },
}
SECRETS: dict[str, Any] = {
    "name": "secrets",
    "spec": {"type": "native", "native": {"kind": "secrets", "action": "redact"}, "runsOn": ["request", "response"]},
}
PROMPT_INJECTION: dict[str, Any] = {
    "name": "prompt-injection",
    "spec": {"type": "native", "native": {"kind": "prompt-injection", "action": "deny"}, "runsOn": ["response"]},
}
GUARDS = [DENY_GET_ENV, SECRETS, PROMPT_INJECTION]

UPSTREAM_TIMEOUT = 2.0
"""The `liar` sidecar's limits.upstreamTimeoutSeconds: short, so a stalled server is given up on quickly."""
CLIENT_BODY_TIMEOUT = 1.0


@dataclass
class Guarded:
    """A real server and the sidecar in front of it."""

    name: str
    server: peers.PeerProcess
    sidecar: Sidecar

    @property
    def url(self) -> str:
        """The sidecar's URL for this server's MCP endpoint (`/mcp`, or `/sse` for the legacy transport)."""
        return self.sidecar.url


def sdk_server_argv(port: int) -> list[str]:
    return [sys.executable, str(SERVERS / "sdk_server.py"), str(port)]


def _guarded(
    name: str, argv: list[str], env: dict[str, str], port: int, url: str, work: Path, extra: dict[str, Any]
) -> Iterator[Guarded]:
    config = write_bundle(work / "bundle.json", GUARDS, **extra)
    with (
        peers.running(argv, port=port, env=env) as server,
        running_sidecar(url, config=config, audit_log=work / "audit.jsonl") as sidecar,
    ):
        yield Guarded(name, server, sidecar)


TRANSPORTS = ["everything-streamable", "everything-sse", "sdk-streamable", "sdk-sse"]


def guarded_server(kind: str, work: Path, **extra: Any) -> Iterator[Guarded]:
    """One of TRANSPORTS, behind a sidecar with GUARDS (and `extra` bundle fields, e.g. limits)."""
    if kind.startswith("everything"):
        server = peers.server_everything("streamableHttp" if kind.endswith("streamable") else "sse")
        assert server.port is not None
        assert server.url is not None
        yield from _guarded(kind, server.argv, server.env, server.port, server.url, work, extra)
        return
    port = peers.free_port()
    path = "/mcp" if kind.endswith("streamable") else "/sse"
    yield from _guarded(kind, sdk_server_argv(port), {}, port, f"http://127.0.0.1:{port}{path}", work, extra)


@pytest.fixture(scope="module", params=TRANSPORTS)
def guarded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guarded]:
    """Each real server and transport in turn, behind a sidecar with GUARDS."""
    yield from guarded_server(request.param, tmp_path_factory.mktemp(request.param))


@pytest.fixture(scope="module")
def liar(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guarded]:
    """servers/lying_server.py (answers with other ids, ends streams early, ...) behind a sidecar with GUARDS."""
    work = tmp_path_factory.mktemp("liar")
    port = peers.free_port()
    argv = [sys.executable, str(SERVERS / "lying_server.py"), str(port)]
    limits = {"upstreamTimeoutSeconds": UPSTREAM_TIMEOUT, "clientBodyTimeoutSeconds": CLIENT_BODY_TIMEOUT}
    yield from _guarded("liar", argv, {}, port, f"http://127.0.0.1:{port}/mcp", work, {"limits": limits})

"""The Rust pattern guard (a WebAssembly component) inside the real sidecar, in front of the real
server-everything, driven by the Python SDK's client; beside it, a guest that never returns."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.guests import HERE as GUESTS_SRC
from tests.guests import built
from tests.support import peers
from tests.support.mcp_client import call_tool, tool_names
from tests.support.sidecar import Sidecar, running_sidecar, write_bundle

pytestmark = pytest.mark.e2e

BLOCKED = ["echo", "*-env"]


@pytest.fixture(scope="module")
def guarded(everything: peers.ServerCommand, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sidecar]:
    assert everything.url is not None
    guests = built()
    work = tmp_path_factory.mktemp("wasm")
    guards = [
        {
            "name": "patterns",
            "spec": {
                "type": "wasm",
                "wasm": {"url": (guests / "pattern-guard.wasm").as_uri(), "config": {"blockedTools": BLOCKED}},
                "runsOn": ["request", "response"],
            },
        },
        {
            "name": "spinner",
            "spec": {
                "type": "wasm",
                "wasm": {"url": (guests / "hostile-guest.wasm").as_uri(), "config": {"mode": "loop"}},
                "runsOn": ["request"],
                "timeoutMs": 20,
                "failureMode": "FailOpen",
                "priority": 50,
            },
        },
    ]
    config = write_bundle(work / "bundle.yaml", guards)
    env = {"GUARDMESH_WASM_CACHE": str(work / "wasm-cache")}
    with running_sidecar(everything.url, config=config, audit_log=work / "audit.jsonl", env=env) as sidecar:
        yield sidecar


def _blocked(name: str) -> bool:
    return name == "echo" or name.endswith("-env")


async def test_the_pattern_guard_filters_blocked_tools_out_of_the_list(
    everything: peers.ServerCommand, guarded: Sidecar
) -> None:
    assert everything.url is not None
    direct = await tool_names(everything.url)
    assert "echo" in direct
    assert "get-env" in direct
    proxied = await tool_names(guarded.url)
    assert sorted(proxied) == sorted(n for n in direct if not _blocked(n))


async def test_the_pattern_guard_refuses_a_call_of_a_blocked_tool(guarded: Sidecar) -> None:
    from mcp.shared.exceptions import MCPError

    refused = await call_tool(guarded.url, "echo", {"message": "hi"})
    assert isinstance(refused, MCPError)
    assert "patterns" in str(refused)
    assert 'blocked-tool: tool "echo" is blocked' in str(refused)
    records = [r for r in guarded.wait_for_audit(1) if r.get("target") == "echo"]
    assert records, guarded.audit()
    assert records[-1]["guard"] == "patterns"
    assert records[-1]["decision"] == "deny"


async def test_other_tools_work_while_a_looping_guest_is_stopped_on_every_request(guarded: Sidecar) -> None:
    result = await call_tool(guarded.url, "get-sum", {"a": 2, "b": 3})
    assert not isinstance(result, Exception), result
    assert "5" in str(result.content)
    assert guarded.proc.poll() is None
    assert "guard spinner timed out" in guarded.log()
    failures = [r for r in guarded.wait_for_audit(1) if r["guard"] == "spinner"]
    assert failures, guarded.audit()
    assert all(r["failed"] and r["decision"] == "allow" for r in failures)  # FailOpen: logged, let through
    assert failures[0]["reason"] == "guard timed out"


def _patterns(module: Path, blocked: list[str]) -> list[dict[str, Any]]:
    spec = {"type": "wasm", "wasm": {"url": module.as_uri(), "config": {"blockedTools": blocked}}}
    return [{"name": "patterns", "spec": spec}]


def _ready_when(sidecar: Sidecar, broken: bool) -> dict[str, Any]:
    deadline = time.monotonic() + 10.0
    while True:
        state: dict[str, Any] = json.loads(sidecar.get_admin("/readyz"))
        if (state["configError"] is not None) is broken or time.monotonic() > deadline:
            return state
        time.sleep(0.05)


async def test_a_component_of_another_contract_version_is_refused_on_reload_and_the_old_guard_stays(
    everything: peers.ServerCommand, tmp_path: Path
) -> None:
    import wasmtime
    from mcp.shared.exceptions import MCPError

    assert everything.url is not None
    other = tmp_path / "other-version.wasm"
    other.write_bytes(wasmtime.wat2wasm((GUESTS_SRC / "other-version.wat").read_text()))
    pattern = built() / "pattern-guard.wasm"
    bundle = write_bundle(tmp_path / "bundle.yaml", _patterns(pattern, ["echo"]))
    env = {"GUARDMESH_WASM_CACHE": str(tmp_path / "wasm-cache")}
    with running_sidecar(everything.url, config=bundle, env=env) as sidecar:
        write_bundle(bundle, _patterns(other, ["echo"]))
        state = await asyncio.to_thread(_ready_when, sidecar, True)
        assert "implements guardmesh:guard@0.2.0" in str(state["configError"]), state
        assert isinstance(await call_tool(sidecar.url, "echo", {"message": "x"}), MCPError), "the old guard must stay"

        write_bundle(bundle, _patterns(pattern, ["get-sum"]))
        state = await asyncio.to_thread(_ready_when, sidecar, False)
        assert state["configError"] is None
        assert not isinstance(await call_tool(sidecar.url, "echo", {"message": "x"}), Exception)
        assert isinstance(await call_tool(sidecar.url, "get-sum", {"a": 1, "b": 2}), MCPError)

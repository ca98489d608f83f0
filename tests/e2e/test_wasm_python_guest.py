"""The Python spoofing guard (componentize-py) in the WASM runtime and in the real sidecar before the
real server-everything, with real tools/list and tools/call traffic from the MCP Python SDK."""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from guardmesh.config.models import SecurityGuardSpec
from guardmesh.guards.api import Decision, GuardContext
from guardmesh.guards.wasm.guard import WasmGuard
from guardmesh.guards.wasm.module import ModuleError
from guardmesh.protocol.jsonrpc import Direction, classify
from tests.support import peers
from tests.support.mcp_client import call_tool, list_tools
from tests.support.sidecar import Sidecar, running_sidecar, write_bundle

pytestmark = pytest.mark.e2e

TRUSTED = [{"name": "trusted-suite", "tools": ["echo", "getSum", "get_envs", "send_email"]}]
# server-everything's tools that imitate those: the same name, a case/separator variant, one edit away.
IMITATING = {"echo": "same name", "get-sum": "look-alike", "get-env": "near"}


@functools.cache
def spoofing_guest() -> Path:
    """hack/build-python-guard.sh's component (built on a cold cache, in seconds from a warm one)."""
    proc = subprocess.run(
        ["bash", str(peers.REPO_ROOT / "hack/build-python-guard.sh")],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"hack/build-python-guard.sh failed:\n{proc.stderr[-4000:]}")
    return Path(proc.stdout.split()[-1])


def _spec(config: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "wasm",
        "wasm": {"url": spoofing_guest().as_uri(), "config": config},
        "runsOn": ["request", "response"],
    }


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One module and compiled-component cache for the module: the sidecar and the in-process runtime
    share it, so the 20 MB component is compiled once."""
    return tmp_path_factory.mktemp("wasm-cache")


@pytest.fixture(scope="module")
def guarded(
    everything: peers.ServerCommand, cache_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sidecar]:
    assert everything.url is not None
    work = tmp_path_factory.mktemp("wasm-python")
    spec = _spec({"trustedServers": TRUSTED})
    # Compile here into the shared cache: the sidecar then starts from it in well under a second,
    # while a cold compile of the 18 MB component takes 10-30 s on two busy cores.
    WasmGuard(SecurityGuardSpec.model_validate(spec), cache_dir=cache_dir)
    config = write_bundle(work / "bundle.yaml", [{"name": "spoofing", "spec": spec}])
    env = {"GUARDMESH_WASM_CACHE": str(cache_dir)}
    audit = work / "audit.jsonl"
    with running_sidecar(everything.url, config=config, audit_log=audit, env=env, timeout=60) as sidecar:
        yield sidecar


async def test_imitating_tools_are_filtered_out_of_the_real_list(
    everything: peers.ServerCommand, guarded: Sidecar
) -> None:
    assert everything.url is not None
    direct = [t["name"] for t in await list_tools(everything.url)]
    assert set(IMITATING) <= set(direct)
    proxied = [t["name"] for t in await list_tools(guarded.url)]
    assert proxied == [n for n in direct if n not in IMITATING]
    assert "tools imitating trusted tools" in guarded.log()


@pytest.mark.parametrize(("tool", "how"), sorted(IMITATING.items()))
async def test_a_call_of_an_imitating_tool_is_denied(guarded: Sidecar, tool: str, how: str) -> None:
    from mcp.shared.exceptions import MCPError

    refused = await call_tool(guarded.url, tool, {})
    assert isinstance(refused, MCPError)
    assert "spoofing" in str(refused)
    assert f"imitated-tool: tool '{tool}' imitates a trusted tool ({how}" in str(refused)
    records = [r for r in guarded.wait_for_audit(1) if r.get("target") == tool]
    assert records, guarded.audit()
    assert records[-1]["guard"] == "spoofing"
    assert records[-1]["decision"] == "deny"


async def test_other_tools_are_called_as_usual(guarded: Sidecar) -> None:
    result = await call_tool(guarded.url, "get-tiny-image", {})
    assert not isinstance(result, Exception), result
    assert result.content
    assert guarded.proc.poll() is None


async def test_the_runtime_judges_the_real_listing_in_deny_mode(
    everything: peers.ServerCommand, cache_dir: Path
) -> None:
    assert everything.url is not None
    listing = {"jsonrpc": "2.0", "id": 3, "result": {"tools": await list_tools(everything.url)}}
    spec = SecurityGuardSpec.model_validate(_spec({"trustedServers": TRUSTED, "action": "deny"}))
    guard = WasmGuard(spec, cache_dir=cache_dir)
    message = classify(listing, Direction.TO_CLIENT)
    message.method = "tools/list"
    verdict = guard.check(message, GuardContext("everything"))
    assert verdict.decision is Decision.DENY
    assert verdict.reason.startswith("imitating-tools: tools imitating trusted tools: 'echo' (same name as ")
    # The trusted server itself may list these names.
    assert guard.check(message, GuardContext("trusted-suite")).decision is Decision.ALLOW


def test_a_bad_config_is_refused_at_load_with_the_guests_message(guarded: Sidecar, cache_dir: Path) -> None:
    spec = SecurityGuardSpec.model_validate(_spec({"trustedServers": TRUSTED, "action": "block"}))
    with pytest.raises(ModuleError, match="spoofing-guard config: action must be 'filter' or 'deny', not 'block'"):
        WasmGuard(spec, cache_dir=cache_dir)

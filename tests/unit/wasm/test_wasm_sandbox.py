"""The sandbox: what a hostile guest cannot do, and how its failures are contained."""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import wasmtime

from guardmesh.config.models import SecurityGuardSpec
from guardmesh.guards.api import Decision, GuardContext
from guardmesh.guards.registry import GuardBuildError, GuardResources, build_guard
from guardmesh.guards.wasm import pool as pool_module
from guardmesh.guards.wasm.guard import WasmGuard
from guardmesh.guards.wasm.module import GuestError, GuestTimeout
from guardmesh.guards.wasm.pool import Broken
from guardmesh.pipeline import Pipeline
from guardmesh.protocol.jsonrpc import Direction, Message, classify

CTX = GuardContext("srv")
MakeGuard = Callable[..., WasmGuard]
Spec = Callable[..., dict[str, Any]]
MakePipeline = Callable[..., Pipeline]


def call(tool: str = "t") -> Message:
    return classify({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool}}, Direction.TO_SERVER)


@pytest.mark.parametrize(
    ("mode", "ungranted"),
    [
        ("file", "wasi:filesystem/preopens"),
        ("env", "wasi:cli/environment"),
        ("socket", "wasi:sockets/tcp-create-socket"),
        ("clock", "wasi:clocks/wall-clock"),
    ],
)
def test_a_guest_cannot_reach_files_environment_sockets_or_clocks(guard: MakeGuard, mode: str, ungranted: str) -> None:
    g = guard("hostile-guest.wasm", {"mode": mode})
    with pytest.raises(GuestError) as caught:
        g.check(call(), CTX)
    # The attempt ends the call: the guest never gets an answer, let alone an "escaped" verdict.
    assert f"called {ungranted}" in str(caught.value)
    assert "which the sandbox does not grant" in str(caught.value)


def test_an_infinite_loop_is_stopped_and_its_instance_discarded(guard: MakeGuard) -> None:
    g = guard("hostile-guest.wasm", {"mode": "loop"}, timeoutMs=20)
    assert g.pool is not None
    with pytest.raises(GuestTimeout, match="ran past its timeout"):
        g.check(call(), CTX)
    assert g.pool.discarded == 1
    assert g.pool.idle == 0


def test_a_memory_bomb_traps(guard: MakeGuard) -> None:
    g = guard("hostile-guest.wasm", {"mode": "memory"}, timeoutMs=10_000)  # the limit, not the clock, stops it
    with pytest.raises(GuestError, match="guest trapped"):
        g.check(call(), CTX)


@pytest.mark.parametrize(("limit", "outcome"), [(16, "refused"), (128, "escaped")])
def test_memory_beyond_the_instance_limit_is_not_granted(
    guests: Path, cache_dir: Path, wasm_spec: Spec, limit: int, outcome: str
) -> None:
    raw = wasm_spec(guests / "hostile-guest.wasm", {"mode": "reserve", "mib": 64})
    raw["wasm"]["limits"] = {"memoryMib": limit}
    g = WasmGuard(SecurityGuardSpec.model_validate(raw), cache_dir=cache_dir)
    assert g.check(call(), CTX).reason.startswith(f"{outcome}: reserving 64 MiB")


def test_a_verdict_that_is_not_json_discards_the_instance(guard: MakeGuard) -> None:
    g = guard("hostile-guest.wasm", {"mode": "bad-modify"})
    assert g.pool is not None
    with pytest.raises(GuestError, match="modify returned text that is not JSON"):
        g.check(call(), CTX)
    assert g.pool.discarded == 1


def test_a_guest_that_keeps_failing_is_rested(guard: MakeGuard, monkeypatch: pytest.MonkeyPatch) -> None:
    g = guard("hostile-guest.wasm", {"mode": "panic"})
    for _ in range(pool_module.TRIP_AFTER):
        with pytest.raises(GuestError, match="guest trapped"):
            g.check(call(), CTX)
    with pytest.raises(Broken, match=f"failed {pool_module.TRIP_AFTER} calls in a row"):
        g.check(call(), CTX)
    assert g.pool is not None
    monkeypatch.setattr(g.pool, "_open_until", time.monotonic() - 1)  # the cool-down is over
    with pytest.raises(GuestError, match="guest trapped"):
        g.check(call(), CTX)


def _compile_wat(tmp_path: Path, wat_dir: Path, name: str) -> Path:
    path = tmp_path / f"{name}.wasm"
    path.write_bytes(wasmtime.wat2wasm((wat_dir / f"{name}.wat").read_text()))
    return path


def _build(path: Path, wasm_spec: Spec) -> None:
    build_guard(SecurityGuardSpec.model_validate(wasm_spec(path)), GuardResources())


def test_a_core_module_is_refused_at_load(tmp_path: Path, wat_dir: Path, wasm_spec: Spec, cache_dir: Path) -> None:
    path = _compile_wat(tmp_path, wat_dir, "core-module")
    with pytest.raises(GuardBuildError, match="is a core WebAssembly module, not a component"):
        _build(path, wasm_spec)


def test_a_component_of_another_contract_version_is_refused_naming_both(
    tmp_path: Path, wat_dir: Path, wasm_spec: Spec, cache_dir: Path
) -> None:
    path = _compile_wat(tmp_path, wat_dir, "other-version")
    with pytest.raises(GuardBuildError) as caught:
        _build(path, wasm_spec)
    assert "implements guardmesh:guard@0.2.0" in str(caught.value)
    assert "this sidecar runs guardmesh:guard@0.1.0" in str(caught.value)


def test_a_file_that_is_not_webassembly_is_refused(tmp_path: Path, wasm_spec: Spec, cache_dir: Path) -> None:
    path = tmp_path / "guard.wasm"
    path.write_text("#!/bin/sh\necho hello\n")
    with pytest.raises(GuardBuildError, match="is not WebAssembly"):
        _build(path, wasm_spec)


def test_a_missing_file_is_refused_naming_it(tmp_path: Path, wasm_spec: Spec, cache_dir: Path) -> None:
    with pytest.raises(GuardBuildError, match=r"missing\.wasm"):
        _build(tmp_path / "missing.wasm", wasm_spec)


@pytest.mark.parametrize(("failure_mode", "denied"), [("FailClosed", True), ("FailOpen", False)])
async def test_a_trapping_guest_applies_its_failure_mode_and_the_other_guards_keep_working(
    guests: Path, wasm_spec: Spec, pipeline: MakePipeline, failure_mode: str, denied: bool
) -> None:
    p = pipeline(
        ("hostile", wasm_spec(guests / "hostile-guest.wasm", {"mode": "loop"}, timeoutMs=10, failureMode=failure_mode)),
        ("patterns", wasm_spec(guests / "pattern-guard.wasm", {"blockedTools": ["delete_*"]}, priority=200)),
    )
    for _ in range(3):
        outcome = await p.run(call("read"), CTX)
        assert outcome.evaluations[0].failed
        assert outcome.evaluations[0].reason == "guard timed out"
        assert outcome.denied is denied
    if not denied:
        blocked = await p.run(call("delete_all"), CTX)
        assert blocked.denied_by is not None
        assert blocked.denied_by.guard == "patterns"
        assert blocked.evaluations[0].decision is Decision.ALLOW


def test_a_chatty_guest_cannot_flood_the_log(guard: MakeGuard, caplog: pytest.LogCaptureFixture) -> None:
    from guardmesh.guards.wasm import module

    g = guard("hostile-guest.wasm", {"mode": "chatty"})
    assert g.pool is not None
    now = [0.0]
    g.pool.module.clock = lambda: now[0]  # a clock that moves only when the test says
    with caplog.at_level("INFO", logger="guardmesh.guards.wasm"):
        assert g.check(call(), CTX).decision is Decision.ALLOW
        now[0] += 1.0  # a second later the budget has LOG_RATE lines again, and the drop is reported
        g.check(call(), CTX)
    lines = [r for r in caplog.records if "line " in r.getMessage()]
    assert len(lines) == module.LOG_BURST + module.LOG_RATE
    assert "guard hostile-guest.wasm: 900 log lines dropped" in caplog.text

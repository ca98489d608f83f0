"""The wasm runtime with the pattern guard: verdicts, config, host imports, pooling and the compiled cache."""

import hashlib
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from guardmesh.config.models import SecurityGuardSpec
from guardmesh.guards.api import Decision, GuardContext
from guardmesh.guards.registry import GuardBuildError, GuardResources, build_guard
from guardmesh.guards.wasm import engine
from guardmesh.guards.wasm.guard import NotLoaded, WasmGuard
from guardmesh.pipeline import Pipeline
from guardmesh.protocol.jsonrpc import Direction, Message, classify

CTX = GuardContext("srv", session_id="s-1", protocol_version="2025-11-25")
MakeGuard = Callable[..., WasmGuard]
Spec = Callable[..., dict[str, Any]]
MakePipeline = Callable[..., Pipeline]


def call(tool: str) -> Message:
    return classify({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool}}, Direction.TO_SERVER)


def tool_list(*names: str) -> Message:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": 2, "result": {"tools": [{"name": n} for n in names]}}
    message = classify(body, Direction.TO_CLIENT)
    message.method = "tools/list"
    return message


def test_a_call_of_a_tool_matching_a_pattern_is_denied_with_the_guests_code(guard: MakeGuard) -> None:
    g = guard("pattern-guard.wasm", {"blockedTools": ["delete_*", "*exec*"]})
    verdict = g.check(call("delete_user"), CTX)
    assert verdict.decision is Decision.DENY
    assert verdict.reason == 'blocked-tool: tool "delete_user" is blocked'
    assert g.check(call("run_exec_now"), CTX).decision is Decision.DENY
    assert g.check(call("read_user"), CTX).decision is Decision.ALLOW


def test_blocked_tools_are_filtered_out_of_a_tool_list(guard: MakeGuard) -> None:
    g = guard("pattern-guard.wasm", {"blockedTools": ["delete_*"]})
    verdict = g.check(tool_list("read_user", "delete_user", "list_users"), CTX)
    assert verdict.decision is Decision.MODIFY
    assert verdict.body is not None
    assert [t["name"] for t in verdict.body["result"]["tools"]] == ["read_user", "list_users"]
    assert verdict.body["id"] == 2
    assert g.check(tool_list("read_user"), CTX).decision is Decision.ALLOW


def test_a_tool_list_longer_than_the_limit_is_denied(guard: MakeGuard) -> None:
    g = guard("pattern-guard.wasm", {"maxTools": 2})
    verdict = g.check(tool_list("a", "b", "c"), CTX)
    assert verdict.decision is Decision.DENY
    assert verdict.reason.startswith("too-many-tools: server lists 3 tools")
    assert g.check(tool_list("a", "b"), CTX).decision is Decision.ALLOW


def test_a_listed_server_is_blocked_outright(guard: MakeGuard) -> None:
    g = guard("pattern-guard.wasm", {"blockedServers": ["srv"]})
    assert g.check(call("anything"), CTX).reason == 'blocked-server: server "srv" is blocked'
    assert g.check(call("anything"), GuardContext("other")).decision is Decision.ALLOW


@pytest.mark.parametrize(
    ("config", "complaint"),
    [
        ({"blockedTool": ["x"]}, 'unknown config key "blockedTool"'),
        ({"blockedTools": "x"}, "blockedTools is a list of strings"),
        ({"maxTools": -1}, "maxTools is a whole number"),
    ],
)
def test_a_bad_config_is_refused_at_load_with_the_guests_error(
    guests: Path, cache_dir: Path, wasm_spec: Spec, config: dict[str, Any], complaint: str
) -> None:
    spec = SecurityGuardSpec.model_validate(wasm_spec(guests / "pattern-guard.wasm", config))
    with pytest.raises(GuardBuildError, match="configure refused the config") as caught:
        build_guard(spec, GuardResources())
    assert complaint in str(caught.value)


def test_the_guest_reaches_log_time_and_config_through_the_host(
    guard: MakeGuard, caplog: pytest.LogCaptureFixture
) -> None:
    g = guard("hostile-guest.wasm", {"mode": "host"})
    with caplog.at_level("INFO", logger="guardmesh.guards.wasm"):
        verdict = g.check(call("x"), CTX)
    assert verdict.reason.startswith("host: time=")
    now_ms = int(verdict.reason.split("time=")[1].split()[0])
    assert now_ms > 1_700_000_000_000
    assert verdict.reason.endswith('config={"mode":"host"}')
    assert "host functions reached" in caplog.text


def test_instances_are_reused_across_calls(guard: MakeGuard) -> None:
    g = guard("pattern-guard.wasm", {"blockedTools": ["x"]})
    assert g.pool is not None
    for _ in range(5):
        g.check(call("y"), CTX)
    assert g.pool.idle == 1
    assert g.pool.discarded == 0


def test_the_compiled_component_is_cached_on_disk_and_reused(
    guests: Path, cache_dir: Path, wasm_spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "_compiled", {})  # nothing compiled yet in this process
    spec = SecurityGuardSpec.model_validate(wasm_spec(guests / "pattern-guard.wasm"))
    first = WasmGuard(spec, cache_dir=cache_dir)
    assert first.pool is not None
    sha = first.pool.module.sha256
    compiled = cache_dir / f"wasmtime-{engine.WASMTIME_VERSION}-epoch" / f"{sha}.cwasm"
    assert compiled.is_file()
    engine._compiled.clear()  # as a fresh process would start
    second = WasmGuard(spec, cache_dir=cache_dir)
    assert second.check(call("y"), CTX).decision is Decision.ALLOW


def test_a_corrupt_compiled_cache_is_compiled_again(
    guests: Path, cache_dir: Path, wasm_spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "_compiled", {})
    spec = SecurityGuardSpec.model_validate(wasm_spec(guests / "pattern-guard.wasm", {"blockedTools": ["y"]}))
    first = WasmGuard(spec, cache_dir=cache_dir)
    assert first.pool is not None
    compiled = cache_dir / f"wasmtime-{engine.WASMTIME_VERSION}-epoch" / f"{first.pool.module.sha256}.cwasm"
    compiled.write_bytes(b"not a compiled component")
    engine._compiled.clear()
    assert WasmGuard(spec, cache_dir=cache_dir).check(call("y"), CTX).decision is Decision.DENY


async def test_a_wasm_guard_runs_in_the_pipeline_beside_native_guards(
    guests: Path, wasm_spec: Spec, pipeline: MakePipeline
) -> None:
    p = pipeline(
        ("patterns", wasm_spec(guests / "pattern-guard.wasm", {"blockedTools": ["delete_*"]})),
        ("access", {"type": "native", "native": {"kind": "tool-access", "deny": ["drop_*"]}}),
    )
    denied = await p.run(call("delete_all"), CTX)
    assert denied.denied_by is not None
    assert denied.denied_by.guard == "patterns"
    assert denied.denied_by.kind == "wasm"
    other = await p.run(call("drop_table"), CTX)
    assert other.denied_by is not None
    assert other.denied_by.guard == "access"
    assert not (await p.run(call("read"), CTX)).denied


async def test_a_remote_module_not_loaded_yet_applies_the_failure_mode(pipeline: MakePipeline) -> None:
    source = {"url": "https://127.0.0.1:9/guard.wasm", "sha256": "0" * 64}
    closed = pipeline(("remote", {"type": "wasm", "wasm": source}))
    opened = pipeline(("remote", {"type": "wasm", "wasm": source, "failureMode": "FailOpen"}))
    shut = await closed.run(call("x"), CTX)
    assert shut.denied_by is not None
    assert shut.denied_by.failed
    assert "guard failed: NotLoaded" in shut.denied_by.reason
    passed = await opened.run(call("x"), CTX)
    assert not passed.denied
    assert passed.evaluations[0].failed


def test_a_guard_that_is_not_loaded_says_why(cache_dir: Path) -> None:
    spec = SecurityGuardSpec.model_validate(
        {"type": "wasm", "wasm": {"url": "https://127.0.0.1:9/guard.wasm", "sha256": "0" * 64}}
    )
    g = WasmGuard(spec, cache_dir=cache_dir)
    with pytest.raises(NotLoaded, match=r"https://127\.0\.0\.1:9/guard\.wasm"):
        g.check(call("x"), CTX)


def test_a_remote_module_loads_in_the_background_after_a_failed_fetch(
    guests: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from guardmesh.guards.wasm import guard as guard_module
    from guardmesh.guards.wasm.sources import SourceError

    attempts: list[str] = []

    def fetch(url: str, sha256: str | None, *, cache_dir: Path, timeout: float) -> Path:
        attempts.append(url)
        if len(attempts) == 1:
            raise SourceError(url, "connection refused", temporary=True)
        return guests / "pattern-guard.wasm"

    monkeypatch.setattr("guardmesh.guards.wasm.sources.fetch", fetch)
    monkeypatch.setattr(guard_module, "RETRY_FIRST", 0.01)
    spec = SecurityGuardSpec.model_validate(
        {
            "type": "wasm",
            "wasm": {
                "url": "oci://registry.test/guards/pattern:1",
                "sha256": "0" * 64,
                "config": {"blockedTools": ["x"]},
            },
        }
    )
    g = WasmGuard(spec, cache_dir=cache_dir)
    for _ in range(2000):
        if g.pool is not None:
            break
        threading.Event().wait(0.005)
    assert g.pool is not None, g.load_error
    assert g.load_error is None
    assert len(attempts) == 2
    assert g.check(call("x"), CTX).decision is Decision.DENY


def test_the_pattern_guard_imports_nothing_outside_the_contract(guests: Path, cache_dir: Path) -> None:
    from guardmesh.guards.wasm import module

    component, _ = engine.compile_component((guests / "pattern-guard.wasm").read_bytes(), cache_dir)
    assert module.check_contract(component, engine.engine()) == []
    hostile, _ = engine.compile_component((guests / "hostile-guest.wasm").read_bytes(), cache_dir)
    assert "wasi:filesystem/preopens@0.2.6" in module.check_contract(hostile, engine.engine())


def test_a_sidecar_without_wasm_guards_never_loads_wasmtime() -> None:
    program = (
        "import sys\n"
        "from guardmesh.config import default_bundle\n"
        "from guardmesh.guards.registry import GuardResources\n"
        "from guardmesh.pipeline import Pipeline\n"
        "Pipeline.from_bundle(default_bundle(), GuardResources(), 'srv')\n"
        "print(sorted(m for m in sys.modules if m.startswith(('wasmtime', 'guardmesh.guards.wasm'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", program], check=True, capture_output=True, text=True)
    assert result.stdout.strip() == "[]"


def test_a_remote_module_already_downloaded_is_ready_at_once(guests: Path, cache_dir: Path) -> None:
    wasm = (guests / "pattern-guard.wasm").read_bytes()
    sha = hashlib.sha256(wasm).hexdigest()
    (cache_dir / "sha256").mkdir(parents=True)
    (cache_dir / "sha256" / f"{sha}.wasm").write_bytes(wasm)
    spec = SecurityGuardSpec.model_validate(
        {
            "type": "wasm",
            "wasm": {"url": "oci://registry.invalid/guards/p:1", "sha256": sha, "config": {"blockedTools": ["x"]}},
        }
    )
    g = WasmGuard(spec, cache_dir=cache_dir)  # registry.invalid never resolves: the cache must serve it
    assert g.pool is not None
    assert g.check(call("x"), CTX).decision is Decision.DENY


def test_a_downloaded_module_that_refuses_its_config_refuses_the_guard(guests: Path, cache_dir: Path) -> None:
    wasm = (guests / "pattern-guard.wasm").read_bytes()
    sha = hashlib.sha256(wasm).hexdigest()
    (cache_dir / "sha256").mkdir(parents=True)
    (cache_dir / "sha256" / f"{sha}.wasm").write_bytes(wasm)
    spec = SecurityGuardSpec.model_validate(
        {"type": "wasm", "wasm": {"url": "oci://registry.invalid/guards/p:1", "sha256": sha, "config": {"typo": 1}}}
    )
    with pytest.raises(GuardBuildError, match='unknown config key "typo"'):
        build_guard(spec, GuardResources())


@pytest.mark.parametrize(
    ("pattern", "tool", "blocked"),
    [
        ("a?c", "abc", True),
        ("a?c", "abbc", False),
        ("a*b*c", "aXXbYc", True),
        ("a*b*c", "aXXbY", False),
        ("*", "", True),
        ("exact", "exact", True),
        ("exact", "exactly", False),
        ("*_all", "delete_all", True),
        ("ünï*", "ünïcode", True),
    ],
)
def test_the_pattern_guards_globs(guard: MakeGuard, pattern: str, tool: str, blocked: bool) -> None:
    g = guard("pattern-guard.wasm", {"blockedTools": [pattern]})
    assert (g.check(call(tool), CTX).decision is Decision.DENY) is blocked

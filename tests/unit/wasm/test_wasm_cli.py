"""`guardmesh guard run MODULE --config FILE` runs one guard over messages from stdin."""

import io
from pathlib import Path
from typing import Any

import orjson
import pytest

from guardmesh.cli.main import main as guardmesh


def line(direction: str, message: dict[str, Any]) -> str:
    return orjson.dumps({"direction": direction, "message": message}).decode()


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str, stdin: str = ""
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = guardmesh(["guard", "run", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_each_message_gets_the_guards_decision(
    guests: Path, cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("blockedTools: ['delete_*']\n")
    messages = [
        line("client-to-server", {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "delete_all"}}),
        line("client-to-server", {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
        line(
            "server-to-client", {"jsonrpc": "2.0", "id": 2, "result": {"tools": [{"name": "a"}, {"name": "delete_b"}]}}
        ),
        "not json",
    ]
    code, out, _ = run(
        monkeypatch, capsys, str(guests / "pattern-guard.wasm"), "--config", str(config), stdin="\n".join(messages)
    )
    results = [orjson.loads(x) for x in out.splitlines()]
    assert code == 1
    assert [r.get("decision") for r in results] == ["deny", "allow", "modify", None]
    assert results[0]["guards"][0]["reason"] == 'blocked-tool: tool "delete_all" is blocked'
    assert [t["name"] for t in results[2]["message"]["result"]["tools"]] == ["a"]
    assert results[3]["line"] == 4
    assert "error" in results[3]


def test_a_config_the_guard_refuses_exits_2_with_its_reason(
    guests: Path, cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"maxTools": "many"}')
    code, out, err = run(monkeypatch, capsys, str(guests / "pattern-guard.wasm"), "--config", str(config))
    assert code == 2
    assert out == ""
    assert "maxTools is a whole number" in err


def test_a_core_module_exits_2_naming_the_mismatch(
    wat_dir: Path, cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import wasmtime

    module = tmp_path / "core.wasm"
    module.write_bytes(wasmtime.wat2wasm((wat_dir / "core-module.wat").read_text()))
    code, _, err = run(monkeypatch, capsys, str(module))
    assert code == 2
    assert "not a component" in err

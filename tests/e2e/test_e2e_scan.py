"""`guardmesh scan` against real MCP servers over stdio: a clean reference server and a poisoned one."""

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tests.support.peers import server_everything

pytestmark = pytest.mark.e2e

POISONED_SERVER = Path(__file__).resolve().parent / "servers" / "poisoned_server.py"


def guardmesh_scan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "guardmesh.cli.main", "scan", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_server_everything_scans_clean_and_its_tools_are_listed() -> None:
    done = guardmesh_scan("--json", "--", *server_everything("stdio").argv)
    assert done.returncode == 0, done.stderr
    report = orjson.loads(done.stdout)
    assert report["findings"] == []
    assert {"echo", "get-sum", "get-env"} <= set(report["scanned"]["tools"])
    assert report["scanned"]["prompts"], "prompts were listed too"
    assert report["scanned"]["resources"], "and resources"


def test_a_poisoned_tool_is_found_and_named_in_the_table() -> None:
    done = guardmesh_scan("--", sys.executable, str(POISONED_SERVER))
    assert done.returncode == 1, done.stderr
    assert "tools (2): add, subtract" in done.stdout
    [row] = [line for line in done.stdout.splitlines() if line.startswith("tool ")]
    assert row.split()[:3] == ["tool", "add", "tool-poisoning"]
    assert "tp.file.ssh-key-name" in row


def test_a_server_that_cannot_start_is_a_clear_error() -> None:
    done = guardmesh_scan("--timeout", "10", "--", sys.executable, "-c", "raise SystemExit(3)")
    assert done.returncode == 2
    assert done.stderr.startswith("guardmesh scan: cannot scan "), done.stderr
    assert "Traceback" not in done.stderr

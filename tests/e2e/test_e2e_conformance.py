"""The official MCP conformance suite passes the same server scenarios through the sidecar as directly.

Two servers: server-everything, which is not the suite's reference server, so some scenarios fail
against it either way; and `servers/conformance_server.py`, written with the Python SDK to the
suite's requirements, which passes every scenario directly. What matters is that the sidecar
neither breaks a passing scenario nor changes any check's outcome.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import peers
from tests.support.sidecar import running_sidecar

pytestmark = pytest.mark.e2e

SCENARIO_PREFIX = "server-"
_TIMESTAMP = re.compile(r"-\d{4}-\d{2}-\d{2}T[\d-]+Z$")
HARDENED_BY_THE_SIDECAR = frozenset({"dns-rebinding-protection"})
"""Scenarios the sidecar may pass although the server alone fails them: it refuses foreign origins."""


REFERENCE_SERVER = Path(__file__).parent / "servers" / "conformance_server.py"


@pytest.fixture(scope="module")
def reference() -> Iterator[str]:
    port = peers.free_port()
    with peers.running([sys.executable, str(REFERENCE_SERVER), str(port)], port=port):
        yield f"http://127.0.0.1:{port}/mcp"


def run_conformance(url: str, work: Path) -> dict[str, dict[str, str]]:
    """Run every server scenario (``--suite all``) against ``url``; returns scenario -> check id -> status."""
    work.mkdir(parents=True, exist_ok=True)
    argv = [*peers.conformance_server_command(url, suite="all"), "--output-dir", str(work / "results")]
    proc = subprocess.run(argv, cwd=work, capture_output=True, text=True, timeout=240, check=False)
    results: dict[str, dict[str, str]] = {}
    for checks_file in sorted((work / "results").glob("*/checks.json")):
        # Folders are named server-<scenario>-<ISO timestamp>.
        folder = checks_file.parent.name
        scenario = _TIMESTAMP.sub("", folder.removeprefix(SCENARIO_PREFIX))
        checks = json.loads(checks_file.read_text(encoding="utf-8"))
        results[scenario] = {check["id"]: check["status"] for check in checks}
    if not results:
        raise AssertionError(
            f"the conformance suite produced no results (exit {proc.returncode}):\n{proc.stdout[-3000:]}"
        )
    return results


def passing(results: dict[str, dict[str, str]]) -> set[str]:
    return {name for name, checks in results.items() if checks and "FAILURE" not in checks.values()}


@pytest.mark.parametrize("server", [pytest.param("everything_url", id="everything"), "reference"])
def test_conformance_scenarios_pass_through_the_sidecar_as_they_do_directly(
    server: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url: str = request.getfixturevalue(server)
    direct = run_conformance(url, tmp_path / "direct")
    with running_sidecar(url) as sidecar:
        through = run_conformance(sidecar.url, tmp_path / "through")
    assert set(through) == set(direct), "the two runs did not run the same scenarios"
    assert passing(direct), "nothing passes directly: the comparison would be empty"
    assert {"server-initialize", "tools-list", "tools-call-simple-text"} <= passing(direct)
    if server == "reference":
        assert passing(direct) == set(direct), f"the reference server fails {sorted(set(direct) - passing(direct))}"
    lost = passing(direct) - passing(through)
    assert not lost, f"scenarios that pass directly but fail through the sidecar: {sorted(lost)}"
    gained = passing(through) - passing(direct)
    assert gained <= HARDENED_BY_THE_SIDECAR, f"unexpected scenarios that pass only through the sidecar: {gained}"
    changed = {
        (scenario, check, direct[scenario].get(check), status)
        for scenario in set(direct) - HARDENED_BY_THE_SIDECAR
        for check, status in through[scenario].items()
        if direct[scenario].get(check) != status
    }
    assert not changed, f"checks whose outcome the sidecar changed: {sorted(changed, key=str)}"

"""`make demo` runs end to end (so it cannot rot): every expected block happens, spans reach the collector, and
nothing it started outlives it, also when it is interrupted."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.peers import REPO_ROOT

pytestmark = pytest.mark.e2e
DEMO = [sys.executable, str(REPO_ROOT / "hack" / "demo.py")]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("GUARDMESH_KUBECONFIG", None)  # the demo always starts a plane of its own
    return env


def _work_dir(output: str) -> Path:
    found = re.search(r"working dir (\S+)", output)
    assert found, output[-3000:]
    return Path(found.group(1))


def _processes_mentioning(text: str) -> list[str]:
    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            out.append(f"{proc.name}: {cmdline[:200]}")
    return out


def _left_behind(text: str) -> list[str]:
    """Processes still mentioning `text` a few seconds on (the plane's watchdog polls its owner every second)."""
    deadline = time.monotonic() + 10
    while (found := _processes_mentioning(text)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return found


def _row(output: str, message: str, guard: str, decision: str) -> bool:
    """Whether the table has the row, the message possibly carried over from the row above."""
    current = ""
    for line in output.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) == 4:
            current = cells[0]
        elif len(cells) == 3:
            cells = [current, *cells]
        else:
            continue
        if cells[0] == message and cells[1] == guard and cells[2] == decision:
            return True
    return False


def test_the_demo_blocks_every_attack_and_sends_its_traces_to_the_collector() -> None:
    proc = subprocess.run(DEMO, cwd=REPO_ROOT, env=_env(), capture_output=True, text=True, timeout=600, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    expected = [
        ("everything: tools/call get-env", "tool-access", "deny"),
        ("everything: tools/call echo (4th in 10 s)", "rate-limit", "deny"),
        ("evil-weather: tools/list (1st)", "tool-poisoning", "modify"),
        ("evil-weather: tools/call create_issues (imitates github)", "server-spoofing", "deny"),
        ("evil-weather: tools/call run_command", "wasm-pattern-guard", "deny"),
        ("evil-weather: tools/call lookup_customer (leaks)", "secrets", "modify"),
        ("evil-weather: tools/call get_news (injection)", "prompt-injection", "deny"),
        ("evil-weather: tools/call best_weather (preference manipulation)", "tool-poisoning", "deny"),
        ("evil-weather: tools/call get_alerts (message from the user)", "prompt-injection", "deny"),
        ("evil-weather: tools/call get_forecast (after the change)", "rug-pull", "deny"),
    ]
    for row in expected:
        assert _row(output, *row), f"no row {row} in:\n{output[-6000:]}"
    assert "4111 1111 1111 1111" not in output
    assert "AKIAQ4ZB7XJ2KMPL3RTE" not in output
    assert "9dK3mQ/x7LpW2vRt8ZbN4cYh1FsJ6gUe0AoTiXkE" not in output
    assert "536-22-8410" not in output
    if (REPO_ROOT / "charts" / "guardmesh" / "values-local.yaml").exists():
        assert "helm install guardmesh" in output
        assert "NOT using the Helm chart" not in output, output[-6000:]
    spans = re.search(r"it received (\d+) spans: everything (\d+), evil-weather (\d+)", output)
    assert spans, output[-3000:]
    assert int(spans.group(2)) > 0
    assert int(spans.group(3)) > 0
    trace = output[output.index("The trace of the blocked call") :]
    assert re.search(r"\n\s+response\s+prompt-injection\s+deny\s+prompt injection in the result", trace), trace
    work = _work_dir(output)
    assert not work.exists()
    assert _left_behind(str(work)) == []


def test_an_interrupted_demo_stops_everything_it_started() -> None:
    proc = subprocess.Popen(
        DEMO, cwd=REPO_ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    lines = []
    deadline = time.monotonic() + 300
    for line in proc.stdout:
        lines.append(line)
        if "waiting for the operator" in line or time.monotonic() > deadline:
            break
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=120)
    output = "".join(lines) + rest
    assert proc.returncode == 130, output[-4000:]
    assert "every process the demo started was stopped" in output
    work = _work_dir(output)
    assert not work.exists()
    assert _left_behind(str(work)) == []

"""The sidecar reports seen tool definitions only when its bundle asks, and keeps what the operator did not take."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from guardmesh.app import reporter
from guardmesh.app.reporter import Reporter, ReportFailed
from guardmesh.config.baseline import Reporting
from guardmesh.guards.native.rug_pull import Observation
from guardmesh.runtime import Runtime

SERVER = "test-server"
TOOL = {"name": "echo", "description": "Echo.", "inputSchema": {"type": "object"}}
REPORTING = {"url": "https://operator.example:9443/observe", "caBundle": ""}


def _bundle(baseline: bool = True, reporting: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"apiVersion": "guardmesh.dev/v1alpha1", "kind": "GuardBundle"}
    if baseline:
        out["baselines"] = {SERVER: {"mode": "Learning"}}
    if reporting:
        out["reporting"] = REPORTING
    return out


class Sent:
    def __init__(self) -> None:
        self.reports: list[tuple[str, list[str]]] = []
        self.fail: ReportFailed | None = None

    def __call__(self, target: Reporting, server: str, observations: list[Observation]) -> None:
        if self.fail is not None:
            raise self.fail
        self.reports.append((server, [o.name for o in observations]))


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Sent:
    recorder = Sent()
    monkeypatch.setattr(Reporter, "_post", lambda self, *args: recorder(*args))
    return recorder


def _see(runtime: Runtime, tool: dict[str, Any] = TOOL, digest: str = "a" * 64) -> None:
    runtime.resources.pins.see(SERVER, tool, tool["name"], digest)


async def test_nothing_is_reported_without_a_baseline_or_an_endpoint(
    make_runtime: Callable[[dict[str, Any]], Runtime], sent: Sent, tmp_path: Path
) -> None:
    for bundle in (_bundle(baseline=False), _bundle(reporting=False)):
        runtime = make_runtime(bundle)
        _see(runtime)
        assert await Reporter(runtime, tmp_path / "token").step() == reporter.INTERVAL
    assert sent.reports == []


async def test_what_was_seen_before_the_baseline_appeared_is_reported_once_it_does(
    make_runtime: Callable[[dict[str, Any]], Runtime], write_bundle: Callable[[dict[str, Any]], Path], sent: Sent
) -> None:
    runtime = make_runtime(_bundle(baseline=False))
    report = Reporter(runtime, Path("token"))
    _see(runtime)
    await report.step()
    runtime.apply(write_bundle(_bundle()).read_bytes(), "bundle")
    await report.step()
    await report.step()
    assert sent.reports == [(SERVER, ["echo"])]
    _see(runtime, digest="b" * 64)
    await report.step()
    assert sent.reports[-1] == (SERVER, ["echo"])
    assert runtime.telemetry.metrics.tool_reports.labels("ok")._value.get() == 2


async def test_a_refused_report_is_kept_sent_again_and_shown_in_readiness(
    make_runtime: Callable[[dict[str, Any]], Runtime], sent: Sent
) -> None:
    runtime = make_runtime(_bundle())
    report = Reporter(runtime, Path("token"))
    _see(runtime)
    sent.fail = ReportFailed("operator answered 503: later", 1.0)
    first = await report.step()
    second = await report.step()
    assert 1.0 < first < second <= reporter.MAX_BACKOFF
    assert runtime.report_error == "operator answered 503: later"
    sent.fail = None
    assert await report.step() == reporter.INTERVAL
    assert sent.reports == [(SERVER, ["echo"])]
    assert runtime.report_error is None


def test_an_unreadable_token_is_a_failed_report_not_a_crash(tmp_path: Path) -> None:
    target = Reporting(url="https://127.0.0.1:1/observe")
    instance = Reporter.__new__(Reporter)
    instance.token_file = tmp_path / "missing"
    with pytest.raises(ReportFailed, match="cannot read the report token"):
        instance._post(target, SERVER, [])


def test_an_unreachable_operator_is_a_failed_report(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("t")
    instance = Reporter.__new__(Reporter)
    instance.token_file = token
    with pytest.raises(ReportFailed, match="unreachable"):
        instance._post(Reporting(url="https://127.0.0.1:1/observe"), SERVER, [])

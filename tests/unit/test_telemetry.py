"""Metrics and the audit log: every non-allow decision is recorded, and recording never blocks a message."""

from pathlib import Path

import orjson
import pytest

from guardmesh.guards.api import Decision, GuardContext
from guardmesh.pipeline import Evaluation, Outcome
from guardmesh.protocol.jsonrpc import Direction, Message, classify
from guardmesh.telemetry import names
from guardmesh.telemetry.audit import AuditLog
from guardmesh.telemetry.metrics import Metrics
from guardmesh.telemetry.recorder import Telemetry

CTX = GuardContext("srv", "session-1", "2025-11-25")


def dropped(metrics: Metrics) -> float | None:
    return metrics.registry.get_sample_value("guardmesh_audit_dropped_total")


def tool_call() -> Message:
    body = {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "fs_delete", "arguments": {}}}
    return classify(body, Direction.TO_SERVER)


def evaluation(guard: str, decision: Decision, enforced: bool = True, failed: bool = False) -> Evaluation:
    return Evaluation(guard, "tool-access", decision, f"{guard} says {decision}", 0.0001, enforced, failed)


def test_a_full_audit_buffer_drops_and_counts_instead_of_blocking(tmp_path: Path, metrics: Metrics) -> None:
    audit = AuditLog(str(tmp_path / "audit.jsonl"), metrics, capacity=2)
    for n in range(5):
        audit.record({"n": n})
    assert dropped(metrics) == 3


def test_an_audit_log_without_a_destination_records_nothing_and_drops_nothing(metrics: Metrics) -> None:
    audit = AuditLog(None, metrics, capacity=1)
    for n in range(3):
        audit.record({"n": n})
    assert dropped(metrics) == 0


async def test_the_audit_writer_flushes_what_is_buffered_when_it_stops(tmp_path: Path, metrics: Metrics) -> None:
    path = tmp_path / "audit.jsonl"
    audit = AuditLog(str(path), metrics)
    async with audit.running():
        for n in range(3):
            audit.record({"n": n})
    assert [orjson.loads(line) for line in path.read_bytes().splitlines()] == [{"n": 0}, {"n": 1}, {"n": 2}]


async def test_every_non_allow_decision_is_audited_with_its_context(tmp_path: Path, metrics: Metrics) -> None:
    path = tmp_path / "audit.jsonl"
    audit = AuditLog(str(path), metrics)
    telemetry = Telemetry(metrics, audit, None)
    message = tool_call()
    outcome = Outcome(message)
    outcome.evaluations = [
        evaluation("quiet", Decision.ALLOW),
        evaluation("observer", Decision.DENY, enforced=False),
        evaluation("broken", Decision.ALLOW, failed=True),
        evaluation("blocker", Decision.DENY),
    ]
    outcome.denied_by = outcome.evaluations[-1]
    async with audit.running():
        telemetry.guards(None, message, outcome, CTX)
    records = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert [(r["guard"], r["decision"], r["enforced"], r["failed"]) for r in records] == [
        ("observer", "deny", False, False),
        ("broken", "allow", True, True),
        ("blocker", "deny", True, False),
    ]
    blocker = records[-1]
    assert blocker["session"] == "session-1"
    assert blocker["method"] == "tools/call"
    assert blocker["target"] == "fs_delete"
    assert blocker["id"] == 3
    assert blocker["phase"] == "request"
    assert "arguments" not in orjson.dumps(blocker).decode(), "the message's own content is never logged"


def test_decisions_and_message_outcomes_are_counted(metrics: Metrics) -> None:
    telemetry = Telemetry(metrics, AuditLog(None, metrics), None)
    outcome = Outcome(tool_call())
    outcome.evaluations = [evaluation("blocker", Decision.DENY)]
    outcome.denied_by = outcome.evaluations[0]
    telemetry.guards(None, outcome.message, outcome, CTX)
    labels = {"guard": "blocker", "kind": "tool-access", "decision": "deny", "enforced": "true"}
    assert metrics.registry.get_sample_value(names.METRIC_DECISIONS, labels) == 1
    outcome_labels = {"method": "tools/call", "phase": "request", "outcome": "denied"}
    assert metrics.registry.get_sample_value(names.METRIC_MESSAGES, outcome_labels) == 1


def test_a_guard_that_failed_is_counted_apart_whatever_its_failure_mode_decided(metrics: Metrics) -> None:
    telemetry = Telemetry(metrics, AuditLog(None, metrics), None)
    outcome = Outcome(tool_call())
    outcome.evaluations = [evaluation("open", Decision.ALLOW, failed=True), evaluation("fine", Decision.ALLOW)]
    telemetry.guards(None, outcome.message, outcome, CTX)
    failures = names.METRIC_GUARD_FAILURES
    assert metrics.registry.get_sample_value(failures, {"guard": "open", "kind": "tool-access"}) == 1
    assert metrics.registry.get_sample_value(failures, {"guard": "fine", "kind": "tool-access"}) is None


def test_unknown_methods_share_one_metric_label(metrics: Metrics) -> None:
    telemetry = Telemetry(metrics, AuditLog(None, metrics), None)
    for n in range(3):
        body = {"jsonrpc": "2.0", "id": n, "method": f"x/attacker-chosen-{n}"}
        message = classify(body, Direction.TO_SERVER)
        telemetry.guards(None, message, Outcome(message), CTX)
    labels = {"method": "other", "phase": "request", "outcome": "allowed"}
    assert metrics.registry.get_sample_value(names.METRIC_MESSAGES, labels) == 3


def test_span_names_are_the_method_and_its_target() -> None:
    assert names.span_name("tools/call", "fs_read") == "tools/call fs_read"
    assert names.span_name("tools/list", None) == "tools/list"


def test_the_verified_caller_is_on_the_span_by_subject_never_by_token(
    metrics: Metrics, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from guardmesh.guards.api import Identity

    monkeypatch.delenv("OTEL_SDK_DISABLED")  # an in-memory exporter: nothing leaves the process
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry = Telemetry(metrics, AuditLog(None, metrics), provider.get_tracer("test"))
    caller = Identity("alice", "https://idp.test", "oauth", claims={"sub": "alice", "secret": "x"})
    span = telemetry.begin(tool_call(), GuardContext("srv", identity=caller, client_id=caller.key))
    assert span is not None
    span.end()
    [finished] = exporter.get_finished_spans()
    attributes = dict(finished.attributes or {})
    assert attributes[names.ENDUSER_ID] == "alice"
    assert attributes[names.CALLER_ISSUER] == "https://idp.test"
    assert attributes[names.CALLER_KIND] == "oauth"
    assert "x" not in attributes.values()

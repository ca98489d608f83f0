"""Prometheus metrics on a registry of our own, with label children cached off the hot path.

Callers pass method labels through `protocol.methods.metric_label`, so label values stay bounded.
"""

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from guardmesh.telemetry import names

# Milliseconds matter for guards; seconds for whole requests.
_GUARD_BUCKETS = (0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.05, 0.25, 1.0)
_REQUEST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30, 120)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.messages = Counter(
            names.METRIC_MESSAGES,
            "MCP messages seen, by method, phase and outcome",
            ["method", "phase", "outcome"],
            registry=r,
        )
        self.request_duration = Histogram(
            names.METRIC_REQUEST_DURATION,
            "Time from a client request to its forwarded answer, by method",
            ["method"],
            buckets=_REQUEST_BUCKETS,
            registry=r,
        )
        self.decisions = Counter(
            names.METRIC_DECISIONS,
            "Guard verdicts, by guard, kind, decision and whether enforced",
            ["guard", "kind", "decision", "enforced"],
            registry=r,
        )
        self.guard_duration = Histogram(
            names.METRIC_GUARD_DURATION,
            "Time one guard took on one message",
            ["guard"],
            buckets=_GUARD_BUCKETS,
            registry=r,
        )
        self.guard_failures = Counter(
            names.METRIC_GUARD_FAILURES,
            "Guard evaluations that raised, trapped or timed out (their failure mode decided), by guard and kind",
            ["guard", "kind"],
            registry=r,
        )
        self.reloads = Counter(names.METRIC_RELOADS, "Config reloads, by result", ["result"], registry=r)
        self.rejected = Counter(
            names.METRIC_REJECTED, "Inputs refused before any guard ran, by reason", ["reason"], registry=r
        )
        self.audit_dropped = Counter(
            names.METRIC_AUDIT_DROPPED, "Audit records lost because the audit buffer was full", registry=r
        )
        self.config_info = Gauge(
            names.METRIC_CONFIG_INFO, "The config in force (value 1), by content hash", ["hash"], registry=r
        )
        self.authentications = Counter(
            names.METRIC_AUTHENTICATIONS,
            "Bearer tokens checked, by caller kind (oauth, kubernetes; bearer when refused) and result"
            " (ok, or why it was refused: missing, malformed, expired, audience, unknown-key...)",
            ["kind", "result"],
            registry=r,
        )
        self.tool_reports = Counter(
            names.METRIC_TOOL_REPORTS,
            "Reports of seen tool definitions to the operator (ToolBaselines), by result",
            ["result"],
            registry=r,
        )
        self._messages: dict[tuple[str, str, str], Any] = {}
        self._authentications: dict[tuple[str, str], Any] = {}
        self._durations: dict[str, Any] = {}
        self._guards: dict[tuple[str, str, str, bool], tuple[Any, Any]] = {}

    def count_message(self, method: str, phase: str, outcome: str) -> None:
        key = (method, phase, outcome)
        child = self._messages.get(key)
        if child is None:
            child = self._messages[key] = self.messages.labels(method, phase, outcome)
        child.inc()

    def count_authentication(self, kind: str, result: str) -> None:
        key = (kind, result)
        child = self._authentications.get(key)
        if child is None:
            child = self._authentications[key] = self.authentications.labels(kind, result)
        child.inc()

    def observe_request(self, method: str, seconds: float) -> None:
        child = self._durations.get(method)
        if child is None:
            child = self._durations[method] = self.request_duration.labels(method)
        child.observe(seconds)

    def count_decision(self, guard: str, kind: str, decision: str, enforced: bool, seconds: float) -> None:
        key = (guard, kind, decision, enforced)
        pair = self._guards.get(key)
        if pair is None:
            pair = self._guards[key] = (
                self.decisions.labels(guard, kind, decision, "true" if enforced else "false"),
                self.guard_duration.labels(guard),
            )
        counter, histogram = pair
        counter.inc()
        histogram.observe(seconds)

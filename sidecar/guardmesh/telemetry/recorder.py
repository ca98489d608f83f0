"""One object the transports report to: spans, metrics and audit records for each message."""

import logging
import time
from collections.abc import Mapping
from typing import Any

from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from guardmesh.guards.api import Decision, GuardContext
from guardmesh.pipeline import Outcome
from guardmesh.protocol.jsonrpc import Kind, Message
from guardmesh.protocol.methods import metric_label
from guardmesh.telemetry import names, tracing
from guardmesh.telemetry.audit import AuditLog
from guardmesh.telemetry.metrics import Metrics

log = logging.getLogger("guardmesh.rejected")


class Telemetry:
    def __init__(self, metrics: Metrics, audit: AuditLog, tracer: Tracer | None, transport: str = "tcp") -> None:
        self.metrics = metrics
        self.audit = audit
        self.tracer = tracer
        self._transport = transport

    def begin(self, message: Message, ctx: GuardContext, headers: Mapping[str, str] | None = None) -> Span | None:
        """Start the span of a message from the client (or a server request); None when not tracing."""
        if self.tracer is None:
            return None
        method = message.method or "unknown"
        params = message.params
        attributes: dict[str, Any] = {
            names.MCP_METHOD_NAME: method,
            names.NETWORK_TRANSPORT: self._transport,
        }
        if message.id is not None:
            attributes[names.JSONRPC_REQUEST_ID] = str(message.id)
        if ctx.session_id is not None:
            attributes[names.MCP_SESSION_ID] = ctx.session_id
        version = ctx.protocol_version
        if method == "initialize" and isinstance(params.get("protocolVersion"), str):
            version = params["protocolVersion"]  # the session's revision is not settled yet
        if version is not None:
            attributes[names.MCP_PROTOCOL_VERSION] = version
        caller = ctx.identity
        if caller is not None:
            attributes[names.ENDUSER_ID] = caller.subject
            attributes[names.CALLER_ISSUER] = caller.issuer
            attributes[names.CALLER_KIND] = caller.kind
        target = None
        if message.target is not None:
            if method == "tools/call":
                target = message.target
                attributes[names.GEN_AI_TOOL_NAME] = target
                attributes[names.GEN_AI_OPERATION_NAME] = "execute_tool"
            elif method == "prompts/get":
                target = message.target
                attributes[names.GEN_AI_PROMPT_NAME] = target
        parent = tracing.extract(params.get("_meta"), headers)
        return self.tracer.start_span(
            names.span_name(method, target), context=parent, kind=SpanKind.SERVER, attributes=attributes
        )

    def guards(self, span: Span | None, message: Message, outcome: Outcome, ctx: GuardContext) -> None:
        """Record every guard evaluation: metrics always, a span event when tracing, audit when not allow."""
        for ev in outcome.evaluations:
            self.metrics.count_decision(ev.guard, ev.kind, ev.decision.value, ev.enforced, ev.seconds)
            if ev.failed:
                self.metrics.guard_failures.labels(ev.guard, ev.kind).inc()
            if span is not None:
                span.add_event(
                    names.GUARD_EVENT,
                    {
                        names.GUARD_NAME: ev.guard,
                        names.GUARD_KIND: ev.kind,
                        names.GUARD_DECISION: ev.decision.value,
                        names.GUARD_REASON: ev.reason,
                        names.GUARD_DURATION: ev.seconds * 1000,
                        names.GUARD_ENFORCED: ev.enforced,
                        names.GUARD_FAILED: ev.failed,
                        names.GUARD_FAILED_OPEN: ev.failed and ev.decision is Decision.ALLOW,
                        names.GUARD_PHASE: message.phase.value,
                    },
                )
            if ev.decision is not Decision.ALLOW or ev.failed:
                self.audit.record(
                    {
                        "time": time.time(),
                        "server": ctx.server_id,
                        "session": ctx.session_id,
                        "protocolVersion": ctx.protocol_version,
                        "direction": message.direction.value,
                        "phase": message.phase.value,
                        "method": message.method,
                        "target": message.target,
                        "id": message.id,
                        "guard": ev.guard,
                        "kind": ev.kind,
                        "decision": ev.decision.value,
                        "enforced": ev.enforced,
                        "failed": ev.failed,
                        "reason": ev.reason,
                        "subject": ctx.identity.subject if ctx.identity is not None else None,
                        "issuer": ctx.identity.issuer if ctx.identity is not None else None,
                    }
                )
        outcome_label = "denied" if outcome.denied else "modified" if outcome.modified else "allowed"
        self.metrics.count_message(metric_label(message.method), message.phase.value, outcome_label)

    def end(
        self,
        span: Span | None,
        started: float,
        method: str | None,
        answer: Message | None,
        error_code: int | None = None,
        error_message: str = "",
    ) -> None:
        """Close a request's span when its answer (or the error standing in for it) goes to the client."""
        self.metrics.observe_request(metric_label(method), time.perf_counter() - started)
        if span is None:
            return
        if error_code is None and answer is not None and answer.kind is Kind.ERROR:
            error = answer.body.get("error")
            if isinstance(error, dict):
                error_code = error.get("code") if isinstance(error.get("code"), int) else None
                error_message = str(error.get("message", ""))
        if error_code is not None:
            span.set_attribute(names.ERROR_TYPE, str(error_code))
            span.set_attribute(names.RPC_RESPONSE_STATUS_CODE, str(error_code))
            span.set_status(Status(StatusCode.ERROR, error_message))
        elif answer is not None and answer.result.get("isError") is True:
            span.set_attribute(names.ERROR_TYPE, "tool_error")
            span.set_status(Status(StatusCode.ERROR))
        span.end()

    def authenticated(self, kind: str, result: str) -> None:
        """Count one bearer-token check; both labels are short fixed words (never the subject)."""
        self.metrics.count_authentication(kind, result)

    def rejected(self, reason: str, detail: str = "") -> None:
        """Count and log an input refused before any guard ran; `reason` is a short fixed label."""
        self.metrics.rejected.labels(reason).inc()
        log.info("rejected (%s)%s", reason, f": {detail}" if detail else "")

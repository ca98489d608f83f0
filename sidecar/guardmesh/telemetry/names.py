"""Every span attribute, event and metric name GuardMesh emits, in one place.

Span names and `mcp.*`, `jsonrpc.*`, `gen_ai.*` attributes follow the OpenTelemetry semantic
conventions for MCP; `guardmesh.*` names are our own.
"""

from typing import Final

# MCP semantic conventions.
MCP_METHOD_NAME: Final = "mcp.method.name"
MCP_SESSION_ID: Final = "mcp.session.id"
MCP_PROTOCOL_VERSION: Final = "mcp.protocol.version"
MCP_RESOURCE_URI: Final = "mcp.resource.uri"
JSONRPC_REQUEST_ID: Final = "jsonrpc.request.id"
GEN_AI_TOOL_NAME: Final = "gen_ai.tool.name"
GEN_AI_PROMPT_NAME: Final = "gen_ai.prompt.name"
GEN_AI_OPERATION_NAME: Final = "gen_ai.operation.name"
ERROR_TYPE: Final = "error.type"
RPC_RESPONSE_STATUS_CODE: Final = "rpc.response.status_code"
NETWORK_TRANSPORT: Final = "network.transport"
NETWORK_PROTOCOL_NAME: Final = "network.protocol.name"
# The verified caller (authentication on): its subject, never its token.
ENDUSER_ID: Final = "enduser.id"
CALLER_ISSUER: Final = "guardmesh.caller.issuer"
CALLER_KIND: Final = "guardmesh.caller.kind"

# GuardMesh's own: one span event per guard evaluation.
GUARD_EVENT: Final = "guardmesh.guard.evaluation"
GUARD_NAME: Final = "guardmesh.guard.name"
GUARD_KIND: Final = "guardmesh.guard.kind"
GUARD_DECISION: Final = "guardmesh.guard.decision"
GUARD_REASON: Final = "guardmesh.guard.reason"
GUARD_DURATION: Final = "guardmesh.guard.duration_ms"
GUARD_FAILED: Final = "guardmesh.guard.failed"
GUARD_FAILED_OPEN: Final = "guardmesh.guard.failed_open"
GUARD_ENFORCED: Final = "guardmesh.guard.enforced"
GUARD_PHASE: Final = "guardmesh.phase"
OUTCOME: Final = "guardmesh.outcome"

# Prometheus metrics.
METRIC_MESSAGES: Final = "guardmesh_messages_total"
METRIC_REQUEST_DURATION: Final = "guardmesh_request_duration_seconds"
METRIC_DECISIONS: Final = "guardmesh_guard_decisions_total"
METRIC_GUARD_DURATION: Final = "guardmesh_guard_duration_seconds"
METRIC_GUARD_FAILURES: Final = "guardmesh_guard_failures_total"
METRIC_RELOADS: Final = "guardmesh_config_reloads_total"
METRIC_REJECTED: Final = "guardmesh_rejected_total"
METRIC_AUDIT_DROPPED: Final = "guardmesh_audit_dropped_total"
METRIC_CONFIG_INFO: Final = "guardmesh_config_info"
METRIC_AUTHENTICATIONS: Final = "guardmesh_authentications_total"
METRIC_TOOL_REPORTS: Final = "guardmesh_tool_reports_total"


def span_name(method: str, target: str | None) -> str:
    """`{mcp.method.name} {target}`, or the method alone when there is no tool or prompt."""
    return f"{method} {target}" if target else method

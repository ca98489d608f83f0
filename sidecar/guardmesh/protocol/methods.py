"""MCP method names of every revision, and facts about revisions a proxy acts on."""

from typing import Final

KNOWN_METHODS: Final = frozenset(
    {
        "initialize",
        "ping",
        "server/discover",
        "subscriptions/listen",
        "tools/list",
        "tools/call",
        "prompts/list",
        "prompts/get",
        "resources/list",
        "resources/read",
        "resources/templates/list",
        "resources/subscribe",
        "resources/unsubscribe",
        "completion/complete",
        "logging/setLevel",
        "sampling/createMessage",
        "elicitation/create",
        "roots/list",
        "tasks/get",
        "tasks/result",
        "tasks/list",
        "tasks/cancel",
        "notifications/initialized",
        "notifications/cancelled",
        "notifications/progress",
        "notifications/message",
        "notifications/roots/list_changed",
        "notifications/tools/list_changed",
        "notifications/prompts/list_changed",
        "notifications/resources/list_changed",
        "notifications/resources/updated",
        "notifications/elicitation/complete",
        "notifications/tasks/status",
        "notifications/subscriptions/acknowledged",
    }
)

LEGACY_SSE: Final = "2024-11-05"
DEFAULT_HTTP_REVISION: Final = "2025-03-26"
"""What a Streamable HTTP server assumes when `MCP-Protocol-Version` is absent."""
STATELESS_REVISIONS: Final = frozenset({"2026-07-28"})
"""Revisions without initialize or sessions, whose requests carry `Mcp-Method`/`Mcp-Name` headers."""
BATCH_REVISIONS: Final = frozenset({"2024-11-05", "2025-03-26"})
"""Revisions that allow JSON-RPC batches."""

NAME_HEADER_PARAM: Final = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
"""2026-07-28: methods whose `Mcp-Name` header mirrors a body parameter, and which parameter."""


def metric_label(method: str | None) -> str:
    """Methods are client input: unknown ones share one label so they cannot multiply time series."""
    if method is None:
        return "unknown"
    return method if method in KNOWN_METHODS else "other"

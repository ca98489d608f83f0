"""JSON-RPC error codes the sidecar answers with. These numbers are a stable contract."""

from typing import Any, Final

import orjson

PARSE_ERROR: Final = -32700
"""The body is not JSON, or not UTF-8."""
INVALID_REQUEST: Final = -32600
"""JSON, but not a valid JSON-RPC message (wrong types, missing fields, too deep, batch not allowed)."""
HEADER_MISMATCH: Final = -32020
"""2026-07-28: an `Mcp-Method` or `Mcp-Name` header disagrees with the body."""
SESSION_NOT_FOUND: Final = -32001
"""The `Mcp-Session-Id` is unknown to the sidecar."""
GUARD_DENIED: Final = -32050
"""A guard refused the message; the reason names the guard."""
GUARD_FAILED: Final = -32051
"""A fail-closed guard errored or timed out, so the message was refused."""
UPSTREAM_UNAVAILABLE: Final = -32052
"""The MCP server could not be reached or broke off the exchange."""
UPSTREAM_TIMEOUT: Final = -32053
"""The MCP server did not answer in time."""
TOO_LARGE: Final = -32054
"""The message is larger than the configured limit."""
FORBIDDEN_ORIGIN: Final = -32055
"""The request came from a browser Origin that is not allowed."""
OVERLOADED: Final = -32056
"""A bound on outstanding work was reached (sessions, requests awaiting answers, inspection capacity); retry later."""
UNSUPPORTED_BODY: Final = -32057
"""The body is declared in a charset or content encoding other than plain UTF-8 JSON (HTTP 415)."""
UNAUTHENTICATED: Final = -32058
"""Authentication is on and the request has no valid bearer token (HTTP 401, 403 for missing scopes, 400 for a
token in the query string, 503 when the issuer's keys are unavailable)."""
FOREIGN_SESSION: Final = -32059
"""The session was opened by another caller (HTTP 403)."""

JsonRpcId = str | int | None


def error_object(id_: JsonRpcId, code: int, message: str, data: Any = None) -> dict[str, Any]:
    """A JSON-RPC error response as a dict."""
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": id_, "error": error}


def error_bytes(id_: JsonRpcId, code: int, message: str, data: Any = None) -> bytes:
    """A JSON-RPC error response, serialised."""
    return orjson.dumps(error_object(id_, code, message, data))

"""What a raw MCP client sends over Streamable HTTP, for tests that speak the protocol by hand."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

JSON_AND_SSE: Mapping[str, str] = MappingProxyType(
    {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
)
"""Headers of a Streamable HTTP POST: a JSON body, and either kind of answer accepted (read-only: copy it)."""


def initialize(version: str = "2025-11-25", client: str = "test", id_: int = 1) -> dict[str, Any]:
    """An `initialize` request from a client with no capabilities."""
    return {
        "jsonrpc": "2.0",
        "id": id_,
        "method": "initialize",
        "params": {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": client, "version": "1"}},
    }

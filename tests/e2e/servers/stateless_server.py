"""A small MCP server written with the Python SDK, for the stateless 2026-07-28 revision.

    python stateless_server.py PORT SEEN_LOG

Serves Streamable HTTP at http://127.0.0.1:PORT/mcp (2026-07-28 requests and, for older
clients, sessions). It offers a tool, a prompt, a resource, a tool that asks the client a question
(an ``input_required`` round trip carrying an elicitation) and a tool that announces a change of
its tool list (for ``subscriptions/listen``). Every HTTP request that reaches it is appended to
SEEN_LOG as one JSON line (method, path, routing headers, body), so a test can tell what the
sidecar let through.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import uvicorn
from mcp.server.caching import CacheHint
from mcp.server.mcpserver import Context, Elicit, MCPServer, Resolve
from pydantic import BaseModel
from starlette.types import Message, Receive, Scope, Send

# Its tool list is the same for every caller, so the server lets caches share it (a sidecar that filters the
# list per caller must make it private again).
mcp: MCPServer[Any] = MCPServer(
    "guardmesh-e2e-stateless",
    version="1.0.0",
    instructions="Test server.",
    cache_hints={"tools/list": CacheHint(ttl_ms=60_000, scope="public")},
)


@mcp.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class Confirmation(BaseModel):
    confirm: bool
    reason: str = ""


def ask_before_deleting(path: str) -> Elicit[Confirmation]:
    return Elicit(f"Really delete {path}?", Confirmation)


@mcp.tool()
def delete_file(path: str, answer: Annotated[Confirmation, Resolve(ask_before_deleting)]) -> str:
    """Delete a file after the user confirms."""
    return f"deleted {path} ({answer.reason})" if answer.confirm else f"kept {path}"


@mcp.tool()
async def announce_tools_changed(ctx: Context) -> str:
    """Tell listeners that the tool list changed."""
    await ctx.notify_tools_changed()
    return "announced"


@mcp.prompt()
def review(language: str) -> str:
    """Ask for a code review."""
    return f"Please review this {language} code."


@mcp.resource("config://settings", mime_type="application/json")
def settings() -> str:
    """The server's settings."""
    return json.dumps({"mode": "strict", "retries": 3})


def recording(app: Any, log_path: str) -> Any:
    """Wrap the ASGI app: append each HTTP request to the log before handing it on."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        entry = {
            "method": scope["method"],
            "path": scope["path"],
            "mcp-method": headers.get("mcp-method"),
            "mcp-name": headers.get("mcp-name"),
            "authorization": headers.get("authorization"),
            "x-forwarded-user": headers.get("x-forwarded-user"),
            "body": b"".join(chunks).decode("utf-8", "replace"),
        }
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await app(scope, replay, send)

    return wrapped


def main() -> None:
    port, log_path = int(sys.argv[1]), sys.argv[2]
    app = recording(mcp.streamable_http_app(), log_path)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")


if __name__ == "__main__":
    main()

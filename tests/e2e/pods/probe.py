"""Runs inside a test client pod (image mcp-python: Python with the MCP Python SDK): one probe, JSON on stdout.

python3 probe.py tcp HOST PORT          {"open": true} or {"open": false, "error": "..."}
python3 probe.py tools URL              {"tools": [names]}
python3 probe.py call URL TOOL ARGS     {"text": "..."} or {"error": {"code": ..., "message": "..."}}
python3 probe.py resolve NAME           {"addresses": [...]} or {"error": "..."}
python3 probe.py script JSON            one result per step, in a list; JSON is
    {"token_file": PATH (optional: sent as a bearer token), "steps": [
        {"url": URL, "mode": "legacy" | "2026-07-28", "do": "tools"}
      | {"url": URL, "mode": ..., "do": "call", "tool": NAME, "args": {...}}]}
    a step's result is {"tools": [...]}, {"text": ..., "isError": ...} or {"error": {"code": ..., "message": ...}}
    (a JSON-RPC error, or the JSON-RPC body of an HTTP refusal such as a 401)
"""

import asyncio
import json
import socket
import sys


def tcp(host: str, port: str) -> dict[str, object]:
    try:
        with socket.create_connection((host, int(port)), timeout=3):
            return {"open": True}
    except OSError as exc:
        return {"open": False, "error": f"{type(exc).__name__}: {exc}"}


def resolve(name: str) -> dict[str, object]:
    try:
        found = socket.getaddrinfo(name, None, socket.AF_INET, socket.SOCK_STREAM)
    except OSError as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"addresses": sorted({str(entry[4][0]) for entry in found})}


async def tools(url: str) -> dict[str, object]:
    from mcp import Client

    async with Client(url, mode="legacy") as client:
        listed = (await client.list_tools(cache_mode="bypass")).tools
        return {"tools": [tool.name for tool in listed]}


async def call(url: str, tool: str, arguments: str) -> dict[str, object]:
    from mcp import Client
    from mcp.shared.exceptions import MCPError

    async with Client(url, mode="legacy") as client:
        try:
            result = await client.call_tool(tool, json.loads(arguments))
        except MCPError as exc:
            return {"error": {"code": exc.code, "message": exc.message}}
        return {"text": " ".join(getattr(c, "text", "") for c in result.content), "isError": result.is_error}


async def step(spec: dict[str, object], token: str | None) -> dict[str, object]:
    """One client, one operation: sessions are per client, so each step opens (and closes) its own."""
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.exceptions import MCPError

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    mode = str(spec.get("mode", "legacy"))
    try:
        async with (
            httpx2.AsyncClient(headers=headers, timeout=30) as http,
            Client(streamable_http_client(str(spec["url"]), http_client=http), mode=mode) as client,
        ):
            if spec["do"] == "tools":
                listed = await client.list_tools(cache_mode="bypass") if mode == "legacy" else await client.list_tools()
                return {"tools": sorted(tool.name for tool in listed.tools)}
            result = await client.call_tool(str(spec["tool"]), dict(spec.get("args") or {}))  # type: ignore[call-overload]
            return {"text": " ".join(getattr(c, "text", "") for c in result.content), "isError": result.is_error}
    except (MCPError, BaseExceptionGroup) as exc:
        # The SDK turns an HTTP refusal's JSON-RPC body into an MCPError, raised from its task group on connecting.
        while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
            exc = exc.exceptions[0]
        if not isinstance(exc, MCPError):
            raise
        return {"error": {"code": exc.code, "message": exc.message}}


async def script(text: str) -> list[dict[str, object]]:
    spec = json.loads(text)
    token = None
    if spec.get("token_file"):
        with open(spec["token_file"], encoding="utf-8") as fh:
            token = fh.read().strip()
    return [await step(s, token) for s in spec["steps"]]


def main(argv: list[str]) -> None:
    what, *args = argv
    out: object
    if what == "tcp":
        out = tcp(*args)
    elif what == "resolve":
        out = resolve(*args)
    elif what == "tools":
        out = asyncio.run(tools(*args))
    elif what == "script":
        out = asyncio.run(script(*args))
    else:
        out = asyncio.run(call(*args))
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])

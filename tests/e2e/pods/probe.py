"""Runs inside the test client pod (image mcp-python: Python with the MCP Python SDK): one probe, JSON on stdout.

python3 probe.py tcp HOST PORT          {"open": true} or {"open": false, "error": "..."}
python3 probe.py tools URL              {"tools": [names]}
python3 probe.py call URL TOOL ARGS     {"text": "..."} or {"error": {"code": ..., "message": "..."}}
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


def main(argv: list[str]) -> None:
    what, *args = argv
    if what == "tcp":
        out = tcp(*args)
    elif what == "tools":
        out = asyncio.run(tools(*args))
    else:
        out = asyncio.run(call(*args))
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])

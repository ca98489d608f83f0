"""An MCP server written with the Python SDK, on both of its HTTP transports, for the adversarial suite.

    python sdk_server.py PORT

Streamable HTTP at http://127.0.0.1:PORT/mcp and the legacy HTTP+SSE transport at /sse (POSTs to
/messages/). Its `get-env` tool is what the suite's deny list protects: any call that reaches it is
a bypass, and each such call is printed on stdout (`RAN get-env`) so a test can read the log.
"""

from __future__ import annotations

import sys
from typing import Any

import uvicorn
from mcp.server.mcpserver import MCPServer

mcp: MCPServer[Any] = MCPServer("guardmesh-adversarial-sdk", version="1.0.0")


@mcp.tool(name="get-env")
def get_env() -> str:
    """Return the server's environment."""
    print("RAN get-env", flush=True)
    return "HOME=/root"


@mcp.tool()
def echo(message: str) -> str:
    """Echo the message."""
    return f"Echo: {message}"


def main() -> None:
    port = int(sys.argv[1])
    app = mcp.streamable_http_app()
    app.router.routes.extend(mcp.sse_app().routes)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")


if __name__ == "__main__":
    main()

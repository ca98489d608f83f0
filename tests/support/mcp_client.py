"""One-shot calls through the Python SDK's client (mcp), for end-to-end tests of guards in the sidecar."""

from typing import Any


async def list_tools(url: str) -> list[dict[str, Any]]:
    """The tools a fresh session lists, as JSON objects (the SDK's cache bypassed)."""
    from mcp import Client

    async with Client(url, mode="legacy") as client:
        tools = (await client.list_tools(cache_mode="bypass")).tools
        return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]


async def tool_names(url: str) -> list[str]:
    return [tool["name"] for tool in await list_tools(url)]


async def call_tool(url: str, tool: str, arguments: dict[str, Any]) -> Any:
    """Call a tool in a fresh session; returns the result, or the MCPError the call raised."""
    from mcp import Client
    from mcp.shared.exceptions import MCPError

    async with Client(url, mode="legacy") as client:
        try:
            return await client.call_tool(tool, arguments)
        except MCPError as exc:
            return exc

"""tool-access: allow and deny lists of tool names; filters `tools/list` and refuses `tools/call`."""

from typing import Any

from guardmesh.config.models import Phase
from guardmesh.config.native import ToolAccessSettings
from guardmesh.guards.api import ALLOW, GuardContext, Verdict, deny, modify
from guardmesh.guards.native.globs import GlobSet
from guardmesh.protocol.jsonrpc import Kind, Message


class ToolAccessGuard:
    kind = "tool-access"
    # Calls are judged on the way in, listings on the way out.
    interests = {Phase.REQUEST: frozenset({"tools/call"}), Phase.RESPONSE: frozenset({"tools/list"})}

    def __init__(self, settings: ToolAccessSettings) -> None:
        self._allow = GlobSet(settings.allow)
        self._deny = GlobSet(settings.deny)

    def permits(self, tool: str) -> bool:
        return tool in self._allow and tool not in self._deny

    def check(self, message: Message, ctx: GuardContext) -> Verdict:
        if message.kind is Kind.REQUEST and message.method == "tools/call":
            if message.target is None or self.permits(message.target):
                return ALLOW
            return deny(f"tool {message.target!r} is not allowed")
        if message.kind is Kind.RESULT and message.method == "tools/list":
            tools = message.result.get("tools")
            if not isinstance(tools, list):
                return ALLOW
            kept = [t for t in tools if not isinstance(t, dict) or self.permits(str(t.get("name", "")))]
            if len(kept) == len(tools):
                return ALLOW
            removed = sorted(str(t.get("name")) for t in tools if t not in kept)
            return modify(_with_tools(message.body, kept), f"filtered tools not allowed: {', '.join(removed)}")
        return ALLOW


def _with_tools(body: dict[str, Any], tools: list[Any]) -> dict[str, Any]:
    return {**body, "result": {**body["result"], "tools": tools}}

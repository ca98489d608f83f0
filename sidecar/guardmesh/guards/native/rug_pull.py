"""rug-pull: pin each tool's definition on first sight and refuse a definition that changes later."""

import hashlib
import threading
from typing import Any

import orjson

from guardmesh.config.models import Phase
from guardmesh.config.native import RugPullSettings
from guardmesh.guards.api import ALLOW, GuardContext, Verdict, deny, modify
from guardmesh.protocol.jsonrpc import Kind, Message


def tool_digest(tool: dict[str, Any]) -> str:
    """sha256 of a tool's definition in canonical JSON (sorted keys), `_meta` left out as it is not shown."""
    canonical = {k: v for k, v in tool.items() if k != "_meta"}
    return hashlib.sha256(orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS)).hexdigest()


class PinStore:
    """Pins and last-seen digests per (server, tool), shared by every connection and config reload."""

    def __init__(self) -> None:
        self._pinned: dict[tuple[str, str], str] = {}
        self._seen: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def observe(self, server: str, tool: str, digest: str, configured: str | None) -> str:
        """Record a sighting; returns the pin it is compared with (the first sighting pins)."""
        key = (server, tool)
        with self._lock:
            self._seen[key] = digest
            pin = configured or self._pinned.setdefault(key, digest)
        return pin

    def drifted(self, server: str, tool: str, configured: str | None) -> bool:
        key = (server, tool)
        seen = self._seen.get(key)
        pin = configured or self._pinned.get(key)
        return seen is not None and pin is not None and seen != pin


class RugPullGuard:
    kind = "rug-pull"
    # Calls are judged on the way in, listings on the way out.
    interests = {Phase.REQUEST: frozenset({"tools/call"}), Phase.RESPONSE: frozenset({"tools/list"})}

    def __init__(self, settings: RugPullSettings, store: PinStore) -> None:
        self._pins = settings.pins
        self._filter = settings.on_change == "filter"
        self._store = store

    def check(self, message: Message, ctx: GuardContext) -> Verdict:
        if message.kind is Kind.REQUEST and message.method == "tools/call":
            tool = message.target
            if tool is not None and self._store.drifted(ctx.server_id, tool, self._pins.get(tool)):
                return deny(f"tool {tool!r} changed since it was pinned")
            return ALLOW
        if message.kind is Kind.RESULT and message.method == "tools/list":
            return self._check_list(message, ctx)
        return ALLOW

    def _check_list(self, message: Message, ctx: GuardContext) -> Verdict:
        tools = message.result.get("tools")
        if not isinstance(tools, list):
            return ALLOW
        changed: list[str] = []
        kept: list[Any] = []
        for tool in tools:
            if isinstance(tool, dict) and isinstance(name := tool.get("name"), str):
                digest = tool_digest(tool)
                if self._store.observe(ctx.server_id, name, digest, self._pins.get(name)) != digest:
                    changed.append(name)
                    continue
            kept.append(tool)
        if not changed:
            return ALLOW
        reason = f"tool definitions changed since pinned: {', '.join(sorted(changed))}"
        if not self._filter:
            return deny(reason)
        return modify({**message.body, "result": {**message.body["result"], "tools": kept}}, reason)

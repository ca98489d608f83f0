"""rug-pull: hold every tool to a pinned definition, and refuse one that changes.

Without a ToolBaseline for the server, each tool is pinned on first sight (or from the guard's `pins`),
in this sidecar's memory. With one (delivered in the bundle), the approved definitions are the pins of
every replica: a changed tool is filtered and its calls refused, with a summary of the fields that
changed; in `Enforcing` mode a tool outside the approved set (new, or renamed) is too.
"""

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from guardmesh.config.baseline import Baseline, BaselineMode
from guardmesh.config.models import Phase
from guardmesh.config.native import RugPullSettings
from guardmesh.config.tooldefs import body_digest, summary, tool_digest
from guardmesh.guards.api import ALLOW, GuardContext, Verdict, deny, modify
from guardmesh.protocol.jsonrpc import Kind, Message

__all__ = ["Observation", "PinStore", "RugPullGuard", "tool_digest"]

MAX_TOOLS_PER_SERVER = 2048
"""Definitions remembered per server for reporting; a server listing more is reported in part."""
_MAX_REASON = 1500


@dataclass(frozen=True, slots=True)
class Observation:
    """A tool definition as this sidecar last saw the server list it."""

    name: str
    sha256: str
    definition: Mapping[str, Any]


class PinStore:
    """Pins, last-seen definitions and not-yet-reported observations per (server, tool), shared by every
    connection and config reload."""

    def __init__(self) -> None:
        self._pinned: dict[tuple[str, str], str] = {}
        self._seen: dict[tuple[str, str], Observation] = {}
        self._unreported: dict[str, dict[str, Observation]] = {}
        self._lock = threading.Lock()

    def see(self, server: str, tool: Mapping[str, Any], name: str, digest: str) -> None:
        """Record a definition the server listed; a new or different one is queued for the next report."""
        key = (server, name)
        with self._lock:
            before = self._seen.get(key)
            if before is not None and before.sha256 == digest:
                return
            if before is None and sum(1 for s, _ in self._seen if s == server) >= MAX_TOOLS_PER_SERVER:
                return
            observation = Observation(name, digest, tool)
            self._seen[key] = observation
            self._unreported.setdefault(server, {})[name] = observation

    def seen(self, server: str, tool: str) -> Observation | None:
        return self._seen.get((server, tool))

    def pin(self, server: str, tool: str, digest: str) -> str:
        """The first-sight pin of a tool (this digest, if it is the first)."""
        with self._lock:
            return self._pinned.setdefault((server, tool), digest)

    def pinned(self, server: str, tool: str) -> str | None:
        return self._pinned.get((server, tool))

    def take_unreported(self, server: str) -> list[Observation]:
        """Observations not yet reported, oldest first; they count as reported once taken."""
        with self._lock:
            return list(self._unreported.pop(server, {}).values())

    def requeue(self, server: str, observations: list[Observation]) -> None:
        """A report failed: queue its observations again, unless a newer one of the same tool is queued."""
        with self._lock:
            queued = self._unreported.setdefault(server, {})
            for observation in observations:
                queued.setdefault(observation.name, observation)

    def all_seen(self, server: str) -> list[Observation]:
        with self._lock:
            return [o for (s, _), o in self._seen.items() if s == server]


class RugPullGuard:
    kind = "rug-pull"
    # Calls are judged on the way in, listings on the way out.
    interests = {Phase.REQUEST: frozenset({"tools/call"}), Phase.RESPONSE: frozenset({"tools/list"})}

    def __init__(
        self, settings: RugPullSettings, store: PinStore, baselines: Mapping[str, Baseline] | None = None
    ) -> None:
        self._pins = settings.pins
        self._filter = settings.on_change == "filter"
        self._store = store
        self._baselines = baselines or {}

    def check(self, message: Message, ctx: GuardContext) -> Verdict:
        if message.kind is Kind.REQUEST and message.method == "tools/call":
            tool = message.target
            if tool is None:
                return ALLOW
            problem = self._call_problem(ctx.server_id, tool, self._baselines.get(ctx.server_id))
            return ALLOW if problem is None else deny(problem)
        if message.kind is Kind.RESULT and message.method == "tools/list":
            return self._check_list(message, ctx)
        return ALLOW

    # --- calls ----------------------------------------------------------------------------------

    def _call_problem(self, server: str, tool: str, baseline: Baseline | None) -> str | None:
        seen = self._store.seen(server, tool)
        approved = baseline.tools.get(tool) if baseline is not None else None
        if approved is not None:
            if seen is not None:
                if seen.sha256 == approved.sha256:
                    return None
                return f"tool {tool!r} changed since it was approved: {summary(approved.definition, seen.definition)}"
            elsewhere = baseline.unapproved.get(tool) if baseline is not None else None
            if elsewhere is not None and elsewhere != approved.sha256:
                return (
                    f"tool {tool!r} changed since it was approved: a replica saw the server list a definition"
                    f" (sha256 {elsewhere[:12]}…) that is not the approved one"
                )
            return None
        if baseline is not None and baseline.mode is BaselineMode.ENFORCING:
            return f"tool {tool!r} is not approved: {self._unapproved_reason(baseline, seen)}"
        pin = self._pins.get(tool) or self._store.pinned(server, tool)
        if seen is not None and pin is not None and seen.sha256 != pin:
            return f"tool {tool!r} changed since it was pinned"
        return None

    # --- listings -------------------------------------------------------------------------------

    def _check_list(self, message: Message, ctx: GuardContext) -> Verdict:
        tools = message.result.get("tools")
        if not isinstance(tools, list):
            return ALLOW
        baseline = self._baselines.get(ctx.server_id)
        problems: list[str] = []
        kept: list[Any] = []
        for tool in tools:
            if isinstance(tool, dict) and isinstance(name := tool.get("name"), str):
                digest = tool_digest(tool)
                self._store.see(ctx.server_id, tool, name, digest)
                problem = self._list_problem(ctx.server_id, tool, name, digest, baseline)
                if problem is not None:
                    problems.append(problem)
                    continue
            kept.append(tool)
        if not problems:
            return ALLOW
        reason = _bounded("tool definitions refused: " + "; ".join(sorted(problems)))
        if not self._filter:
            return deny(reason)
        return modify({**message.body, "result": {**message.body["result"], "tools": kept}}, reason)

    def _list_problem(
        self, server: str, tool: Mapping[str, Any], name: str, digest: str, baseline: Baseline | None
    ) -> str | None:
        approved = baseline.tools.get(name) if baseline is not None else None
        if approved is not None:
            if approved.sha256 == digest:
                return None
            return f"{name} (changed since approval: {summary(approved.definition, tool)})"
        if baseline is not None and baseline.mode is BaselineMode.ENFORCING:
            seen = Observation(name, digest, tool)
            return f"{name} ({self._unapproved_reason(baseline, seen)})"
        pin = self._pins.get(name) or self._store.pin(server, name, digest)
        return None if pin == digest else f"{name} (changed since it was pinned)"

    @staticmethod
    def _unapproved_reason(baseline: Baseline, seen: Observation | None) -> str:
        if seen is None:
            return "not in the approved baseline"
        body = body_digest(seen.definition)
        for old, approved in sorted(baseline.tools.items()):
            if approved.body_sha256 == body:
                return f"renamed from {old!r}, definition otherwise unchanged; not approved under this name"
        return "new, not in the approved baseline"


def _bounded(text: str) -> str:
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"

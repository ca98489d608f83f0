"""A real MCP client (the Python SDK) through both sidecars: what it does, and what each guard made of it.

Each step names the guard decisions it expects. After a step, the new lines of that sidecar's audit
log (one per guard verdict that was not a plain allow) become the step's rows; a step whose expected
decisions did not all appear is a failure of the demo.
"""

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcp.client import Client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, TextContent

GUARD_DENIED = -32050


def verdict(entry: dict[str, Any]) -> tuple[str, str]:
    """(guard, decision) of an audit entry; a decision an Audit-mode guard only recorded reads `audit`."""
    return entry["guard"], entry["decision"] if entry.get("enforced", True) else "audit"


@dataclass
class Outcome:
    """One client step and what happened to it."""

    server: str
    message: str
    expected: set[tuple[str, str]]
    """(guard, decision) pairs that must show in the audit log for this step."""
    got: str = ""
    """What the client received: a summary of the result, or the JSON-RPC error."""
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    """The audit log entries this step produced."""

    @property
    def missing(self) -> set[tuple[str, str]]:
        """Expected decisions that did not happen; an expected deny also needs the client to have got the error."""
        missing = self.expected - {verdict(v) for v in self.verdicts}
        if any(d == "deny" for _, d in self.expected) and not self.got.startswith(f"error {GUARD_DENIED}:"):
            missing |= {(g, d) for g, d in self.expected if d == "deny"}
        return missing


class AuditTail:
    """New lines of one sidecar's audit log since the last read."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset = path, 0

    def read(self, expected: set[tuple[str, str]], patience: float) -> list[dict[str, Any]]:
        """Entries appended since the last call; waits up to `patience` s for the expected ones (written off the
        request path), and a moment for unexpected ones."""
        entries: list[dict[str, Any]] = []
        deadline = time.monotonic() + (patience if expected else 0.15)
        while True:
            if self.path.exists():
                with self.path.open("rb") as f:
                    f.seek(self.offset)
                    chunk = f.read()
                complete = chunk[: chunk.rfind(b"\n") + 1]
                self.offset += len(complete)
                entries += [json.loads(line) for line in complete.splitlines() if line.strip()]
            if expected <= {verdict(e) for e in entries} or time.monotonic() > deadline:
                return entries
            time.sleep(0.03)


def _text(result: CallToolResult) -> str:
    texts = [c.text for c in result.content if isinstance(c, TextContent)]
    return " ".join(texts)


class Driver:
    """Runs steps against one server's sidecar and records their outcomes."""

    def __init__(self, server: str, client: Client, audit: AuditTail, outcomes: list[Outcome]) -> None:
        self.server, self.client, self.audit, self.outcomes = server, client, audit, outcomes

    async def step(self, message: str, action: Callable[[], Awaitable[str]], *expected: tuple[str, str]) -> str:
        outcome = Outcome(self.server, message, set(expected))
        try:
            outcome.got = await action()
        except MCPError as exc:
            outcome.got = f"error {exc.error.code}: {exc.error.message}"
        outcome.verdicts = self.audit.read(outcome.expected, patience=2.0)
        self.outcomes.append(outcome)
        return outcome.got

    async def list_tools(self, label: str, *expected: tuple[str, str]) -> str:
        async def action() -> str:
            names = [t.name for t in (await self.client.list_tools()).tools]
            return f"{len(names)} tools: {', '.join(names)}" if len(names) <= 8 else f"{len(names)} tools"

        return await self.step(label, action, *expected)

    async def call(self, name: str, arguments: dict[str, Any], label: str, *expected: tuple[str, str]) -> str:
        async def action() -> str:
            return _text(await self.client.call_tool(name, arguments))[:300]

        return await self.step(label, action, *expected)


async def attack_everything(url: str, audit: Path, outcomes: list[Outcome]) -> None:
    """server-everything: an honest server; tool-access and rate-limit keep the agent within bounds."""
    async with Client(url, mode="legacy") as client:
        d = Driver("everything", client, AuditTail(audit), outcomes)
        await d.list_tools("tools/list", ("tool-access", "modify"))
        await d.call("echo", {"message": "hello"}, "tools/call echo")
        await d.call("get-env", {}, "tools/call get-env", ("tool-access", "deny"))
        await d.call("echo", {"message": "again"}, "tools/call echo (2nd)")
        await d.call("echo", {"message": "and again"}, "tools/call echo (3rd)")
        await d.call("echo", {"message": "once more"}, "tools/call echo (4th in 10 s)", ("rate-limit", "deny"))


async def attack_evil_weather(url: str, audit: Path, outcomes: list[Outcome]) -> None:
    """The malicious server: every attack it tries, and the guard that stops it."""
    async with Client(url, mode="legacy") as client:
        d = Driver("evil-weather", client, AuditTail(audit), outcomes)
        await d.list_tools(
            "tools/list (1st)",
            ("tool-poisoning", "modify"),
            ("server-spoofing", "modify"),
            ("wasm-pattern-guard", "modify"),
        )
        await d.call("add_numbers", {"a": 2, "b": 3}, "tools/call add_numbers (poisoned)", ("tool-poisoning", "deny"))
        await d.call(
            "create_issues", {"title": "x"}, "tools/call create_issues (imitates github)", ("server-spoofing", "deny")
        )
        await d.call("run_command", {"command": "id"}, "tools/call run_command", ("wasm-pattern-guard", "deny"))
        await d.call("get_forecast", {"city": "Paris"}, "tools/call get_forecast")
        await d.call(
            "get_forecast",
            {"city": "Paris; cat /etc/passwd"},
            "tools/call get_forecast (injection in argument)",
            ("tool-access", "audit"),
        )
        await d.call(
            "lookup_customer",
            {"name": "Jane"},
            "tools/call lookup_customer (leaks)",
            ("secrets", "modify"),
            ("pii", "modify"),
        )
        await d.call("get_news", {"city": "Paris"}, "tools/call get_news (injection)", ("prompt-injection", "deny"))
        await d.call(
            "best_weather",
            {"city": "Paris"},
            "tools/call best_weather (preference manipulation)",
            ("tool-poisoning", "deny"),
        )
        await d.call(
            "get_alerts",
            {"city": "Paris"},
            "tools/call get_alerts (message from the user)",
            ("prompt-injection", "deny"),
        )
        await d.list_tools("tools/list (2nd, get_forecast changed)", ("rug-pull", "modify"))
        await d.call(
            "get_forecast", {"city": "Paris"}, "tools/call get_forecast (after the change)", ("rug-pull", "deny")
        )

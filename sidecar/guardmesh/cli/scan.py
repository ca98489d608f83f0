"""`guardmesh scan`: connect to a live MCP server, list what it offers and run the scanning guards over it.

    guardmesh scan [--config FILE] [--json] [--timeout S] -- CMD ARGS...   # a stdio server
    guardmesh scan [--config FILE] [--json] [--timeout S] URL              # a Streamable HTTP server

Tools, prompts, resources and resource templates are listed (every page) and each definition is judged
on its own as the wire would carry it in a `*/list` result, so every finding names one item. Exit
status: 0 when nothing was found, 1 when something was, 2 when the server or the config is unusable.
"""

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson
from pydantic import ValidationError

from guardmesh.config import Bundle, BundleGuard, ConfigError, SecurityGuardSpec, load_bundle
from guardmesh.guards.api import Decision, GuardContext
from guardmesh.guards.registry import GuardBuildError, GuardResources, build_guard
from guardmesh.pipeline import Pipeline
from guardmesh.protocol.jsonrpc import Direction, classify

# What is listed, in order: (item type shown, list method, result key, key naming an item).
LISTINGS = (
    ("tool", "tools/list", "tools", "name"),
    ("prompt", "prompts/list", "prompts", "name"),
    ("resource", "resources/list", "resources", "uri"),
    ("resource-template", "resources/templates/list", "resourceTemplates", "uriTemplate"),
)

Definitions = dict[str, list[dict[str, Any]]]
"""Wire JSON of each listed item, by result key (`tools`, `prompts`, `resources`, `resourceTemplates`)."""


def _scanning_spec(kind: str, **settings: Any) -> SecurityGuardSpec | None:
    """Settings of a guard of `kind` judging listings, or None when the config has no such kind."""
    try:
        return SecurityGuardSpec.model_validate(
            {"type": "native", "native": {"kind": kind, **settings}, "runsOn": ["response"], "priority": 10}
        )
    except ValidationError:
        return None


# Rug-pull needs two sightings of a tool, so one scan has nothing for it. Server-spoofing is used only
# where this build has it: its settings are looked up here, at import, and its guard when building.
_DEFAULT_SPECS = {
    "tool-poisoning": _scanning_spec("tool-poisoning", action="filter"),
    "server-spoofing": _scanning_spec("server-spoofing"),
}


def scan_bundle(resources: GuardResources) -> Bundle:
    """The bundle scanned with when no file is given: every default guard this build can make."""
    guards = []
    for name, spec in _DEFAULT_SPECS.items():
        if spec is None:
            continue
        try:
            build_guard(spec, resources)
        except GuardBuildError:
            continue
        guards.append(BundleGuard(name=name, spec=spec))
    return Bundle(guards=tuple(guards))


@dataclass(frozen=True, slots=True)
class Finding:
    item_type: str
    name: str
    guard: str
    kind: str
    decision: str
    reason: str


@dataclass(slots=True)
class Report:
    target: str
    scanned: dict[str, list[str]]
    """Names of the items listed, by result key (`tools`, `prompts`, ...)."""
    findings: list[Finding]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="guardmesh scan",
        usage="guardmesh scan [--config FILE] [--json] [--timeout S] (-- CMD ARGS... | URL)",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    p.add_argument("--config", type=Path, help="bundle file (YAML or JSON); the built-in scanning guards when omitted")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to connect and list before giving up")
    p.add_argument("server", nargs="+", help="a Streamable HTTP URL, or after `--` the command of a stdio server")
    return p


async def judge(definitions: Definitions, pipeline: Pipeline, server_id: str) -> list[Finding]:
    """Run each definition, alone in its listing's result, through the pipeline; one finding per objection."""
    ctx = GuardContext(server_id)
    findings: list[Finding] = []
    number = 0
    for item_type, method, key, name_key in LISTINGS:
        for item in definitions.get(key, []):
            number += 1
            message = classify({"jsonrpc": "2.0", "id": number, "result": {key: [item]}}, Direction.TO_CLIENT)
            message.method = method
            outcome = await pipeline.run(message, ctx)
            name = str(item.get(name_key))
            findings.extend(
                # The item is alone in its listing: its path says nothing the name column does not.
                Finding(item_type, name, e.guard, e.kind, e.decision.value, e.reason.replace(f"result.{key}[0].", ""))
                for e in outcome.evaluations
                if e.decision is not Decision.ALLOW or e.failed
            )
    return findings


def scanned(definitions: Definitions) -> dict[str, list[str]]:
    return {key: [str(item.get(name_key)) for item in definitions.get(key, [])] for _, _, key, name_key in LISTINGS}


def render_json(report: Report) -> str:
    findings = [
        {"type": f.item_type, "name": f.name, "guard": f.guard, "kind": f.kind, "decision": f.decision,
         "reason": f.reason}
        for f in report.findings
    ]  # fmt: skip
    return orjson.dumps({"server": report.target, "scanned": report.scanned, "findings": findings}).decode() + "\n"


def render_table(report: Report) -> str:
    lines = [f"Scanned {report.target}"]
    for _, _, key, _ in LISTINGS:
        names = report.scanned.get(key, [])
        lines.append(f"  {key} ({len(names)}): {', '.join(names) if names else '-'}")
    lines.append("")
    if not report.findings:
        lines.append("No findings.")
        return "\n".join(lines) + "\n"
    rows = [("TYPE", "NAME", "GUARD", "REASON")] + [(f.item_type, f.name, f.guard, f.reason) for f in report.findings]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines.extend("  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[3]]) for row in rows)
    lines.append("")
    lines.append(f"{len(report.findings)} finding(s).")
    return "\n".join(lines) + "\n"


Lister = Callable[[list[str]], Coroutine[Any, Any, Definitions]]


async def list_definitions(server: list[str]) -> Definitions:
    """Connect with the MCP Python SDK and list every page of what the server offers, as wire JSON."""
    from mcp.client.stdio import StdioServerParameters

    target: StdioServerParameters | str
    if len(server) == 1 and server[0].startswith(("http://", "https://")):
        target = server[0]
    else:
        target = StdioServerParameters(command=server[0], args=server[1:])
    return await list_from(target)


async def list_from(target: Any) -> Definitions:
    """List everything a server offers; `target` is anything the SDK's `Client` connects to."""
    from mcp.client import Client

    definitions: Definitions = {}
    async with Client(target, mode="auto") as client:
        caps = client.server_capabilities
        pagers: list[tuple[str, object, Callable[[str | None], Awaitable[Any]]]] = [
            ("tools", caps.tools, lambda c: client.list_tools(cursor=c)),
            ("prompts", caps.prompts, lambda c: client.list_prompts(cursor=c)),
            ("resources", caps.resources, lambda c: client.list_resources(cursor=c)),
            ("resourceTemplates", caps.resources, lambda c: client.list_resource_templates(cursor=c)),
        ]
        for key, offered, page_of in pagers:
            if offered is None:
                continue
            items: list[dict[str, Any]] = []
            cursor: str | None = None
            seen: set[str] = set()
            while True:
                page = await page_of(cursor)
                result = page.model_dump(by_alias=True, exclude_none=True, mode="json")
                items.extend(result.get(key, []))
                cursor = page.next_cursor
                if cursor is None or cursor in seen:  # a repeated cursor would page forever
                    break
                seen.add(cursor)
            definitions[key] = items
    return definitions


async def _within(seconds: float, listing: Coroutine[Any, Any, Definitions]) -> Definitions:
    async with asyncio.timeout(seconds):
        return await listing


def _leaf(exc: BaseException) -> BaseException:
    """The first real error inside the exception groups a task group raises."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _describe(exc: BaseException, timeout: float) -> str:
    leaf = _leaf(exc)
    if isinstance(leaf, TimeoutError):
        return f"no answer within {timeout:g} s (see --timeout)"
    text = str(leaf).strip()
    return f"{type(leaf).__name__}: {text}" if text else type(leaf).__name__


def main(argv: Sequence[str], out: IO[str] | None = None, lister: Lister | None = None) -> int:
    out = sys.stdout if out is None else out
    args = parser().parse_args(argv)
    server: list[str] = args.server
    target = server[0] if len(server) == 1 else " ".join(server)
    try:
        resources = GuardResources()
        bundle = scan_bundle(resources) if args.config is None else load_bundle(args.config)
        pipeline = Pipeline.from_bundle(bundle, resources, "scan")
    except (ConfigError, GuardBuildError) as exc:
        print(f"guardmesh scan: {exc}", file=sys.stderr)
        return 2
    if lister is None:
        try:
            import mcp.client  # noqa: F401  -- only to say clearly that the SDK is missing
        except ImportError:
            print("guardmesh scan: needs the MCP Python SDK; install it with `pip install mcp`", file=sys.stderr)
            return 2
        lister = list_definitions
    try:
        definitions = asyncio.run(_within(args.timeout, lister(server)))
    except Exception as exc:  # any failure to reach or list the server is a clear message, not a traceback
        print(f"guardmesh scan: cannot scan {target}: {_describe(exc, args.timeout)}", file=sys.stderr)
        return 2
    findings = asyncio.run(judge(definitions, pipeline, pipeline.server_id))
    report = Report(target, scanned(definitions), findings)
    out.write(render_json(report) if args.json else render_table(report))
    return 1 if findings else 0

"""ToolBaselines, pure: what sidecars reported, what awaits approval, and the baseline every replica enforces.

A ToolBaseline is named after its workload; its server id is `NAMESPACE/NAME`, the `--server-id` the
injector gives the workload's sidecars. The spec holds the approved definitions; the status holds what
the sidecars reported (`observed`) and the difference (`changes`), each change with the merge patch that
approves it.
"""

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from guardmesh.config.baseline import Baseline, BaselineMode, BaselineTool, ToolBaselineSpec
from guardmesh.config.tooldefs import body_digest, canonical, summary, tool_digest
from guardmesh_operator.api import BaselineStatus, ObservedTool, ToolChange
from guardmesh_operator.status import condition
from guardmesh_operator.validation import Invalid, pydantic_problems

MAX_DEFINITION_BYTES = 32 * 1024
"""A reported definition larger than this is recorded by its hash only (status objects are bounded by etcd)."""
MAX_OBSERVED = 512
"""Observed definitions kept per ToolBaseline; past this the oldest that are neither latest nor approved go."""
MAX_REPORT_TOOLS = 2048


class BadReport(ValueError):
    """A sidecar's report that cannot be used; the message says why."""


@dataclass(frozen=True)
class Report:
    """Tool definitions one sidecar saw its server list."""

    server: str
    """`NAMESPACE/WORKLOAD`."""
    tools: tuple[tuple[str, dict[str, Any]], ...]
    """(name, definition) pairs."""

    @property
    def namespace(self) -> str:
        return self.server.split("/", 1)[0]

    @property
    def workload(self) -> str:
        return self.server.split("/", 1)[1]


def parse_report(data: Any) -> Report:
    """A report body: `{"server": "NS/WORKLOAD", "tools": [{"name": ..., ...definition}]}`."""
    if not isinstance(data, dict):
        raise BadReport("a report is a JSON object")
    server = data.get("server")
    if not isinstance(server, str) or server.count("/") != 1 or not all(server.split("/")):
        raise BadReport("server: expected NAMESPACE/WORKLOAD")
    tools = data.get("tools")
    if not isinstance(tools, list) or len(tools) > MAX_REPORT_TOOLS:
        raise BadReport(f"tools: expected a list of at most {MAX_REPORT_TOOLS} tool definitions")
    out = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str) or not tool["name"]:
            raise BadReport(f"tools[{i}]: expected a tool definition with a name")
        out.append((tool["name"], tool))
    return Report(server, tuple(out))


def parse_baseline(spec: Mapping[str, Any]) -> ToolBaselineSpec:
    """The typed spec, or Invalid naming every bad field; an approved definition must match its hash."""
    try:
        parsed = ToolBaselineSpec.model_validate(dict(spec))
    except ValidationError as exc:
        raise Invalid(pydantic_problems(exc)) from None
    problems = [
        f"spec.tools.{name}.definition: its sha256 is {tool_digest(tool.definition)}, not the approved"
        f" {tool.sha256}; leave the definition out or correct it"
        for name, tool in parsed.tools.items()
        if tool.definition is not None and tool_digest(tool.definition) != tool.sha256
    ]
    if problems:
        raise Invalid(problems)
    return parsed


def now() -> str:
    """RFC 3339 with microseconds, so reports in one second keep their order."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _observed(status: Mapping[str, Any] | None) -> list[ObservedTool]:
    out = []
    for item in (status or {}).get("observed") or []:
        try:
            out.append(ObservedTool.model_validate(item))
        except ValidationError:
            continue  # written by an older operator, or by hand: not worth failing the whole status over
    return out


def latest(observed: Iterable[ObservedTool]) -> dict[str, ObservedTool]:
    """Each tool's most recently reported definition."""
    out: dict[str, ObservedTool] = {}
    for tool in observed:
        if tool.name not in out or tool.last_seen > out[tool.name].last_seen:
            out[tool.name] = tool
    return out


def merge_report(
    status: Mapping[str, Any] | None, report: Report, pod: str, spec: ToolBaselineSpec | None, when: str
) -> list[ObservedTool]:
    """The status's observed definitions with a report folded in; bounded, approved definitions kept."""
    by_key = {(t.name, t.sha256): t for t in _observed(status)}
    for name, definition in report.tools:
        digest = tool_digest(definition)
        small = len(canonical(definition)) <= MAX_DEFINITION_BYTES
        before = by_key.get((name, digest))
        by_key[(name, digest)] = ObservedTool(
            name=name,
            sha256=digest,
            definition=definition if small else None,
            first_seen=before.first_seen if before else when,
            last_seen=when,
            reported_by=pod,
        )
    approved = {(n, t.sha256) for n, t in (spec.tools.items() if spec else ())}
    newest = {(t.name, t.sha256) for t in latest(by_key.values()).values()}
    keep = sorted(by_key.values(), key=lambda t: ((t.name, t.sha256) in newest | approved, t.last_seen), reverse=True)
    return sorted(keep[:MAX_OBSERVED], key=lambda t: (t.name, t.last_seen))


def _definitions(observed: Iterable[ObservedTool]) -> dict[str, dict[str, Any]]:
    return {t.sha256: t.definition for t in observed if t.definition is not None}


def changes(spec: ToolBaselineSpec, observed: Sequence[ObservedTool]) -> list[ToolChange]:
    """The latest observed definitions that are not approved, each with the patch that approves it."""
    known = _definitions(observed)
    bodies: dict[str, str] = {}
    for tool_name, approval in spec.tools.items():
        definition = approval.definition or known.get(approval.sha256)
        if definition is not None:
            bodies.setdefault(body_digest(definition), tool_name)
    out = []
    for tool in sorted(latest(observed).values(), key=lambda t: t.name):
        approved = spec.tools.get(tool.name)
        if approved is not None and approved.sha256 == tool.sha256:
            continue
        patch = _patch({tool.name: {"sha256": tool.sha256}})
        if approved is not None:
            old = approved.definition or known.get(approved.sha256)
            text = summary(old, tool.definition) if tool.definition is not None else "definition too large to show"
            out.append(
                ToolChange(
                    tool=tool.name,
                    change="Changed",
                    sha256=tool.sha256,
                    approved_sha256=approved.sha256,
                    summary=text,
                    approve=patch,
                )
            )
            continue
        source = bodies.get(body_digest(tool.definition)) if tool.definition is not None else None
        if source is not None:
            text = f"renamed from {source!r}; definition otherwise unchanged"
            out.append(
                ToolChange(
                    tool=tool.name,
                    change="Renamed",
                    sha256=tool.sha256,
                    renamed_from=source,
                    summary=text,
                    approve=patch,
                )
            )
            continue
        out.append(
            ToolChange(
                tool=tool.name, change="New", sha256=tool.sha256, summary="not in the approved set", approve=patch
            )
        )
    return out


def _patch(tools: Mapping[str, Any]) -> str:
    return json.dumps({"spec": {"tools": dict(tools)}}, separators=(",", ":"), sort_keys=True)


def baseline_status(
    previous: Mapping[str, Any] | None,
    generation: int,
    spec: ToolBaselineSpec | None,
    problem: str | None,
    bundle_hash: str,
) -> BaselineStatus:
    """The whole status from the spec and the observed definitions already in the status."""
    previous = previous or {}
    conditions_before = list(previous.get("conditions") or [])
    observed = _observed(previous)
    if spec is None:
        accepted = condition(conditions_before, "Accepted", "False", "InvalidSpec", problem or "", generation)
        ready = condition(conditions_before, "Ready", "False", "InvalidSpec", "not in the bundle", generation)
        return BaselineStatus(
            observed_generation=generation,
            conditions=(accepted, ready),
            message=problem or "",
            observed=tuple(observed),
            last_report=str(previous.get("lastReport") or ""),
        )
    pending = changes(spec, observed)
    accepted = condition(conditions_before, "Accepted", "True", "Valid", "the spec is valid", generation)
    text = (
        f"{spec.mode}: {len(spec.tools)} approved, {len(latest(observed))} observed, {len(pending)} pending"
        + (": " + ", ".join(f"{c.tool} {c.change}" for c in pending[:5]) if pending else "")
        + (", …" if len(pending) > 5 else "")
    )
    ready = condition(
        conditions_before, "Ready", "True", spec.mode.value, f"in bundle {bundle_hash}; {text}", generation
    )
    approve_all = _patch({c.tool: {"sha256": c.sha256} for c in pending}) if pending else ""
    return BaselineStatus(
        observed_generation=generation,
        conditions=(accepted, ready),
        message=text,
        approved_tools=len(spec.tools),
        observed_tools=len(latest(observed)),
        pending_changes=len(pending),
        changes=tuple(pending),
        approve_all=approve_all,
        observed=tuple(observed),
        last_report=str(previous.get("lastReport") or ""),
    )


def bundle_baseline(spec: ToolBaselineSpec, status: Mapping[str, Any] | None) -> Baseline:
    """What the workload's sidecars enforce: approved hashes with their definitions (from the spec, else
    as reported), and the tools whose latest reported definition is not the approved one."""
    observed = _observed(status)
    known = _definitions(observed)
    tools = {}
    for tool_name, approval in spec.tools.items():
        definition = approval.definition or known.get(approval.sha256)
        tools[tool_name] = BaselineTool(
            sha256=approval.sha256,
            body_sha256=body_digest(definition) if definition is not None else None,
            definition=definition,
        )
    unapproved = {
        t.name: t.sha256
        for t in latest(observed).values()
        if t.name in spec.tools and spec.tools[t.name].sha256 != t.sha256
    }
    return Baseline(mode=spec.mode, tools=tools, unapproved=unapproved)


def server_id(namespace: str, name: str) -> str:
    return f"{namespace}/{name}"


__all__ = [
    "BadReport",
    "BaselineMode",
    "Report",
    "baseline_status",
    "bundle_baseline",
    "changes",
    "merge_report",
    "parse_baseline",
    "parse_report",
    "server_id",
    "stamp",
]


def stamp(old: Mapping[str, Any] | None, new: Mapping[str, Any], user: str, when: str) -> dict[str, Any]:
    """The spec with each newly approved tool (new name, or new sha256) stamped with who approved it and
    when; a tool whose approval did not change keeps its earlier stamp, whatever the request wrote."""
    before = (old or {}).get("tools") or {}
    spec = dict(new)
    tools = {}
    for name, entry in (new.get("tools") or {}).items():
        if not isinstance(entry, dict):
            tools[name] = entry  # the schema refuses it; nothing to stamp
            continue
        prior = before.get(name)
        if isinstance(prior, dict) and prior.get("sha256") == entry.get("sha256"):
            kept = {k: prior[k] for k in ("approvedBy", "approvedAt") if k in prior}
            tools[name] = {k: v for k, v in entry.items() if k not in ("approvedBy", "approvedAt")} | kept
        else:
            tools[name] = {**entry, "approvedBy": user, "approvedAt": when}
    if "tools" in new:
        spec["tools"] = tools
    return spec

"""Approved tool definitions of an MCP server: the ToolBaseline spec, and the part of it every sidecar enforces.

A ToolBaseline is named after the workload it covers (the `guardmesh.dev/workload` label of its pods).
Its spec is the truth a reviewer approves, keyed by tool name so one `kubectl patch --type=merge` adds or
removes a tool; the operator compiles it, with the definitions sidecars reported, into the namespace
bundle, so every replica enforces the same set from the moment it starts.
"""

from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator

from guardmesh.config.base import Spec

SHA256 = r"^[0-9a-f]{64}$"
MAX_TOOL_NAME = 128


class BaselineMode(StrEnum):
    """What the sidecars of the workload do with tools outside the approved set."""

    LEARNING = "Learning"
    """Report every definition they see; approved tools must match, other tools pass (pinned on first sight)."""
    ENFORCING = "Enforcing"
    """Only approved definitions are listed and callable; anything else is filtered and refused."""


class ApprovedTool(Spec):
    """One approved tool definition."""

    sha256: str = Field(pattern=SHA256)
    """sha256 of the tool's canonical definition (compact JSON, sorted keys, `_meta` left out)."""
    definition: dict[str, Any] | None = None
    """The approved definition itself, optional: without it the operator uses the one a sidecar reported
    with this hash (kept in the status), for rename detection and field-level change summaries."""
    approved_by: str = Field(default="", max_length=512)
    """Who approved it: the user the API server authenticated, stamped by GuardMesh's admission webhook."""
    approved_at: str = Field(default="", max_length=64)
    """When it was approved (RFC 3339), stamped with `approvedBy`."""


class ToolBaselineSpec(Spec):
    """The approved tool definitions of one MCP server workload: the spec of a ToolBaseline resource."""

    mode: BaselineMode = BaselineMode.LEARNING
    """`Learning` records what the sidecars see; `Enforcing` lets through only the approved tools."""
    tools: dict[str, ApprovedTool] = Field(default_factory=dict)
    """Approved definitions by tool name. Approve with
    `kubectl patch toolbaseline NAME --type=merge -p '{"spec":{"tools":{"TOOL":{"sha256":"…"}}}}'`
    (each pending change in the status carries its patch); `null` instead of the object removes a tool."""

    @field_validator("tools")
    @classmethod
    def _tool_names(cls, tools: dict[str, ApprovedTool]) -> dict[str, ApprovedTool]:
        for name in tools:
            if not 0 < len(name) <= MAX_TOOL_NAME or not name.isprintable() or any(ch.isspace() for ch in name):
                raise ValueError(f"tool name {name[:40]!r}: 1-{MAX_TOOL_NAME} printable characters, no spaces")
        return tools


class BaselineTool(Spec):
    """An approved tool as the sidecar enforces it."""

    sha256: str = Field(pattern=SHA256)
    """The approved canonical digest."""
    body_sha256: str | None = Field(default=None, pattern=SHA256)
    """Digest of the approved definition without its name, to recognise a renamed tool."""
    definition: dict[str, Any] | None = None
    """The approved definition, to say which fields a changed tool changed."""


class Baseline(Spec):
    """One server's baseline in the bundle: the approved set, and what replicas saw that is not approved."""

    mode: BaselineMode = BaselineMode.LEARNING
    tools: dict[str, BaselineTool] = Field(default_factory=dict)
    """Approved tools by name."""
    unapproved: dict[str, str] = Field(default_factory=dict)
    """Tool name -> sha256 of a definition some replica saw the server list that is not the approved one, so
    a replica refuses calls of a changed tool even before it lists the tools itself."""


class Reporting(Spec):
    """Where sidecars report the tool definitions they see: the operator's observation endpoint."""

    url: str = Field(pattern=r"^https://.+")
    """HTTPS URL of the endpoint, e.g. `https://guardmesh-webhook.guardmesh-system.svc:443/observe`."""
    ca_bundle: str = ""
    """PEM certificates the endpoint's certificate must chain to; empty for the system's trust store."""

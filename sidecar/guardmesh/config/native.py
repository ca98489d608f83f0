"""Typed settings of each native guard kind, told apart by `kind`."""

from typing import Annotated, Literal

from pydantic import Field

from guardmesh.config.base import Spec


class ToolAccessSettings(Spec):
    """Allow or deny tools by name with shell-style globs (`fs_*`, `*delete*`)."""

    kind: Literal["tool-access"] = "tool-access"
    allow: tuple[str, ...] = ("*",)
    """Globs of tool names that may be listed and called; a tool matching none is filtered and denied."""
    deny: tuple[str, ...] = ()
    """Globs of tool names that are always filtered out of `tools/list` and denied in `tools/call`."""


class RugPullSettings(Spec):
    """Pin every tool's definition on first sight (or from `pins`) and catch later changes."""

    kind: Literal["rug-pull"] = "rug-pull"
    pins: dict[str, str] = Field(default_factory=dict)
    """Known-good sha256 of a tool's canonical definition, by tool name; tools not listed are pinned on first sight."""
    on_change: Literal["filter", "deny"] = "filter"
    """What to do with a changed tool in a `tools/list` result: drop it from the list, or deny the whole result."""


NativeSettings = Annotated[ToolAccessSettings | RugPullSettings, Field(discriminator="kind")]
"""The settings of one native guard; `kind` says which."""

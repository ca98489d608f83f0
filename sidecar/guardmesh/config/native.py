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


MinSeverity = Literal["low", "medium", "high", "critical"]
"""Severity of a detection rule, lowest first."""
PiiKind = Literal["email", "phone", "card", "iban", "bank-account", "ssn", "national-id", "date-of-birth", "ip"]
"""A kind of personal data the engine recognises (`ip` covers IPv4 and IPv6 addresses)."""
PiiAction = Literal["allow", "audit", "redact", "deny"]
"""What the pii guard does with one kind: ignore it, record it, replace it, or refuse the message."""


class ToolPoisoningSettings(Spec):
    """Find hidden instructions in tool, prompt and resource definitions and keep them from the model."""

    kind: Literal["tool-poisoning"] = "tool-poisoning"
    action: Literal["filter", "deny"] = "filter"
    """`filter` drops poisoned tools, prompts and resources from their listing and keeps the rest; `deny`
    refuses the whole listing. Either way, later calls of a poisoned tool or prompt are denied."""
    min_severity: MinSeverity = "medium"
    """Findings of rules below this severity are ignored."""
    ignore_rules: tuple[str, ...] = ()
    """Rule ids never acted upon, e.g. `tp.tag.bracketed` (hidden-character signals are `tp.hidden.*`)."""


class PromptInjectionSettings(Spec):
    """Find instructions aimed at the model in tool results, resource contents and prompt messages."""

    kind: Literal["prompt-injection"] = "prompt-injection"
    action: Literal["deny", "redact"] = "deny"
    """`deny` refuses the result; `redact` replaces the offending text with `[removed by GuardMesh]`."""
    min_severity: MinSeverity = "medium"
    """Findings of rules below this severity are ignored."""
    ignore_rules: tuple[str, ...] = ()
    """Rule ids never acted upon, e.g. `pi.jailbreak.hypothetical`."""


class SecretsSettings(Spec):
    """Find keys, tokens and credentials in tool-call arguments and in results."""

    kind: Literal["secrets"] = "secrets"
    action: Literal["deny", "redact"] = "redact"
    """`redact` replaces each secret with `[removed by GuardMesh]`; `deny` refuses the message."""
    ignore_rules: tuple[str, ...] = ()
    """Rule ids never acted upon, e.g. `sec.generic.credential-json`."""


def _default_pii_actions() -> dict[PiiKind, PiiAction]:
    return {"card": "redact", "ssn": "redact", "email": "audit", "phone": "audit", "iban": "audit", "ip": "audit"}


class PiiSettings(Spec):
    """Find personal data in tool-call arguments and in results, and act on it kind by kind."""

    kind: Literal["pii"] = "pii"
    actions: dict[PiiKind, PiiAction] = Field(default_factory=_default_pii_actions)
    """What to do with each kind of personal data; a kind not listed is ignored. `audit` lets the message
    through and records it."""
    ignore_rules: tuple[str, ...] = ()
    """Rule ids never acted upon, e.g. `pii.date-of-birth`."""


NativeSettings = Annotated[
    ToolAccessSettings
    | RugPullSettings
    | ToolPoisoningSettings
    | PromptInjectionSettings
    | SecretsSettings
    | PiiSettings,
    Field(discriminator="kind"),
]
"""The settings of one native guard; `kind` says which."""

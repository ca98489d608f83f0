"""Typed settings of each native guard kind, told apart by `kind`."""

from typing import Annotated, Any, Literal

from pydantic import Field

from guardmesh.config.base import Spec


class ToolAccessSettings(Spec):
    """Allow or deny tools by name, resources by URI and prompts by name with shell-style globs (`fs_*`,
    `*delete*`), validate tool-call arguments against JSON Schemas and refuse dangerous-looking arguments."""

    class Globs(Spec):
        """Allow and deny globs for one kind of thing (resource URIs or prompt names)."""

        allow: tuple[str, ...] = ("*",)
        """Globs that may be listed and used; anything matching none is filtered and denied."""
        deny: tuple[str, ...] = ()
        """Globs always filtered out of listings and denied when used."""

    kind: Literal["tool-access"] = "tool-access"
    allow: tuple[str, ...] = ("*",)
    """Globs of tool names that may be listed and called; a tool matching none is filtered and denied."""
    deny: tuple[str, ...] = ()
    """Globs of tool names that are always filtered out of `tools/list` and denied in `tools/call`."""
    resources: Globs = Field(default_factory=Globs)
    """Globs of resource URIs: filter `resources/list` (by `uri`) and `resources/templates/list` (by
    `uriTemplate`), and deny `resources/read` and `resources/subscribe`. By default everything is allowed."""
    prompts: Globs = Field(default_factory=Globs)
    """Globs of prompt names: filter `prompts/list` and deny `prompts/get`. By default everything is allowed."""
    validate_arguments: bool = True
    """Deny a `tools/call` whose arguments do not match the tool's own `inputSchema`, as last listed by
    this server in `tools/list`; the reason names the failing JSON path, never the value."""
    argument_schemas: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """JSON Schemas for tool-call arguments by tool-name glob, checked in addition to the tool's own
    `inputSchema` (and even when `validateArguments` is off); every matching glob's schema applies."""
    argument_checks: tuple[Literal["pathTraversal", "shell", "sql"], ...] = ("pathTraversal", "shell", "sql")
    """Patterns looked for in every string of tool-call arguments: path traversal (`../`, encoded forms,
    `/etc`, `~/.ssh`...), shell injection (`;`, `&&`, `|`, backticks, `$(...)` before a command) and SQL
    injection (`' OR 1=1`, `UNION SELECT`, `; DROP TABLE`, comment tricks). An empty list turns them off."""


class RugPullSettings(Spec):
    """Pin every tool's definition on first sight (or from `pins`) and catch later changes."""

    kind: Literal["rug-pull"] = "rug-pull"
    pins: dict[str, str] = Field(default_factory=dict)
    """Known-good sha256 of a tool's canonical definition, by tool name; tools not listed are pinned on first sight."""
    on_change: Literal["filter", "deny"] = "filter"
    """What to do with a changed tool in a `tools/list` result: drop it from the list, or deny the whole result."""


MinSeverity = Literal["low", "medium", "high", "critical"]
"""Severity of a detection rule, lowest first."""
Sensitivity = Literal["low", "medium", "high"]
"""A content guard's operating point: `high` catches more and flags more benign text."""
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
    """Rule ids never acted upon, e.g. `tp.tag.bracketed` (hidden-character signals are `tp.hidden.*`);
    contextual checks are `ctx.*` ids and can be ignored the same way."""
    sensitivity: Sensitivity = "medium"
    """How much evidence flags a definition: the contextual layer's and the learned tier's operating
    points, documented with their measured recall and false-positive rate in docs/quality-results.md."""
    contextual: bool = True
    """Judge each listing as a whole and against the pod's other servers (`trustedServers` and tools
    seen from other servers): foreign tools steered, orders to the model, self-promotion, imitations,
    parameters asking for secrets or the conversation, concealment."""
    learned: bool = False
    """Score definitions with the learned tier (a static embedding distilled from a packaged sentence
    transformer and a trained head; needs the `learned` extra and the model of hack/detect/model.sh).
    Each definition is scored once per content hash."""


class PromptInjectionSettings(Spec):
    """Find instructions aimed at the model in tool results, resource contents and prompt messages."""

    kind: Literal["prompt-injection"] = "prompt-injection"
    action: Literal["deny", "redact"] = "deny"
    """`deny` refuses the result; `redact` replaces the offending text with `[removed by GuardMesh]`."""
    min_severity: MinSeverity = "medium"
    """Findings of rules below this severity are ignored."""
    ignore_rules: tuple[str, ...] = ()
    """Rule ids never acted upon, e.g. `pi.jailbreak.hypothetical`."""
    sensitivity: Sensitivity = "medium"
    """The learned tier's operating point (low, medium, high), documented with its measured recall and
    false-positive rate in docs/quality-results.md; a low-severity rule finding lowers the bar one step."""
    learned: bool = False
    """Score results with the learned tier after the rules (see tool-poisoning's `learned`)."""


class SecretsSettings(Spec):
    """Find keys, tokens and credentials in tool-call arguments and in results."""

    kind: Literal["secrets"] = "secrets"
    action: Literal["deny", "redact"] = "redact"
    """`redact` replaces each secret with `[removed by GuardMesh]`; `deny` refuses the message."""
    ignore_rules: tuple[str, ...] = ()
    """Rule ids never acted upon, e.g. `sec.generic.credential-json`."""


def _default_pii_actions() -> dict[PiiKind, PiiAction]:
    """Payment cards and national identity numbers redacted, the rest recorded (as in the default bundle)."""
    redacted: dict[PiiKind, PiiAction] = {"card": "redact", "ssn": "redact", "national-id": "redact"}
    audited: dict[PiiKind, PiiAction] = {
        kind: "audit" for kind in ("iban", "bank-account", "email", "phone", "date-of-birth", "ip")
    }
    return redacted | audited


class PiiSettings(Spec):
    """Find personal data in tool-call arguments and in results, and act on it kind by kind."""

    kind: Literal["pii"] = "pii"
    actions: dict[PiiKind, PiiAction] = Field(default_factory=_default_pii_actions)
    """What to do with each kind of personal data; a kind not listed is ignored. `audit` lets the message
    through and records it."""
    ignore_rules: tuple[str, ...] = ()
    """Rule ids never acted upon, e.g. `pii.date-of-birth`."""


class TrustedTools(Spec):
    """Another MCP server and the tools it declares; the same shape as a bundle's `trustedServers` item."""

    name: str = Field(min_length=1)
    """The server's identity; a protected server of this name is that server, and is not checked."""
    tools: tuple[str, ...] = ()
    """Names of the tools the server declares."""


class ServerSpoofingSettings(Spec):
    """Find tools that collide with or imitate the tools of trusted servers, or try to redirect their calls."""

    kind: Literal["server-spoofing"] = "server-spoofing"
    trusted_servers: tuple[TrustedTools, ...] = ()
    """Other servers and their declared tools, whose names the protected server must not imitate."""
    action: Literal["filter", "deny"] = "filter"
    """`filter` drops imitating tools from `tools/list` and keeps the rest; `deny` refuses the whole listing.
    Either way, later calls of a flagged tool are denied."""
    max_edit_distance: int = Field(default=1, ge=0, le=3)
    """Largest Damerau-Levenshtein distance (after case, separator and look-alike folding) still counted as
    an imitation; 0 turns the edit-distance check off."""
    min_length_for_edit_distance: int = Field(default=5, ge=1)
    """Names shorter than this (after folding) are only compared exactly: short names are too close by chance."""
    check_descriptions: bool = True
    """Flag descriptions that mention a trusted tool or server together with redirecting words
    (`instead of`, `replaces`, `do not use`...)."""


class Rate(Spec):
    """A token bucket: it holds up to `burst` calls and refills at `ratePerSecond`."""

    rate_per_second: float = Field(gt=0)
    """Calls added back to the bucket each second."""
    burst: int = Field(ge=1)
    """Most calls allowed at once, and the bucket's size when it is first used."""


class RateLimitSettings(Spec):
    """Token buckets per tool, per client identity and per server; a call that finds a bucket empty is denied."""

    kind: Literal["rate-limit"] = "rate-limit"
    per_tool: dict[str, Rate] = Field(default_factory=dict)
    """Limits by shell-style glob of tool names; each tool has its own bucket, sized by the first glob
    (in the order written) that matches it. Tools matching no glob have no per-tool limit."""
    per_client: Rate | None = None
    """One bucket per client identity; clients without an identity share one bucket."""
    per_server: Rate | None = None
    """One bucket for the whole protected server."""
    all_requests: bool = False
    """Count every request against the per-client and per-server buckets, not only `tools/call`."""
    max_buckets: int = Field(default=10_000, ge=1)
    """Buckets remembered at once; the least recently used is forgotten first (and starts full again)."""


NativeSettings = Annotated[
    ToolAccessSettings
    | RugPullSettings
    | ToolPoisoningSettings
    | PromptInjectionSettings
    | SecretsSettings
    | PiiSettings
    | ServerSpoofingSettings
    | RateLimitSettings,
    Field(discriminator="kind"),
]
"""The settings of one native guard; `kind` says which."""

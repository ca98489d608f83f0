"""SecurityGuard and Policy specs, and the compiled bundle that the sidecar loads."""

from collections.abc import Mapping
from enum import StrEnum
from typing import Final, Literal, Self

from pydantic import Field, model_validator

from guardmesh.config.base import Spec
from guardmesh.config.baseline import Baseline, Reporting
from guardmesh.config.identity import Authentication, Authorization
from guardmesh.config.native import NativeSettings

API_VERSION: Final = "guardmesh.dev/v1alpha1"


class Phase(StrEnum):
    """Where in an MCP exchange a guard runs."""

    REQUEST = "request"
    """Requests from the client to the server (`tools/call`, `resources/read`, ...)."""
    RESPONSE = "response"
    """Results and errors answering a request, in either direction."""
    NOTIFICATION = "notification"
    """Notifications in either direction (`notifications/tools/list_changed`, progress, ...)."""
    SERVER_REQUEST = "server-request"
    """Requests from the server to the client: sampling, elicitation, roots, and embedded input requests."""


class FailureMode(StrEnum):
    """What a guard's error or timeout means for the message."""

    FAIL_CLOSED = "FailClosed"
    FAIL_OPEN = "FailOpen"


class EnforcementAction(StrEnum):
    """Whether a guard's deny and modify verdicts are applied or only logged and counted."""

    ENFORCE = "Enforce"
    AUDIT = "Audit"


class GuardType(StrEnum):
    NATIVE = "native"
    WASM = "wasm"


class WasmLimits(Spec):
    """Resource limits of one WebAssembly guard instance."""

    memory_mib: int = Field(default=64, ge=1, le=4096)
    """Largest linear memory an instance may grow to, in MiB."""


class WasmGuardSpec(Spec):
    """A guard compiled to a WebAssembly component."""

    url: str = Field(pattern=r"^(oci|https|file)://.+")
    """Where the component comes from: `oci://`, `https://` or `file://`."""
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    """Digest the module must have; required for remote sources."""
    config: dict[str, object] = Field(default_factory=dict)
    """Free-form settings the guest reads through `get-config`."""
    limits: WasmLimits = WasmLimits()
    """Memory limit of each instance."""

    @model_validator(mode="after")
    def _remote_sources_are_pinned(self) -> Self:
        if not self.url.startswith("file://") and self.sha256 is None:
            raise ValueError("sha256 is required for oci:// and https:// sources")
        return self


NativeGuardSpec = NativeSettings


class SecurityGuardSpec(Spec):
    """One guard and its settings: the spec of a SecurityGuard resource."""

    type: GuardType
    """`native` for a built-in guard, `wasm` for a WebAssembly component."""
    native: NativeGuardSpec | None = None
    """Settings of a native guard; `native.kind` names it."""
    wasm: WasmGuardSpec | None = None
    """Source and settings of a WebAssembly guard."""
    runs_on: tuple[Phase, ...] = (Phase.REQUEST, Phase.RESPONSE)
    """Phases the guard inspects."""
    priority: int = Field(default=100, ge=0, le=10_000)
    """Lower runs first."""
    failure_mode: FailureMode = FailureMode.FAIL_CLOSED
    """Whether an error or timeout in the guard blocks the message (FailClosed) or lets it through (FailOpen)."""
    timeout_ms: int = Field(default=100, ge=1, le=60_000)
    """Longest a single evaluation may take."""
    enforcement_action: EnforcementAction = EnforcementAction.ENFORCE
    """Enforce blocks and modifies; Audit only logs and counts what would have happened."""

    @model_validator(mode="after")
    def _one_implementation(self) -> Self:
        if self.type is GuardType.NATIVE and (self.native is None or self.wasm is not None):
            raise ValueError("a native guard sets `native` and not `wasm`")
        if self.type is GuardType.WASM and (self.wasm is None or self.native is not None):
            raise ValueError("a wasm guard sets `wasm` and not `native`")
        if not self.runs_on:
            raise ValueError("runsOn lists at least one phase")
        return self

    @property
    def kind(self) -> str:
        """The native kind, or `wasm`."""
        return self.native.kind if self.native is not None else "wasm"


class GuardOverrides(Spec):
    """Settings a Policy may override for the guards it references."""

    enforcement_action: EnforcementAction | None = None
    """Replaces the guard's own `enforcementAction` (and the Policy's default) for these pods."""
    priority: int | None = Field(default=None, ge=0, le=10_000)
    """Replaces the guard's own `priority` for these pods."""
    failure_mode: FailureMode | None = None
    """Replaces the guard's own `failureMode` for these pods."""


class GuardRef(Spec):
    """A SecurityGuard in the Policy's namespace, by name."""

    name: str = Field(min_length=1, max_length=253)
    """Name of the SecurityGuard."""
    overrides: GuardOverrides = GuardOverrides()
    """Settings of the guard that this Policy replaces."""


class TrustedServer(Spec):
    """Another MCP server whose tool names this server must not imitate."""

    name: str = Field(min_length=1)
    """The server's identity."""
    tools: tuple[str, ...] = ()
    """Names of the tools the server declares."""


class LabelSelector(Spec):
    """Pods by their labels."""

    match_labels: dict[str, str] = Field(default_factory=dict)
    """Labels a pod must all carry, with these values; empty matches every pod."""

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether a pod with these labels is selected."""
        return all(labels.get(key) == value for key, value in self.match_labels.items())


class PolicySpec(Spec):
    """Which guards protect which pods: the spec of a Policy resource."""

    pod_selector: LabelSelector = LabelSelector()
    """Pods in the namespace this policy protects; empty selects every opted-in pod."""
    guards: tuple[GuardRef, ...] = ()
    """SecurityGuards applied to the selected pods."""
    trusted_servers: tuple[TrustedServer, ...] = ()
    """Declared tools of other servers, for spoofing checks."""
    enforcement_action: EnforcementAction | None = None
    """Default enforcement for guards whose reference does not override it."""
    authentication: Authentication | None = None
    """Require and verify a bearer token on every request (OAuth 2.1 resource server, Kubernetes workload
    identity); off when absent."""
    authorization: Authorization | None = None
    """Which caller may use which tool, resource and prompt; needs `authentication`."""

    @model_validator(mode="after")
    def _authorization_needs_identity(self) -> Self:
        if self.authorization is not None and self.authentication is None:
            raise ValueError(
                "authorization needs authentication in the same Policy: without it no caller has an identity"
            )
        return self


class Limits(Spec):
    """Bounds on what the sidecar accepts; anything past them is rejected and counted."""

    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    """Largest request or response body, and largest single SSE event (the MCP SDKs' own limit is 4 MiB)."""
    max_depth: int = Field(default=128, ge=2, le=1000)
    """Deepest JSON nesting accepted in a message."""
    upstream_timeout_seconds: float = Field(default=120.0, gt=0)
    """Longest the server may stay silent while a request waits for its answer: until the answer's head,
    within a JSON body, and between events of a stream that still owes answers."""
    client_body_timeout_seconds: float = Field(default=30.0, gt=0)
    """Longest a client may take to send a request body after its head."""
    max_sessions: int = Field(default=10_000, ge=1)
    """Sessions open at once; past it a new session is refused (503) unless an idle one can be forgotten."""
    max_sessions_per_client: int = Field(default=1_000, ge=1)
    """Sessions one client (peer address, or verified subject) may hold; its own least recently used goes first."""
    session_idle_seconds: float = Field(default=1800.0, gt=0)
    """A session unused this long may be forgotten to make room for a new one (30 minutes, as the Python SDK)."""
    max_inflight_bytes: int = Field(default=32 * 1024 * 1024, ge=64 * 1024)
    """Bytes of large messages (over 64 KiB) being read, inspected or forwarded at once; one client may hold half."""
    inspection_memory_bytes: int = Field(default=128 * 1024 * 1024, ge=1024 * 1024)
    """Estimated memory the inspections of large messages under way may take; a message that alone would need
    more is refused (413, -32054). The default fits the 256 MiB the injected sidecar is given."""
    max_concurrent_inspections: int = Field(default=2, ge=1, le=64)
    """Large messages inspected at once, off the event loop."""
    inspection_queue_seconds: float = Field(default=10.0, gt=0)
    """Longest a large message waits for room in the budgets above before it is refused (503, -32056)."""


class BundleGuard(Spec):
    """A guard as it runs in the sidecar: its name and its effective spec."""

    name: str = Field(min_length=1)
    spec: SecurityGuardSpec


class Bundle(Spec):
    """Everything one sidecar enforces; the operator compiles it from guards and policies."""

    api_version: Literal["guardmesh.dev/v1alpha1"] = API_VERSION
    kind: Literal["GuardBundle"] = "GuardBundle"
    server_id: str | None = None
    """Identity of the protected server, for pins shared by its replicas; defaults to the upstream URL."""
    guards: tuple[BundleGuard, ...] = ()
    trusted_servers: tuple[TrustedServer, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    """Browser origins allowed to call the server; requests from any other Origin are refused."""
    limits: Limits = Limits()
    authentication: Authentication | None = None
    """Bearer tokens required and verified on every request; off when absent."""
    authorization: Authorization | None = None
    """Per-caller grants of tools, resources and prompts; everything is granted when absent."""
    baselines: dict[str, Baseline] = Field(default_factory=dict)
    """Approved tool definitions by server id (`NAMESPACE/WORKLOAD`), compiled from ToolBaselines."""
    reporting: Reporting | None = None
    """Where to report the tool definitions seen for a server that has a baseline; None reports nothing."""

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        names = [g.name for g in self.guards]
        if len(names) != len(set(names)):
            raise ValueError("guard names must be unique within a bundle")
        return self

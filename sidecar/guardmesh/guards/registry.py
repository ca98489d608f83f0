"""Build a guard from its spec. State that must outlive a config reload lives in GuardResources."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from guardmesh.config.baseline import Baseline
from guardmesh.config.models import GuardType, SecurityGuardSpec, TrustedServer
from guardmesh.config.native import (
    PiiSettings,
    PromptInjectionSettings,
    RateLimitSettings,
    RugPullSettings,
    SecretsSettings,
    ServerSpoofingSettings,
    ToolAccessSettings,
    ToolPoisoningSettings,
    TrustedTools,
)
from guardmesh.engine.learned import Provider
from guardmesh.guards.api import Guard
from guardmesh.guards.native.pii import PiiGuard
from guardmesh.guards.native.prompt_injection import PromptInjectionGuard
from guardmesh.guards.native.rate_limit import BucketStore, RateLimitGuard
from guardmesh.guards.native.rug_pull import PinStore, RugPullGuard
from guardmesh.guards.native.secrets import SecretsGuard
from guardmesh.guards.native.server_spoofing import ServerSpoofingGuard
from guardmesh.guards.native.tool_access import SchemaStore, ToolAccessGuard
from guardmesh.guards.native.tool_poisoning import FlaggedStore, ToolCatalog, ToolPoisoningGuard


class GuardBuildError(ValueError):
    """A guard spec that this sidecar cannot run."""


@dataclass
class GuardResources:
    """Shared, long-lived state handed to guards: it survives reloads so pins are never forgotten."""

    pins: PinStore = field(default_factory=PinStore)
    poisoned: FlaggedStore = field(default_factory=FlaggedStore)
    """Tools, prompts and resources that tool-poisoning filtered, so their calls are denied."""
    spoofed: FlaggedStore = field(default_factory=FlaggedStore)
    """Tools that server-spoofing filtered as imitations, so their calls are denied."""
    rate_buckets: BucketStore = field(default_factory=BucketStore)
    """rate-limit's token buckets, so a reload with the same limits does not refill them."""
    tool_schemas: SchemaStore = field(default_factory=SchemaStore)
    """Each server's tool `inputSchema`s from its last `tools/list`, for tool-access argument validation."""
    trusted_servers: tuple[TrustedServer, ...] = ()
    """The bundle's trusted servers, set by each pipeline build; server-spoofing adds them to its own."""
    baselines: Mapping[str, Baseline] = field(default_factory=dict)
    """The bundle's ToolBaselines by server id, set by each pipeline build; rug-pull enforces them."""
    catalog: ToolCatalog = field(default_factory=ToolCatalog)
    """The tools each server listed last, for tool-poisoning's contextual layer."""
    learned: Provider = field(default_factory=Provider)
    """The learned tier's model (loaded only when a guard enables it) and its definition-score cache."""


def _wasm_guard(spec: SecurityGuardSpec) -> Guard:
    # Imported here so that a sidecar without wasm guards never loads wasmtime (tens of MB).
    from guardmesh.guards.wasm.guard import WasmGuard
    from guardmesh.guards.wasm.module import GuestError, ModuleError
    from guardmesh.guards.wasm.sources import SourceError

    try:
        return WasmGuard(spec)
    except (ModuleError, GuestError, SourceError, OSError) as exc:
        raise GuardBuildError(f"wasm guard: {exc}") from None


def build_guard(spec: SecurityGuardSpec, resources: GuardResources) -> Guard:
    if spec.type is GuardType.WASM:
        return _wasm_guard(spec)
    settings = spec.native
    if isinstance(settings, ToolAccessSettings):
        return ToolAccessGuard(settings, resources.tool_schemas)
    if isinstance(settings, RugPullSettings):
        return RugPullGuard(settings, resources.pins, resources.baselines)
    if isinstance(settings, ToolPoisoningSettings):
        trusted = {tool: s.name for s in resources.trusted_servers for tool in s.tools}
        return ToolPoisoningGuard(settings, resources.poisoned, resources.catalog, trusted, resources.learned)
    if isinstance(settings, PromptInjectionSettings):
        return PromptInjectionGuard(settings, resources.learned)
    if isinstance(settings, SecretsSettings):
        return SecretsGuard(settings)
    if isinstance(settings, PiiSettings):
        return PiiGuard(settings)
    if isinstance(settings, ServerSpoofingSettings):
        declared = tuple(TrustedTools(name=s.name, tools=s.tools) for s in resources.trusted_servers)
        merged = settings.model_copy(update={"trusted_servers": settings.trusted_servers + declared})
        return ServerSpoofingGuard(merged, resources.spoofed)
    if isinstance(settings, RateLimitSettings):
        return RateLimitGuard(settings, resources.rate_buckets)
    raise GuardBuildError(f"unknown native guard kind {spec.kind!r}")

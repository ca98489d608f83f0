"""The guard, policy and bundle models: the one source of truth for the CRDs and the sidecar.

This package imports nothing heavier than pydantic and PyYAML, so the operator can use it too.
"""

from guardmesh.config.loader import ConfigError, default_bundle, load_bundle, parse_bundle
from guardmesh.config.models import (
    Bundle,
    BundleGuard,
    EnforcementAction,
    FailureMode,
    GuardType,
    Limits,
    NativeGuardSpec,
    Phase,
    PolicySpec,
    SecurityGuardSpec,
    WasmGuardSpec,
)
from guardmesh.config.native import (
    NativeSettings,
    PiiSettings,
    PromptInjectionSettings,
    Rate,
    RateLimitSettings,
    RugPullSettings,
    SecretsSettings,
    ServerSpoofingSettings,
    ToolAccessSettings,
    ToolPoisoningSettings,
    TrustedTools,
)

__all__ = [
    "Bundle",
    "BundleGuard",
    "ConfigError",
    "EnforcementAction",
    "FailureMode",
    "GuardType",
    "Limits",
    "NativeGuardSpec",
    "NativeSettings",
    "Phase",
    "PiiSettings",
    "PolicySpec",
    "PromptInjectionSettings",
    "Rate",
    "RateLimitSettings",
    "RugPullSettings",
    "SecretsSettings",
    "SecurityGuardSpec",
    "ServerSpoofingSettings",
    "ToolAccessSettings",
    "ToolPoisoningSettings",
    "TrustedTools",
    "WasmGuardSpec",
    "default_bundle",
    "load_bundle",
    "parse_bundle",
]

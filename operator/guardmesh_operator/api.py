"""The operator's API surface: group, kinds, label and annotation names, and the status it writes."""

from typing import Any, Final, Literal

from pydantic import Field

from guardmesh.config.base import Spec

GROUP: Final = "guardmesh.dev"
VERSION: Final = "v1alpha1"
API_VERSION: Final = f"{GROUP}/{VERSION}"

GUARD_PLURAL: Final = "securityguards"
POLICY_PLURAL: Final = "policies"
BASELINE_PLURAL: Final = "toolbaselines"

INJECT: Final = f"{GROUP}/inject"
"""Pod label (`enabled`/`disabled`) or annotation (`"true"`/`"false"`) that opts a pod in or out."""
NAMESPACE_INJECTION: Final = f"{GROUP}/injection"
"""Namespace label (`enabled`) that opts every pod of the namespace in."""
STATUS: Final = f"{GROUP}/status"
"""Pod annotation the injector writes: what it injected, so it can be removed and injected again."""
WORKLOAD: Final = f"{GROUP}/workload"
"""Pod label the injector writes: the workload the pod belongs to, selected by its NetworkPolicy."""
PORT: Final = f"{GROUP}/port"
PATH: Final = f"{GROUP}/path"
LOG_LEVEL: Final = f"{GROUP}/log-level"
SIDECAR_CPU: Final = f"{GROUP}/sidecar-cpu"
SIDECAR_MEMORY: Final = f"{GROUP}/sidecar-memory"
SIDECAR_CPU_LIMIT: Final = f"{GROUP}/sidecar-cpu-limit"
SIDECAR_MEMORY_LIMIT: Final = f"{GROUP}/sidecar-memory-limit"

BUNDLE_CONFIGMAP: Final = "guardmesh-bundle"
"""Name of the ConfigMap in each namespace that holds the compiled bundle set."""
BUNDLE_KEY: Final = "bundle.yaml"
BUNDLE_HASH: Final = f"{GROUP}/bundle-hash"
"""ConfigMap annotation: the content hash of the bundle set it holds."""
OBSERVER_AUDIENCE: Final = "guardmesh.dev/observer"
"""Audience of the projected service-account token a sidecar presents when it reports tool definitions."""
MANAGED_BY: Final = {"app.kubernetes.io/managed-by": "guardmesh-operator"}


class Condition(Spec):
    """One aspect of the resource's state, in the shape every Kubernetes controller uses."""

    type: str
    """`Accepted` (the spec is valid) or `Ready` (in force in the namespace's bundle)."""
    status: Literal["True", "False", "Unknown"]
    """Whether the condition holds."""
    reason: str = Field(pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$", max_length=1024)
    """One CamelCase word for programs."""
    message: str = Field(default="", max_length=32768)
    """Why, for people."""
    last_transition_time: str
    """When `status` last changed (RFC 3339)."""
    observed_generation: int = 0
    """The `metadata.generation` this condition was computed from."""


class GuardStatus(Spec):
    """What the operator last observed of a SecurityGuard."""

    observed_generation: int = 0
    """The `metadata.generation` the operator last acted on."""
    conditions: tuple[Condition, ...] = ()
    """`Accepted` and `Ready`."""
    message: str = ""
    """A one-line summary."""
    policies: int = 0
    """How many Policies reference this guard."""


class PolicyStatus(Spec):
    """What the operator last observed of a Policy."""

    observed_generation: int = 0
    """The `metadata.generation` the operator last acted on."""
    conditions: tuple[Condition, ...] = ()
    """`Accepted` and `Ready`."""
    message: str = ""
    """A one-line summary."""
    selected_pods: int = 0
    """Pods in the namespace that the podSelector matches."""
    injected_pods: int = 0
    """Selected pods that carry the GuardMesh sidecar."""
    bundle_hash: str = ""
    """Content hash of the namespace bundle that holds this Policy's guards."""


class ObservedTool(Spec):
    """A tool definition a sidecar of the workload saw the server list."""

    name: str
    """The tool's name."""
    sha256: str
    """Canonical digest of the definition."""
    definition: dict[str, Any] | None = None
    """The definition as listed (left out when larger than 32 KiB)."""
    first_seen: str = ""
    """When a sidecar first reported this definition (RFC 3339)."""
    last_seen: str = ""
    """When a sidecar last reported it."""
    reported_by: str = ""
    """The pod that last reported it."""


ChangeKind = Literal["New", "Changed", "Renamed"]


class ToolChange(Spec):
    """An observed definition that is not approved: what a reviewer decides on."""

    tool: str
    """The tool's name as the server lists it now."""
    change: ChangeKind
    """`New` (no approved tool of that name), `Changed` (the approved one differs), `Renamed` (an approved
    definition under another name)."""
    sha256: str
    """Digest of the observed definition: what approving it approves."""
    approved_sha256: str = ""
    """Digest of the approved definition of that name, for `Changed`."""
    renamed_from: str = ""
    """The approved tool with the same definition, for `Renamed`."""
    summary: str = ""
    """Which fields changed, by name only (never their values)."""
    approve: str = ""
    """The merge patch that approves it: `kubectl patch toolbaseline NAME --type=merge -p '<this>'`."""


class BaselineStatus(Spec):
    """What the operator last observed of a ToolBaseline and its workload's sidecars."""

    observed_generation: int = 0
    """The `metadata.generation` the operator last acted on."""
    conditions: tuple[Condition, ...] = ()
    """`Accepted` and `Ready`."""
    message: str = ""
    """A one-line summary."""
    approved_tools: int = 0
    """Tools in the approved set."""
    observed_tools: int = 0
    """Tools the workload's sidecars reported the server listing (latest definition of each)."""
    pending_changes: int = 0
    """Observed definitions awaiting approval."""
    changes: tuple[ToolChange, ...] = ()
    """The pending changes, by tool name."""
    approve_all: str = ""
    """One merge patch that approves every pending change (review `changes` first)."""
    observed: tuple[ObservedTool, ...] = ()
    """Definitions reported by the sidecars: each tool's latest, and the approved one when it differs."""
    last_report: str = ""
    """When a sidecar last reported (RFC 3339)."""

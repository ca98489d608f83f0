"""The operator's API surface: group, kinds, label and annotation names, and the status it writes."""

from typing import Final, Literal

from pydantic import Field

from guardmesh.config.base import Spec

GROUP: Final = "guardmesh.dev"
VERSION: Final = "v1alpha1"
API_VERSION: Final = f"{GROUP}/{VERSION}"

GUARD_PLURAL: Final = "securityguards"
POLICY_PLURAL: Final = "policies"

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

"""Who is calling, and what it may use: the sidecar as an OAuth 2.1 resource server (and verifier of
Kubernetes workload tokens), and per-caller authorization of tools, resources and prompts."""

from guardmesh.auth.authenticator import METADATA_PATH, Authenticator, Refusal
from guardmesh.auth.policy import GUARD_NAME, AuthorizationGuard, PolicyError

__all__ = ["GUARD_NAME", "METADATA_PATH", "Authenticator", "AuthorizationGuard", "PolicyError", "Refusal"]

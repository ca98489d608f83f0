"""Who may call: the `authentication` and `authorization` sections of a Policy (and of the bundle it compiles to).

Authentication makes the sidecar an OAuth 2.1 resource server (bearer JWTs from trusted issuers) and, for
in-cluster agents, a verifier of projected service-account tokens. Authorization maps the verified caller to
the tools, resources and prompts it may use. Both are off unless a Policy sets them.
"""

from typing import Final, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from guardmesh.config.base import Spec

Algorithm = Literal["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
"""Asymmetric JWS algorithms only: `none` and the HMAC family (a shared secret) are never accepted."""

KUBERNETES_ISSUER: Final = "https://kubernetes.default.svc.cluster.local"
"""The API server's default service-account issuer."""
SERVICE_ACCOUNT_DIR: Final = "/var/run/secrets/kubernetes.io/serviceaccount"

CONDITION_VARIABLES: Final = frozenset({"args", "tool", "subject", "claims"})
"""What an argument condition (`when`) may read: the arguments, the tool or prompt name, the caller's subject and
the verified token's claims."""

_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def _url(value: str, what: str, schemes: tuple[str, ...] = ("https",)) -> str:
    """An absolute URL with one of `schemes`; plain http only towards this machine (local development)."""
    parts = urlsplit(value)
    if parts.scheme == "http" and parts.hostname in _LOOPBACK:
        return value
    if parts.scheme not in schemes or (not parts.netloc and parts.scheme != "file"):
        allowed = ", ".join(f"{s}://" for s in schemes)
        raise ValueError(f"{what} must be an absolute {allowed} URL (http:// only on loopback), got {value!r}")
    if parts.fragment:
        raise ValueError(f"{what} must not have a fragment, got {value!r}")
    return value


class ClaimNames(Spec):
    """Which claims of a verified token carry the caller's subject, groups and scopes."""

    subject: str = "sub"
    """The caller's identity; rules match it with `subject`."""
    groups: str = "groups"
    """A list of group (or role) names; rules match them with `group`."""
    scopes: str = "scope"
    """Granted scopes: a space-separated string (`scope`) or a list (`scp`)."""


class TrustedIssuer(Spec):
    """An OAuth 2.1 / OpenID Connect authorization server whose bearer JWTs the sidecar accepts."""

    issuer: str
    """The issuer identifier; a token's `iss` must equal it exactly."""
    audiences: tuple[str, ...] = ()
    """Accepted `aud` values; empty means the resource's canonical URI (`authentication.resource`)."""
    jwks_uri: str | None = None
    """Where the issuer's signing keys are (`https://` or `file://`); default: the `jwks_uri` of its OpenID
    Connect or OAuth metadata (`/.well-known/openid-configuration`, `/.well-known/oauth-authorization-server`)."""
    algorithms: tuple[Algorithm, ...] = ("RS256", "ES256")
    """Signature algorithms accepted from this issuer."""
    claims: ClaimNames = ClaimNames()
    """Claim names of the subject, groups and scopes."""
    ca_file: str | None = None
    """PEM file of the CAs trusted for the metadata and key fetches (default: the system's)."""

    @field_validator("issuer")
    @classmethod
    def _issuer_url(cls, value: str) -> str:
        return _url(value, "issuer")

    @field_validator("jwks_uri")
    @classmethod
    def _jwks_url(cls, value: str | None) -> str | None:
        return None if value is None else _url(value, "jwksUri", ("https", "file"))

    @model_validator(mode="after")
    def _some_algorithm(self) -> Self:
        if not self.algorithms:
            raise ValueError("algorithms lists at least one algorithm")
        return self


class KubernetesIdentity(Spec):
    """Projected service-account tokens of in-cluster agents, verified against the API server's issuer.

    The caller's subject is `system:serviceaccount:<namespace>:<name>`; its namespace and service account
    are matched by rules with `namespace` and `serviceAccount`."""

    audience: str = Field(default="guardmesh", min_length=1)
    """The audience the agent requests its token for (`serviceAccountToken.audience` of a projected volume)."""
    issuer: str = KUBERNETES_ISSUER
    """The API server's `--service-account-issuer`."""
    jwks_uri: str | None = None
    """The API server's keys; default: discovered from the issuer, and in a pod the API server's own
    `/openid/v1/jwks`, read with the pod's service-account token."""
    ca_file: str | None = f"{SERVICE_ACCOUNT_DIR}/ca.crt"
    """CA of the API server (the pod's service-account CA by default)."""
    token_file: str | None = None
    """Bearer token sent when fetching the keys from the API server (default: the pod's service-account token);
    the API server shows them to service accounts (`system:service-account-issuer-discovery`)."""

    @field_validator("issuer")
    @classmethod
    def _issuer_url(cls, value: str) -> str:
        return _url(value, "issuer")

    @field_validator("jwks_uri")
    @classmethod
    def _jwks_url(cls, value: str | None) -> str | None:
        return None if value is None else _url(value, "jwksUri", ("https", "file"))


class IdentityHeaders(Spec):
    """Request headers that carry the verified identity to the MCP server (the token itself never does)."""

    subject: str | None = None
    """Header set to the caller's subject, e.g. `X-Forwarded-User`; any copy the client sent is removed."""
    issuer: str | None = None
    """Header set to the token's issuer."""


class Authentication(Spec):
    """Who is calling: bearer tokens are required and verified on every request to the MCP port."""

    resource: str | None = None
    """The MCP server's canonical URI as clients reach it (e.g. `https://mcp.example.com/mcp`): the `resource` of
    the Protected Resource Metadata and the default audience of OAuth tokens. Required with `oauth`."""
    oauth: tuple[TrustedIssuer, ...] = ()
    """Authorization servers whose JWT access tokens are accepted."""
    kubernetes: KubernetesIdentity | None = None
    """Accept the cluster's projected service-account tokens (workload identity)."""
    required_scopes: tuple[str, ...] = ()
    """Scopes every token must carry; a token without them gets `403` with `insufficient_scope`."""
    scopes_supported: tuple[str, ...] = ()
    """Scopes advertised in the metadata and in the `401` challenge (default: `requiredScopes`)."""
    clock_skew_seconds: int = Field(default=30, ge=0, le=300)
    """Leeway for `exp`, `nbf` and `iat` against this machine's clock."""
    max_token_bytes: int = Field(default=8192, ge=512, le=65536)
    """Longer bearer tokens are refused unread."""
    identity_headers: IdentityHeaders = IdentityHeaders()
    """What the MCP server is told about the caller; by default nothing (no token, no identity)."""

    @field_validator("resource")
    @classmethod
    def _resource_url(cls, value: str | None) -> str | None:
        return None if value is None else _url(value, "resource")

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if not self.oauth and self.kubernetes is None:
            raise ValueError("authentication needs `oauth` issuers, `kubernetes`, or both")
        if self.oauth and self.resource is None:
            raise ValueError("`resource` (the server's canonical URI) is required with `oauth`")
        issuers = [i.issuer for i in self.oauth] + ([self.kubernetes.issuer] if self.kubernetes else [])
        if len(issuers) != len(set(issuers)):
            raise ValueError("each issuer is listed once")
        return self


class SubjectMatch(Spec):
    """Callers a rule applies to: every field given must match (an empty match is refused)."""

    subject: str | None = None
    """Glob of the caller's subject (the token's `sub`, `system:serviceaccount:ns:name` for workloads); `*` is
    every authenticated caller."""
    issuer: str | None = None
    """The token's issuer, exactly."""
    group: str | None = None
    """A group (or role) the token's groups claim lists."""
    scope: str | None = None
    """A scope the token grants."""
    namespace: str | None = None
    """Kubernetes workloads of this namespace."""
    service_account: str | None = Field(default=None, pattern=r"^[a-z0-9.-]+/([a-z0-9.-]+|\*)$")
    """Kubernetes workloads running as `namespace/name` (`namespace/*` for any account of it)."""
    claims: dict[str, str] = Field(default_factory=dict)
    """Other claims that must have these string values (or list them), e.g. `{email: alice@example.com}`."""

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not self.model_fields_set - ({"claims"} if not self.claims else set()):
            raise ValueError("a subject match sets at least one field (`subject: '*'` matches every caller)")
        return self


class AccessRule(Spec):
    """What some callers may use: tools, resources and prompts by glob, with an optional argument condition."""

    name: str = Field(min_length=1, max_length=63)
    """Named in the reason of every refusal it causes."""
    subjects: tuple[SubjectMatch, ...] = Field(min_length=1)
    """Callers the rule applies to: any one match is enough."""
    tools: tuple[str, ...] = ()
    """Globs of tool names these callers may list and call."""
    resources: tuple[str, ...] = ()
    """Globs of resource URIs (and URI templates) they may list, read and subscribe to."""
    prompts: tuple[str, ...] = ()
    """Globs of prompt names they may list and get."""
    when: str | None = Field(default=None, max_length=4096)
    """A CEL expression over `args` (the call's arguments), `tool`, `subject` and `claims` that must be true for
    a call or prompt get to be granted by this rule, e.g. `args.path.startsWith('/data/')`. Listings ignore it."""


class Authorization(Spec):
    """Which caller may use which tool, resource and prompt. What no rule grants is refused and filtered out of
    listings. Requests that name no tool, resource or prompt (initialize, ping, listings) are always allowed."""

    rules: tuple[AccessRule, ...] = ()
    """Grants; a caller gets the union of every rule that matches it."""

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        names = [rule.name for rule in self.rules]
        if len(names) != len(set(names)):
            raise ValueError("rule names must be unique")
        return self

"""The resource server: find the bearer token of a request, verify it, and answer as RFC 6750 and RFC 9728 say.

Transports call `authenticate` once per HTTP request, before anything is relayed; the answer is the caller's
Identity or a Refusal to send instead (401 with a `WWW-Authenticate` challenge pointing at the Protected
Resource Metadata, 403 `insufficient_scope`, 400 for a token in the query string, 503 without keys).
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import orjson

from guardmesh.auth.keys import KeySet, Source
from guardmesh.auth.tokens import Issuer, TokenRejected, TokenVerifier
from guardmesh.config.identity import SERVICE_ACCOUNT_DIR, Authentication
from guardmesh.guards.api import Identity
from guardmesh.protocol.errors import UNAUTHENTICATED, error_object

log = logging.getLogger("guardmesh.auth")

METADATA_PATH = "/.well-known/oauth-protected-resource"
"""RFC 9728: the Protected Resource Metadata, also served with the resource's path appended."""
_TOKEN_PARAMS = frozenset({"access_token", "token", "id_token", "bearer"})


@dataclass(frozen=True, slots=True)
class Refusal:
    """An HTTP answer in place of the request; `reason` is a short fixed label for metrics."""

    status: int
    reason: str
    message: str
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def body(self) -> bytes:
        return orjson.dumps(error_object(None, UNAUTHENTICATED, self.message))


class Authenticator:
    """One Policy's `authentication`, built once per config: its issuers' key caches live as long as it does."""

    def __init__(self, config: Authentication, verifier: TokenVerifier | None = None) -> None:
        self.config = config
        self.verifier = verifier or TokenVerifier(issuers(config), config.clock_skew_seconds)
        self._scopes_challenged = " ".join(config.required_scopes or config.scopes_supported)

    async def authenticate(self, headers: Mapping[str, str], query: str, base_url: str) -> Identity | Refusal:
        """The caller of a request with these headers and query string; `base_url` (scheme://host) locates
        the metadata document when no canonical resource is configured."""
        if query and any(name.lower() in _TOKEN_PARAMS for name, _ in parse_qsl(query, keep_blank_values=True)):
            # RFC 9700 and the MCP spec: tokens in URLs leak into logs and histories; refuse, never read them.
            return Refusal(
                400,
                "query-token",
                "Access tokens in the query string are not accepted; send them in the Authorization header",
            )
        value = headers.get("authorization")
        if value is None:
            return self._challenge("missing", "Authentication required: send a bearer token", base_url, error=None)
        scheme, _, token = value.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return self._challenge("malformed", "The Authorization header must be 'Bearer <token>'", base_url)
        if len(token) > self.config.max_token_bytes:
            return self._challenge(
                "too-large", f"The bearer token exceeds {self.config.max_token_bytes} bytes", base_url
            )
        try:
            identity = await self.verifier.verify(token)
        except TokenRejected as exc:
            if exc.reason == "keys-unavailable":
                return Refusal(503, exc.reason, f"Cannot verify tokens now: {exc}", [("Retry-After", "10")])
            return self._challenge(exc.reason, f"Invalid token: {exc}", base_url)
        missing = [s for s in self.config.required_scopes if s not in identity.scopes]
        if missing:
            challenge = self._header("insufficient_scope", "The token lacks a required scope", base_url)
            return Refusal(403, "scope", f"The token lacks the scope {' '.join(missing)}", [challenge])
        return identity

    def status(self) -> list[dict[str, object]]:
        """Per trusted issuer, the state of its keys (fetched lazily, on the first token that needs them)."""
        return [issuer.keys.status() for issuer in self.verifier.issuers]

    def _challenge(self, reason: str, message: str, base_url: str, error: str | None = "invalid_token") -> Refusal:
        return Refusal(401, reason, message, [self._header(error, message, base_url)])

    def _header(self, error: str | None, description: str, base_url: str) -> tuple[str, str]:
        """`WWW-Authenticate: Bearer resource_metadata="...", scope="..."` (RFC 9728 section 5.1, RFC 6750)."""
        parts = [f'resource_metadata="{self.metadata_url(base_url)}"']
        if self._scopes_challenged:
            parts.append(f'scope="{self._scopes_challenged}"')
        if error is not None:
            parts.append(f'error="{error}"')
            parts.append(f'error_description="{_quoted(description)}"')
        return ("WWW-Authenticate", "Bearer " + ", ".join(parts))

    def resource(self, base_url: str, path: str) -> str:
        """The canonical URI of the protected resource: configured, or this request's own URL."""
        return self.config.resource or f"{base_url}{path}"

    def metadata_url(self, base_url: str) -> str:
        """Where the metadata document is: on this port, at the well-known path with the resource's path."""
        if self.config.resource is not None:
            parts = urlsplit(self.config.resource)
            return f"{parts.scheme}://{parts.netloc}{METADATA_PATH}{parts.path.rstrip('/')}"
        return f"{base_url}{METADATA_PATH}"

    def metadata(self, base_url: str, path: str) -> bytes:
        """The Protected Resource Metadata document (RFC 9728 section 2)."""
        resource = self.resource(base_url, path.removeprefix(METADATA_PATH) or "/")
        document: dict[str, object] = {"resource": resource}
        if self.config.oauth:  # workload tokens come from the cluster, not from an authorization server
            document["authorization_servers"] = [i.issuer for i in self.config.oauth]
        document["bearer_methods_supported"] = ["header"]
        scopes = self.config.scopes_supported or self.config.required_scopes
        if scopes:
            document["scopes_supported"] = list(scopes)
        algorithms = sorted({a for i in self.config.oauth for a in i.algorithms})
        if algorithms:
            document["resource_signing_alg_values_supported"] = algorithms
        return orjson.dumps(document)


def issuers(config: Authentication) -> list[Issuer]:
    """The trusted issuers of a config, each with its own key cache."""
    out = []
    for trusted in config.oauth:
        audiences = trusted.audiences or ((config.resource,) if config.resource else ())
        keys = KeySet(Source(trusted.issuer, trusted.jwks_uri, trusted.ca_file))
        out.append(Issuer(trusted.issuer, "oauth", audiences, trusted.algorithms, keys, trusted.claims))
    k8s = config.kubernetes
    if k8s is not None:
        token_file = k8s.token_file or _in_cluster_token()
        jwks_uri = k8s.jwks_uri or ("https://kubernetes.default.svc/openid/v1/jwks" if token_file else None)
        ca_file = k8s.ca_file if k8s.ca_file and Path(k8s.ca_file).exists() else None
        keys = KeySet(Source(k8s.issuer, jwks_uri, ca_file, token_file))
        out.append(Issuer(k8s.issuer, "kubernetes", (k8s.audience,), ("RS256", "ES256"), keys))
    return out


def _in_cluster_token() -> str | None:
    path = Path(SERVICE_ACCOUNT_DIR) / "token"
    return str(path) if path.exists() else None


def _quoted(text: str) -> str:
    """A value for a quoted-string parameter: no quotes or backslashes, printable ASCII only."""
    return "".join(c for c in text if 0x20 <= ord(c) < 0x7F and c not in '"\\')

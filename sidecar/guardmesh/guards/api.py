"""The guard interface that native and WebAssembly guards both implement."""

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from guardmesh.config.models import Phase
from guardmesh.protocol.jsonrpc import Message


class Decision(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    MODIFY = "modify"
    AUDIT = "audit"
    """Let the message through but record it as suspicious."""


@dataclass(frozen=True, slots=True)
class Verdict:
    decision: Decision
    reason: str = ""
    """Why, in words a caller can read; never the message's own content."""
    body: dict[str, Any] | None = None
    """The replacement message, for MODIFY."""


ALLOW = Verdict(Decision.ALLOW)


def deny(reason: str) -> Verdict:
    return Verdict(Decision.DENY, reason)


def modify(body: dict[str, Any], reason: str) -> Verdict:
    return Verdict(Decision.MODIFY, reason, body)


@dataclass(frozen=True, slots=True)
class Identity:
    """A caller whose bearer token was verified: who it is, never the token."""

    subject: str
    """`sub` (or the configured subject claim); `system:serviceaccount:<ns>:<name>` for Kubernetes workloads."""
    issuer: str
    kind: str
    """`oauth` or `kubernetes`: which kind of issuer vouched for the caller."""
    groups: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    namespace: str | None = None
    """The workload's namespace (Kubernetes tokens only)."""
    service_account: str | None = None
    """`namespace/name` of the workload's service account (Kubernetes tokens only)."""
    claims: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    """The verified claims, for rules that match other claims and for argument conditions."""

    @property
    def key(self) -> str:
        """One string per caller: what sessions are bound to and per-caller limits are counted by."""
        return f"{self.issuer} {self.subject}"


@dataclass(frozen=True, slots=True)
class GuardContext:
    """What a guard may know about the exchange besides the message."""

    server_id: str
    """Identity of the protected server; pins and limits are kept per server."""
    session_id: str | None = None
    protocol_version: str | None = None
    client_id: str | None = None
    """The caller as rate limits count it: the verified identity's key, else the peer's address."""
    identity: Identity | None = None
    """The verified caller, when authentication is on."""


class Guard(Protocol):
    """A guard inspects one message. It returns a Verdict, or an awaitable of one if it must wait."""

    @property
    def kind(self) -> str:
        """The guard's kind, e.g. `tool-access`, or `wasm`."""

    @property
    def interests(self) -> Mapping[Phase, frozenset[str] | None]:
        """The phases this guard has anything to say about and, for each, the methods it inspects
        (for responses: the method answered); None means every method. The pipeline skips the rest."""

    def check(self, message: Message, ctx: GuardContext) -> Verdict | Awaitable[Verdict]: ...

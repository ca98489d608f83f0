"""The guard interface that native and WebAssembly guards both implement."""

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
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
class GuardContext:
    """What a guard may know about the exchange besides the message."""

    server_id: str
    """Identity of the protected server; pins and limits are kept per server."""
    session_id: str | None = None
    protocol_version: str | None = None
    client_id: str | None = None


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

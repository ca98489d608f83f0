"""Who sent a request: the one place where a request's caller is established, before any relaying.

Sessions are opened for, and quotas and fair shares counted per, `Caller.key`. Without authentication
the key is the peer address; an authenticating `Identify` replaces it by the verified subject (and may
refuse the request with its own answer, e.g. 401).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from guardmesh.guards.api import Identity
from guardmesh.transports.h1 import Request, Response


@dataclass(frozen=True, slots=True)
class Caller:
    key: str
    """What sessions, quotas and fair shares are counted by."""
    remote: str
    """The peer's address, for logs."""
    subject: str | None = None
    """The authenticated subject, when one was verified."""
    identity: Identity | None = None
    """The verified caller (authentication on): what guards, telemetry and authorization see."""

    def owns(self, owner: str) -> bool:
        """Whether a session opened by `owner` may be used by this caller. Only verified callers are held to it:
        peer addresses change under NAT and load balancers, subjects do not."""
        return self.identity is None or not owner or owner == self.key


Identify = Callable[[Request], Awaitable[Caller | Response]]
"""Establish a request's caller, or answer the request instead (a refusal)."""


async def by_address(request: Request) -> Caller:
    """No authentication: callers are told apart by their address."""
    return Caller(request.remote, request.remote)

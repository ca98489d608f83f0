"""Sessions the sidecar knows: a Streamable HTTP `Mcp-Session-Id` or a legacy SSE connection.

Admission cannot be used to push other clients out: a client over its own quota
(`limits.maxSessionsPerClient`) makes room by forgetting its own least recently used session; a full
table (`limits.maxSessions`) forgets a session only if it has been idle `limits.sessionIdleSeconds`
(nothing in flight, no open stream), and otherwise refuses the new one (503, like the Python SDK).
"""

import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from guardmesh.config import Limits
from guardmesh.protocol.errors import JsonRpcId
from guardmesh.transports.correlation import SESSION_REQUEST_MEMORY, Pending, Recent, RequestTable


@dataclass(eq=False)
class Session:
    """A protocol session and what outlives one HTTP exchange of it."""

    id: str
    protocol_version: str | None = None
    owner: str = ""
    """The key of the caller that opened it (see transports/caller.py); quotas are counted per owner."""
    path: str = "/"
    """Where the session's requests go on the server (for ending it there)."""
    recent: Recent[JsonRpcId, Pending] = field(default_factory=lambda: Recent(SESSION_REQUEST_MEMORY))
    """Recent client requests, for answers replayed on another stream (a GET resumed with Last-Event-ID)."""
    server_requests: RequestTable = field(default_factory=RequestTable)
    """Server requests the client has yet to answer."""
    last_used: float = field(default_factory=time.monotonic)
    in_flight: int = 0
    """Exchanges and streams of the session under way: a session with any is never idle."""

    def touch(self) -> None:
        self.last_used = time.monotonic()

    @contextlib.contextmanager
    def in_use(self) -> Iterator[None]:
        """Mark an exchange or a stream of the session as under way while the context is open."""
        self.in_flight += 1
        self.touch()
        try:
            yield
        finally:
            self.in_flight -= 1
            self.touch()

    def idle_since(self, cutoff: float) -> bool:
        return self.in_flight == 0 and self.last_used <= cutoff

    def reply_target(self, path: str) -> tuple[str, list[tuple[str, str]]]:
        """Where, and with which headers, the sidecar posts its own answer to a server request of this session."""
        headers = [("Mcp-Session-Id", self.id)]
        if self.protocol_version:
            headers.append(("MCP-Protocol-Version", self.protocol_version))
        return path, headers


class SessionsFull(Exception):
    """No room for another session: the table is full of sessions in use, or the client's quota of ones it
    may not give up (streams) is used."""


class SessionTable:
    """Sessions by id, least recently used first, with admission as described in the module docstring."""

    def __init__(self, limits: Callable[[], Limits]) -> None:
        self._limits = limits
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._by_owner: dict[str, OrderedDict[str, Session]] = {}

    def get(self, session_id: str) -> Session | None:
        session = self._sessions.get(session_id)
        if session is not None:
            session.touch()
            self._sessions.move_to_end(session_id)
            self._by_owner[session.owner].move_to_end(session_id)
        return session

    def admit(self, session: Session, *, evict_own: bool = True) -> list[Session]:
        """Add a new session; returns the sessions forgotten to make room (to be ended on the server).
        Raises SessionsFull when there is no room that may be taken. With `evict_own` False, a client over
        its quota is refused rather than losing one of its own (sessions that live as long as a stream)."""
        if session.id in self._sessions:
            return []
        limits = self._limits()
        forgotten: list[Session] = []
        own = self._by_owner.get(session.owner)
        if own is not None and len(own) >= limits.max_sessions_per_client:
            victim = next((s for s in own.values() if s.in_flight == 0), None) if evict_own else None
            if victim is None:
                raise SessionsFull(f"the client holds {len(own)} sessions, its most")
            forgotten.append(self._forget(victim))
        if len(self._sessions) >= limits.max_sessions:
            cutoff = time.monotonic() - limits.session_idle_seconds
            victim = None
            for candidate in self._sessions.values():
                if candidate.last_used > cutoff:
                    break  # the rest were used more recently still
                if candidate.in_flight == 0:
                    victim = candidate
                    break
            if victim is None:
                raise SessionsFull(
                    f"{len(self._sessions)} sessions open, none idle for {limits.session_idle_seconds:g} s"
                )
            forgotten.append(self._forget(victim))
        self._sessions[session.id] = session
        self._by_owner.setdefault(session.owner, OrderedDict())[session.id] = session
        return forgotten

    def close(self, session_id: str) -> Session | None:
        session = self._sessions.get(session_id)
        return None if session is None else self._forget(session)

    def _forget(self, session: Session) -> Session:
        del self._sessions[session.id]
        own = self._by_owner[session.owner]
        del own[session.id]
        if not own:
            del self._by_owner[session.owner]
        return session

    def __len__(self) -> int:
        return len(self._sessions)

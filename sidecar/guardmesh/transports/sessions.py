"""Sessions the sidecar knows: a Streamable HTTP `Mcp-Session-Id` or a legacy SSE connection."""

import time
from dataclasses import dataclass, field

from guardmesh.protocol.errors import JsonRpcId
from guardmesh.transports.correlation import SESSION_REQUEST_MEMORY, Pending, Recent, RequestTable


@dataclass(eq=False)
class Session:
    """A protocol session and what outlives one HTTP exchange of it."""

    id: str
    protocol_version: str | None = None
    owner: str = ""
    """The key of the caller that opened it (see transports/caller.py); quotas are counted per owner."""
    recent: Recent[JsonRpcId, Pending] = field(default_factory=lambda: Recent(SESSION_REQUEST_MEMORY))
    """Recent client requests, for answers replayed on another stream (a GET resumed with Last-Event-ID)."""
    server_requests: RequestTable = field(default_factory=RequestTable)
    """Server requests the client has yet to answer."""
    last_used: float = field(default_factory=time.monotonic)

    def touch(self) -> None:
        self.last_used = time.monotonic()

    def reply_target(self, path: str) -> tuple[str, list[tuple[str, str]]]:
        """Where, and with which headers, the sidecar posts its own answer to a server request of this session."""
        headers = [("Mcp-Session-Id", self.id)]
        if self.protocol_version:
            headers.append(("MCP-Protocol-Version", self.protocol_version))
        return path, headers


class SessionTable:
    """Streamable HTTP sessions by id, least recently used forgotten first."""

    def __init__(self, limit: int) -> None:
        self._sessions: Recent[str, Session] = Recent(limit)

    def get(self, session_id: str) -> Session | None:
        session = self._sessions.get(session_id)
        if session is not None:
            session.touch()
        return session

    def open(self, session_id: str, owner: str, protocol_version: str | None = None) -> Session:
        session = self._sessions.get(session_id)
        if session is None:
            session = Session(session_id, protocol_version, owner)
            self._sessions.put(session_id, session)
        return session

    def close(self, session_id: str) -> None:
        self._sessions.pop(session_id)

    def __len__(self) -> int:
        return len(self._sessions)

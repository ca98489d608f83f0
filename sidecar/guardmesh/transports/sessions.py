"""What the sidecar remembers between messages: requests awaiting answers, and sessions."""

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from opentelemetry.trace import Span

from guardmesh.protocol.errors import JsonRpcId

K = TypeVar("K")
V = TypeVar("V")


class BoundedMap(Generic[K, V]):
    """A dict that forgets its oldest entry past `limit`, so a peer cannot grow it without bound."""

    def __init__(self, limit: int) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._limit = limit

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > self._limit:
            self._items.popitem(last=False)

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def pop(self, key: K) -> V | None:
        return self._items.pop(key, None)

    def drain(self) -> list[tuple[K, V]]:
        """Remove and return every entry, oldest first."""
        items = list(self._items.items())
        self._items.clear()
        return items

    def __len__(self) -> int:
        return len(self._items)


@dataclass(slots=True)
class Pending:
    """A request on its way; its answer is matched to it by id."""

    method: str
    target: str | None
    span: Span | None
    started: float = field(default_factory=time.perf_counter)
    answered: bool = False


# How many unanswered requests one exchange or connection may have in flight.
PENDING_LIMIT = 4096
# How many recent requests a session remembers, so answers replayed after `Last-Event-ID` are matched.
SESSION_REQUEST_MEMORY = 256


def pending_map(limit: int = PENDING_LIMIT) -> BoundedMap[JsonRpcId, Pending]:
    return BoundedMap(limit)


@dataclass(eq=False)
class Session:
    """A protocol session (Streamable HTTP `Mcp-Session-Id` or a legacy SSE connection)."""

    id: str
    protocol_version: str | None = None
    client_requests: BoundedMap[JsonRpcId, Pending] = field(default_factory=lambda: pending_map(SESSION_REQUEST_MEMORY))
    """Recent client requests, for answers on a stream other than their POST (legacy SSE, resumption)."""
    server_requests: BoundedMap[JsonRpcId, Pending] = field(default_factory=pending_map)
    """Server requests the client has yet to answer."""
    inject: asyncio.Queue[bytes] = field(default_factory=lambda: asyncio.Queue(256))
    """Events the sidecar itself must deliver on the session's stream (legacy SSE denials)."""


class SessionTable:
    """Sessions by id, least recently used forgotten first."""

    def __init__(self, limit: int) -> None:
        self._sessions: BoundedMap[str, Session] = BoundedMap(limit)

    def get(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    def open(self, session_id: str, protocol_version: str | None = None) -> Session:
        session = self._sessions.get(session_id)
        if session is None:
            session = Session(session_id, protocol_version)
            self._sessions.put(session_id, session)
        return session

    def close(self, session_id: str) -> None:
        self._sessions.pop(session_id)

    def __len__(self) -> int:
        return len(self._sessions)

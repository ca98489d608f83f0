"""Which request an answer answers: requests awaiting answers, and the end of each request's span.

A request the sidecar forwarded is remembered until its answer comes back, so the answer is guarded as
the answer to that method. A table of requests that awaits answers never forgets one to make room: a
forgotten request would make its answer unmatchable. It refuses the new request instead.
"""

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from opentelemetry.trace import Span

from guardmesh.protocol.errors import JsonRpcId
from guardmesh.protocol.jsonrpc import Message
from guardmesh.telemetry.recorder import Telemetry

K = TypeVar("K")
V = TypeVar("V")

OPEN_ENDED = frozenset({"subscriptions/listen"})
"""Requests answered by a stream that lasts as long as the client wants it, not by one answer."""

PENDING_LIMIT = 4096
"""Unanswered requests one exchange (or one legacy SSE session) may have in flight."""
SESSION_REQUEST_MEMORY = 256
"""Recent requests a session remembers, so answers replayed after `Last-Event-ID` are matched."""


@dataclass(slots=True)
class Pending:
    """A request on its way; its answer is matched to it by id."""

    method: str
    target: str | None
    span: Span | None
    started: float = field(default_factory=time.perf_counter)
    answered: bool = False

    def settle(self, telemetry: Telemetry, answer: Message | None, code: int | None = None, message: str = "") -> bool:
        """Close the request's span and timing on its first answer (or the error standing in for it).
        False when it was answered already: a replayed answer is not counted twice, and a request
        never gets a second error."""
        if self.answered:
            return False
        self.answered = True
        telemetry.end(self.span, self.started, self.method, answer, code, message)
        return True


class Recent(Generic[K, V]):
    """A dict that forgets its oldest entry past `limit`: a memory, for what may be asked again."""

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

    def __len__(self) -> int:
        return len(self._items)


class RequestTable:
    """Requests awaiting answers, by id; full means full (`add` says False), nothing is forgotten."""

    def __init__(self, limit: int = PENDING_LIMIT) -> None:
        self._items: dict[JsonRpcId, Pending] = {}
        self._limit = limit

    def add(self, id_: JsonRpcId, pending: Pending) -> bool:
        """Remember a request; False when the table is full (the request must then be refused)."""
        if id_ not in self._items and len(self._items) >= self._limit:
            return False
        self._items[id_] = pending
        return True

    def take(self, id_: JsonRpcId) -> Pending | None:
        """The request this answer is for, forgotten from now on; None when none is waiting."""
        return self._items.pop(id_, None)

    def owed(self) -> bool:
        """Whether an answer is still owed on this table's stream, so a silent server is waited for only so long."""
        return any(not p.answered and p.method not in OPEN_ENDED for p in self._items.values())

    def unanswered(self) -> list[tuple[JsonRpcId, Pending]]:
        """Remove and return every request still waiting (oldest first), for the errors that replace their answers."""
        items = [(id_, p) for id_, p in self._items.items() if not p.answered]
        self._items.clear()
        return items

    def __len__(self) -> int:
        return len(self._items)

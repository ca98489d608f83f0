"""Bounded, fair shares of the sidecar's memory for large messages.

A large message (over LARGE_MESSAGE bytes) takes two grants before the sidecar spends memory on it:
its raw bytes from the reading budget (`limits.maxInflightBytes`) before its body is read, and an
estimate of what inspecting it costs from the inspection budget (`limits.inspectionMemoryBytes`)
before it is parsed. Waiters are served in turn, one client after another (a client is a
`Caller.key`), and no client may hold more than half of a budget while others wait, so one client's
flood of large bodies delays mostly itself. A wait longer than `limits.inspectionQueueSeconds` ends
in Overloaded (503, -32056); a message that could never fit is TooCostly (413, -32054). Small
messages take no grant: they are cheap, and health probes and ordinary calls must never queue.
"""

import asyncio
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

LARGE_MESSAGE = 64 * 1024
"""Messages from this size on are admitted through the budgets and inspected off the event loop."""

# What inspecting a message costs in memory, estimated from its bytes before parsing it: measured peaks
# (RSS) of the default guards on 4 MiB tools/call bodies of each shape (hack/bench/inspection_cost.py):
# one ASCII string +4 MiB, one string of zero-width characters +80 MiB, 840k short strings +255 MiB,
# 440k numbers +141 MiB, 350k keys +133 MiB. Bytes weigh 4 (ASCII) or 24 (other text), each JSON value 320.
COST_PER_ASCII_BYTE = 4
COST_PER_TEXT_BYTE = 24
COST_PER_VALUE = 320


def inspection_cost(raw: bytes) -> int:
    """An upper estimate of the memory the guards need to inspect `raw` (see the figures above)."""
    per_byte = COST_PER_ASCII_BYTE if raw.isascii() else COST_PER_TEXT_BYTE
    values = raw.count(b",") + raw.count(b":") + 1
    return per_byte * len(raw) + COST_PER_VALUE * values


class Overloaded(Exception):
    """No room came within the wait allowed: the sidecar sheds the message (503, -32056)."""


class TooCostly(Exception):
    """The message needs more than the whole budget: it can never be inspected here (413, -32054)."""


@dataclass(eq=False)
class _Waiter:
    key: str
    amount: int
    ready: asyncio.Future[None]


@dataclass(eq=False)
class Grant:
    """Room held in a budget until `release()` (idempotent)."""

    budget: "Budget"
    key: str
    amount: int
    released: bool = field(default=False)

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.budget._give_back(self)


class Budget:
    """A capacity (read at each request, so a reload changes it) shared fairly between clients."""

    def __init__(self, name: str, capacity: Callable[[], int], wait: Callable[[], float]) -> None:
        self.name = name
        self._capacity = capacity
        self._wait = wait
        self.used = 0
        self._held: dict[str, int] = {}
        self._queues: OrderedDict[str, deque[_Waiter]] = OrderedDict()
        """Waiters by client; the client first in order is served next, then moves to the end."""

    async def take(self, key: str, amount: int) -> Grant:
        capacity = self._capacity()
        if amount > capacity:
            raise TooCostly(f"{amount} bytes of {self.name} needed, {capacity} in all")
        if not self._queues and self._fits(key, amount, capacity):
            return self._grant(key, amount)
        waiter = _Waiter(key, amount, asyncio.get_running_loop().create_future())
        self._queues.setdefault(key, deque()).append(waiter)
        try:
            async with asyncio.timeout(self._wait()):
                await asyncio.shield(waiter.ready)
        except BaseException as exc:
            self._drop(waiter)
            if waiter.ready.done():
                self._give_back(Grant(self, key, amount))  # granted just as the wait ended: hand it on
            else:
                waiter.ready.cancel()
            if isinstance(exc, TimeoutError):
                raise Overloaded(f"no room in the {self.name} budget within {self._wait():g} s") from None
            raise
        return Grant(self, key, amount)

    @property
    def waiting(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def _fits(self, key: str, amount: int, capacity: int) -> bool:
        if self.used + amount > capacity:
            return False
        held = self._held.get(key, 0)
        # Half for one client while others want room; all of it when it holds nothing (else it could never run).
        return held == 0 or held + amount <= capacity // 2

    def _grant(self, key: str, amount: int) -> Grant:
        self.used += amount
        self._held[key] = self._held.get(key, 0) + amount
        return Grant(self, key, amount)

    def _give_back(self, grant: Grant) -> None:
        self.used -= grant.amount
        left = self._held[grant.key] - grant.amount
        if left:
            self._held[grant.key] = left
        else:
            del self._held[grant.key]
        self._serve()

    def _serve(self) -> None:
        """Grant waiters in turn, client after client, while they fit."""
        capacity = self._capacity()
        progressed = True
        while progressed and self._queues:
            progressed = False
            for key in list(self._queues):
                queue = self._queues[key]
                waiter = queue[0]
                if waiter.ready.done() or not self._fits(key, waiter.amount, capacity):
                    continue
                self._grant(key, waiter.amount)
                waiter.ready.set_result(None)
                queue.popleft()
                if queue:
                    self._queues.move_to_end(key)
                else:
                    del self._queues[key]
                progressed = True

    def _drop(self, waiter: _Waiter) -> None:
        queue = self._queues.get(waiter.key)
        if queue is not None and waiter in queue:
            queue.remove(waiter)
            if not queue:
                del self._queues[waiter.key]
            self._serve()

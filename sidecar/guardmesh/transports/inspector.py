"""Large messages are parsed and guarded on worker threads, under the budgets of transports/admission.py.

Inspecting a 4 MiB message takes from 10 ms to several seconds of CPU depending on its shape (a few
megabytes of zero-width characters: ~0.5 s; 350k short keys: ~6 s). On the event loop that would stall
every other client and the health probe; on a worker thread the loop keeps its turn (the guards hold
no lock across a scan, Hyperscan releases the GIL, and the interpreter switches threads every 5 ms).
The guards are thread-safe (locks around their state, a Hyperscan scratch per thread).

A worker is not interrupted when the client that asked leaves: its grants are released only when its
work ends, so the budgets count what really runs.
"""

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from guardmesh.guards.api import GuardContext
from guardmesh.pipeline import Outcome, Pipeline
from guardmesh.protocol.jsonrpc import Message
from guardmesh.runtime import Runtime
from guardmesh.transports.admission import Budget, Grant, inspection_cost

log = logging.getLogger("guardmesh.inspector")

T = TypeVar("T")


class Admitted:
    """The grants one large payload holds while it is inspected: its estimated memory and a worker."""

    def __init__(self, grants: list[Grant]) -> None:
        self._grants = grants
        self._busy = 0
        self._done = False

    def started(self) -> None:
        self._busy += 1

    def finished(self) -> None:
        self._busy -= 1
        self._maybe_release()

    def release(self) -> None:
        """The payload is done with; the grants go back once no worker still runs for it."""
        self._done = True
        self._maybe_release()

    def _maybe_release(self) -> None:
        if self._done and self._busy == 0:
            for grant in self._grants:
                grant.release()


class Inspector:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

        def wait() -> float:
            return runtime.limits.inspection_queue_seconds

        self.reading = Budget("reading", lambda: runtime.limits.max_inflight_bytes, wait)
        """Raw bytes of large messages being read and forwarded."""
        self.memory = Budget("inspection memory", lambda: runtime.limits.inspection_memory_bytes, wait)
        """What inspecting the large messages under way is estimated to cost."""
        self.workers = Budget("inspection", lambda: runtime.limits.max_concurrent_inspections, wait)
        """Worker threads busy with large messages (one unit each)."""
        self._pool = _Workers()

    async def admit(self, key: str, raw: bytes) -> Admitted:
        """Room to inspect `raw` for client `key`; raises Overloaded or TooCostly (admission.py)."""
        memory = await self.memory.take(key, inspection_cost(raw))
        try:
            worker = await self.workers.take(key, 1)
        except BaseException:
            memory.release()
            raise
        return Admitted([memory, worker])

    async def call(self, admitted: Admitted, func: Callable[..., T], *args: Any) -> T:
        """Run `func(*args)` on a worker for an admitted payload."""
        admitted.started()
        future = self._pool.submit(asyncio.get_running_loop(), func, args)
        future.add_done_callback(lambda _: admitted.finished())
        return await asyncio.shield(future)

    async def guard(self, admitted: Admitted, pipeline: Pipeline, message: Message, ctx: GuardContext) -> Outcome:
        """The pipeline's outcome for a message of an admitted payload, computed on a worker."""
        return await self.call(admitted, _run_pipeline, pipeline, message, ctx)


_local = threading.local()


def _run_pipeline(pipeline: Pipeline, message: Message, ctx: GuardContext) -> Outcome:
    loop = getattr(_local, "loop", None)
    if loop is None:
        loop = _local.loop = asyncio.new_event_loop()
    return loop.run_until_complete(pipeline.run(message, ctx))


class _Workers:
    """Daemon threads started as needed (the workers budget bounds how many are busy): an inspection that
    runs long never holds up the process's exit, unlike the standard executor's threads."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[
            tuple[asyncio.AbstractEventLoop, asyncio.Future[Any], Callable[..., Any], tuple[Any, ...]]
        ] = queue.SimpleQueue()
        self._idle = 0
        self._lock = threading.Lock()

    def submit(
        self, loop: asyncio.AbstractEventLoop, func: Callable[..., T], args: tuple[Any, ...]
    ) -> "asyncio.Future[T]":
        future: asyncio.Future[T] = loop.create_future()
        with self._lock:
            if self._idle == 0:
                threading.Thread(target=self._work, name="guardmesh-inspect", daemon=True).start()
            else:
                self._idle -= 1
        self._jobs.put((loop, future, func, args))
        return future

    def _work(self) -> None:
        while True:
            loop, future, func, args = self._jobs.get()
            try:
                result = func(*args)
            except BaseException as exc:  # delivered to the awaiting task, like any failure
                _deliver(loop, future, None, exc)
            else:
                _deliver(loop, future, result, None)
            with self._lock:
                self._idle += 1


def _deliver(
    loop: asyncio.AbstractEventLoop, future: "asyncio.Future[Any]", result: Any, exc: BaseException | None
) -> None:
    def settle() -> None:
        if future.done():
            return
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(result)

    with contextlib.suppress(RuntimeError):  # the loop closed while the work ran: nobody waits any more
        loop.call_soon_threadsafe(settle)

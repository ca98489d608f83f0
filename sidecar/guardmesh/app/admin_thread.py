"""The admin endpoints on a thread and event loop of their own, so a busy proxy never delays a probe.

The kubelet's liveness probe waits 1 s; large inspections run off the proxy's loop, but anything that
still held it (a guard's long C call, a burst of work) would fail the probe and restart a pod that is
only busy. Here /healthz is answered whatever the proxy's loop is doing, and says whether that loop is
alive: it beats every HEARTBEAT_SECONDS, and a loop silent for admin.STALL_SECONDS is reported (503), so a
wedged sidecar is still restarted.
"""

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import uvloop

from guardmesh.app.admin import Admin
from guardmesh.runtime import Runtime
from guardmesh.transports import h1

log = logging.getLogger("guardmesh.admin")

HEARTBEAT_SECONDS = 0.5


class Heartbeat:
    """When the proxy's event loop last ran a tick; read from the admin thread."""

    def __init__(self) -> None:
        self.last = time.monotonic()

    def stalled_for(self) -> float:
        return time.monotonic() - self.last

    async def beat(self) -> None:
        while True:
            self.last = time.monotonic()
            await asyncio.sleep(HEARTBEAT_SECONDS)


@contextlib.asynccontextmanager
async def admin_thread(runtime: Runtime, host: str | None, port: int) -> AsyncIterator[list[str]]:
    """Serve the admin endpoints on their own thread while the context is open; yields the bound addresses."""
    heartbeat = Heartbeat()
    beating = asyncio.create_task(heartbeat.beat())
    main_loop = asyncio.get_running_loop()
    started: asyncio.Future[tuple[list[str], Callable[[], None]]] = main_loop.create_future()
    admin = Admin(runtime, heartbeat)
    thread = threading.Thread(
        target=uvloop.run, args=(_serve(admin, host, port, started, main_loop),), name="guardmesh-admin", daemon=True
    )
    thread.start()
    try:
        addresses, stop = await started
        try:
            yield addresses
        finally:
            stop()
    finally:
        beating.cancel()
        await asyncio.to_thread(thread.join, 5)


async def _serve(
    admin: Admin,
    host: str | None,
    port: int,
    started: "asyncio.Future[tuple[list[str], Callable[[], None]]]",
    main_loop: asyncio.AbstractEventLoop,
) -> None:
    """The admin thread's whole life: listen, report the addresses and a stop function, serve until stopped."""
    try:
        server = await h1.serve(admin.handle, host, port)
    except OSError as exc:
        main_loop.call_soon_threadsafe(_settle, started, None, exc)
        return
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    addresses = [f"{s.getsockname()[0]}:{s.getsockname()[1]}" for s in server.sockets]
    main_loop.call_soon_threadsafe(_settle, started, (addresses, lambda: loop.call_soon_threadsafe(stopped.set)), None)
    await stopped.wait()
    await server.wait_closed(grace=1.0)


def _settle(future: "asyncio.Future[Any]", result: Any, exc: BaseException | None) -> None:
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)

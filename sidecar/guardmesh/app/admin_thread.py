"""The admin endpoints: served by the sidecar on a thread and event loop of their own, fronted on the admin
port by a small process of their own (app/health_process.py) that answers /healthz itself.

A busy proxy never delays a probe: large inspections run off the proxy's loop, and the front process
does not share the interpreter lock they hold in long C calls. /healthz still says whether the proxy's
loop is alive: it beats every HEARTBEAT_SECONDS into a pipe the front reads, and a loop silent for
health_process.STALL_SECONDS fails the probe (503), so a wedged sidecar is restarted. /readyz and
/metrics are answered by the admin thread, behind the front.
"""

import asyncio
import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import uvloop

from guardmesh.app.admin import Admin
from guardmesh.runtime import Runtime
from guardmesh.transports import h1

log = logging.getLogger("guardmesh.admin")

HEARTBEAT_SECONDS = 0.5
FRONT = Path(__file__).with_name("health_process.py")


class Heartbeat:
    """When the proxy's event loop last ran a tick (read by the admin thread), also written to the front."""

    def __init__(self, fd: int | None = None) -> None:
        self.last = time.monotonic()
        self._fd = fd

    def stalled_for(self) -> float:
        return time.monotonic() - self.last

    async def beat(self) -> None:
        while True:
            self.last = time.monotonic()
            if self._fd is not None:
                with contextlib.suppress(BlockingIOError):
                    os.write(self._fd, b".")
            await asyncio.sleep(HEARTBEAT_SECONDS)


@contextlib.asynccontextmanager
async def admin_thread(runtime: Runtime, host: str | None, port: int) -> AsyncIterator[list[str]]:
    """Serve the admin endpoints while the context is open; yields the admin port's address."""
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    heartbeat = Heartbeat(write_end)
    beating = asyncio.create_task(heartbeat.beat())
    try:
        async with _admin_server(Admin(runtime, heartbeat)) as internal:
            front = await asyncio.create_subprocess_exec(
                sys.executable, "-I", "-S", str(FRONT), host or "0.0.0.0", str(port), str(internal), str(read_end),  # noqa: S104
                pass_fds=(read_end,),
                stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            os.close(read_end)
            read_end = -1
            try:
                if front.stdout is None:
                    raise RuntimeError("the admin front's stdout was asked for as a pipe")
                async with asyncio.timeout(30):
                    line = await front.stdout.readline()
                if not line:
                    raise OSError(f"the admin front could not listen on {host}:{port}")
                yield [line.decode().strip()]
            finally:
                os.close(write_end)  # the front ends when its heartbeat pipe closes
                write_end = -1
                try:
                    async with asyncio.timeout(2):
                        await front.wait()
                except TimeoutError:
                    front.kill()
                    await front.wait()
    finally:
        beating.cancel()
        for fd in (read_end, write_end):
            if fd >= 0:
                os.close(fd)


@contextlib.asynccontextmanager
async def _admin_server(admin: Admin) -> AsyncIterator[int]:
    """The admin endpoints on 127.0.0.1, on a thread and event loop of their own; yields the port."""
    main_loop = asyncio.get_running_loop()
    started: asyncio.Future[tuple[int, Callable[[], None]]] = main_loop.create_future()
    thread = threading.Thread(
        target=uvloop.run, args=(_serve(admin, started, main_loop),), name="guardmesh-admin", daemon=True
    )
    thread.start()
    try:
        port, stop = await started
        try:
            yield port
        finally:
            stop()
    finally:
        await asyncio.to_thread(thread.join, 5)


async def _serve(
    admin: Admin, started: "asyncio.Future[tuple[int, Callable[[], None]]]", main_loop: asyncio.AbstractEventLoop
) -> None:
    """The admin thread's whole life: listen, report the port and a stop function, serve until stopped."""
    try:
        server = await h1.serve(admin.handle, "127.0.0.1", 0)
    except OSError as exc:
        main_loop.call_soon_threadsafe(_settle, started, None, exc)
        return
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    port = server.sockets[0].getsockname()[1]
    main_loop.call_soon_threadsafe(_settle, started, (port, lambda: loop.call_soon_threadsafe(stopped.set)), None)
    await stopped.wait()
    await server.wait_closed(grace=1.0)


def _settle(future: "asyncio.Future[Any]", result: Any, exc: BaseException | None) -> None:
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)

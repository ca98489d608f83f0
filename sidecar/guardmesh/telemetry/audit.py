"""A JSON-lines audit log of every non-allow decision, written by a task off the request path."""

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

import orjson

from guardmesh.telemetry.metrics import Metrics

log = logging.getLogger("guardmesh.audit")


class AuditLog:
    """Buffers records in a bounded queue; a full queue drops the record and counts it, never blocks."""

    def __init__(self, path: str | None, metrics: Metrics, capacity: int = 10_000) -> None:
        self._path = path
        self._metrics = metrics
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(capacity)

    def record(self, entry: dict[str, Any]) -> None:
        if self._path is None:
            return
        try:
            self._queue.put_nowait(entry)
        except asyncio.QueueFull:
            self._metrics.audit_dropped.inc()

    async def _write_forever(self, out: IO[bytes]) -> None:
        while True:
            entry = await self._queue.get()
            lines = [orjson.dumps(entry)]
            while not self._queue.empty():
                lines.append(orjson.dumps(self._queue.get_nowait()))
            try:
                out.write(b"\n".join(lines) + b"\n")
                out.flush()
            except OSError as exc:
                self._metrics.audit_dropped.inc(len(lines))
                log.error("audit log write failed: %s", exc)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator["AuditLog"]:
        """Run the writer while the context is open; on exit, write what is buffered and stop."""
        if self._path is None:
            yield self
            return
        out: IO[bytes] = sys.stdout.buffer if self._path == "-" else Path(self._path).open("ab")  # noqa: SIM115, ASYNC230 - once, at start-up
        task = asyncio.create_task(self._write_forever(out))
        try:
            yield self
        finally:
            while not self._queue.empty():
                await asyncio.sleep(0)
                if task.done():
                    break
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if out is not sys.stdout.buffer:
                out.close()

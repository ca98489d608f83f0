"""Build the telemetry of a sidecar process from its settings and the OTEL_* environment."""

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable

from guardmesh.telemetry import tracing
from guardmesh.telemetry.audit import AuditLog
from guardmesh.telemetry.metrics import Metrics
from guardmesh.telemetry.recorder import Telemetry

TRACE_FLUSH_SECONDS = 2.0
"""Longest the exit waits for the last spans to be exported; an unreachable collector must not hold a pod."""


async def _bounded(work: Callable[[], object], seconds: float) -> None:
    """Run blocking `work` on a daemon thread and wait for it at most `seconds` (the process may exit under it)."""
    done = asyncio.get_running_loop().create_future()

    def run() -> None:
        try:
            work()
        finally:
            with contextlib.suppress(RuntimeError):  # the loop may be gone when the work ends late
                done.get_loop().call_soon_threadsafe(_resolve, done)

    threading.Thread(target=run, name="guardmesh-flush", daemon=True).start()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(done), seconds)


def _resolve(done: "asyncio.Future[None]") -> None:
    if not done.done():
        done.set_result(None)


@contextlib.asynccontextmanager
async def telemetry_from_env(audit_log: str | None, transport: str) -> AsyncIterator[Telemetry]:
    metrics = Metrics()
    audit = AuditLog(audit_log, metrics)
    configured = tracing.configure("guardmesh-sidecar")
    tracer, provider = configured if configured is not None else (None, None)
    async with audit.running():
        try:
            yield Telemetry(metrics, audit, tracer, transport)
        finally:
            if provider is not None:
                await _bounded(provider.shutdown, TRACE_FLUSH_SECONDS)

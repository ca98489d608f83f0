"""Build the telemetry of a sidecar process from its settings and the OTEL_* environment."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from guardmesh.telemetry import tracing
from guardmesh.telemetry.audit import AuditLog
from guardmesh.telemetry.metrics import Metrics
from guardmesh.telemetry.recorder import Telemetry


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
                await asyncio.to_thread(provider.shutdown)

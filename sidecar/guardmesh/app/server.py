"""Start the HTTP proxy and the admin server, and stop them without dropping requests in flight."""

import asyncio
import contextlib
import logging
import signal
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from guardmesh.app.admin_thread import admin_thread
from guardmesh.app.configmap_watch import ApiAccess, ConfigMapRef, ConfigMapWatch
from guardmesh.app.reporter import Reporter
from guardmesh.config import ConfigError
from guardmesh.config.identity import Authentication
from guardmesh.runtime import Runtime
from guardmesh.telemetry.setup import telemetry_from_env
from guardmesh.transports import h1
from guardmesh.transports.auth_gate import identify_callers
from guardmesh.transports.proxy import HttpProxy

log = logging.getLogger("guardmesh.sidecar")

MAX_CONNECTIONS = 1024
"""Client connections served at once (Envoy's default circuit-breaker bound); past it new ones are closed.
Each may buffer up to 16 KiB of head and 64 KiB of body, so this bounds that memory near 80 MiB."""
SHUTDOWN_RESERVE = 3.0
"""Of the shutdown grace, what is kept for closing upstream connections and flushing the audit log and traces."""


@dataclass(frozen=True)
class Settings:
    """How one sidecar process runs."""

    upstream: str
    """URL of the protected MCP server, e.g. http://127.0.0.1:3001/mcp."""
    listen: tuple[str, int] = ("0.0.0.0", 8080)  # noqa: S104 - a sidecar serves its pod's network
    """Where MCP clients connect."""
    admin: tuple[str, int] | None = ("0.0.0.0", 9090)  # noqa: S104
    """Where /metrics, /healthz and /readyz are served; None for nowhere."""
    config: Path | None = None
    """Bundle file; the built-in default when None."""
    audit_log: str | None = "-"
    """File for the JSON-lines audit log, `-` for stdout, None for none."""
    server_id: str | None = None
    """Identity of the protected server for shared pins; defaults to the upstream URL."""
    pod_labels: Path | None = None
    """The pod's labels (downward API), which pick its entries when the config is a GuardBundleSet."""
    configmap: ConfigMapRef | None = None
    """Also follow this ConfigMap through the Kubernetes API (faster than the kubelet's volume sync)."""
    api: ApiAccess | None = None
    """How to reach the API server for `configmap`; in-cluster defaults when None."""
    shutdown_grace: float = 25.0
    """Seconds from SIGTERM to exit: requests in flight get that long less a 3 s reserve, in which the
    upstream connections close and the audit log and traces are flushed. Keep it below the pod's
    terminationGracePeriodSeconds (30 by default)."""
    authentication: Authentication | None = None
    """Caller authentication from the command line; replaces the bundle's."""
    report_token: Path | None = None
    """Token to report seen tool definitions to the operator with, when the bundle asks for reports."""


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[Runtime, list[str]]]:
    """Run the sidecar while the context is open; yields the runtime and the bound addresses."""
    async with telemetry_from_env(settings.audit_log, "tcp") as telemetry:
        runtime = Runtime(
            telemetry,
            settings.server_id or settings.upstream,
            settings.config,
            settings.pod_labels,
            settings.authentication,
        )
        pool = upstream_pool(settings.upstream)
        proxy = HttpProxy(runtime, pool, identify_callers(runtime))
        server = await h1.serve(proxy.handle, *settings.listen, backlog=1024, max_connections=MAX_CONNECTIONS)
        try:
            async with contextlib.AsyncExitStack() as stack:
                addresses = [_address(sock) for sock in server.sockets]
                if settings.admin is not None:
                    addresses += await stack.enter_async_context(admin_thread(runtime, *settings.admin))
                await stack.enter_async_context(runtime.watching())
                await stack.enter_async_context(following(runtime, settings))
                await stack.enter_async_context(reporting(runtime, settings))
                yield runtime, addresses
        finally:
            server.close()
            proxy.close_streams()
            await server.wait_closed(grace=max(1.0, settings.shutdown_grace - SHUTDOWN_RESERVE))
            await pool.close(within=1.0)


@contextlib.asynccontextmanager
async def following(runtime: Runtime, settings: Settings) -> AsyncIterator[None]:
    """Follow the bundle ConfigMap through the API while the context is open, if asked to."""
    if settings.configmap is None:
        yield
        return
    loop = asyncio.get_running_loop()
    ref = settings.configmap
    source = f"configmap {ref.namespace}/{ref.name}"

    def report(problem: str | None) -> None:
        runtime.api_error = problem

    watch = ConfigMapWatch(
        ref,
        settings.api or ApiAccess.in_cluster(),
        lambda text: loop.call_soon_threadsafe(partial(runtime.apply, text, source, from_api=True)),
        lambda problem: loop.call_soon_threadsafe(report, problem),
    )
    runtime.api_source = watch
    watch.start()
    try:
        yield
    finally:
        runtime.api_source = None
        await asyncio.to_thread(watch.stop)


@contextlib.asynccontextmanager
async def reporting(runtime: Runtime, settings: Settings) -> AsyncIterator[None]:
    """Report seen tool definitions to the operator while the context is open, if given a token."""
    if settings.report_token is None:
        yield
        return
    async with Reporter(runtime, settings.report_token).running():
        yield


def upstream_pool(upstream: str) -> h1.UpstreamPool:
    """Keep-alive connections to the protected server; https upstreams get the system's trust store."""
    parts = urlsplit(upstream)
    if parts.scheme not in ("http", "https") or parts.hostname is None:
        raise ConfigError(f"--upstream must be an http:// or https:// URL, got {upstream!r}")
    tls = ssl.create_default_context() if parts.scheme == "https" else None
    return h1.UpstreamPool(parts.hostname, parts.port or (443 if tls else 80), ssl=tls)


def _address(sock: socket.socket) -> str:
    host, port, *_ = sock.getsockname()
    return f"{host}:{port}"


async def run_forever(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with serving(settings) as (_, addresses):
        log.info("guardmesh sidecar listening on %s, guarding %s", ", ".join(addresses), settings.upstream)
        await stop.wait()
        log.info("shutting down")

"""Start the HTTP proxy and the admin server, and stop them without dropping requests in flight."""

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

from guardmesh.app.admin import admin_app
from guardmesh.runtime import Runtime
from guardmesh.telemetry.setup import telemetry_from_env
from guardmesh.transports.streamable_http import HttpProxy

log = logging.getLogger("guardmesh.sidecar")


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


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[Runtime, list[str]]]:
    """Run the sidecar while the context is open; yields the runtime and the bound addresses."""
    async with telemetry_from_env(settings.audit_log, "tcp") as telemetry:
        runtime = Runtime(telemetry, settings.server_id or settings.upstream, settings.config)
        connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300, enable_cleanup_closed=True)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=5)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout, auto_decompress=False) as client:
            proxy = HttpProxy(runtime, settings.upstream, client)
            runners: list[web.BaseRunner] = []
            addresses: list[str] = []
            try:
                server = web.Server(proxy.handle, handler_cancellation=True, access_log=None)
                runners.append(await _start(web.ServerRunner(server, shutdown_timeout=30), settings.listen, addresses))
                if settings.admin is not None:
                    admin = web.AppRunner(admin_app(runtime), access_log=None, shutdown_timeout=30)
                    runners.append(await _start(admin, settings.admin, addresses))
                async with runtime.watching():
                    yield runtime, addresses
            finally:
                for runner in reversed(runners):
                    await runner.cleanup()


async def _start(runner: web.BaseRunner, where: tuple[str, int], addresses: list[str]) -> web.BaseRunner:
    await runner.setup()
    site = web.TCPSite(runner, where[0], where[1], backlog=1024)
    await site.start()
    addresses.extend(f"{host}:{port}" for host, port, *_ in (s.getsockname() for s in _sockets(site)))
    return runner


def _sockets(site: web.TCPSite) -> list[socket.socket]:
    server = site._server  # aiohttp exposes bound sockets only here
    return list(getattr(server, "sockets", []) or [])


async def run_forever(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with serving(settings) as (_, addresses):
        log.info("guardmesh sidecar listening on %s, guarding %s", ", ".join(addresses), settings.upstream)
        await stop.wait()
        log.info("shutting down")

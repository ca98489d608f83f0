"""The HTTP proxy's front door: every request is checked (origin), its caller established, its body read,
and it is handed to the transport it belongs to (Streamable HTTP, or a legacy HTTP+SSE session)."""

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

from guardmesh.protocol import errors
from guardmesh.protocol.errors import error_object
from guardmesh.runtime import Runtime
from guardmesh.transports import body as body_rules
from guardmesh.transports.admission import LARGE_MESSAGE, Grant, Overloaded, TooCostly
from guardmesh.transports.caller import Caller, Identify, by_address
from guardmesh.transports.h1 import Request, Response, TooLarge, UpstreamPool
from guardmesh.transports.http import json_response
from guardmesh.transports.inspector import Inspector
from guardmesh.transports.legacy_sse import LegacySse
from guardmesh.transports.relay import Relay
from guardmesh.transports.sessions import SessionTable
from guardmesh.transports.sse_relay import SseRelay
from guardmesh.transports.streamable_http import Answer, StreamableHttp, foreign_session
from guardmesh.transports.upstream import Upstream, UpstreamFailed

log = logging.getLogger("guardmesh.http")

_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


class HttpProxy:
    def __init__(self, runtime: Runtime, pool: UpstreamPool, identify: Identify = by_address) -> None:
        self.runtime = runtime
        self.identify = identify
        """Establishes each request's caller before anything is relayed (transports/caller.py)."""
        self.inspector = Inspector(runtime)
        relay = Relay(runtime, self.inspector)
        upstream = Upstream(runtime, pool, self.inspector.reading)
        streams = SseRelay(runtime, relay, upstream)
        self.sessions = SessionTable(lambda: runtime.limits)
        """Every session, of either transport: admission and quotas are counted over all of them."""
        self.legacy = LegacySse(runtime, relay, upstream, self.sessions)
        streams.stream_sessions = self.legacy
        self.streamable = StreamableHttp(runtime, relay, upstream, streams, self.sessions)
        self._standing: set[asyncio.Task[Any]] = set()
        """Handlers of GET streams, which only end when a peer ends them."""

    def close_streams(self) -> None:
        """Shutting down: end standing GET streams now, so they do not hold the pod's grace period.
        Clients reconnect (with `Last-Event-ID`) to another replica; POSTs in flight still finish."""
        for task in self._standing:
            task.cancel()

    async def handle(self, request: Request) -> Answer:
        refusal = self._check_origin(request)
        if refusal is not None:
            return refusal
        try:
            body_rules.check(request)
        except body_rules.Refused as exc:
            self.runtime.telemetry.rejected(exc.reason, str(exc))
            return exc.response
        caller = await self.identify(request)
        if isinstance(caller, Response):
            return caller
        try:
            if request.method == "POST":
                return await self._post(request, caller)
            if request.method == "GET":
                return await self._get(request, caller)
            return await self.streamable.other(request, caller)
        except UpstreamFailed as exc:
            self.runtime.telemetry.rejected("upstream")
            log.warning("%s %s: %s", request.method, request.path, exc)
            return json_response(exc.status, error_object(None, exc.code, str(exc)))

    async def _post(self, request: Request, caller: Caller) -> Answer:
        grant = await self._reserve(request, caller)
        if isinstance(grant, Response):
            return grant
        try:
            body = await self._body(request)
            if isinstance(body, Response):
                return body
            handed_over = grant.release if grant is not None else _nothing
            legacy = self.legacy.session_for(request)
            if legacy is not None:
                if not caller.owns(legacy.owner):
                    return foreign_session(self.runtime, caller)
                return await self.legacy.post(request, body, legacy, caller, handed_over)
            return await self.streamable.post(request, body, caller, handed_over)
        finally:
            if grant is not None:
                grant.release()

    async def _reserve(self, request: Request, caller: Caller) -> Grant | Response | None:
        """Room for a large body (or one of unknown size) in the reading budget, before a byte of it is read;
        None for a small one, which takes no room (transports/admission.py)."""
        limit = self.runtime.limits.max_body_bytes
        declared = request.content_length
        if declared is not None and (declared < LARGE_MESSAGE or declared > limit):
            return None  # small, or refused unread with 413 by the limit
        try:
            return await self.inspector.reading.take(caller.key, declared or limit)
        except Overloaded as exc:
            self.runtime.telemetry.rejected("overloaded", str(exc))
            error = error_object(None, errors.OVERLOADED, f"Sidecar overloaded: {exc}; retry later")
            return json_response(503, error, [("Retry-After", "1")])
        except TooCostly as exc:
            self.runtime.telemetry.rejected("too-large", str(exc))
            return json_response(413, error_object(None, errors.TOO_LARGE, f"Request body too large: {exc}"))

    async def _get(self, request: Request, caller: Caller) -> Answer:
        task = asyncio.current_task()
        if task is not None:
            self._standing.add(task)
        try:
            return await self.streamable.get(request, caller)
        finally:
            self._standing.discard(task)

    async def _body(self, request: Request) -> bytes | Response:
        limits = self.runtime.limits
        limit = limits.max_body_bytes
        try:
            if request.body_complete:  # the usual small body came with the head: no timer needed
                return await request.read(limit)
            async with asyncio.timeout(limits.client_body_timeout_seconds):
                return await request.read(limit)
        except TooLarge:
            self.runtime.telemetry.rejected("too-large")
            return json_response(413, error_object(None, errors.TOO_LARGE, f"Request body exceeds {limit} bytes"))
        except TimeoutError:
            self.runtime.telemetry.rejected("client-body-timeout")
            message = f"The request body did not arrive within {limits.client_body_timeout_seconds:g} s"
            return json_response(408, error_object(None, errors.INVALID_REQUEST, message))

    def _check_origin(self, request: Request) -> Response | None:
        """Browsers name the page's origin; only listed origins and pages on this machine may call.
        A matching Host proves nothing: a DNS-rebinding page sends its own name in both."""
        origin = request.headers.get("Origin")
        if origin is None or origin in self.runtime.bundle.allowed_origins:
            return None
        if urlsplit(origin).hostname in _LOOPBACK:
            return None
        self.runtime.telemetry.rejected("origin")
        return json_response(403, error_object(None, errors.FORBIDDEN_ORIGIN, f"Origin {origin!r} is not allowed"))


def _nothing() -> None:
    pass

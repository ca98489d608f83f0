"""The HTTP proxy: Streamable HTTP of every revision, and the legacy HTTP+SSE transport of 2024-11-05.

Paths are kept: a client that posts to the sidecar's `/mcp` reaches the server's `/mcp`. JSON bodies
and SSE events are inspected one message at a time; bytes no guard changed are sent on unchanged.
"""

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from guardmesh.guards.api import GuardContext
from guardmesh.protocol import errors
from guardmesh.protocol.errors import error_object
from guardmesh.protocol.methods import BATCH_REVISIONS, DEFAULT_HTTP_REVISION, LEGACY_SSE, STATELESS_REVISIONS
from guardmesh.protocol.routing import routing_check
from guardmesh.protocol.sse import SseDecoder, SseEvent, SseTooLarge, format_event
from guardmesh.runtime import Runtime
from guardmesh.transports.h1 import Request, Response, Stream, TooLarge, UpstreamBroken, UpstreamPool, UpstreamResponse
from guardmesh.transports.http import forward_headers, json_response, response_headers
from guardmesh.transports.relay import Exchange, FromClient, Relay, learn_version
from guardmesh.transports.sessions import BoundedMap, Session, SessionTable

log = logging.getLogger("guardmesh.http")

_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_SESSION_PARAMS = ("sessionId", "session_id")

Answer = Response | None
"""What a handler returns: a whole response, or None once it has streamed one."""


class UpstreamFailed(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


class HttpProxy:
    def __init__(self, runtime: Runtime, pool: UpstreamPool) -> None:
        self.runtime = runtime
        self.relay = Relay(runtime)
        self.pool = pool
        self.sessions = SessionTable(runtime.limits.max_sessions)
        self.legacy: BoundedMap[str, Session] = BoundedMap(runtime.limits.max_sessions)
        """Legacy SSE sessions by their POST endpoint's path and session parameter (see `_legacy_keys`)."""
        self._standing: set[asyncio.Task[Any]] = set()
        """Handlers of GET streams, which only end when a peer ends them."""
        self._background: set[asyncio.Task[None]] = set()
        """Refusals on their way back to the server; kept here so they are not collected mid-flight."""

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
            if request.method == "POST":
                return await self._post(request)
            if request.method == "GET":
                return await self._get(request)
            return await self._other(request)
        except UpstreamFailed as exc:
            self.runtime.telemetry.rejected("upstream")
            log.warning("%s %s: %s", request.method, request.path, exc)
            return json_response(exc.status, error_object(None, exc.code, str(exc)))

    # --- requests from the client -------------------------------------------------------------

    async def _post(self, request: Request) -> Answer:
        limits = self.runtime.limits
        try:
            body = await request.read(limits.max_body_bytes)
        except TooLarge:
            self.runtime.telemetry.rejected("too-large")
            return json_response(
                413, error_object(None, errors.TOO_LARGE, f"Request body exceeds {limits.max_body_bytes} bytes")
            )
        legacy = self._legacy_session(request)
        if legacy is not None:
            return await self._legacy_post(request, body, legacy)
        headers = request.headers
        version = headers.get("mcp-protocol-version")
        stateless = version in STATELESS_REVISIONS
        session_id = None if stateless else headers.get("mcp-session-id")
        session = None
        if session_id is not None:
            session = self.sessions.get(session_id)
            if session is None:
                self.runtime.telemetry.rejected("unknown-session")
                return json_response(404, error_object(None, errors.SESSION_NOT_FOUND, "Session not found"))
        version = version or (session.protocol_version if session else None) or DEFAULT_HTTP_REVISION
        exchange = Exchange(self._context(request, session_id, version), session, headers=headers)
        result = await self.relay.from_client(
            body,
            exchange,
            batch_allowed=version in BATCH_REVISIONS,
            check=routing_check(headers) if stateless else None,
        )
        if result.rejected:
            return json_response(400, result.replies[0])
        if result.forward is None:
            return _replies_only(result)
        upstream = await self._send(request, result.forward)
        try:
            return await self._answer(request, upstream, exchange, result.replies)
        finally:
            upstream.close()

    async def _legacy_post(self, request: Request, body: bytes, session: Session) -> Answer:
        """2024-11-05: answers travel on the session's SSE stream, so refusals are delivered there too."""
        ctx = self._context(request, session.id, LEGACY_SSE)
        exchange = Exchange(ctx, session, pending=session.client_requests, headers=request.headers)
        result = await self.relay.from_client(body, exchange)
        if result.rejected:
            return json_response(400, result.replies[0])
        for reply in result.replies:
            if reply.get("id") is not None:
                _inject(session, format_event(orjson.dumps(reply), event="message"))
        if result.forward is None:
            return Response(202, [("Content-Type", "text/plain")], b"Accepted")
        upstream = await self._send(request, result.forward)
        return await self._whole(upstream)

    async def _get(self, request: Request) -> Answer:
        task = asyncio.current_task()
        if task is not None:
            self._standing.add(task)
        try:
            return await self._get_stream(request)
        finally:
            self._standing.discard(task)

    async def _get_stream(self, request: Request) -> Answer:
        session_id = request.headers.get("mcp-session-id")
        session = self.sessions.get(session_id) if session_id is not None else None
        if session_id is not None and session is None:
            self.runtime.telemetry.rejected("unknown-session")
            return json_response(404, error_object(None, errors.SESSION_NOT_FOUND, "Session not found"))
        version = request.headers.get("mcp-protocol-version") or (session.protocol_version if session else None)
        pending = session.client_requests if session is not None else None
        exchange = Exchange(self._context(request, session_id, version), session, headers=request.headers)
        if pending is not None:
            exchange.pending = pending
        upstream = await self._send(request, None)
        try:
            return await self._answer(request, upstream, exchange, [])
        finally:
            upstream.close()

    async def _other(self, request: Request) -> Answer:
        """DELETE ends a session; anything else (OPTIONS, ...) passes through unchanged."""
        try:
            body = await request.read(self.runtime.limits.max_body_bytes)
        except TooLarge:
            self.runtime.telemetry.rejected("too-large")
            return json_response(413, error_object(None, errors.TOO_LARGE, "Request body too large"))
        upstream = await self._send(request, body or None)
        answer = await self._whole(upstream)
        session_id = request.headers.get("mcp-session-id")
        if request.method == "DELETE" and session_id is not None and upstream.status < 300:
            self.sessions.close(session_id)
        return answer

    async def _whole(self, upstream: UpstreamResponse) -> Response:
        """Relay an answer that needs no inspection, read whole (bounded)."""
        try:
            payload = await upstream.read(self.runtime.limits.max_body_bytes)
        except TooLarge:
            raise UpstreamFailed(502, errors.TOO_LARGE, "Upstream response too large") from None
        except UpstreamBroken as exc:
            raise UpstreamFailed(502, errors.UPSTREAM_UNAVAILABLE, f"Upstream broke off: {exc}") from None
        finally:
            upstream.close()
        return Response(upstream.status, response_headers(upstream.headers.items()), payload)

    # --- the server's side ----------------------------------------------------------------------

    async def _send(self, request: Request, body: bytes | None) -> UpstreamResponse:
        """Start the upstream request; 502 when the server cannot be reached, 504 when it does not answer."""
        try:
            return await self.pool.request(
                request.method,
                request.raw_path,
                forward_headers(request.headers.items()),
                body,
                answer_within=self.runtime.limits.upstream_timeout_seconds,
            )
        except TimeoutError:
            raise UpstreamFailed(504, errors.UPSTREAM_TIMEOUT, "Upstream MCP server did not answer in time") from None
        except UpstreamBroken as exc:
            raise UpstreamFailed(502, errors.UPSTREAM_UNAVAILABLE, f"Upstream MCP server unreachable: {exc}") from None

    async def _answer(
        self,
        request: Request,
        upstream: UpstreamResponse,
        exchange: Exchange,
        replies: list[dict[str, Any]],
    ) -> Answer:
        session_id = upstream.headers.get("mcp-session-id")
        if (
            session_id is not None
            and exchange.session is None
            and exchange.ctx.protocol_version not in STATELESS_REVISIONS
        ):
            exchange.session = self.sessions.open(session_id)
        content_type = upstream.headers.get("Content-Type", "").lower()
        headers = response_headers(upstream.headers.items())
        if content_type.startswith("text/event-stream"):
            await self._stream(request, upstream, exchange, replies, headers)
            return None
        limit = self.runtime.limits.max_body_bytes
        try:
            payload = await upstream.read(limit)
        except TooLarge:
            raise UpstreamFailed(502, errors.TOO_LARGE, f"Upstream response exceeds {limit} bytes") from None
        except UpstreamBroken as exc:
            raise UpstreamFailed(502, errors.UPSTREAM_UNAVAILABLE, f"Upstream broke off: {exc}") from None
        if (
            len(exchange.pending)
            and payload
            and upstream.status < 300
            and not content_type.startswith("application/json")
        ):
            # Requests await JSON-RPC answers; a body nobody can inspect does not reach the client.
            raise UpstreamFailed(
                502, errors.UPSTREAM_UNAVAILABLE, f"Upstream answered with {content_type or 'no type'}"
            )
        if not (content_type.startswith("application/json") and payload and upstream.status < 300):
            if replies:
                return json_response(200, replies if len(replies) > 1 else replies[0])
            return Response(upstream.status, headers, payload)
        inspected = await self.relay.from_server(payload, exchange)
        if inspected.invalid is not None:
            raise UpstreamFailed(
                502, errors.UPSTREAM_UNAVAILABLE, f"Upstream sent invalid JSON-RPC: {inspected.invalid}"
            )
        learn_version(exchange, inspected.messages)
        body = inspected.forward or b""
        if replies:
            answers = orjson.loads(body) if body else []
            merged = (answers if isinstance(answers, list) else [answers]) + replies
            body = orjson.dumps(merged)
        return json_response(upstream.status, body, headers)

    async def _stream(
        self,
        request: Request,
        upstream: UpstreamResponse,
        exchange: Exchange,
        replies: list[dict[str, Any]],
        headers: list[tuple[str, str]],
    ) -> None:
        out = await request.start_stream(upstream.status, headers)
        for reply in replies:
            await out.write(format_event(orjson.dumps(reply), event="message"))
        decoder = SseDecoder(self.runtime.limits.max_body_bytes)
        injector: asyncio.Task[None] | None = None
        try:
            async for chunk in upstream.chunks():
                for event in decoder.feed(chunk):
                    data = await self._event(request, event, exchange)
                    if data:
                        await out.write(data)
                    session = exchange.session
                    if injector is None and session is not None and session.protocol_version == LEGACY_SSE:
                        injector = asyncio.create_task(_pump(out, session))
        except SseTooLarge as exc:
            self.runtime.telemetry.rejected("upstream-too-large")
            await self._fail_pending(out, exchange, errors.TOO_LARGE, f"Upstream stream broken: {exc}")
        except UpstreamBroken as exc:
            self.runtime.telemetry.rejected("upstream-broken")
            log.warning("upstream stream broke off: %s", exc)
            await self._fail_pending(
                out, exchange, errors.UPSTREAM_UNAVAILABLE, "Upstream MCP server broke off the stream"
            )
        finally:
            if injector is not None:
                injector.cancel()
        return None

    async def _event(self, request: Request, event: SseEvent, exchange: Exchange) -> bytes:
        if event.event == "endpoint" and event.data is not None:
            return self._legacy_endpoint(event, event.data, exchange)
        if not event.carries_message or event.data is None:
            return event.raw
        inspected = await self.relay.from_server(event.data, exchange)
        for error in inspected.to_server:
            task = asyncio.get_running_loop().create_task(self._answer_server(request, exchange, error))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        if inspected.invalid is not None:
            log.warning("dropped an SSE event that is not valid JSON-RPC: %s", inspected.invalid)
            return b"" if event.id is None else f"id: {event.id}\n\n".encode()
        learn_version(exchange, inspected.messages)
        if inspected.forward is None:
            return b"" if event.id is None else f"id: {event.id}\n\n".encode()
        if not inspected.changed:
            return event.raw
        return format_event(inspected.forward, event=event.event, id_=event.id)

    def _legacy_endpoint(self, event: SseEvent, data: str, exchange: Exchange) -> bytes:
        """2024-11-05: remember the POST endpoint of this stream and make sure it points at us."""
        target = urlsplit(data.strip())
        path = target.path + (f"?{target.query}" if target.query else "")
        session = Session(path, LEGACY_SSE)
        for key in _legacy_keys(target.path, target.query):
            self.legacy.put(key, session)
        exchange.session = session
        exchange.pending = session.client_requests
        exchange.ctx = GuardContext(exchange.ctx.server_id, path, LEGACY_SSE, exchange.ctx.client_id)
        if target.scheme:
            return format_event(path, event="endpoint", id_=event.id)
        return event.raw

    async def _answer_server(self, request: Request, exchange: Exchange, error: dict[str, Any]) -> None:
        """Tell the server that its request was refused, as the client would have answered it."""
        headers = [("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream")]
        session = exchange.session
        path = request.raw_path
        if session is not None and session.protocol_version == LEGACY_SSE:
            path = session.id
        elif session is not None:
            headers.append(("Mcp-Session-Id", session.id))
            if session.protocol_version:
                headers.append(("MCP-Protocol-Version", session.protocol_version))
        with contextlib.suppress(UpstreamBroken, TimeoutError, TooLarge):
            async with asyncio.timeout(self.runtime.limits.upstream_timeout_seconds):
                resp = await self.pool.request("POST", path, headers, orjson.dumps(error))
                try:
                    await resp.read(self.runtime.limits.max_body_bytes)
                finally:
                    resp.close()

    async def _fail_pending(self, out: Stream, exchange: Exchange, code: int, message: str) -> None:
        """The stream ended badly: every request still waiting on it gets an error instead of silence."""
        telemetry = self.runtime.telemetry
        for id_, pending in exchange.pending.drain():
            telemetry.end(pending.span, pending.started, pending.method, None, code, message)
            with contextlib.suppress(ConnectionError):
                await out.write(format_event(orjson.dumps(error_object(id_, code, message)), event="message"))

    # --- helpers --------------------------------------------------------------------------------

    def _legacy_session(self, request: Request) -> Session | None:
        """The legacy SSE session a POST belongs to, however its query is spelled."""
        for key in _legacy_keys(request.path, request.query_string):
            session = self.legacy.get(key)
            if session is not None:
                return session
        return None

    def _context(self, request: Request, session_id: str | None, version: str | None) -> GuardContext:
        return GuardContext(self.runtime.pipeline.server_id, session_id, version, request.remote)

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


def _legacy_keys(path: str, query: str) -> list[str]:
    """Keys of a legacy endpoint: its path with each session parameter value, or the path alone.
    Servers find the session by that parameter, so extra or reordered parameters must not hide it."""
    values = [v for k, v in parse_qsl(query, keep_blank_values=True) if k in _SESSION_PARAMS]
    return [f"{path}?{v}" for v in values] or [path]


def _replies_only(result: FromClient) -> Response:
    """Every message was refused: answer with the errors (403 when only notifications were refused)."""
    replies = result.replies
    if all(r.get("id") is None for r in replies):
        return json_response(403, replies[0])
    return json_response(200, replies if len(replies) > 1 else replies[0])


def _inject(session: Session, event: bytes) -> None:
    try:
        session.inject.put_nowait(event)
    except asyncio.QueueFull:
        log.error("legacy session %s: dropped an injected event, queue full", session.id)


async def _pump(out: Stream, session: Session) -> None:
    """Deliver the sidecar's own events (refusals) on a legacy SSE stream, between the server's."""
    while True:
        event = await session.inject.get()
        await out.write(event)

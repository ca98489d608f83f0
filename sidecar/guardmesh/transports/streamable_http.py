"""Streamable HTTP of every revision (2025-03-26 to the stateless 2026-07-28): POST answered with JSON
or SSE, GET streams, DELETE. Paths are kept: a POST to the sidecar's `/mcp` reaches the server's `/mcp`.
"""

import contextlib
from collections.abc import Callable
from typing import Any

import orjson

from guardmesh.guards.api import GuardContext
from guardmesh.protocol import errors
from guardmesh.protocol.errors import error_object
from guardmesh.protocol.methods import BATCH_REVISIONS, DEFAULT_HTTP_REVISION, STATELESS_REVISIONS
from guardmesh.protocol.routing import routing_check
from guardmesh.runtime import Runtime
from guardmesh.transports.admission import Overloaded, TooCostly
from guardmesh.transports.caller import Caller
from guardmesh.transports.h1 import Request, Response, UpstreamResponse
from guardmesh.transports.http import json_response, refusal, response_headers
from guardmesh.transports.relay import Exchange, FromClient, Relay
from guardmesh.transports.sessions import Session, SessionsFull, SessionTable
from guardmesh.transports.sse_relay import UNANSWERED, SseRelay, unanswered
from guardmesh.transports.upstream import Upstream, UpstreamFailed

Answer = Response | None
"""What a handler returns: a whole response, or None once it has streamed one."""


class StreamableHttp:
    def __init__(
        self, runtime: Runtime, relay: Relay, upstream: Upstream, streams: SseRelay, sessions: SessionTable
    ) -> None:
        self.runtime = runtime
        self.relay = relay
        self.upstream = upstream
        self.streams = streams
        self.sessions = sessions

    async def post(
        self, request: Request, body: bytes, caller: Caller, handed_over: Callable[[], None] = lambda: None
    ) -> Answer:
        """`handed_over` is called once the body has left for the server (or was refused): the room it
        held in the reading budget is free then."""
        headers = request.headers
        version = headers.get("mcp-protocol-version")
        stateless = version in STATELESS_REVISIONS
        session_id = None if stateless else headers.get("mcp-session-id")
        session = None
        if session_id is not None:
            session = self.sessions.get(session_id)
            if session is None:
                return _unknown_session(self.runtime)
            if not caller.owns(session.owner):
                return foreign_session(self.runtime, caller)
        with session.in_use() if session is not None else contextlib.nullcontext():
            return await self._post(request, body, caller, session, version, stateless, handed_over)

    async def _post(
        self,
        request: Request,
        body: bytes,
        caller: Caller,
        session: Session | None,
        version: str | None,
        stateless: bool,
        handed_over: Callable[[], None],
    ) -> Answer:
        headers = request.headers
        session_id = session.id if session is not None else None
        version = version or (session.protocol_version if session else None) or DEFAULT_HTTP_REVISION
        exchange = Exchange(self._context(session_id, version, caller), session, headers=headers)
        result = await self.relay.from_client(
            body,
            exchange,
            batch_allowed=version in BATCH_REVISIONS,
            check=routing_check(headers) if stateless else None,
        )
        if result.rejected:
            return refusal(result)
        if result.forward is None:
            return _replies_only(result)
        try:
            upstream = await self.upstream.send(request, result.forward, caller)
        finally:
            handed_over()
        try:
            return await self._answer(request, upstream, exchange, result.replies, caller)
        finally:
            upstream.close()

    async def get(self, request: Request, caller: Caller) -> Answer:
        """A GET stream: the server's own messages, or answers replayed after `Last-Event-ID`."""
        session_id = request.headers.get("mcp-session-id")
        session = self.sessions.get(session_id) if session_id is not None else None
        if session_id is not None and session is None:
            return _unknown_session(self.runtime)
        if session is not None and not caller.owns(session.owner):
            return foreign_session(self.runtime, caller)
        version = request.headers.get("mcp-protocol-version") or (session.protocol_version if session else None)
        exchange = Exchange(self._context(session_id, version, caller), session, headers=request.headers)
        with session.in_use() if session is not None else contextlib.nullcontext():
            upstream = await self.upstream.send(request, None, caller)
            try:
                return await self._answer(request, upstream, exchange, [], caller)
            finally:
                upstream.close()

    async def other(self, request: Request, caller: Caller) -> Response:
        """DELETE ends a session; HEAD and OPTIONS pass through unchanged. None of them carries a body."""
        session_id = request.headers.get("mcp-session-id")
        session = self.sessions.get(session_id) if session_id is not None else None
        if session is not None and not caller.owns(session.owner):
            return foreign_session(self.runtime, caller)
        upstream = await self.upstream.send(request, None, caller)
        answer = await self.upstream.whole(upstream, caller.key)
        if request.method == "DELETE" and session_id is not None and upstream.status < 300:
            self.sessions.close(session_id)
        return answer

    async def _answer(
        self,
        request: Request,
        upstream: UpstreamResponse,
        exchange: Exchange,
        replies: list[dict[str, Any]],
        caller: Caller,
    ) -> Answer:
        session_id = upstream.headers.get("mcp-session-id")
        if (
            session_id is not None
            and exchange.session is None
            and exchange.ctx.protocol_version not in STATELESS_REVISIONS
        ):
            session = Session(session_id, owner=caller.key, path=request.raw_path)
            try:
                forgotten = self.sessions.admit(session)
            except SessionsFull as exc:
                # The server opened it already: end it there, so a refused session holds nothing.
                self.upstream.end_session(session)
                self.runtime.telemetry.rejected("sessions-full", str(exc))
                message = f"Too many sessions ({exc}); retry later"
                return json_response(503, error_object(None, errors.OVERLOADED, message), [("Retry-After", "5")])
            for old in forgotten:
                self.upstream.end_session(old)
            exchange.bind(session)
        content_type = upstream.headers.get("Content-Type", "").lower()
        headers = response_headers(upstream.headers.items())
        if content_type.startswith("text/event-stream"):
            await self.streams.stream(request, upstream, exchange, replies, headers)
            return None
        payload = await self.upstream.read(upstream, caller.key)
        if (
            len(exchange.requests)
            and payload
            and upstream.status < 300
            and not content_type.startswith("application/json")
        ):
            # Requests await JSON-RPC answers; a body nobody can inspect does not reach the client.
            raise UpstreamFailed(
                502, errors.UPSTREAM_UNAVAILABLE, f"Upstream answered with {content_type or 'no type'}"
            )
        if not (content_type.startswith("application/json") and payload and upstream.status < 300):
            if upstream.status < 300:
                # An empty (202) answer to requests: their answers will not come.
                replies = replies + unanswered(self.runtime, exchange, errors.UPSTREAM_UNAVAILABLE, UNANSWERED)
            if replies:
                return json_response(200, replies if len(replies) > 1 else replies[0])
            return Response(upstream.status, headers, payload)
        try:
            inspected = await self.relay.from_server(payload, exchange)
        except TooCostly as exc:
            raise UpstreamFailed(502, errors.TOO_LARGE, f"Upstream answer too large to inspect: {exc}") from None
        except Overloaded as exc:
            raise UpstreamFailed(503, errors.OVERLOADED, f"Sidecar overloaded: {exc}; retry later") from None
        if inspected.invalid is not None:
            raise UpstreamFailed(
                502, errors.UPSTREAM_UNAVAILABLE, f"Upstream sent invalid JSON-RPC: {inspected.invalid}"
            )
        exchange.learn_version(inspected.messages)
        body = inspected.forward or b""
        replies = replies + unanswered(self.runtime, exchange, errors.UPSTREAM_UNAVAILABLE, UNANSWERED)
        if replies:
            answers = orjson.loads(body) if body else []
            merged = (answers if isinstance(answers, list) else [answers]) + replies
            body = orjson.dumps(merged)
        return json_response(upstream.status, body, headers)

    def _context(self, session_id: str | None, version: str | None, caller: Caller) -> GuardContext:
        return GuardContext(self.runtime.pipeline.server_id, session_id, version, caller.key, caller.identity)


def foreign_session(runtime: Runtime, caller: Caller) -> Response:
    """A verified caller presenting another caller's session id (session hijacking) is refused."""
    runtime.telemetry.rejected("foreign-session", f"caller {caller.subject!r}")
    return json_response(403, error_object(None, errors.FOREIGN_SESSION, "This session belongs to another caller"))


def _unknown_session(runtime: Runtime) -> Response:
    runtime.telemetry.rejected("unknown-session")
    return json_response(404, error_object(None, errors.SESSION_NOT_FOUND, "Session not found"))


def _replies_only(result: FromClient) -> Response:
    """Every message was refused: answer with the errors (403 when only notifications were refused)."""
    replies = result.replies
    if all(r.get("id") is None for r in replies):
        return json_response(403, replies[0])
    return json_response(200, replies if len(replies) > 1 else replies[0])

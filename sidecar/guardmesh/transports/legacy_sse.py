"""The legacy HTTP+SSE transport of 2024-11-05: one GET stream per session, messages POSTed to the
endpoint its first event names, and every answer (refusals included) delivered on that stream."""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import orjson

from guardmesh.guards.api import GuardContext
from guardmesh.protocol.methods import LEGACY_SSE
from guardmesh.protocol.sse import SseEvent, format_event
from guardmesh.runtime import Runtime
from guardmesh.transports.caller import Caller
from guardmesh.transports.correlation import RequestTable
from guardmesh.transports.h1 import Request, Response, Stream
from guardmesh.transports.http import refusal
from guardmesh.transports.relay import Exchange, Relay
from guardmesh.transports.sessions import Session, SessionTable
from guardmesh.transports.upstream import Upstream

log = logging.getLogger("guardmesh.http")

_SESSION_PARAMS = ("sessionId", "session_id")


@dataclass(eq=False)
class LegacySession(Session):
    """A legacy session, named by its POST endpoint; it lives as long as its GET stream."""

    requests: RequestTable = field(default_factory=RequestTable)
    """Every request of the session awaiting its answer, which only ever comes on the GET stream."""
    inject: asyncio.Queue[bytes] = field(default_factory=lambda: asyncio.Queue(256))
    """Events the sidecar itself must deliver on the stream (refusals)."""
    keys: list[str] = field(default_factory=list)
    injector: asyncio.Task[None] | None = None

    def reply_target(self, path: str) -> tuple[str, list[tuple[str, str]]]:
        return self.id, []

    def deliver(self, event: bytes) -> None:
        try:
            self.inject.put_nowait(event)
        except asyncio.QueueFull:
            log.error("legacy session %s: dropped an injected event, queue full", self.id)


class LegacySse:
    def __init__(self, runtime: Runtime, relay: Relay, upstream: Upstream, sessions: SessionTable) -> None:
        self.runtime = runtime
        self.relay = relay
        self.upstream = upstream
        self.table = sessions
        """Where legacy sessions are admitted and counted, beside Streamable HTTP ones."""
        self._sessions: dict[str, LegacySession] = {}
        """Sessions by their POST endpoint's path and session parameter (see `_keys`)."""

    def session_for(self, request: Request) -> LegacySession | None:
        """The legacy session a POST belongs to, however its query is spelled."""
        for key in _keys(request.path, request.query_string):
            session = self._sessions.get(key)
            if session is not None:
                return session
        return None

    async def post(
        self,
        request: Request,
        body: bytes,
        session: LegacySession,
        caller: Caller,
        handed_over: Callable[[], None] = lambda: None,
    ) -> Response:
        """Answers travel on the session's SSE stream, so refusals are delivered there too."""
        ctx = GuardContext(self.runtime.pipeline.server_id, session.id, LEGACY_SSE, caller.key, caller.identity)
        exchange = Exchange(ctx, session, session.requests, headers=request.headers)
        result = await self.relay.from_client(body, exchange)
        if result.rejected:
            return refusal(result)
        for reply in result.replies:
            if reply.get("id") is not None:
                session.deliver(format_event(orjson.dumps(reply), event="message"))
        if result.forward is None:
            return Response(202, [("Content-Type", "text/plain")], b"Accepted")
        try:
            upstream = await self.upstream.send(request, result.forward, caller)
        finally:
            handed_over()
        return await self.upstream.whole(upstream, caller.key)

    def endpoint(self, event: SseEvent, data: str, exchange: Exchange, out: Stream) -> bytes:
        """Remember the POST endpoint of this stream and make sure it points at us. Raises SessionsFull
        when the session may not be admitted: the stream then ends, and the server's session with it."""
        target = urlsplit(data.strip())
        path = target.path + (f"?{target.query}" if target.query else "")
        session = LegacySession(path, LEGACY_SSE, owner=exchange.ctx.client_id or "", path=path)
        session.in_flight = 1  # for as long as its stream is open: never idle, never forgotten to make room
        self.table.admit(session, evict_own=False)
        session.keys = _keys(target.path, target.query)
        for key in session.keys:
            self._sessions[key] = session
        exchange.bind(session, session.requests)
        session.injector = asyncio.get_running_loop().create_task(_pump(out, session))
        if target.scheme:
            return format_event(path, event="endpoint", id_=event.id)
        return event.raw

    def end(self, exchange: Exchange) -> None:
        """The session's stream ended: the session ends with it."""
        session = exchange.session
        if not isinstance(session, LegacySession):
            return
        if session.injector is not None:
            session.injector.cancel()
        for key in session.keys:
            if self._sessions.get(key) is session:
                del self._sessions[key]
        if self.table.get(session.id) is session:
            self.table.close(session.id)


def _keys(path: str, query: str) -> list[str]:
    """Keys of a legacy endpoint: its path with each session parameter value, or the path alone.
    Servers find the session by that parameter, so extra or reordered parameters must not hide it."""
    values = [v for k, v in parse_qsl(query, keep_blank_values=True) if k in _SESSION_PARAMS]
    return [f"{path}?{v}" for v in values] or [path]


async def _pump(out: Stream, session: LegacySession) -> None:
    """Deliver the sidecar's own events (refusals) on the session's stream, between the server's."""
    while True:
        event = await session.inject.get()
        await out.write(event)

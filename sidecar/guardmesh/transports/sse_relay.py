"""An upstream SSE stream relayed to the client event by event, each message inspected on its way.

Shared by both HTTP transports: Streamable HTTP answers and GET streams, and the legacy HTTP+SSE
session stream (whose `endpoint` event the legacy transport handles through `on_endpoint`).
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol

import orjson

from guardmesh.protocol import errors
from guardmesh.protocol.errors import error_object
from guardmesh.protocol.sse import SseDecoder, SseEvent, SseTooLarge, format_event
from guardmesh.runtime import Runtime
from guardmesh.transports.admission import LARGE_MESSAGE, Budget, Grant, Overloaded, TooCostly
from guardmesh.transports.h1 import Request, Stream, UpstreamBroken, UpstreamResponse
from guardmesh.transports.relay import Exchange, Relay
from guardmesh.transports.sessions import SessionsFull
from guardmesh.transports.upstream import Upstream

log = logging.getLogger("guardmesh.http")


UNANSWERED = "Upstream MCP server ended the stream without answering"
_LATE = "Upstream MCP server did not answer in time"


class _Room:
    """Room in the reading budget for the large event a stream is receiving, taken once its unfinished
    bytes pass LARGE_MESSAGE (the stream waits meanwhile: TCP holds the server back, not our memory)."""

    def __init__(self, budget: Budget | None, key: str, amount: int) -> None:
        self._budget, self._key, self._amount = budget, key, amount
        self._grant: Grant | None = None

    async def fit(self, buffered: int) -> None:
        if self._grant is not None and buffered < LARGE_MESSAGE:
            self.release()  # the large event it was taken for is through
        elif self._grant is None and buffered >= LARGE_MESSAGE and self._budget is not None:
            self._grant = await self._budget.take(self._key, self._amount)

    def release(self) -> None:
        if self._grant is not None:
            self._grant.release()
            self._grant = None


class _Uninspectable(Exception):
    def __init__(self, cause: Overloaded | TooCostly) -> None:
        super().__init__(str(cause))
        self.cause = cause


class StreamSessions(Protocol):
    """Sessions that live as long as a stream (the legacy transport's), opened by an `endpoint` event."""

    def endpoint(self, event: SseEvent, data: str, exchange: Exchange, out: Stream) -> bytes:
        """Open the session the event names; returns the event to send on (rewritten if need be)."""
        ...

    def end(self, exchange: Exchange) -> None:
        """The stream ended: so does any session it opened."""
        ...


class SseRelay:
    def __init__(self, runtime: Runtime, relay: Relay, upstream: Upstream) -> None:
        self.runtime = runtime
        self.relay = relay
        self.upstream = upstream
        self.stream_sessions: StreamSessions | None = None
        """The legacy transport, which owns what an `endpoint` event means."""
        self._background: set[asyncio.Task[None]] = set()
        """Refusals on their way back to the server; kept here so they are not collected mid-flight."""

    async def stream(
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
        try:
            await self._relay_events(request, upstream, exchange, out, decoder)
        finally:
            if self.stream_sessions is not None:
                self.stream_sessions.end(exchange)

    async def _relay_events(
        self, request: Request, upstream: UpstreamResponse, exchange: Exchange, out: Stream, decoder: SseDecoder
    ) -> None:
        chunks = upstream.chunks()
        room = _Room(self.upstream.reading, exchange.ctx.client_id or "", self.runtime.limits.max_body_bytes)
        try:
            while True:
                try:
                    await room.fit(decoder.buffered)
                    chunk = await self._next(chunks, exchange)
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    self.runtime.telemetry.rejected("upstream-timeout")
                    await self._fail_pending(out, exchange, errors.UPSTREAM_TIMEOUT, _LATE)
                    if request.method == "GET":
                        continue  # a session's stream goes on; a late answer is then guarded as unmatched
                    return
                except (Overloaded, TooCostly) as exc:
                    raise _Uninspectable(exc) from None
                try:
                    for event in decoder.feed(chunk):
                        data = await self._event(request, event, exchange, out)
                        if data:
                            await out.write(data)
                except _Uninspectable as exc:
                    # The event is dropped; the requests it may have answered cannot wait for it.
                    await self._uninspectable(out, exchange, exc)
                    if request.method == "GET":
                        continue
                    return
        except _Uninspectable as exc:
            # No room to read a large event: the stream ends, and what it owes gets errors.
            decoder.reset()
            await self._uninspectable(out, exchange, exc)
            return
        except SessionsFull as exc:
            self.runtime.telemetry.rejected("sessions-full", str(exc))
            message = f"Too many sessions ({exc}); retry later"
            with contextlib.suppress(ConnectionError):
                await out.write(
                    format_event(orjson.dumps(error_object(None, errors.OVERLOADED, message)), event="message")
                )
            return
        except SseTooLarge as exc:
            self.runtime.telemetry.rejected("upstream-too-large")
            await self._fail_pending(out, exchange, errors.TOO_LARGE, f"Upstream stream broken: {exc}")
            return
        except UpstreamBroken as exc:
            self.runtime.telemetry.rejected("upstream-broken")
            log.warning("upstream stream broke off: %s", exc)
            await self._fail_pending(
                out, exchange, errors.UPSTREAM_UNAVAILABLE, "Upstream MCP server broke off the stream"
            )
            return
        finally:
            room.release()
        # The server ended the stream: what it left unanswered on it will never be answered.
        if await self._fail_pending(out, exchange, errors.UPSTREAM_UNAVAILABLE, UNANSWERED):
            self.runtime.telemetry.rejected("upstream-unanswered")

    async def _uninspectable(self, out: Stream, exchange: Exchange, exc: "_Uninspectable") -> None:
        code = errors.TOO_LARGE if isinstance(exc.cause, TooCostly) else errors.OVERLOADED
        self.runtime.telemetry.rejected("upstream-uninspectable", str(exc.cause))
        await self._fail_pending(out, exchange, code, f"Upstream answer not inspected: {exc.cause}")

    async def _next(self, chunks: AsyncIterator[bytes], exchange: Exchange) -> bytes:
        """The next bytes of the stream; while it owes answers, the server may stay silent only so long."""
        if not exchange.requests.owed():
            return await anext(chunks)
        async with asyncio.timeout(self.runtime.limits.upstream_timeout_seconds):
            return await anext(chunks)

    async def _event(self, request: Request, event: SseEvent, exchange: Exchange, out: Stream) -> bytes:
        if event.event == "endpoint" and event.data is not None and self.stream_sessions is not None:
            return self.stream_sessions.endpoint(event, event.data, exchange, out)
        if not event.carries_message or event.data is None:
            return event.raw
        try:
            inspected = await self.relay.from_server(event.data, exchange)
        except (Overloaded, TooCostly) as exc:
            raise _Uninspectable(exc) from None
        for error in inspected.to_server:
            task = asyncio.get_running_loop().create_task(self._refuse(request, exchange, error))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        if inspected.invalid is not None:
            log.warning("dropped an SSE event that is not valid JSON-RPC: %s", inspected.invalid)
            if inspected.forward is not None:
                return format_event(inspected.forward, event=event.event, id_=event.id)
            return b"" if event.id is None else f"id: {event.id}\n\n".encode()
        exchange.learn_version(inspected.messages)
        if inspected.forward is None:
            return b"" if event.id is None else f"id: {event.id}\n\n".encode()
        if not inspected.changed:
            return event.raw
        return format_event(inspected.forward, event=event.event, id_=event.id)

    async def _refuse(self, request: Request, exchange: Exchange, error: dict[str, Any]) -> None:
        """Tell the server that its request was refused, as the client would have answered it."""
        session = exchange.session
        path, headers = (request.raw_path, []) if session is None else session.reply_target(request.raw_path)
        await self.upstream.post(path, headers, error)

    async def _fail_pending(self, out: Stream, exchange: Exchange, code: int, message: str) -> int:
        """The stream ended: every request still waiting on it gets an error instead of silence (once: a
        request answered or failed elsewhere is not failed again). Returns how many."""
        failed = 0
        for error in unanswered(self.runtime, exchange, code, message):
            failed += 1
            with contextlib.suppress(ConnectionError):
                await out.write(format_event(orjson.dumps(error), event="message"))
        return failed


def unanswered(runtime: Runtime, exchange: Exchange, code: int, message: str) -> list[dict[str, Any]]:
    """Errors for the requests of `exchange` still waiting for answers, which will not come; each request
    is settled here, so no other path answers it a second time."""
    telemetry = runtime.telemetry
    return [
        error_object(id_, code, message)
        for id_, pending in exchange.requests.unanswered()
        if pending.settle(telemetry, None, code, message)
    ]

"""An HTTP/1.1 server: one asyncio.Protocol per connection, httptools (llhttp) for the parsing.

Hand-written because aiohttp's server alone costs ~125 µs CPU/request, over the sidecar's 150 µs budget.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import deque
from collections.abc import Awaitable, Callable
from typing import cast

from httptools import HttpParserError, HttpParserUpgrade, HttpRequestParser

from guardmesh.transports.h1.errors import TooLarge
from guardmesh.transports.h1.request import Request, Response, encode_response

log = logging.getLogger(__name__)

Handler = Callable[[Request], Awaitable[Response | None]]
"""Answers a request with a Response, or with None after streaming through `request.start_stream`."""

MAX_QUEUED = 32
"""Pipelined requests parsed ahead of the one being handled; past this the connection stops reading."""
LINGER_SECONDS = 2.0
"""After answering a request whose body was not read, how long the rest is read and dropped before
closing: closing with unread bytes sends a reset, which can destroy the response before the client reads it."""

WRITE_TIMEOUT_SECONDS = 30.0
"""Longest a response may wait for its client to read (write buffer above its high-water mark)."""

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class _HeaderOverflow(Exception):
    pass


def _plain(status: int, text: str) -> Response:
    return Response(status, [("Content-Type", "text/plain; charset=utf-8")], text.encode())


_ERRORS = {
    400: _plain(400, "malformed request\n"),
    413: _plain(413, "request body too large\n"),
    431: _plain(431, "request header fields too large\n"),
    503: _plain(503, "too many connections\n"),
    500: _plain(500, "internal error\n"),
}


class Server:
    """A listening server; `close()` stops accepting, `wait_closed(grace)` lets exchanges finish."""

    def __init__(
        self, handler: Handler, max_header_bytes: int, handler_cancellation: bool, keepalive_timeout: float
    ) -> None:
        self.handler = handler
        self.max_header_bytes = max_header_bytes
        self.handler_cancellation = handler_cancellation
        self.keepalive_timeout = keepalive_timeout
        self.max_connections: int | None = None
        self.loop = asyncio.get_running_loop()
        self.closing = False
        self.connections: set[_Connection] = set()
        self._listener: asyncio.Server | None = None
        self._sweeper: asyncio.TimerHandle | None = None

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return self._listener.sockets if self._listener is not None else ()

    def close(self) -> None:
        """Stop accepting; idle connections close now, busy ones after their current response."""
        if self.closing:
            return
        self.closing = True
        if self._listener is not None:
            self._listener.close()
        if self._sweeper is not None:
            self._sweeper.cancel()
        for conn in list(self.connections):
            conn.shutdown()

    async def wait_closed(self, grace: float = 5.0) -> None:
        """Wait up to `grace` seconds for in-flight handlers, then cancel them and drop their connections."""
        self.close()
        pending = {conn.done for conn in self.connections}
        if pending:
            await asyncio.wait(pending, timeout=grace)
        for conn in list(self.connections):
            conn.abort()
        left = {conn.done for conn in self.connections}
        if left:
            await asyncio.wait(left)
        if self._listener is not None:
            await self._listener.wait_closed()

    async def _listen(self, host: str | None, port: int, backlog: int) -> None:
        self._listener = await self.loop.create_server(lambda: _Connection(self), host, port, backlog=backlog)
        self._sweep_every = min(1.0, max(0.05, self.keepalive_timeout / 2))
        self._sweeper = self.loop.call_later(self._sweep_every, self._sweep)

    def _sweep(self) -> None:
        """Close connections idle (or dribbling a header section) longer than keepalive_timeout."""
        deadline = self.loop.time() - self.keepalive_timeout
        for conn in list(self.connections):
            if conn.idle_since is not None and conn.idle_since <= deadline:
                conn.close_idle()
        self._sweeper = self.loop.call_later(self._sweep_every, self._sweep)


async def serve(
    handler: Handler,
    host: str | None,
    port: int,
    *,
    backlog: int = 1024,
    max_header_bytes: int = 16384,
    handler_cancellation: bool = True,
    keepalive_timeout: float = 75.0,
    max_connections: int | None = None,
) -> Server:
    """Listen on host:port and answer each request with `handler`.

    `max_header_bytes` bounds the request target and header names and values (431 past it);
    `handler_cancellation` cancels the handler's task when its client disconnects;
    `keepalive_timeout` closes a connection idle that long between requests (or sending its head);
    `max_connections` answers connections past that many open ones with 503 and closes them.
    """
    server = Server(handler, max_header_bytes, handler_cancellation, keepalive_timeout)
    server.max_connections = max_connections
    await server._listen(host, port, backlog)
    return server


class _Connection(asyncio.Protocol):
    """One client connection: parses as bytes arrive, handles its requests one at a time, in order."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.loop = server.loop
        self.transport = cast(asyncio.Transport, None)
        self.remote = ""
        self._parser = HttpRequestParser(self)
        self._url = b""
        self._fields: list[tuple[str, str]] = []
        self._header_bytes = 0  # target, names and values of the head being parsed
        self._max_header_bytes = server.max_header_bytes
        self._raw_head_bytes = 0  # bytes of reads that fell wholly inside the head being parsed
        self._in_head = False
        self._began = False  # a message began in the bytes being fed
        self._parsing: Request | None = None  # the request whose bytes are arriving
        self._active: Request | None = None  # the request being handled
        self._queue: deque[Request | int] = deque()  # pipelined requests, or an error status to answer in turn
        self._task: asyncio.Task[None] | None = None
        self._read_paused = False
        self._dropping_input = False  # after a parse error, an upgrade, or while lingering
        self._linger: asyncio.TimerHandle | None = None
        self._drain_waiters: list[asyncio.Future[None]] = []
        self.closed = False
        self.closing = False
        self.client_done = False
        """The client half-closed its side: it sends no more requests but may still read our answers."""
        self.write_paused = False
        self.idle_since: float | None = None
        self.done: asyncio.Future[None] = self.loop.create_future()
        """Resolved once the connection is lost and no handler of it runs."""

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self.remote = peer[0] if isinstance(peer, tuple) else ""
        self.idle_since = self.loop.time()
        limit = self.server.max_connections
        if limit is not None and len(self.server.connections) >= limit:
            self._dropping_input = True
            self.transport.write(encode_response(_ERRORS[503], closing=True))
            self.transport.close()
            return
        self.server.connections.add(self)
        self.done.add_done_callback(lambda _: self.server.connections.discard(self))
        if self.server.closing:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self._dropping_input:
            return
        self._began = False
        try:
            self._parser.feed_data(data)
            if self._in_head and not self._began:
                # The parser buffers an unfinished header line without calling us; counting raw bytes
                # (separators too, hence the slack) bounds that buffer against one endless line.
                self._raw_head_bytes += len(data)
                if self._raw_head_bytes > 4 * self._max_header_bytes + 65536:
                    self._header_bytes = self._raw_head_bytes
                    raise _HeaderOverflow
        except HttpParserUpgrade:
            # No upgrades are served: the request is answered as plain HTTP; what follows is dropped.
            self._dropping_input = True
            if self._parsing is not None:
                self._parsing._fail(ConnectionResetError("protocol upgrade is not supported"))
        except (HttpParserError, _HeaderOverflow):
            self._dropping_input = True
            req = self._parsing
            if req is not None:
                req._bad_body = True
                req._must_close = True
                req._fail(ConnectionResetError("malformed request body"))
            else:
                status = 431 if self._header_bytes > self._max_header_bytes else 400
                if self._active is None:
                    self._send_error(status)
                else:
                    self._queue.append(status)

    def eof_received(self) -> bool | None:
        """The client closed its side. Until we write, a half-close (it still reads) looks the same as a
        client that is gone; so what it sent is still answered, then we close, unless a streamed response
        had already started: a client that stops sending mid-stream is taken as gone, so the stream and
        what feeds it end now. A body cut short by the close can never complete, so its request fails."""
        self.client_done = True
        req = self._parsing
        if req is not None:
            req._bad_body = True
            req._fail(ConnectionResetError("the client closed its side before the end of its body"))
        active = self._active
        if (active is None and not self._queue) or (active is not None and active.started):
            return None  # nothing to answer, or a stream nobody reads: the transport closes
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._linger is not None:
            self._linger.cancel()
        gone = ConnectionResetError("client disconnected")
        for req in (self._active, self._parsing):
            if req is not None:
                req._fail(gone)
        self._queue.clear()
        self._release_writers()
        if self._task is not None:
            if self.server.handler_cancellation:
                self._task.cancel()
        elif not self.done.done():
            self.done.set_result(None)

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        self._release_writers()

    # httptools callbacks

    def on_message_begin(self) -> None:
        self._url = b""
        self._fields = []
        self._header_bytes = self._raw_head_bytes = 0
        self._in_head = self._began = True

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._header_bytes += len(url)
        if self._header_bytes > self._max_header_bytes:
            raise _HeaderOverflow

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > self._max_header_bytes:
            raise _HeaderOverflow
        self._fields.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self._in_head = False
        parser = self._parser
        req = self._parsing = Request(
            self,
            parser.get_method().decode("ascii"),
            self._url.decode("latin-1"),
            self._fields,
            parser.get_http_version(),
            parser.should_keep_alive() and not parser.should_upgrade(),
            self.remote,
        )
        if self._active is None:
            self._start(req)
        else:
            self._queue.append(req)
            if len(self._queue) >= MAX_QUEUED:
                self._pause()

    def on_body(self, body: bytes) -> None:
        if self._parsing is not None:
            self._parsing._feed(body)

    def on_message_complete(self) -> None:
        if self._parsing is not None:
            self._parsing._finish()
            self._parsing = None

    # Exchanges

    def _start(self, req: Request) -> None:
        self._active = req
        self.idle_since = None
        self._task = self.loop.create_task(self._run(req))

    async def _run(self, req: Request) -> None:
        try:
            goes_on = await self._exchange(req)
        finally:
            self._task = None
            self._active = None
            if self.closed and not self.done.done():
                self.done.set_result(None)
        if goes_on:
            self._next()

    async def _exchange(self, req: Request) -> bool:
        """Run the handler and send its answer; True when the connection takes another request."""
        try:
            try:
                response = await self.server.handler(req)
            except TooLarge:
                if req.started:
                    raise
                req._must_close = True
                response = _ERRORS[413]
            if self.closed:
                return False
            if response is not None:
                if req.started:
                    raise RuntimeError("the handler returned a response after starting a stream")
                closing = (
                    not req.keep_alive or req._must_close or self.closing or not req.body_complete or self._last(req)
                )
                self.write(req._encode(response, closing))
            elif not req._end_stream():
                raise RuntimeError("the handler returned neither a response nor a stream")
        except asyncio.CancelledError:
            if not self.closed:
                self.transport.abort()
            raise
        except Exception as exc:
            if self.closed:
                # The client left; nobody waits for an answer, but a bug is still worth a line.
                if not isinstance(exc, ConnectionError):
                    log.exception("HTTP handler failed on %s %s after its client left", req.method, req.path)
                return False
            if req._bad_body:
                status = 400
            else:
                status = 500
                log.exception("HTTP handler failed on %s %s", req.method, req.path)
            if not req.started:
                self.write(req._encode(_ERRORS[status], closing=True))
            # A started stream is cut short: the missing last chunk tells the client it is incomplete.
            self._close(linger=not req.body_complete and not req._awaits_continue)
            return False
        if not req.keep_alive or req._must_close or self.closing or not req.body_complete or self._last(req):
            # An unread body would be parsed as the next request: close instead of skipping it.
            self._close(linger=not req.body_complete and not req._awaits_continue)
            return False
        return True

    def _last(self, req: Request) -> bool:
        """The client half-closed and nothing of it is left to answer after `req`."""
        return self.client_done and not self._queue and self._parsing in (None, req)

    def _next(self) -> None:
        if self._queue:
            nxt = self._queue.popleft()
            if isinstance(nxt, int):
                self._send_error(nxt)
                return
            self._start(nxt)
        else:
            self.idle_since = self.loop.time()
        self._maybe_resume()

    def _send_error(self, status: int) -> None:
        self.write(encode_response(_ERRORS[status], closing=True))
        self._close(linger=True)

    # Flow control, writing, closing: used by Request and Stream too

    def write(self, data: bytes) -> None:
        if not self.closed and self._linger is None:
            self.transport.write(data)

    async def drain(self) -> None:
        """Wait until the transport's write buffer is below its high-water mark; a client that reads
        nothing for WRITE_TIMEOUT_SECONDS meanwhile is dropped (it would hold its stream and buffers)."""
        while self.write_paused and not self.closed:
            waiter = self.loop.create_future()
            self._drain_waiters.append(waiter)
            timer = self.loop.call_later(WRITE_TIMEOUT_SECONDS, self._too_slow, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
        if self.closed:
            raise ConnectionResetError("client disconnected")

    def _too_slow(self, waiter: asyncio.Future[None]) -> None:
        if not waiter.done() and not self.closed:
            log.info("dropping a client that read nothing for %.0f s", WRITE_TIMEOUT_SECONDS)
            self.transport.abort()

    def _release_writers(self) -> None:
        waiters, self._drain_waiters = self._drain_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def body_wanted(self, req: Request) -> None:
        """The handler reads `req`'s body: invite it if the client waits for that, and let it flow."""
        if req._awaits_continue and not req.started:
            req._note_continue_sent()
            self.write(_CONTINUE)
        self._maybe_resume()

    def pause_for_body(self) -> None:
        self._pause()

    def _pause(self) -> None:
        if not self._read_paused and not self.closed:
            self._read_paused = True
            self.transport.pause_reading()

    def _maybe_resume(self) -> None:
        if not self._read_paused or self.closed or len(self._queue) >= MAX_QUEUED:
            return
        if self._parsing is not None and self._parsing._over_high_water:
            return
        self._read_paused = False
        self.transport.resume_reading()

    def _close(self, *, linger: bool) -> None:
        if self.closed or self.transport.is_closing() or self._linger is not None:
            return
        if linger and self.transport.can_write_eof():
            # Half-close: the client sees the response and our FIN; what it still sends is dropped.
            self._dropping_input = True
            self.transport.write_eof()
            self._linger = self.loop.call_later(LINGER_SECONDS, self.transport.close)
            if self._read_paused:
                self._read_paused = False
                self.transport.resume_reading()
        else:
            self.transport.close()

    def shutdown(self) -> None:
        """The server is closing: close now if idle, else after the current response."""
        self.closing = True
        if self._active is None:
            self._close(linger=False)

    def close_idle(self) -> None:
        self.idle_since = None
        self._close(linger=False)

    def abort(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if not self.closed:
            self.transport.abort()

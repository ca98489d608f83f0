"""An HTTP/1.1 client for one upstream: a pool of keep-alive connections, httptools (llhttp) for the parsing.

Hand-written like the server: an aiohttp relay costs ~270 µs CPU/request, nearly twice the sidecar's budget.
"""

from __future__ import annotations

import asyncio
import ssl as ssl_module
from collections import deque
from collections.abc import AsyncIterator, Iterable
from typing import cast

from httptools import HttpParserError, HttpParserUpgrade, HttpResponseParser
from multidict import CIMultiDict, CIMultiDictProxy

from guardmesh.transports.h1._wire import NO_BODY_STATUSES, encode_fields
from guardmesh.transports.h1.errors import TooLarge, UpstreamBroken

BODY_HIGH_WATER = 64 * 1024
"""Response bytes buffered ahead of a slow consumer; past this the connection stops reading."""
BODY_LOW_WATER = 16 * 1024
MAX_HEAD_BYTES = 64 * 1024
"""A response head larger than this breaks the exchange (the parser would buffer it without bound)."""


class UpstreamResponse:
    """A response whose status and headers have arrived; its body follows through `read` or `chunks`.

    Call `close()` when done: the connection goes back to the pool only if the body was complete.
    """

    __slots__ = (
        "_buffered",
        "_chunks",
        "_complete",
        "_conn",
        "_error",
        "_released",
        "_waiter",
        "content_length",
        "headers",
        "keep_alive",
        "status",
        "until_eof",
    )

    def __init__(self, conn: _UpstreamConnection, status: int, fields: list[tuple[str, str]], keep_alive: bool) -> None:
        self._conn = conn
        self.status = status
        self.headers: CIMultiDictProxy[str] = CIMultiDictProxy(CIMultiDict(fields))
        self.keep_alive = keep_alive
        length = self.headers.get("content-length")
        self.content_length = int(length) if length is not None else None
        chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
        self.until_eof = length is None and not chunked and status not in NO_BODY_STATUSES
        """The body has no framing: it ends when the upstream closes."""
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._complete = False
        self._error: UpstreamBroken | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._released = False

    async def read(self, limit: int) -> bytes:
        """The rest of the body; raises TooLarge as soon as Content-Length or the bytes received pass `limit`."""
        if self.content_length is not None and self.content_length > limit:
            raise TooLarge
        parts: list[bytes] = []
        size = 0
        while (chunk := await self._next()) is not None:
            size += len(chunk)
            if size > limit:
                raise TooLarge
            parts.append(chunk)
        return b"".join(parts)

    def chunks(self) -> AsyncIterator[bytes]:
        """The body's bytes as they arrive, de-chunked; raises UpstreamBroken if it is cut short."""
        return _Chunks(self)

    def close(self) -> None:
        """Give the connection back to the pool if the body was read to its end, else close it."""
        if self._released:
            return
        self._released = True
        self._chunks.clear()
        conn = self._conn
        if conn.unsent():
            # The server answered before reading all of the request (an early 413, say): the rest would
            # be read as the next request, and a graceful close would wait for a reader that never comes.
            conn.abort()
        elif self._complete and self._error is None and self.keep_alive:
            conn.pool._release(conn)
        else:
            conn.close()

    @property
    def complete(self) -> bool:
        return self._complete

    async def _next(self) -> bytes | None:
        while True:
            if self._chunks:
                chunk = self._chunks.popleft()
                self._buffered -= len(chunk)
                if self._buffered < BODY_LOW_WATER:
                    self._conn.resume()
                return chunk
            if self._error is not None:
                raise self._error
            if self._complete:
                return None
            self._waiter = self._conn.loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    # Called by the connection as the parser delivers the body.

    def _feed(self, data: bytes) -> None:
        if self._released:
            return
        self._chunks.append(data)
        self._buffered += len(data)
        if self._buffered > BODY_HIGH_WATER:
            self._conn.pause()
        self._wake()

    def _finish(self) -> None:
        self._complete = True
        self._wake()

    def _fail(self, exc: UpstreamBroken) -> None:
        if not self._complete and self._error is None:
            self._error = exc
            self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


class _Chunks:
    """A response body as an async iterator: a class, so an abandoned one needs no finalizer like a generator."""

    __slots__ = ("_response",)

    def __init__(self, response: UpstreamResponse) -> None:
        self._response = response

    def __aiter__(self) -> _Chunks:
        return self

    async def __anext__(self) -> bytes:
        chunk = await self._response._next()
        if chunk is None:
            raise StopAsyncIteration
        return chunk


class UpstreamPool:
    """Keep-alive HTTP/1.1 connections to one upstream; `request` takes one, `UpstreamResponse.close` gives it back.

    `request(..., answer_within=s)` bounds the wait for the response head (TimeoutError past it); body
    reads are the caller's to bound.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        ssl: ssl_module.SSLContext | None = None,
        max_idle: int = 64,
        connect_timeout: float = 5.0,
    ) -> None:
        self.host = host
        self.port = port
        self.ssl = ssl
        self.max_idle = max_idle
        self.connect_timeout = connect_timeout
        name = f"[{host}]" if ":" in host else host
        self.host_header = name if port == (443 if ssl is not None else 80) else f"{name}:{port}"
        self._idle: list[_UpstreamConnection] = []  # a stack: the most recently used is the least likely stale
        self._connections: set[_UpstreamConnection] = set()
        self._closed = False

    async def request(
        self,
        method: str,
        target: str,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes | None = None,
        answer_within: float | None = None,
    ) -> UpstreamResponse:
        """Send a request and return once the response's status line and headers have arrived.

        A pooled connection that fails before any byte of a response is retried once on a new one:
        the upstream closed it while idle (its keep-alive timeout racing our reuse) and never answered.
        Even a POST is resent then, accepted here because an MCP upstream that dies between reading a
        request and answering it has not completed it for the client either way.
        """
        if self._closed:
            raise UpstreamBroken("the upstream pool is closed")
        fields, has_host = encode_fields(headers, "host")
        head = (
            f"{method} {target} HTTP/1.1\r\n"
            + ("" if has_host else f"Host: {self.host_header}\r\n")
            + fields
            + ("" if body is None else f"Content-Length: {len(body)}\r\n")
            + "\r\n"
        ).encode("latin-1")
        message = head if not body else head + body
        conn = self._take_idle()
        if conn is not None:
            try:
                return await conn.send(message, method, answer_within)
            except UpstreamBroken:
                if conn.answered:
                    raise
        conn = await self._connect()
        return await conn.send(message, method, answer_within)

    async def close(self, within: float = 1.0) -> None:
        """Close every connection, idle or in use, and wait until they are gone. A connection still
        flushing a request the upstream does not read is reset after `within` seconds (a graceful close
        waits for its write buffer to empty, which then never happens)."""
        self._closed = True
        self._idle.clear()
        conns = list(self._connections)
        for conn in conns:
            conn.close()
        if not conns:
            return
        _, stuck = await asyncio.wait([conn.lost for conn in conns], timeout=within)
        if stuck:
            for conn in conns:
                if not conn.lost.done():
                    conn.transport.abort()
            await asyncio.wait(stuck)

    def _take_idle(self) -> _UpstreamConnection | None:
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed:
                return conn
        return None

    async def _connect(self) -> _UpstreamConnection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, conn = await loop.create_connection(
                    lambda: _UpstreamConnection(self), self.host, self.port, ssl=self.ssl
                )
        except TimeoutError:
            raise UpstreamBroken(f"connecting to {self.host}:{self.port} timed out") from None
        except OSError as exc:
            raise UpstreamBroken(f"cannot connect to {self.host}:{self.port}: {exc.strerror or exc}") from None
        return conn

    def _release(self, conn: _UpstreamConnection) -> None:
        if self._closed or conn.closed or len(self._idle) >= self.max_idle:
            conn.close()
        else:
            self._idle.append(conn)

    def _forget(self, conn: _UpstreamConnection) -> None:
        self._connections.discard(conn)
        if conn in self._idle:
            self._idle.remove(conn)


class _UpstreamConnection(asyncio.Protocol):
    """One connection to the upstream, carrying one exchange at a time."""

    def __init__(self, pool: UpstreamPool) -> None:
        self.pool = pool
        self.loop = asyncio.get_running_loop()
        self.transport = cast(asyncio.Transport, None)
        self._parser = HttpResponseParser(self)
        self._fields: list[tuple[str, str]] = []
        self._head: asyncio.Future[UpstreamResponse] | None = None  # waiting for the status and headers
        self._response: UpstreamResponse | None = None  # receiving the body
        self._head_request = False
        self._informational = False
        self._read_paused = False
        self._head_bytes = 0
        self.answered = False
        """A byte of the response to the current request has arrived."""
        self.closed = False
        self.lost: asyncio.Future[None] = self.loop.create_future()

    async def send(self, message: bytes, method: str, answer_within: float | None = None) -> UpstreamResponse:
        if self.closed:
            raise UpstreamBroken("upstream closed the connection before responding")
        self.answered = False
        self._head_bytes = 0
        self._head_request = method == "HEAD"
        self.resume()  # the previous body may have ended while its reader lagged
        head: asyncio.Future[UpstreamResponse] = self.loop.create_future()
        self._head = head
        self.transport.write(message)
        # A plain timer, not asyncio.timeout(): on Python 3.11 that asks the OS for the pid on every call.
        timer = None if answer_within is None else self.loop.call_later(answer_within, _expire, head)
        try:
            return await head
        except BaseException:
            # Cancelled (the caller's timeout) or broken: the connection's state is unknown, drop it.
            self._head = None
            self.close()
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def close(self) -> None:
        if not self.closed:
            self.transport.close()

    def abort(self) -> None:
        if not self.closed:
            self.transport.abort()

    def unsent(self) -> bool:
        """Bytes of the current request are still waiting to be written."""
        return not self.closed and self.transport.get_write_buffer_size() > 0

    def pause(self) -> None:
        if not self._read_paused and not self.closed:
            self._read_paused = True
            self.transport.pause_reading()

    def resume(self) -> None:
        if self._read_paused and not self.closed:
            self._read_paused = False
            self.transport.resume_reading()

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.pool._connections.add(self)

    def data_received(self, data: bytes) -> None:
        self.answered = True
        if self._head is None and self._response is None:
            self.transport.close()  # nothing was asked: an idle connection the upstream is giving up on
            return
        try:
            self._parser.feed_data(data)
        except HttpParserUpgrade:
            self._break("switched protocols")
            return
        except HttpParserError as exc:
            self._break(f"sent a malformed response ({type(exc).__name__})")
            return
        head = self._head
        if head is not None:  # this whole read was (part of) the head
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self._head = None
                head.set_exception(UpstreamBroken(f"upstream response head over {MAX_HEAD_BYTES} bytes"))
                self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.pool._forget(self)
        response = self._response
        if response is not None and response.until_eof and exc is None:
            response.keep_alive = False
            response._finish()
        else:
            reason = "closed the connection" if exc is None else f"reset the connection ({type(exc).__name__})"
            self._break(reason)
        if not self.lost.done():
            self.lost.set_result(None)

    def _break(self, reason: str) -> None:
        head, self._head = self._head, None
        if head is not None and not head.done():
            head.set_exception(UpstreamBroken(f"upstream {reason} before responding"))
        response, self._response = self._response, None
        if response is not None:
            response._fail(UpstreamBroken(f"upstream {reason} mid-body"))
        self.close()

    # httptools callbacks

    def on_message_begin(self) -> None:
        self._fields = []

    def on_header(self, name: bytes, value: bytes) -> None:
        self._fields.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        parser = self._parser
        status = parser.get_status_code()
        if status < 200:
            self._informational = True  # 100 Continue, 103 Early Hints: the real response follows
            return
        response = UpstreamResponse(self, status, self._fields, parser.should_keep_alive())
        if self._head_request:
            # The parser cannot be told a HEAD response has no body; it would wait for one, so the
            # response ends here and the connection is not reused.
            response.keep_alive = False
            response.until_eof = False
            response._finish()
        else:
            self._response = response
        head, self._head = self._head, None
        if head is not None and not head.done():
            head.set_result(response)

    def on_body(self, body: bytes) -> None:
        if self._response is not None:
            self._response._feed(body)

    def on_message_complete(self) -> None:
        if self._informational:
            self._informational = False
            return
        response, self._response = self._response, None
        if response is not None:
            response._finish()


def _expire(head: asyncio.Future[UpstreamResponse]) -> None:
    if not head.done():
        head.set_exception(TimeoutError("the upstream did not answer in time"))

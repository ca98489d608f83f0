"""What a handler sees of one exchange: the Request it reads, the Response or Stream it answers with."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from multidict import CIMultiDict, CIMultiDictProxy

from guardmesh.transports.h1._wire import NO_BODY_STATUSES, date_field, encode_fields, status_line
from guardmesh.transports.h1.errors import TooLarge

if TYPE_CHECKING:
    from guardmesh.transports.h1.server import _Connection

# Body bytes buffered while no handler is reading them; past this the connection stops reading.
BODY_HIGH_WATER = 64 * 1024


class Response:
    """A whole response; the layer adds Content-Length, Date (unless given) and Connection: close when closing."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: Iterable[tuple[str, str]] = (), body: bytes = b"") -> None:
        self.status = status
        self.headers = headers
        self.body = body


def encode_response(response: Response, closing: bool, head_only: bool = False) -> bytes:
    """A response's bytes: its head, then its body unless `head_only` or a status that has none."""
    status = response.status
    fields, has_date = encode_fields(response.headers, "date")
    body = response.body
    if status in NO_BODY_STATUSES or status < 200:
        length, body = "", b""
    else:
        length = f"Content-Length: {len(body)}\r\n"
        if head_only:
            body = b""
    date = "" if has_date else date_field()
    end = "Connection: close\r\n\r\n" if closing else "\r\n"
    # One write, so one send for the common small response.
    return f"{status_line(status)}{fields}{date}{length}{end}".encode("latin-1") + body


class Stream:
    """A response body sent as it is written (chunked on HTTP/1.1); the layer ends it when the handler returns."""

    __slots__ = ("_chunked", "_conn", "_silent")

    def __init__(self, conn: _Connection, chunked: bool, silent: bool) -> None:
        self._conn = conn
        self._chunked = chunked
        self._silent = silent  # HEAD, 204, 304: the head was the whole response

    async def write(self, data: bytes) -> None:
        """Send `data`; waits while the client is slow to read, so a slow client cannot make memory grow."""
        conn = self._conn
        if conn.closed:
            raise ConnectionResetError("client disconnected")
        if not data or self._silent:
            return  # an empty chunk would end the body
        conn.write(b"%x\r\n%b\r\n" % (len(data), data) if self._chunked else data)
        if conn.write_paused:
            await conn.drain()

    def _end(self) -> None:
        if self._chunked and not self._silent and not self._conn.closed:
            self._conn.write(b"0\r\n\r\n")


class Request:
    """One request: `method`, `raw_path` (target as sent), `path` (percent-decoded), `query_string`, `headers`,
    `content_length`, `remote` (peer IP), `host`, `keep_alive`, `http_version`; the body comes from `read(limit)`.
    """

    __slots__ = (
        "_bad_body",
        "_body",
        "_complete",
        "_conn",
        "_continue_sent",
        "_discard",
        "_error",
        "_expect_continue",
        "_limit",
        "_must_close",
        "_parts",
        "_size",
        "_stream",
        "_waiter",
        "content_length",
        "headers",
        "host",
        "http_version",
        "keep_alive",
        "method",
        "path",
        "query_string",
        "raw_path",
        "remote",
        "started",
    )

    def __init__(
        self,
        conn: _Connection,
        method: str,
        raw_path: str,
        fields: list[tuple[str, str]],
        http_version: str,
        keep_alive: bool,
        remote: str,
    ) -> None:
        self._conn = conn
        self.method = method
        self.raw_path = raw_path
        path, _, self.query_string = raw_path.partition("?")
        if not path.startswith("/") and path != "*":
            # absolute-form (`http://host/path`), which proxies are sent
            parts = urlsplit(raw_path)
            path, self.query_string = parts.path or "/", parts.query
        self.path = unquote(path)
        self.headers: CIMultiDictProxy[str] = CIMultiDictProxy(CIMultiDict(fields))
        self.http_version = http_version
        # HTTP/1.0 keep-alive is an old extension; closing keeps the framing simple.
        self.keep_alive = keep_alive and http_version == "1.1"
        self.remote = remote
        self.host = self.headers.get("host", "")
        length = self.headers.get("content-length")
        # The parser refuses a request with both Content-Length and Transfer-Encoding.
        self.content_length = int(length) if length is not None else None
        self._expect_continue = http_version == "1.1" and self.headers.get("expect", "").lower() == "100-continue"
        self._continue_sent = False
        self._parts: list[bytes] = []
        self._size = 0
        self._complete = False
        self._discard = False
        self._limit: int | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        self._body: bytes | None = None
        self._stream: Stream | None = None
        self.started = False
        """The response head has been written."""
        self._must_close = False
        """The connection closes after this exchange (TooLarge, an unframed stream)."""
        self._bad_body = False
        """The body did not parse: the exchange ends with 400."""

    async def read(self, limit: int) -> bytes:
        """The whole body; raises TooLarge as soon as Content-Length or the bytes received pass `limit`."""
        if self._body is not None:
            return self._body
        if self._discard or (self.content_length is not None and self.content_length > limit):
            self._refuse()
        if not self._complete:
            if self._size > limit:
                self._refuse()
            self._limit = limit
            self._conn.body_wanted(self)
            while not self._complete and not self._discard and self._error is None:
                self._waiter = self._conn.loop.create_future()
                try:
                    await self._waiter
                finally:
                    self._waiter = None
            if self._discard:
                raise TooLarge
        if self._error is not None:
            raise self._error
        if self._size > limit:
            self._refuse()
        body = self._body = b"".join(self._parts)
        self._parts.clear()
        return body

    async def start_stream(self, status: int, headers: Iterable[tuple[str, str]] = ()) -> Stream:
        """Send the response head now; the body follows with `Stream.write`."""
        if self.started:
            raise RuntimeError("the response has already started")
        conn = self._conn
        if conn.closed:
            raise ConnectionResetError("client disconnected")
        fields, has_date = encode_fields(headers, "date")
        silent = self.method == "HEAD" or status in NO_BODY_STATUSES or status < 200
        chunked = self.http_version == "1.1" and not silent
        if not chunked and not silent:
            self._must_close = True  # HTTP/1.0: the end of the body is the end of the connection
        closing = self._must_close or conn.closing or not self.keep_alive
        head = (
            status_line(status)
            + fields
            + ("" if has_date else date_field())
            + ("Transfer-Encoding: chunked\r\n" if chunked else "")
            + ("Connection: close\r\n\r\n" if closing else "\r\n")
        )
        self.started = True
        conn.write(head.encode("latin-1"))
        stream = self._stream = Stream(conn, chunked, silent)
        if conn.write_paused:
            await conn.drain()
        return stream

    def _encode(self, response: Response, closing: bool) -> bytes:
        return encode_response(response, closing, head_only=self.method == "HEAD")

    def _refuse(self) -> None:
        """Drop the body for good: nothing more of it is buffered and the connection closes after the response."""
        self._discard = True
        self._must_close = True
        self._parts.clear()
        raise TooLarge

    # Called by the connection as the parser delivers the body.

    def _feed(self, data: bytes) -> None:
        if self._discard:
            return
        self._size += len(data)
        if self._limit is not None and self._size > self._limit:
            self._discard = True
            self._must_close = True
            self._parts.clear()
            self._wake()
            return
        self._parts.append(data)
        if self._limit is None and self._size > BODY_HIGH_WATER:
            self._conn.pause_for_body()

    def _finish(self) -> None:
        self._complete = True
        self._wake()

    def _fail(self, exc: BaseException) -> None:
        if not self._complete and self._error is None:
            self._error = exc
            self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    @property
    def body_complete(self) -> bool:
        return self._complete

    @property
    def _awaits_continue(self) -> bool:
        """The client waits for 100 Continue before sending its body, and has not been sent one."""
        return self._expect_continue and not self._continue_sent and not self._complete

    def _note_continue_sent(self) -> None:
        self._continue_sent = True

    def _end_stream(self) -> bool:
        """End a started stream; False when the handler never started one."""
        if self._stream is None:
            return False
        self._stream._end()
        return True

    @property
    def _over_high_water(self) -> bool:
        return not self._discard and self._limit is None and self._size > BODY_HIGH_WATER

"""A raw HTTP/1.1 client for requests no well-behaved client library sends: duplicate or conflicting
headers, bodies declared in other charsets or encodings, half-closed connections, endless bodies.

`request()` writes the given bytes and reads one response (Content-Length, chunked, or to EOF) with
httptools; `Session` speaks MCP by hand over Streamable HTTP or a legacy HTTP+SSE session.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import httptools
import orjson

from guardmesh.protocol.sse import SseDecoder, SseEvent

WAIT = 30.0
"""Longest wait for an answer or an event: a hang fails the test instead of stalling the suite."""


@dataclass
class RawResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def json(self) -> Any:
        if (self.header("content-type") or "").startswith("text/event-stream"):
            events = SseDecoder(1 << 30).feed(self.body)
            return [orjson.loads(e.data) for e in events if e.data and e.event in (None, "message")]
        return orjson.loads(self.body)


class _Reader:
    def __init__(self) -> None:
        self.headers: list[tuple[str, str]] = []
        self.body = bytearray()
        self.done = False
        self.head = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self.head = True

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.done = True


def encode(
    method: str, target: str, host: str, headers: Iterable[tuple[str, str]] = (), body: bytes | None = None
) -> bytes:
    """A request's bytes exactly as given: headers in order, duplicates kept; Content-Length added only
    when `body` is given and no framing header is."""
    fields = list(headers)
    names = {k.lower() for k, _ in fields}
    if body is not None and not names & {"content-length", "transfer-encoding"}:
        fields.append(("Content-Length", str(len(body))))
    head = f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n"
    return head.encode("latin-1") + (body or b"")


async def request(url: str, raw: bytes, *, half_close: bool = False, source: str | None = None) -> RawResponse:
    """Send `raw` on a new connection to the URL's host (from the loopback address `source`, to play
    another client) and read one whole response."""
    parts = urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    local = (source, 0) if source is not None else None
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port, local_addr=local)
    try:
        writer.write(raw)
        if half_close:
            writer.write_eof()
        await writer.drain()
        state = _Reader()
        parser = httptools.HttpResponseParser(state)
        async with asyncio.timeout(WAIT):
            while not state.done:
                data = await reader.read(65536)
                if not data:
                    with contextlib.suppress(httptools.HttpParserError):
                        parser.feed_data(b"")
                    break
                parser.feed_data(data)
        if not state.head:
            raise ConnectionError("the connection closed without a response")
        return RawResponse(parser.get_status_code(), state.headers, bytes(state.body))
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


class SessionRefused(Exception):
    def __init__(self, response: RawResponse) -> None:
        super().__init__(f"initialize answered {response.status}: {response.body[:200]!r}")
        self.response = response


JSON_AND_SSE = (("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"))


def rpc(id_: int | str | None, method: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if id_ is not None:
        message["id"] = id_
    if params is not None:
        message["params"] = dict(params)
    return message


def call(id_: int | str, tool: str, arguments: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return rpc(id_, "tools/call", {"name": tool, "arguments": dict(arguments or {})})


def initialize(id_: int = 0, version: str = "2025-06-18") -> dict[str, Any]:
    params = {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "adversary", "version": "1"}}
    return rpc(id_, "initialize", params)


@dataclass
class Streamable:
    """A Streamable HTTP session spoken by hand: `post` sends raw bytes with extra headers."""

    url: str
    session_id: str | None = None
    version: str = "2025-06-18"
    source: str | None = None
    """The loopback address this client connects from (127.0.0.2, ...): a client of its own to the sidecar."""

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    def headers(self) -> list[tuple[str, str]]:
        out = [*JSON_AND_SSE, ("MCP-Protocol-Version", self.version)]
        if self.session_id is not None:
            out.append(("Mcp-Session-Id", self.session_id))
        return out

    async def open(self) -> Streamable:
        resp = await self.post(orjson.dumps(initialize(version=self.version)))
        if resp.status != 200:
            raise SessionRefused(resp)
        self.session_id = resp.header("mcp-session-id")
        await self.post(orjson.dumps(rpc(None, "notifications/initialized")))
        return self

    async def post(
        self,
        body: bytes,
        headers: Iterable[tuple[str, str]] | None = None,
        method: str = "POST",
        extra: Iterable[tuple[str, str]] = (),
    ) -> RawResponse:
        fields = list(self.headers() if headers is None else headers) + list(extra)
        return await request(self.url, encode(method, self.path, self.host, fields, body), source=self.source)


@dataclass
class LegacySession:
    """A 2024-11-05 HTTP+SSE session: the GET stream, and POSTs to the endpoint it names."""

    base: str
    stream: aiohttp.ClientResponse
    endpoint: str
    http: aiohttp.ClientSession
    _decoder: SseDecoder = field(default_factory=lambda: SseDecoder(1 << 30))
    _events: list[SseEvent] = field(default_factory=list)

    async def post(
        self, body: bytes, headers: Iterable[tuple[str, str]] = JSON_AND_SSE, method: str = "POST"
    ) -> RawResponse:
        host = urlsplit(self.base).netloc
        return await request(self.base, encode(method, self.endpoint, host, headers, body))

    async def next_message(self) -> dict[str, Any]:
        """The next JSON-RPC message on the stream."""
        async with asyncio.timeout(WAIT):
            while True:
                while self._events:
                    event = self._events.pop(0)
                    if event.carries_message and event.data is not None:
                        message: dict[str, Any] = orjson.loads(event.data)
                        return message
                chunk = await self.stream.content.readany()
                if not chunk:
                    raise ConnectionError("the SSE stream ended")
                self._events.extend(self._decoder.feed(chunk))

    async def answer_to(self, id_: int | str) -> dict[str, Any]:
        """The next message that answers request `id_`, skipping notifications and server requests."""
        while True:
            message = await self.next_message()
            if "method" not in message and message.get("id") == id_:
                return message

    async def initialize(self) -> None:
        await self.post(orjson.dumps(initialize(version="2024-11-05")))
        await self.answer_to(0)
        await self.post(orjson.dumps(rpc(None, "notifications/initialized")))


@contextlib.asynccontextmanager
async def legacy_session(sse_url: str) -> AsyncIterator[LegacySession]:
    """Open `GET /sse`, wait for its endpoint event, initialize."""
    parts = urlsplit(sse_url)
    base = f"{parts.scheme}://{parts.netloc}"
    async with aiohttp.ClientSession() as http:
        stream = await http.get(sse_url, headers={"Accept": "text/event-stream"})
        try:
            decoder = SseDecoder(1 << 20)
            endpoint = None
            events: list[SseEvent] = []
            async with asyncio.timeout(30):
                while endpoint is None:
                    chunk = await stream.content.readany()
                    if not chunk:
                        raise ConnectionError("the SSE stream ended before its endpoint event")
                    for event in decoder.feed(chunk):
                        if event.event == "endpoint" and endpoint is None and event.data is not None:
                            endpoint = event.data.strip()
                        else:
                            events.append(event)
            session = LegacySession(base, stream, endpoint, http, decoder, events)
            await session.initialize()
            yield session
        finally:
            stream.close()

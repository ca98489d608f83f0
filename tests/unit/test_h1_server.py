"""The lean HTTP/1.1 server, driven by a real aiohttp client and by raw sockets for what clients rarely send."""

import asyncio
import contextlib
import io
import logging
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import uvloop

from guardmesh.transports.h1 import Handler, Request, Response, Server, TooLarge, serve

StartServer = Callable[..., Awaitable[Server]]


@pytest.fixture
async def start() -> AsyncIterator[StartServer]:
    """Serve a handler on a free local port; every server is closed after the test."""
    servers: list[Server] = []

    async def start(handler: Handler, **options: Any) -> Server:
        server = await serve(handler, "127.0.0.1", 0, **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.wait_closed(0.5)


def url(server: Server, path: str = "/") -> str:
    return f"http://127.0.0.1:{port(server)}{path}"


def port(server: Server) -> int:
    return int(server.sockets[0].getsockname()[1])


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


class Raw:
    """A client that writes exactly the bytes it is given and parses responses minimally."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response(self) -> RawResponse:
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 5)
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines if line)
        headers = {name.lower(): value for name, value in headers.items()}
        status = int(status_line.split(" ")[1])
        if status in (204, 304):
            body = b""
        elif "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            chunks = bytearray()
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                chunks += await self.reader.readexactly(size)
                await self.reader.readexactly(2)
            await self.reader.readexactly(2)
            body = bytes(chunks)
        else:
            body = await self.reader.read()
        return RawResponse(status, headers, body)

    async def at_eof(self) -> bool:
        """The server closed its side (after dropping whatever we had sent)."""
        return await asyncio.wait_for(self.reader.read(), 5) == b""

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()

    async def reset(self) -> None:
        """Drop the connection with a reset, as a client that is gone (a plain close is only a half-close
        until the server writes to it)."""
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        await self.close()

    async def half_close(self) -> None:
        """Say we send no more, and keep reading."""
        self.writer.write_eof()
        await self.writer.drain()


@pytest.fixture
async def connect() -> AsyncIterator[Callable[[Server], Awaitable[Raw]]]:
    opened: list[Raw] = []

    async def connect(server: Server) -> Raw:
        raw = Raw(*await asyncio.open_connection("127.0.0.1", port(server)))
        opened.append(raw)
        return raw

    yield connect
    for raw in opened:
        await raw.close()


async def echo(request: Request) -> Response:
    body = await request.read(1_000_000)
    return Response(200, [("Content-Type", "text/plain"), ("X-Path", request.path)], body)


GET = b"GET /%s HTTP/1.1\r\nHost: test\r\n\r\n"


async def test_one_connection_carries_several_requests(start: StartServer) -> None:
    server = await start(echo)
    connections = 0

    async def counted(*_: object) -> None:
        nonlocal connections
        connections += 1

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(counted)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        for n in range(3):
            async with session.post(url(server, f"/echo/{n}"), data=b"x" * n) as resp:
                assert resp.status == 200
                assert resp.headers["X-Path"] == f"/echo/{n}"
                assert await resp.read() == b"x" * n
    assert connections == 1


async def test_request_fields_are_parsed(start: StartServer, connect: Callable[[Server], Awaitable[Raw]]) -> None:
    seen: list[Request] = []

    async def record(request: Request) -> Response:
        seen.append(request)
        return Response(204)

    server = await start(record)
    raw = await connect(server)
    await raw.send(b"DELETE /a%20b/c?x=1&y=%20 HTTP/1.1\r\nHost: example\r\nX-Twice: 1\r\nx-twice: 2\r\n\r\n")
    response = await raw.response()
    assert response.status == 204
    assert "content-length" not in response.headers
    request = seen[0]
    assert (request.method, request.raw_path, request.path) == ("DELETE", "/a%20b/c?x=1&y=%20", "/a b/c")
    assert request.query_string == "x=1&y=%20"
    assert request.host == "example"
    assert request.headers.getall("X-TWICE") == ["1", "2"]
    assert request.content_length is None
    assert request.remote == "127.0.0.1"
    assert request.keep_alive


async def test_a_chunked_request_body_is_read_whole(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]]
) -> None:
    server = await start(echo)
    raw = await connect(server)
    await raw.send(b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
    await asyncio.sleep(0.05)
    await raw.send(b"6\r\n world\r\n0\r\n\r\n")
    assert (await raw.response()).body == b"hello world"

    async def parts() -> AsyncIterator[bytes]:
        for part in (b"one ", b"two ", b"three"):
            yield part

    async with aiohttp.ClientSession() as session, session.post(url(server), data=parts()) as resp:
        assert await resp.read() == b"one two three"


async def test_a_declared_length_over_the_limit_is_refused_before_the_body_arrives(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]]
) -> None:
    outcomes: list[str] = []

    async def bounded(request: Request) -> Response:
        try:
            await request.read(1000)
        except TooLarge:
            outcomes.append("too large")
            return Response(413, [], b"too big")
        return Response(200)

    server = await start(bounded)
    raw = await connect(server)
    # Only the head and a sliver of the announced 10 MB are ever sent.
    await raw.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n" + b"x" * 100)
    response = await raw.response()
    assert (response.status, response.body) == (413, b"too big")
    assert response.headers["connection"] == "close"
    assert outcomes == ["too large"]
    assert await raw.at_eof()


async def test_a_chunked_body_over_the_limit_is_refused_once_it_passes(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]]
) -> None:
    async def bounded(request: Request) -> Response:
        await request.read(1000)  # TooLarge escapes: the layer answers 413
        return Response(200)

    server = await start(bounded)
    raw = await connect(server)
    await raw.send(b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
    for _ in range(3):
        await raw.send(b"1f4\r\n" + b"x" * 500 + b"\r\n")
    response = await raw.response()
    assert response.status == 413
    assert response.headers["connection"] == "close"


async def test_an_aiohttp_client_sending_a_large_body_still_reads_the_413(start: StartServer) -> None:
    async def bounded(request: Request) -> Response:
        await request.read(1000)
        return Response(200)

    server = await start(bounded)
    async with aiohttp.ClientSession() as session, session.post(url(server), data=io.BytesIO(b"x" * 8_000_000)) as resp:
        assert resp.status == 413


async def test_an_unread_body_holds_the_client_back(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]]
) -> None:
    chunk = b"x" * 65536
    total = 1024  # 64 MiB, far more than socket buffers hold
    sent = 0
    go = asyncio.Event()

    async def late_reader(request: Request) -> Response:
        await go.wait()
        return Response(200, [], b"%d" % len(await request.read(total * len(chunk))))

    async def upload(raw: Raw) -> None:
        nonlocal sent
        await raw.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % (total * len(chunk)))
        for _ in range(total):
            await raw.send(chunk)
            sent += 1

    server = await start(late_reader)
    raw = await connect(server)
    uploading = asyncio.create_task(upload(raw))
    await asyncio.sleep(0.5)
    assert sent < total // 2  # the server stopped reading instead of buffering
    go.set()
    await uploading
    assert (await raw.response()).body == b"%d" % (total * len(chunk))


async def test_expect_100_continue_invites_the_body_when_the_handler_reads_it(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]]
) -> None:
    server = await start(echo)
    raw = await connect(server)
    await raw.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    assert await asyncio.wait_for(raw.reader.readuntil(b"\r\n\r\n"), 5) == b"HTTP/1.1 100 Continue\r\n\r\n"
    await raw.send(b"hello")
    assert (await raw.response()).body == b"hello"


async def test_expect_100_continue_over_the_limit_gets_only_the_final_answer(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]]
) -> None:
    async def bounded(request: Request) -> Response:
        await request.read(10)
        return Response(200)

    server = await start(bounded)
    raw = await connect(server)
    await raw.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 500\r\nExpect: 100-continue\r\n\r\n")
    assert (await raw.response()).status == 413
    assert await raw.at_eof()


async def test_pipelined_requests_are_handled_one_at_a_time_in_order(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]]
) -> None:
    running = 0
    most = 0

    async def slow_echo(request: Request) -> Response:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.02)
        body = await request.read(100)
        running -= 1
        return Response(200, [], request.path.encode() + b":" + body)

    server = await start(slow_echo)
    raw = await connect(server)
    await raw.send(GET % b"1" + b"POST /2 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc" + GET % b"3")
    bodies = [(await raw.response()).body for _ in range(3)]
    assert bodies == [b"/1:", b"/2:abc", b"/3:"]
    assert most == 1


async def test_connection_close_and_http_1_0_end_the_connection(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]]
) -> None:
    server = await start(echo)
    for request in (
        b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        b"GET / HTTP/1.0\r\n\r\n",
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    ):
        raw = await connect(server)
        await raw.send(request)
        response = await raw.response()
        assert response.status == 200
        assert response.headers["connection"] == "close"
        assert await raw.at_eof()


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET / HTTP/1.1\r\nHost no colon\r\n\r\n",
        b"NOT HTTP AT ALL\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
    ],
)
async def test_a_malformed_request_gets_400_and_the_connection_closes(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]], request_bytes: bytes
) -> None:
    server = await start(echo)
    raw = await connect(server)
    await raw.send(request_bytes)
    response = await raw.response()
    assert response.status == 400
    assert response.headers["connection"] == "close"
    assert await raw.at_eof()


async def test_a_malformed_request_after_a_good_one_is_answered_in_turn(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]]
) -> None:
    server = await start(echo)
    raw = await connect(server)
    await raw.send(GET % b"fine" + b"BROKEN\r\n\r\n")
    assert (await raw.response()).status == 200
    assert (await raw.response()).status == 400


async def test_a_malformed_chunked_body_gets_400(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]]
) -> None:
    server = await start(echo)
    raw = await connect(server)
    await raw.send(b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
    assert (await raw.response()).status == 400


async def test_a_header_section_over_the_limit_gets_431(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]]
) -> None:
    server = await start(echo, max_header_bytes=1024)
    raw = await connect(server)
    await raw.send(b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 2000 + b"\r\n\r\n")
    response = await raw.response()
    assert response.status == 431
    assert await raw.at_eof()


async def test_one_endless_header_line_gets_431_before_it_ends(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]]
) -> None:
    server = await start(echo, max_header_bytes=1024)
    raw = await connect(server)
    await raw.send(b"GET / HTTP/1.1\r\nHost: t\r\nX-Endless: ")
    for _ in range(100):
        await asyncio.sleep(0.001)
        await raw.send(b"a" * 1000)
    assert (await raw.response()).status == 431


async def test_a_streamed_response_reaches_the_client_chunk_by_chunk(start: StartServer) -> None:
    acks: asyncio.Queue[None] = asyncio.Queue()

    async def events(request: Request) -> None:
        stream = await request.start_stream(200, [("Content-Type", "text/event-stream")])
        for n in range(3):
            await stream.write(b"data: %d\n\n" % n)
            # The next event is written only once the client has read this one.
            await asyncio.wait_for(acks.get(), 5)

    server = await start(events)
    async with aiohttp.ClientSession() as session, session.get(url(server)) as resp:
        assert resp.headers["Transfer-Encoding"] == "chunked"
        assert resp.headers["Content-Type"] == "text/event-stream"
        for n in range(3):
            assert await resp.content.readuntil(b"\n\n") == b"data: %d\n\n" % n
            acks.put_nowait(None)
        assert await resp.read() == b""


async def test_a_stream_waits_for_a_client_that_does_not_read(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]]
) -> None:
    chunk = b"x" * 65536
    total = 1024  # 64 MiB, far more than socket buffers hold
    written = 0

    async def flood(request: Request) -> None:
        nonlocal written
        stream = await request.start_stream(200)
        for _ in range(total):
            await stream.write(chunk)
            written += 1

    server = await start(flood)
    raw = await connect(server)
    await raw.send(GET % b"")
    await asyncio.sleep(0.5)
    assert written < total // 2  # the handler waits on the transport instead of buffering
    assert len((await raw.response()).body) == total * len(chunk)
    assert written == total


def hanging_handler() -> tuple[Handler, asyncio.Event, asyncio.Event]:
    """A handler that never answers, and events set when it starts and when it is cancelled."""
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def hang(request: Request) -> Response:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return Response(200)

    return hang, started, cancelled


async def test_a_client_that_disconnects_cancels_its_handler(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]]
) -> None:
    hang, started, cancelled = hanging_handler()
    server = await start(hang)
    raw = await connect(server)
    await raw.send(GET % b"")
    await asyncio.wait_for(started.wait(), 5)
    await raw.reset()
    await asyncio.wait_for(cancelled.wait(), 5)


async def test_a_client_that_half_closes_after_its_request_still_gets_the_answer(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]]
) -> None:
    async def slow_echo(request: Request) -> Response:
        body = await request.read(1024)
        await asyncio.sleep(0.05)
        return Response(200, [], body)

    server = await start(slow_echo)
    raw = await connect(server)
    await raw.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc")
    await raw.half_close()
    response = await raw.response()
    assert (response.status, response.body) == (200, b"abc")
    assert response.headers.get("connection") == "close"
    assert await raw.at_eof()


async def test_a_half_close_in_the_middle_of_a_body_fails_that_request(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]]
) -> None:
    server = await start(echo)
    raw = await connect(server)
    await raw.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
    await raw.half_close()
    assert (await raw.response()).status == 400
    assert await raw.at_eof()


async def test_without_handler_cancellation_the_handler_finishes(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]]
) -> None:
    started, finished = asyncio.Event(), asyncio.Event()

    async def slow(request: Request) -> Response:
        started.set()
        await asyncio.sleep(0.1)
        finished.set()
        return Response(200)

    server = await start(slow, handler_cancellation=False)
    raw = await connect(server)
    await raw.send(GET % b"")
    await asyncio.wait_for(started.wait(), 5)
    await raw.close()
    await asyncio.wait_for(finished.wait(), 5)


async def test_a_failing_handler_gets_500_and_the_server_serves_on(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]], caplog: pytest.LogCaptureFixture
) -> None:
    async def flaky(request: Request) -> Response:
        if request.path == "/boom":
            raise RuntimeError("boom")
        return Response(200, [], b"ok")

    server = await start(flaky)
    raw = await connect(server)
    with caplog.at_level(logging.ERROR):
        await raw.send(GET % b"boom")
        response = await raw.response()
    assert (response.status, response.headers["connection"]) == (500, "close")
    assert await raw.at_eof()
    assert "HTTP handler failed on GET /boom" in caplog.text
    again = await connect(server)
    await again.send(GET % b"fine")
    assert (await again.response()).body == b"ok"


async def test_a_stream_cut_by_an_exception_ends_without_its_last_chunk(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]], caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(request: Request) -> None:
        stream = await request.start_stream(200)
        await stream.write(b"partial")
        raise RuntimeError("mid-stream")

    server = await start(broken)
    raw = await connect(server)
    with caplog.at_level(logging.ERROR):
        await raw.send(GET % b"")
        with pytest.raises(asyncio.IncompleteReadError):
            await raw.response()


async def test_header_values_cannot_smuggle_fields(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]], caplog: pytest.LogCaptureFixture
) -> None:
    async def smuggle(request: Request) -> Response:
        return Response(200, [("X-Evil", "a\r\nSet-Cookie: x=1")])

    server = await start(smuggle)
    raw = await connect(server)
    with caplog.at_level(logging.ERROR):
        await raw.send(GET % b"")
        response = await raw.response()
    assert response.status == 500
    assert "set-cookie" not in response.headers


async def test_head_gets_the_length_without_the_body(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]]
) -> None:
    async def page(request: Request) -> Response:
        return Response(200, [("Date", "then")], b"0123456789")

    server = await start(page)
    raw = await connect(server)
    await raw.send(b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n" + GET % b"")
    head = await asyncio.wait_for(raw.reader.readuntil(b"\r\n\r\n"), 5)
    assert b"Content-Length: 10\r\n" in head
    assert b"Date: then\r\n" in head
    assert (await raw.response()).body == b"0123456789"


async def test_closing_lets_in_flight_handlers_finish_within_the_grace(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]]
) -> None:
    started = asyncio.Event()

    async def slow(request: Request) -> Response:
        started.set()
        await asyncio.sleep(0.2)
        return Response(200, [], b"done")

    server = await start(slow)
    idle = await connect(server)
    busy = await connect(server)
    await busy.send(GET % b"")
    await asyncio.wait_for(started.wait(), 5)
    server.close()
    await server.wait_closed(5)
    response = await busy.response()
    assert (response.body, response.headers["connection"]) == (b"done", "close")
    assert await idle.at_eof()


async def test_closing_cancels_handlers_past_the_grace(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]]
) -> None:
    hang, started, cancelled = hanging_handler()
    server = await start(hang)
    raw = await connect(server)
    await raw.send(GET % b"")
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(server.wait_closed(0.1), 5)
    assert cancelled.is_set()


async def test_an_idle_connection_is_closed_after_the_keepalive_timeout(
    start: StartServer, connect: Callable[[Server], Awaitable[Raw]]
) -> None:
    server = await start(echo, keepalive_timeout=0.1)
    raw = await connect(server)
    await raw.send(GET % b"")
    assert (await raw.response()).status == 200
    assert await raw.at_eof()


def test_the_server_runs_on_uvloop() -> None:
    """Production runs uvloop; the tests above run on the default loop, this replays the core on uvloop."""

    async def scenario() -> None:
        cancelled = asyncio.Event()

        async def handler(request: Request) -> Response | None:
            if request.path == "/stream":
                stream = await request.start_stream(200)
                for n in range(3):
                    await stream.write(b"%d" % n)
                return None
            if request.path == "/hang":
                try:
                    await asyncio.sleep(60)
                except asyncio.CancelledError:
                    cancelled.set()
                    raise
            return await echo(request)

        server = await serve(handler, "127.0.0.1", 0)
        try:
            async with aiohttp.ClientSession() as session:
                for n in range(3):
                    async with session.post(url(server), data=b"x" * n) as resp:
                        assert await resp.read() == b"x" * n
                async with session.get(url(server, "/stream")) as resp:
                    assert await resp.read() == b"012"
            raw = Raw(*await asyncio.open_connection("127.0.0.1", port(server)))
            await raw.send(
                GET % b"1" + b"POST /2 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
            )
            assert [(await raw.response()).body for _ in range(2)] == [b"", b"abc"]
            await raw.send(GET % b"hang")
            await asyncio.sleep(0.05)
            await raw.reset()
            await asyncio.wait_for(cancelled.wait(), 5)
        finally:
            await server.wait_closed(1)

    uvloop.run(scenario())

"""The lean HTTP/1.1 upstream client, against a small aiohttp server and raw sockets for broken upstreams."""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import orjson
import pytest
import uvloop
from aiohttp import web

from guardmesh.transports.h1 import TooLarge, UpstreamBroken, UpstreamPool

GATE = web.AppKey("gate", asyncio.Queue[None])
PEERS = web.AppKey("peers", list[str])


async def echo_json(request: web.Request) -> web.Response:
    return web.json_response({"got": await request.json(), "host": request.host})


async def chunked(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    response.enable_chunked_encoding()
    await response.prepare(request)
    for n in range(10):
        await response.write(b"%d" % n * 1000)
    await response.write_eof()
    return response


async def sse(request: web.Request) -> web.StreamResponse:
    request.app[PEERS].append(peer_of(request))
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    for n in range(3):
        await response.write(b"data: %d\n\n" % n)
        # The next event is sent only once the test has received this one.
        await asyncio.wait_for(request.app[GATE].get(), 5)
    await response.write_eof()
    return response


async def peer(request: web.Request) -> web.Response:
    request.app[PEERS].append(peer_of(request))
    return web.Response(text="ok")


def peer_of(request: web.Request) -> str:
    return str(request.transport.get_extra_info("peername") if request.transport else None)


@dataclass
class Upstream:
    port: int
    gate: asyncio.Queue[None]
    """Lets the SSE handler send its next event."""
    peers: list[str]
    """The client address of each /peer request."""


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    app = web.Application()
    gate = app[GATE] = asyncio.Queue()
    peers = app[PEERS] = []
    app.router.add_post("/json", echo_json)
    app.router.add_get("/chunked", chunked)
    app.router.add_get("/sse", sse)
    app.router.add_get("/peer", peer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield Upstream(runner.addresses[0][1], gate, peers)
    await runner.cleanup()


@pytest.fixture
async def pool(upstream: Upstream) -> AsyncIterator[UpstreamPool]:
    pool = UpstreamPool("127.0.0.1", upstream.port)
    yield pool
    await pool.close()


RawUpstream = Callable[[Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]], Awaitable[int]]


@pytest.fixture
async def raw_upstream() -> AsyncIterator[RawUpstream]:
    """An upstream scripted at the byte level: the script gets each connection; returns the port."""
    servers: list[asyncio.Server] = []
    writers: list[asyncio.StreamWriter] = []

    async def start(script: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]) -> int:
        async def each(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writers.append(writer)
            try:
                await script(reader, writer)
            finally:
                writer.close()

        server = await asyncio.start_server(each, "127.0.0.1", 0)
        servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    yield start
    for writer in writers:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_a_json_response_is_read_whole(pool: UpstreamPool, upstream: Upstream) -> None:
    body = orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"})
    response = await pool.request("POST", "/json", [("Content-Type", "application/json")], body)
    try:
        assert response.status == 200
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        assert response.content_length is not None
        payload = orjson.loads(await response.read(10_000))
    finally:
        response.close()
    assert payload == {"got": {"jsonrpc": "2.0", "id": 1, "method": "ping"}, "host": f"127.0.0.1:{upstream.port}"}


async def test_the_callers_host_header_is_kept(pool: UpstreamPool) -> None:
    response = await pool.request("POST", "/json", [("Host", "mcp.example")], b"{}")
    assert orjson.loads(await response.read(1000))["host"] == "mcp.example"
    response.close()


async def test_a_chunked_response_is_de_chunked(pool: UpstreamPool) -> None:
    response = await pool.request("GET", "/chunked", [], None)
    assert response.content_length is None
    assert await response.read(100_000) == b"".join(b"%d" % n * 1000 for n in range(10))
    response.close()


async def test_an_sse_stream_arrives_event_by_event(pool: UpstreamPool, upstream: Upstream) -> None:
    response = await pool.request("GET", "/sse", [("Accept", "text/event-stream")], None)
    received = b""
    async for chunk in response.chunks():
        received += chunk
        if received.endswith(b"\n\n"):
            upstream.gate.put_nowait(None)
    response.close()
    assert received == b"data: 0\n\ndata: 1\n\ndata: 2\n\n"


async def test_sequential_requests_share_one_connection(pool: UpstreamPool, upstream: Upstream) -> None:
    for _ in range(3):
        response = await pool.request("GET", "/peer", [], None)
        assert await response.read(100) == b"ok"
        response.close()
    assert len(upstream.peers) == 3
    assert len(set(upstream.peers)) == 1


async def test_an_unread_response_does_not_go_back_to_the_pool(pool: UpstreamPool, upstream: Upstream) -> None:
    response = await pool.request("GET", "/sse", [], None)
    response.close()  # mid-stream: this connection cannot carry another request
    for _ in range(3):
        upstream.gate.put_nowait(None)  # let the upstream's handler finish
    for _ in range(2):
        response = await pool.request("GET", "/peer", [], None)
        response.close()
    sse_peer, *peer_peers = upstream.peers
    assert peer_peers[0] == peer_peers[1] != sse_peer


async def test_a_refusing_upstream_raises_upstream_broken() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    pool = UpstreamPool("127.0.0.1", free_port)
    with pytest.raises(UpstreamBroken, match="cannot connect"):
        await pool.request("GET", "/", [], None)
    await pool.close()


async def test_an_upstream_dying_mid_body_raises_from_chunks(raw_upstream: RawUpstream) -> None:
    async def die(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 1000\r\n\r\ndata: 1\n\n")
        await writer.drain()
        await asyncio.sleep(0.05)

    pool = UpstreamPool("127.0.0.1", await raw_upstream(die))
    response = await pool.request("GET", "/", [], None)
    received: list[bytes] = []

    async def consume() -> None:
        async for chunk in response.chunks():
            received.append(chunk)

    with pytest.raises(UpstreamBroken, match="mid-body"):
        await consume()
    assert received == [b"data: 1\n\n"]
    response.close()
    await pool.close()


async def test_a_lagging_consumer_holds_the_upstream_back(raw_upstream: RawUpstream) -> None:
    chunk = b"x" * 65536
    total = 1024  # 64 MiB, far more than socket buffers hold
    sent = 0

    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (total * len(chunk)))
        for _ in range(total):
            writer.write(chunk)
            await writer.drain()
            sent += 1

    pool = UpstreamPool("127.0.0.1", await raw_upstream(flood))
    response = await pool.request("GET", "/", [], None)
    await asyncio.sleep(0.5)
    assert sent < total // 2  # the client stopped reading instead of buffering
    received = 0
    async for part in response.chunks():
        received += len(part)
    assert (received, sent) == (total * len(chunk), total)
    response.close()
    await pool.close()


async def test_an_upstream_closing_before_answering_raises(raw_upstream: RawUpstream) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")

    pool = UpstreamPool("127.0.0.1", await raw_upstream(hang_up))
    with pytest.raises(UpstreamBroken, match="before responding"):
        await pool.request("GET", "/", [], None)
    await pool.close()


async def test_a_stale_pooled_connection_is_retried_once_on_a_new_one(raw_upstream: RawUpstream) -> None:
    connections = 0

    async def one_answer_per_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        await reader.readuntil(b"\r\n\r\n")  # the next request is read and never answered

    pool = UpstreamPool("127.0.0.1", await raw_upstream(one_answer_per_connection))
    for _ in range(2):
        response = await pool.request("POST", "/", [], b"{}")
        assert await response.read(10) == b"ok"
        response.close()
    assert connections == 2
    await pool.close()


async def test_a_body_without_framing_ends_with_the_connection(raw_upstream: RawUpstream) -> None:
    async def old_style(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end")
        await writer.drain()

    pool = UpstreamPool("127.0.0.1", await raw_upstream(old_style))
    response = await pool.request("GET", "/", [], None)
    assert await response.read(100) == b"until the end"
    response.close()
    await pool.close()


async def test_informational_responses_are_skipped(raw_upstream: RawUpstream) -> None:
    async def hints(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx"
        )
        await writer.drain()
        await reader.read()

    pool = UpstreamPool("127.0.0.1", await raw_upstream(hints))
    response = await pool.request("GET", "/", [], None)
    assert (response.status, await response.read(10)) == (201, b"x")
    response.close()
    await pool.close()


async def test_a_malformed_response_raises_upstream_broken(raw_upstream: RawUpstream) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"SMTP ready\r\n\r\n")
        await writer.drain()
        await reader.read()

    pool = UpstreamPool("127.0.0.1", await raw_upstream(garbage))
    with pytest.raises(UpstreamBroken, match="malformed response"):
        await pool.request("GET", "/", [], None)
    await pool.close()


async def test_an_endless_response_head_raises_upstream_broken(raw_upstream: RawUpstream) -> None:
    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nX-Endless: ")
        with contextlib.suppress(ConnectionError):
            for _ in range(100):
                writer.write(b"a" * 4096)
                await writer.drain()

    pool = UpstreamPool("127.0.0.1", await raw_upstream(endless))
    with pytest.raises(UpstreamBroken, match="head over"):
        await pool.request("GET", "/", [], None)
    await pool.close()


async def test_reading_past_the_limit_raises_too_large(pool: UpstreamPool) -> None:
    response = await pool.request("POST", "/json", [], orjson.dumps("x" * 5000))
    with pytest.raises(TooLarge):
        await response.read(1000)  # refused on Content-Length
    response.close()
    response = await pool.request("GET", "/chunked", [], None)
    with pytest.raises(TooLarge):
        await response.read(5000)  # refused once the chunks pass the limit
    response.close()


async def test_the_callers_timeout_cancels_the_request_and_drops_the_connection(raw_upstream: RawUpstream) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    pool = UpstreamPool("127.0.0.1", await raw_upstream(silent))
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await pool.request("GET", "/", [], None)
    await pool.close()


def test_the_pool_runs_on_uvloop() -> None:
    """Production runs uvloop; the tests above run on the default loop, this replays the core on uvloop."""

    async def scenario() -> None:
        async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
            await writer.drain()
            await asyncio.sleep(0.05)
            writer.close()

        server = await asyncio.start_server(script, "127.0.0.1", 0)
        pool = UpstreamPool("127.0.0.1", server.sockets[0].getsockname()[1])
        try:
            response = await pool.request("GET", "/", [], None)
            assert await response.read(10) == b"ok"
            response.close()
            response = await pool.request("GET", "/", [], None)  # the same connection
            chunks = response.chunks()
            assert await anext(chunks) == b"hello"
            with pytest.raises(UpstreamBroken, match="mid-body"):
                await anext(chunks)
            response.close()
        finally:
            await pool.close()
            server.close()
            await server.wait_closed()

    uvloop.run(scenario())

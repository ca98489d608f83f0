"""A bare aiohttp relay: the floor under the sidecar's costs, measured beside it by hack/bench/run.py.

It does what any Python proxy on aiohttp + uvloop must do and nothing more: read the request body,
send it upstream over a pooled keep-alive connection, read the whole answer and send it back. No
JSON parsing, no guards, no metrics, no sessions. The difference between the sidecar and this relay
is what GuardMesh itself costs; the difference between this relay and the direct run is the price of
the stack.

Usage: bare_relay.py PORT UPSTREAM_URL (listens on 127.0.0.1; SIGTERM or SIGINT stops it).
"""

import asyncio
import signal
import sys

import aiohttp
import uvloop
from aiohttp import web

_REQUEST_HEADERS = ("Content-Type", "Accept", "Mcp-Session-Id", "MCP-Protocol-Version", "Last-Event-ID")
_RESPONSE_HEADERS = ("Content-Type", "Mcp-Session-Id", "Cache-Control")


async def serve(port: int, upstream: str) -> None:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, auto_decompress=False) as client:

        async def handle(request: web.BaseRequest) -> web.Response:
            body = await request.read()
            headers = {k: v for k in _REQUEST_HEADERS if (v := request.headers.get(k)) is not None}
            async with client.request(request.method, upstream, data=body or None, headers=headers) as resp:
                payload = await resp.read()
                out = {k: v for k in _RESPONSE_HEADERS if (v := resp.headers.get(k)) is not None}
                return web.Response(status=resp.status, body=payload, headers=out)

        runner = web.ServerRunner(web.Server(handle, access_log=None))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    uvloop.run(serve(int(sys.argv[1]), sys.argv[2]))


if __name__ == "__main__":
    main()

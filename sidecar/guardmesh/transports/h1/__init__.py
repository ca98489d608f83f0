"""A lean HTTP/1.1 server and upstream client on asyncio.Protocol and httptools.

Hand-written because aiohttp costs ~125 µs CPU per request on the server side alone, over the 150 µs budget.
httptools (llhttp) does the parsing; this package does connections, framing and flow control.
"""

from guardmesh.transports.h1.client import UpstreamPool, UpstreamResponse
from guardmesh.transports.h1.errors import TooLarge, UpstreamBroken
from guardmesh.transports.h1.request import Request, Response, Stream
from guardmesh.transports.h1.server import Handler, Server, serve

__all__ = [
    "Handler",
    "Request",
    "Response",
    "Server",
    "Stream",
    "TooLarge",
    "UpstreamBroken",
    "UpstreamPool",
    "UpstreamResponse",
    "serve",
]

"""Shared HTTP plumbing: header filtering, bounded body reads, JSON-RPC error responses."""

from collections.abc import Iterable
from typing import Any

import aiohttp
import orjson
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

# Hop-by-hop headers and those the proxy recomputes are never copied across.
_REQUEST_SKIP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "accept-encoding",
    }
)
_RESPONSE_SKIP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "content-encoding",
        "date",
        "server",
    }
)


class TooLarge(Exception):
    """A body passed the configured limit; reading stopped there."""


def forward_headers(headers: CIMultiDictProxy[str]) -> CIMultiDict[str]:
    return CIMultiDict((k, v) for k, v in headers.items() if k.lower() not in _REQUEST_SKIP)


def response_headers(headers: Iterable[tuple[str, str]]) -> CIMultiDict[str]:
    return CIMultiDict((k, v) for k, v in headers if k.lower() not in _RESPONSE_SKIP)


async def read_bounded(stream: aiohttp.StreamReader, declared: int | None, limit: int) -> bytes:
    """Read a whole body, refusing it as soon as it is known to exceed `limit` (never buffering past it)."""
    if declared is not None and declared > limit:
        raise TooLarge
    if declared is not None:
        # The common case: one read of the announced size.
        body = await stream.readexactly(declared) if declared else b""
        return body
    chunks = bytearray()
    async for chunk in stream.iter_any():
        chunks += chunk
        if len(chunks) > limit:
            raise TooLarge
    return bytes(chunks)


def json_response(status: int, body: Any, headers: CIMultiDict[str] | None = None) -> web.Response:
    payload = body if isinstance(body, bytes) else orjson.dumps(body)
    out = CIMultiDict(headers or ())
    out["Content-Type"] = "application/json"
    return web.Response(status=status, body=payload, headers=out)

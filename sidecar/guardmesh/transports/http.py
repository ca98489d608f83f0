"""Shared HTTP plumbing: header filtering and JSON-RPC error responses."""

from collections.abc import Iterable
from typing import Any

import orjson

from guardmesh.transports.h1 import Response
from guardmesh.transports.relay import FromClient

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
        "expect",
    }
)
_RESPONSE_SKIP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-connection", "te", "trailer",
    "transfer-encoding", "upgrade", "content-length",
})  # fmt: skip


def forward_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() not in _REQUEST_SKIP]


def response_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() not in _RESPONSE_SKIP]


def json_response(status: int, body: Any, headers: Iterable[tuple[str, str]] = ()) -> Response:
    payload = body if isinstance(body, bytes) else orjson.dumps(body)
    fields = [(k, v) for k, v in headers if k.lower() != "content-type"]
    fields.append(("Content-Type", "application/json"))
    return Response(status, fields, payload)


def refusal(result: FromClient) -> Response:
    """A client payload refused as a whole: its status, and a Retry-After when the sidecar was only busy."""
    headers = [("Retry-After", "1")] if result.status == 503 else []
    return json_response(result.status, result.replies[0], headers)

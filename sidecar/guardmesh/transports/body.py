"""One reading of every request: the bytes the guards inspect are the bytes the server executes.

A server may decode a body by its declared charset (server-everything's legacy transport decodes
UTF-7), undo a content encoding, pick the first or the last of two conflicting header fields, or read
a body on a method the sidecar does not inspect. So a request is refused, before any guard runs or
any byte reaches the server, unless it has the one canonical form: a POST of `application/json` in
UTF-8 (no other charset, no content encoding, no BOM), every field that decides how the body or the
session is read present at most once, and no body on any other method.
"""

from guardmesh.protocol import errors
from guardmesh.protocol.errors import error_object
from guardmesh.transports.h1 import Request
from guardmesh.transports.http import json_response

SINGLE_FIELDS = (
    "content-type",
    "content-encoding",
    "content-length",
    "transfer-encoding",
    "mcp-session-id",
    "mcp-protocol-version",
    "last-event-id",
    "authorization",
    "origin",
    "host",
)
"""Fields that decide how a body, a session or a caller is read: two copies could be read either way."""

BODYLESS = frozenset({"GET", "DELETE", "HEAD", "OPTIONS"})
"""Methods passed on without a body; POST is the only one that carries messages."""

_UTF8 = frozenset({"utf-8", "utf8"})


class Refused(Exception):
    """The request is not in canonical form; `response` says why (never echoing the body)."""

    def __init__(self, status: int, code: int, message: str, reason: str, allow: str | None = None) -> None:
        super().__init__(message)
        headers = [("Allow", allow)] if allow is not None else []
        self.response = json_response(status, error_object(None, code, message), headers)
        self.reason = reason


def check(request: Request) -> None:
    """Raise Refused unless the request's head is canonical for its method (the body is checked by `decode`)."""
    for name in SINGLE_FIELDS:
        if len(request.headers.getall(name, ())) > 1:
            raise Refused(400, errors.INVALID_REQUEST, f"Header {name} appears more than once", "duplicate-header")
    method = request.method
    if method == "POST":
        _check_content_type(request.headers.get("content-type"))
        encoding = request.headers.get("content-encoding", "identity").strip().lower()
        if encoding != "identity":
            raise Refused(415, errors.UNSUPPORTED_BODY, f"Content-Encoding {encoding!r} is not accepted", "encoding")
        coding = request.headers.get("transfer-encoding")
        if coding is not None and coding.strip().lower() != "chunked":
            raise Refused(501, errors.UNSUPPORTED_BODY, "Transfer-Encoding other than chunked", "encoding")
        return
    if method not in BODYLESS:
        raise Refused(405, errors.INVALID_REQUEST, f"Method {method} is not allowed", "method", "POST, GET, DELETE")
    if (request.content_length or 0) > 0 or "transfer-encoding" in request.headers:
        raise Refused(400, errors.INVALID_REQUEST, f"A {method} request carries no body", "body-on-" + method.lower())


def _check_content_type(value: str | None) -> None:
    """`application/json`, with no parameter but an optional UTF-8 charset, in any case and quoting."""
    if value is None:
        raise Refused(415, errors.UNSUPPORTED_BODY, "Content-Type must be application/json", "content-type")
    essence, *params = value.split(";")
    if essence.strip().lower() != "application/json":
        raise Refused(415, errors.UNSUPPORTED_BODY, "Content-Type must be application/json", "content-type")
    charsets = []
    for param in params:
        name, sep, raw = param.strip().partition("=")
        if not sep or name != name.strip() or raw != raw.strip() or not name:
            raise Refused(415, errors.UNSUPPORTED_BODY, "Content-Type has a malformed parameter", "charset")
        if name.lower() == "charset":
            charsets.append(raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] == '"' else raw)
    if len(charsets) > 1 or any(c.lower() not in _UTF8 for c in charsets):
        raise Refused(415, errors.UNSUPPORTED_BODY, "The body must be UTF-8 (charset=utf-8 or none)", "charset")

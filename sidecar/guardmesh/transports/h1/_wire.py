"""Bytes on the wire shared by the server and the client: header fields, status lines, the Date field."""

import time
from collections.abc import Iterable
from email.utils import formatdate
from http import HTTPStatus

# The layer frames every message itself; a caller's copy of these would contradict the bytes sent.
_FRAMING = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})

NO_BODY_STATUSES = frozenset({204, 304})


def encode_fields(headers: Iterable[tuple[str, str]], watch: str) -> tuple[str, bool]:
    """Header lines (each ending in CRLF) without framing fields, and whether a field named `watch` was given.

    Raises ValueError when a name or value holds CR or LF, which would let it forge fields or messages.
    """
    lines = [f"{name}: {value}\r\n" for name, value in headers if name.lower() not in _FRAMING]
    block = "".join(lines)
    # One scan of the joined block instead of two per field: only our own separators may appear.
    if block.count("\n") != len(lines) or block.count("\r") != len(lines):
        raise ValueError("a header name or value contains CR or LF")
    return block, f"\n{watch}:" in f"\n{block.lower()}" if block else False


_status_lines: dict[int, str] = {}


def status_line(status: int) -> str:
    """`HTTP/1.1 <status> <reason>` and CRLF, the reason taken from http.HTTPStatus."""
    line = _status_lines.get(status)
    if line is None:
        if not 100 <= status <= 999:
            raise ValueError(f"invalid HTTP status {status}")
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        line = _status_lines[status] = f"HTTP/1.1 {status} {reason}\r\n"
    return line


class _DateField:
    """The Date field, formatted at most once a second."""

    __slots__ = ("_line", "_second")

    def __init__(self) -> None:
        self._second = -1
        self._line = ""

    def __call__(self) -> str:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._line = f"Date: {formatdate(now, usegmt=True)}\r\n"
        return self._line


date_field = _DateField()

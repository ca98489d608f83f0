"""2026-07-28 routing headers: `Mcp-Method` and `Mcp-Name` must say what the body says.

A server or gateway may route on the headers while guards read the body; letting the two disagree
would let a request slip past a guard, so a mismatch is refused before any guard runs.
"""

import base64
import binascii
import re
from collections.abc import Callable

from multidict import CIMultiDictProxy

from guardmesh.protocol.errors import HEADER_MISMATCH
from guardmesh.protocol.jsonrpc import Kind, Message, ProtocolError
from guardmesh.protocol.methods import NAME_HEADER_PARAM

_SENTINEL = re.compile(r"^=\?base64\?(.*)\?=$")
_ROUTING = ("mcp-protocol-version", "mcp-method", "mcp-name")
PROTOCOL_VERSION_META = "io.modelcontextprotocol/protocolVersion"


def decode_header_value(value: str) -> str | None:
    """Header values that are not plain ASCII travel as `=?base64?...?=`; None when that is malformed."""
    match = _SENTINEL.match(value)
    if match is None:
        return value
    try:
        return base64.b64decode(match.group(1), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def _mismatch(message: Message, why: str) -> ProtocolError:
    return ProtocolError(HEADER_MISMATCH, f"Header mismatch: {why}", message.id, reason="header-mismatch")


def routing_check(headers: CIMultiDictProxy[str]) -> Callable[[list[Message]], None]:
    """A relay check that raises ProtocolError when a routing header disagrees with the body."""

    def check(messages: list[Message]) -> None:
        for name in _ROUTING:
            if len(headers.getall(name, ())) > 1:
                raise _mismatch(messages[0], f"{name} appears more than once")
        for message in messages:
            if message.kind is not Kind.REQUEST:
                continue
            method_header = headers.get("mcp-method")
            if method_header != message.method:
                raise _mismatch(message, "the Mcp-Method header does not match the body's method")
            meta = message.params.get("_meta")
            body_version = meta.get(PROTOCOL_VERSION_META) if isinstance(meta, dict) else None
            if body_version is not None and body_version != headers.get("mcp-protocol-version"):
                raise _mismatch(message, "MCP-Protocol-Version does not match the body's protocol version")
            key = NAME_HEADER_PARAM.get(message.method or "")
            if key is None:
                continue
            value = message.params.get(key)
            header = headers.get("mcp-name")
            if value is not None and (header is None or decode_header_value(header) != value):
                raise _mismatch(message, f"the Mcp-Name header does not match the body's {key!r}")

    return check

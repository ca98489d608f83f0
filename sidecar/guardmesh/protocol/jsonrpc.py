"""Decode a JSON-RPC payload, validate its shape and classify each message by direction and phase."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson

from guardmesh.config.models import Phase
from guardmesh.protocol.errors import INVALID_REQUEST, PARSE_ERROR, JsonRpcId


class Direction(StrEnum):
    TO_SERVER = "client-to-server"
    TO_CLIENT = "server-to-client"


class Kind(StrEnum):
    REQUEST = "request"
    NOTIFICATION = "notification"
    RESULT = "result"
    ERROR = "error"


class ProtocolError(ValueError):
    """A payload that is not acceptable JSON-RPC; `code` is the JSON-RPC error code to answer with."""

    def __init__(self, code: int, message: str, id_: JsonRpcId = None, reason: str = "invalid") -> None:
        super().__init__(message)
        self.code = code
        self.id = id_
        self.reason = reason
        """Short label for the rejection counter: parse, utf8, depth, shape, batch, ..."""


NOTIFICATION_PREFIX = "notifications/"
"""Every MCP notification method starts with this; request methods never do."""

# Methods whose name-bearing parameter identifies the target, for span names and guards.
TARGET_PARAM = {
    "tools/call": "name",
    "prompts/get": "name",
    "resources/read": "uri",
    "resources/subscribe": "uri",
    "resources/unsubscribe": "uri",
}


@dataclass(slots=True)
class Message:
    """One JSON-RPC message, classified. `body` is the decoded object guards read and may replace."""

    body: dict[str, Any]
    direction: Direction
    kind: Kind
    phase: Phase
    method: str | None
    """The method, or for a response the method of the request it answers, when known."""
    id: JsonRpcId
    target: str | None
    """Tool or prompt name, or resource URI, when the method has one."""
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """What guards derived from `body` (its extracted text, scans), shared by every guard; it describes
    this body only, so a message with a new body starts with an empty cache."""

    @property
    def params(self) -> dict[str, Any]:
        params = self.body.get("params")
        return params if isinstance(params, dict) else {}

    @property
    def result(self) -> dict[str, Any]:
        result = self.body.get("result")
        return result if isinstance(result, dict) else {}


def decode(raw: bytes, max_depth: int) -> Any:
    """Decode JSON bytes, refusing invalid UTF-8, bad JSON and nesting deeper than `max_depth`."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "utf-8" in str(exc).lower():
            raise ProtocolError(PARSE_ERROR, "Parse error: body is not valid UTF-8", reason="utf8") from None
        if str(exc).startswith("depth limit exceeded"):  # orjson's own bound (1024) is past any max_depth
            raise ProtocolError(
                INVALID_REQUEST, f"Invalid request: nesting deeper than {max_depth} levels", reason="depth"
            ) from None
        raise ProtocolError(PARSE_ERROR, f"Parse error: {exc}", reason="parse") from None
    # Counting brackets is a C-speed upper bound on depth; walk only when it could be exceeded.
    if raw.count(b"{") + raw.count(b"[") > max_depth and _depth(value, max_depth) > max_depth:
        raise ProtocolError(INVALID_REQUEST, f"Invalid request: nesting deeper than {max_depth} levels", reason="depth")
    return value


def _depth(value: Any, limit: int) -> int:
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if level > deepest:
            deepest = level
            if deepest > limit:
                return deepest
        if isinstance(node, dict):
            stack.extend((child, level + 1) for child in node.values() if isinstance(child, dict | list))
        elif isinstance(node, list):
            stack.extend((child, level + 1) for child in node if isinstance(child, dict | list))
    return deepest


MAX_SAFE_INTEGER = 2**53 - 1
"""Larger integers lose precision in JavaScript servers: an id the server rounds answers no request."""


def _valid_id(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER
    return isinstance(value, str)


def classify(obj: Any, direction: Direction) -> Message:
    """Validate one JSON-RPC object and say what it is. Responses get their method later, by matching."""
    if not isinstance(obj, dict):
        raise ProtocolError(INVALID_REQUEST, "Invalid request: a JSON-RPC message is an object", reason="shape")
    id_ = obj.get("id")
    reply_id = id_ if _valid_id(id_) else None
    if obj.get("jsonrpc") != "2.0":
        raise ProtocolError(INVALID_REQUEST, 'Invalid request: "jsonrpc" must be "2.0"', reply_id, "shape")
    if "method" in obj:
        method = obj["method"]
        if not isinstance(method, str) or not method:
            raise ProtocolError(INVALID_REQUEST, 'Invalid request: "method" must be a string', reply_id, "shape")
        params = obj.get("params")
        if params is not None and not isinstance(params, dict | list):
            raise ProtocolError(
                INVALID_REQUEST, 'Invalid request: "params" must be an object or an array', reply_id, "shape"
            )
        target = None
        key = TARGET_PARAM.get(method)
        if key is not None and isinstance(params, dict):
            value = params.get(key)
            target = value if isinstance(value, str) else None
        if "id" in obj:
            if not _valid_id(id_):
                raise ProtocolError(
                    INVALID_REQUEST, 'Invalid request: "id" must be a string or a safe integer', None, "shape"
                )
            phase = Phase.REQUEST if direction is Direction.TO_SERVER else Phase.SERVER_REQUEST
            return Message(obj, direction, Kind.REQUEST, phase, method, id_, target)
        if not method.startswith(NOTIFICATION_PREFIX):
            # A request method sent without an id would reach a server's handler unguarded by request guards.
            raise ProtocolError(
                INVALID_REQUEST,
                f'Invalid request: a notification\'s method starts with "{NOTIFICATION_PREFIX}"',
                reason="shape",
            )
        return Message(obj, direction, Kind.NOTIFICATION, Phase.NOTIFICATION, method, None, target)
    if "result" in obj or "error" in obj:
        if ("result" in obj) == ("error" in obj):
            raise ProtocolError(
                INVALID_REQUEST, 'Invalid response: exactly one of "result" and "error"', reply_id, "shape"
            )
        if id_ is not None and not _valid_id(id_):
            raise ProtocolError(INVALID_REQUEST, 'Invalid response: bad "id"', None, "shape")
        if "error" in obj:
            error = obj["error"]
            if not (isinstance(error, dict) and isinstance(error.get("code"), int)):
                raise ProtocolError(
                    INVALID_REQUEST, 'Invalid response: "error" needs an integer "code"', reply_id, "shape"
                )
            return Message(obj, direction, Kind.ERROR, Phase.RESPONSE, None, id_, None)
        return Message(obj, direction, Kind.RESULT, Phase.RESPONSE, None, id_, None)
    raise ProtocolError(INVALID_REQUEST, 'Invalid request: neither "method" nor "result"/"error"', reply_id, "shape")


def parse(raw: bytes, direction: Direction, max_depth: int) -> tuple[list[Message], bool]:
    """Decode and classify a payload; returns the messages and whether it was a batch."""
    value = decode(raw, max_depth)
    if isinstance(value, list):
        if not value:
            raise ProtocolError(INVALID_REQUEST, "Invalid request: empty batch", reason="batch")
        return [classify(item, direction) for item in value], True
    return [classify(value, direction)], False

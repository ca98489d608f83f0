"""What must hold for any input, checked on the sidecar's own parts in process (no sockets).

- request: a POST the sidecar forwards is read by every server the same way the sidecar read it (the
  Python SDK's parser, the TypeScript SDK's UTF-8 decoding with BOM stripping and replacement, its
  legacy transport's decoding by the declared charset), and no server can read a call of the denied
  tool `get-env` out of it: a differential or such a call is an unguarded pass.
- response: every message the sidecar delivers was seen by the guards (a recording guard sees every
  message of every phase), or is the sidecar's own error; no result text delivered holds the canonical
  AWS key the secrets guard redacts there, whichever request the result claims to answer.
- sse: the event decoder gives back exactly the bytes it was fed, event by event, or refuses an event
  over its limit; nothing else.
- engine: extraction, normalisation and the scan of any message never raise.

A failure raises Unguarded (a property broken) or lets the unexpected exception through (a crash).
Time bounds (no hang) are the fuzzer's own: `-timeout` in tests/fuzz/run.py, the pytest timeout here.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pydantic_core
from multidict import CIMultiDict, CIMultiDictProxy

from guardmesh.config import Phase
from guardmesh.engine import default_engine, extract
from guardmesh.guards.api import ALLOW, GuardContext, Verdict
from guardmesh.pipeline import BoundGuard, Pipeline
from guardmesh.protocol.jsonrpc import Message
from guardmesh.protocol.sse import SseDecoder, SseTooLarge
from guardmesh.runtime import Runtime
from guardmesh.telemetry.audit import AuditLog
from guardmesh.telemetry.metrics import Metrics
from guardmesh.telemetry.recorder import Telemetry
from guardmesh.transports import body as body_rules
from guardmesh.transports.correlation import Pending
from guardmesh.transports.relay import Exchange, Relay

DENIED_TOOL = "get-env"
SECRET = "AKIAIOSFODNN7EXAMPLE"
SSE_LIMIT = 4096
CONTENT_ANSWERS = ("tools/call",)
"""Answers whose `content` the secrets guard redacts (an answer matching no request is guarded as one)."""

BUNDLE = {
    "guards": [
        {"name": "deny", "spec": {"type": "native", "native": {"kind": "tool-access", "deny": [DENIED_TOOL]}}},
        {
            "name": "secrets",
            "spec": {
                "type": "native",
                "native": {"kind": "secrets", "action": "redact"},
                "runsOn": ["request", "response"],
            },
        },
    ],
    "limits": {"maxDepth": 64},
}


class Unguarded(AssertionError):
    """A property of the module docstring does not hold for this input."""


class Recorder:
    """A guard that allows everything and remembers each message it was shown, in every phase."""

    kind = "recorder"

    def __init__(self) -> None:
        self.interests: dict[Phase, frozenset[str] | None] = dict.fromkeys(Phase, None)
        self.seen: set[bytes] = set()

    def check(self, message: Message, ctx: GuardContext) -> Verdict:
        self.seen.add(orjson.dumps(message.body, option=orjson.OPT_SORT_KEYS))
        return ALLOW


@dataclass
class Sidecar:
    runtime: Runtime
    relay: Relay
    recorder: Recorder
    loop: asyncio.AbstractEventLoop

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)


@cache
def sidecar(workdir: str = "/tmp/guardmesh-fuzz") -> Sidecar:
    """One in-process sidecar for all inputs: the bundle above, plus the recorder last in the pipeline."""
    path = Path(workdir)
    path.mkdir(parents=True, exist_ok=True)
    config = path / "bundle.json"
    config.write_bytes(orjson.dumps(BUNDLE))
    metrics = Metrics()
    runtime = Runtime(Telemetry(metrics, AuditLog(None, metrics), None), "fuzz", config)
    recorder = Recorder()
    bound = BoundGuard("recorder", recorder, 1000, frozenset(Phase), 1.0, False, True)
    runtime.pipeline = Pipeline([*runtime.pipeline.guards, bound], runtime.server_id)
    return Sidecar(runtime, Relay(runtime), recorder, asyncio.new_event_loop())


# --- requests ----------------------------------------------------------------------------------


class _Request:
    """What transports/body.py reads of an HTTP request."""

    def __init__(self, method: str, headers: Iterable[tuple[str, str]], body: bytes) -> None:
        self.method = method
        self.headers = CIMultiDictProxy(CIMultiDict(list(headers)))
        length = self.headers.get("content-length")
        self.content_length = int(length) if length is not None and length.isdigit() else len(body)


def check_request(method: str, headers: list[tuple[str, str]], body: bytes) -> None:
    try:
        body_rules.check(_Request(method, headers, body))  # type: ignore[arg-type]
    except body_rules.Refused:
        return
    if method != "POST" or not body:
        return
    side = sidecar()
    exchange = Exchange(GuardContext("fuzz", None, "2025-03-26", "fuzzer"))
    result = side.run(side.relay.from_client(body, exchange))
    if result.rejected or result.forward is None:
        return
    forwarded = result.forward
    seen_by_sidecar = _calls(orjson.loads(forwarded))
    for server, decode in _server_decoders(CIMultiDict(headers).get("content-type", "")):
        try:
            value = decode(forwarded)
        except Exception:  # noqa: S112 - that server refuses the body: nothing runs there
            continue
        read_by_server = _calls(value)
        if read_by_server != seen_by_sidecar:
            raise Unguarded(f"{server} reads {read_by_server}, the sidecar read {seen_by_sidecar}")
        for kind, method_, _id, name in read_by_server:
            if kind == "request-or-notification" and method_ == "tools/call" and name == DENIED_TOOL:
                raise Unguarded(f"{server} would run the denied tool: {forwarded[:300]!r}")


def _calls(value: Any) -> list[tuple[str, Any, Any, Any]]:
    """What decides what a server runs: per message, its kind, method, id and tool name."""
    items = value if isinstance(value, list) else [value]
    out: list[tuple[str, Any, Any, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            out.append(("other", None, None, None))
            continue
        params = item.get("params")
        name = params.get("name") if isinstance(params, dict) else None
        kind = "request-or-notification" if "method" in item else "answer"
        id_ = item.get("id")
        out.append(
            (
                kind,
                item.get("method"),
                float(id_) if isinstance(id_, int | float) and not isinstance(id_, bool) else id_,
                name,
            )
        )
    return out


def _js_json(text: str) -> Any:
    """JSON.parse: like Python's, but without NaN and Infinity, and every number a double."""

    def no_constant(name: str) -> Any:
        raise ValueError(f"JSON.parse refuses {name}")

    return json.loads(text, parse_constant=no_constant, parse_int=float)


def _utf8_like_textdecoder(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    return text[1:] if text.startswith("\ufeff") else text


# content-type (npm), as the TypeScript SDK's legacy transport parses the header it decodes by.
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_PARAM = re.compile(
    rf'; *({_TOKEN}) *= *("(?:[\x0b\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\x0b\x20-\xff])*"|{_TOKEN}) *'
)
_TYPE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _npm_charset(header: str) -> str:
    index = header.find(";")
    kind = (header[:index] if index != -1 else header).strip()
    if not _TYPE.match(kind):
        raise ValueError("invalid media type")
    charset = None
    position = index if index != -1 else len(header)
    while position < len(header):
        match = _PARAM.match(header, position)
        if match is None or match.start() != position:
            raise ValueError("invalid parameter format")
        position = match.end()
        name, value = match.group(1).lower(), match.group(2)
        if value.startswith('"'):
            value = re.sub(r"\\([\x0b\x20-\xff])", r"\1", value[1:-1])
        if name == "charset":
            charset = value  # a later copy wins, as in the library
    return charset or "utf-8"


def _server_decoders(content_type: str) -> Iterator[tuple[str, Callable[[bytes], Any]]]:
    yield "python-sdk", pydantic_core.from_json
    yield "typescript-sdk", lambda raw: _js_json(_utf8_like_textdecoder(raw))

    def legacy(raw: bytes) -> Any:
        charset = _npm_charset(content_type)
        codecs.lookup(charset)  # iconv-lite knows more names; one Python does not know is skipped
        text = raw.decode(charset)
        return _js_json(text[1:] if text.startswith("\ufeff") else text)

    yield "typescript-sdk-legacy-sse", legacy


# --- responses ---------------------------------------------------------------------------------


def check_response(payload: bytes, asked: list[tuple[int, str]]) -> None:
    side = sidecar()
    exchange = Exchange(GuardContext("fuzz", None, "2025-03-26", "fuzzer"))
    for id_, method in asked:
        exchange.remember(id_, Pending(method, None, None))
    side.recorder.seen.clear()
    result = side.run(side.relay.from_server(payload, exchange))
    if result.forward is None:
        return
    delivered = orjson.loads(result.forward)
    methods: dict[Any, str] = dict(asked)
    for message in delivered if isinstance(delivered, list) else [delivered]:
        if _sidecar_error(message):
            continue
        if orjson.dumps(message, option=orjson.OPT_SORT_KEYS) not in side.recorder.seen:
            raise Unguarded(f"delivered without inspection: {orjson.dumps(message)[:300]!r}")
        answers = methods.get(message.get("id")) if isinstance(message, dict) else None
        if answers not in (None, *CONTENT_ANSWERS):
            continue  # the answer to a ping or a listing: not where the guard looks for keys
        for text in _result_texts(message):
            if _SECRET.search(text):
                raise Unguarded(f"the secret reached the client ({answers}): {orjson.dumps(message)[:300]!r}")


def _sidecar_error(message: Any) -> bool:
    error = message.get("error") if isinstance(message, dict) else None
    return isinstance(error, dict) and isinstance(error.get("code"), int) and -32059 <= error["code"] <= -32050


_SECRET = re.compile(rf"(?<!\w){SECRET}(?!\w)")
"""The key as the secrets guard defines one, between word boundaries (a longer word is not that key)."""


def _result_texts(message: Any) -> Iterator[str]:
    """The text content of a result: where the secrets guard promises to redact keys (answers to
    tools/call included when their id matches no request: the hole this property guards)."""
    result = message.get("result") if isinstance(message, dict) else None
    content = result.get("content") if isinstance(result, dict) else None
    for block in content if isinstance(content, list) else []:
        if isinstance(block, dict) and isinstance(block.get("text"), str):
            yield block["text"]


# --- SSE and the engine --------------------------------------------------------------------------


def check_sse(chunks: list[bytes]) -> None:
    decoder = SseDecoder(SSE_LIMIT)
    fed = b"".join(chunks)
    out = bytearray()
    try:
        for chunk in chunks:
            for event in decoder.feed(chunk):
                out += event.raw
    except SseTooLarge:
        return
    if bytes(out) + decoder.pending != fed:
        raise Unguarded("the decoder lost or invented bytes")


def check_engine(payload: bytes) -> None:
    try:
        value = orjson.loads(payload)
    except orjson.JSONDecodeError:
        value = {
            "jsonrpc": "2.0",
            "id": 1,
            "result": {"content": [{"type": "text", "text": payload.decode("utf-8", "replace")}]},
        }
    if not isinstance(value, dict):
        value = {"jsonrpc": "2.0", "id": 1, "result": {"structuredContent": value}}
    for method in ("tools/call", "tools/list", "resources/read", None):
        default_engine().scan(extract(value, method))

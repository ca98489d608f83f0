"""The transport-independent core: inspect a payload from either peer and say what to send where.

Transports hand over raw bytes (an HTTP body, an SSE event's data, a stdio line) with the state of
the exchange; the relay parses, runs the pipeline, records telemetry and returns bytes to forward
(the original bytes when no guard changed anything) and JSON-RPC errors to deliver instead.
"""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from guardmesh.config.models import Phase
from guardmesh.guards.api import GuardContext
from guardmesh.pipeline import Outcome
from guardmesh.protocol.errors import INVALID_REQUEST, JsonRpcId, error_object
from guardmesh.protocol.jsonrpc import Direction, Kind, Message, ProtocolError, parse
from guardmesh.runtime import Runtime
from guardmesh.telemetry.recorder import Telemetry
from guardmesh.transports.sessions import BoundedMap, Pending, Session, pending_map


@dataclass(slots=True)
class Exchange:
    """The state one client payload and its answers share."""

    ctx: GuardContext
    session: Session | None = None
    pending: BoundedMap[JsonRpcId, Pending] = field(default_factory=pending_map)
    """Requests of this exchange awaiting answers; a session's own map when answers come on another stream."""
    headers: Mapping[str, str] | None = None
    """HTTP headers, for trace context."""

    @property
    def server_requests(self) -> BoundedMap[JsonRpcId, Pending]:
        return self.session.server_requests if self.session is not None else self.pending


def _answered(
    telemetry: Telemetry, pending: Pending, answer: Message | None, code: int | None = None, message: str = ""
) -> None:
    """Close a request's span and timing on its first answer; a replay of the answer is not counted again."""
    if not pending.answered:
        pending.answered = True
        telemetry.end(pending.span, pending.started, pending.method, answer, code, message)


def learn_version(exchange: Exchange, messages: list[Message]) -> None:
    """Remember the revision an initialize result settled on, for the rest of the session."""
    session = exchange.session
    for message in messages:
        if message.kind is Kind.RESULT and message.method == "initialize":
            version = message.result.get("protocolVersion")
            if isinstance(version, str):
                ctx = exchange.ctx
                exchange.ctx = GuardContext(ctx.server_id, ctx.session_id, version, ctx.client_id)
                if session is not None:
                    session.protocol_version = version


@dataclass(slots=True)
class FromClient:
    forward: bytes | None
    """Bytes to send to the server, or None when nothing is left to send."""
    replies: list[dict[str, Any]]
    """JSON-RPC errors the client gets straight away, for what was refused."""
    rejected: bool = False
    """The payload was refused as a whole before any guard ran (bad JSON-RPC, batch not allowed)."""


@dataclass(slots=True)
class FromServer:
    forward: bytes | None
    """Bytes to deliver to the client, or None to drop the payload."""
    to_server: list[dict[str, Any]] = field(default_factory=list)
    """Errors to send back to the server for its requests that a guard refused."""
    invalid: str | None = None
    """Why the server's payload could not be inspected (it is then not delivered)."""
    messages: list[Message] = field(default_factory=list)
    changed: bool = False
    """A guard modified or refused something, so `forward` differs from the input."""


class Relay:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.telemetry = runtime.telemetry

    async def from_client(
        self,
        raw: bytes,
        exchange: Exchange,
        batch_allowed: bool = True,
        check: Callable[[list[Message]], None] | None = None,
    ) -> FromClient:
        """Inspect a client payload. `check` may refuse it (raising ProtocolError) before any guard runs."""
        limits = self.runtime.limits
        try:
            messages, is_batch = parse(raw, Direction.TO_SERVER, limits.max_depth)
            if is_batch and not batch_allowed:
                raise ProtocolError(
                    INVALID_REQUEST,
                    f"Invalid request: protocol revision {exchange.ctx.protocol_version} does not allow batches",
                    reason="batch",
                )
            if check is not None:
                check(messages)
        except ProtocolError as exc:
            self.telemetry.rejected(exc.reason, str(exc))
            return FromClient(None, [error_object(exc.id, exc.code, str(exc))], rejected=True)
        pipeline = self.runtime.pipeline
        telemetry = self.telemetry
        ctx = exchange.ctx
        kept: list[dict[str, Any]] = []
        replies: list[dict[str, Any]] = []
        changed = False
        for message in messages:
            span = None
            pending = None
            if message.kind is Kind.REQUEST:
                span = telemetry.begin(message, ctx, exchange.headers)
            elif message.kind is not Kind.NOTIFICATION:
                # The client answering a server request: recover what was asked.
                pending = exchange.server_requests.pop(message.id)
                if pending is not None:
                    message.method, message.target, span = pending.method, pending.target, pending.span
            outcome = await pipeline.run(message, ctx)
            telemetry.guards(span, message, outcome, ctx)
            if outcome.denied:
                changed = True
                error = error_object(message.id, outcome.error_code, outcome.error_message)
                if message.kind is Kind.REQUEST:
                    replies.append(error)
                    telemetry.end(
                        span, time.perf_counter(), message.method, None, outcome.error_code, outcome.error_message
                    )
                elif message.kind is Kind.NOTIFICATION:
                    replies.append(error_object(None, outcome.error_code, outcome.error_message))
                else:
                    # The server still waits for an answer: it gets the refusal instead of the client's reply.
                    kept.append(error)
                continue
            if outcome.modified:
                changed = True
            kept.append(outcome.message.body)
            if message.kind is Kind.REQUEST:
                pending = Pending(message.method or "", message.target, span)
                exchange.pending.put(message.id, pending)
                session = exchange.session
                if session is not None and session.client_requests is not exchange.pending:
                    # The answer may come on another stream (a GET resumed with Last-Event-ID).
                    session.client_requests.put(message.id, pending)
            elif pending is not None:
                _answered(telemetry, pending, outcome.message)
        if not changed:
            return FromClient(raw, replies)
        forward = None
        if kept:
            forward = orjson.dumps(kept if is_batch else kept[0])
        return FromClient(forward, replies)

    async def from_server(self, raw: bytes | str, exchange: Exchange) -> FromServer:
        data = raw.encode() if isinstance(raw, str) else raw
        try:
            messages, is_batch = parse(data, Direction.TO_CLIENT, self.runtime.limits.max_depth)
        except ProtocolError as exc:
            self.telemetry.rejected(f"upstream-{exc.reason}", str(exc))
            return FromServer(None, invalid=str(exc))
        pipeline = self.runtime.pipeline
        telemetry = self.telemetry
        ctx = exchange.ctx
        out: list[dict[str, Any]] = []
        to_server: list[dict[str, Any]] = []
        changed = False
        for message in messages:
            pending = None
            span = None
            if message.kind is Kind.RESULT or message.kind is Kind.ERROR:
                pending = exchange.pending.pop(message.id)
                if pending is None and exchange.session is not None:
                    # An answer replayed on a resumed stream (`Last-Event-ID`): guard it like the first time.
                    pending = exchange.session.client_requests.get(message.id)
                if pending is not None:
                    message.method, message.target, span = pending.method, pending.target, pending.span
            elif message.kind is Kind.REQUEST:
                span = telemetry.begin(message, ctx, None)
            outcome = await pipeline.run(message, ctx)
            if (
                not outcome.denied
                and message.kind is Kind.RESULT
                and message.result.get("resultType") == "input_required"
            ):
                outcome = await self._input_requests(outcome, ctx)
            telemetry.guards(span, message, outcome, ctx)
            if outcome.denied:
                changed = True
                error = error_object(message.id, outcome.error_code, outcome.error_message)
                if message.kind is Kind.REQUEST:
                    to_server.append(error)
                    telemetry.end(
                        span, time.perf_counter(), message.method, None, outcome.error_code, outcome.error_message
                    )
                elif message.kind is not Kind.NOTIFICATION:
                    out.append(error)
                    if pending is not None:
                        _answered(telemetry, pending, None, outcome.error_code, outcome.error_message)
                continue
            if outcome.modified:
                changed = True
            out.append(outcome.message.body)
            if message.kind is Kind.REQUEST:
                exchange.server_requests.put(message.id, Pending(message.method or "", None, span))
            elif pending is not None:
                _answered(telemetry, pending, outcome.message)
        if not changed:
            return FromServer(data, to_server, messages=messages)
        forward = None
        if out:
            forward = orjson.dumps(out if is_batch else out[0])
        return FromServer(forward, to_server, messages=messages, changed=True)

    async def _input_requests(self, outcome: Outcome, ctx: GuardContext) -> Outcome:
        """2026-07-28 embeds server requests in an `input_required` result: guard each as a server request."""
        body = outcome.message.body
        requests = body["result"].get("inputRequests")
        if not isinstance(requests, dict):
            return outcome
        replaced: dict[str, Any] = {}
        for key, request in requests.items():
            if not isinstance(request, dict) or not isinstance(request.get("method"), str):
                continue
            method = request["method"]
            synthetic = {"jsonrpc": "2.0", "id": key, "method": method, "params": request.get("params", {})}
            inner = Message(synthetic, Direction.TO_CLIENT, Kind.REQUEST, Phase.SERVER_REQUEST, method, key, None)
            result = await self.runtime.pipeline.run(inner, ctx)
            outcome.evaluations.extend(result.evaluations)
            if result.denied:
                outcome.denied_by = result.denied_by
                return outcome
            if result.modified:
                replaced[key] = {"method": method, "params": result.message.body.get("params", {})}
        if replaced:
            new_result = {**body["result"], "inputRequests": {**requests, **replaced}}
            outcome.message = Message(
                {**body, "result": new_result},
                outcome.message.direction,
                outcome.message.kind,
                outcome.message.phase,
                outcome.message.method,
                outcome.message.id,
                outcome.message.target,
            )
            outcome.modified = True
        return outcome

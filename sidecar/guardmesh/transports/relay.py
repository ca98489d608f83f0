"""The transport-independent core: inspect a payload from either peer and say what to send where.

Transports hand over raw bytes (an HTTP body, an SSE event's data, a stdio line) with the state of
the exchange; the relay parses, runs the pipeline, records telemetry and returns bytes to forward
(the original bytes when no guard changed anything) and JSON-RPC errors to deliver instead.
"""

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from opentelemetry.trace import Span

from guardmesh.config.models import Phase
from guardmesh.guards.api import GuardContext
from guardmesh.pipeline import Outcome
from guardmesh.protocol.errors import INVALID_REQUEST, OVERLOADED, TOO_LARGE, UPSTREAM_UNAVAILABLE, error_object
from guardmesh.protocol.jsonrpc import Direction, Kind, Message, ProtocolError, parse
from guardmesh.runtime import Runtime
from guardmesh.telemetry.recorder import Telemetry
from guardmesh.transports.admission import LARGE_MESSAGE, Overloaded, TooCostly
from guardmesh.transports.correlation import Pending, RequestTable
from guardmesh.transports.inspector import Admitted, Inspector
from guardmesh.transports.sessions import Session

log = logging.getLogger("guardmesh.relay")

_NO_ROOM = "Too many requests awaiting answers; wait for some to be answered"


@dataclass(slots=True)
class Exchange:
    """The state one client payload and its answers share. Transports change it through the methods."""

    ctx: GuardContext
    session: Session | None = None
    requests: RequestTable = field(default_factory=RequestTable)
    """Requests whose answers this exchange delivers (or replaces by errors when its stream ends)."""
    headers: Mapping[str, str] | None = None
    """HTTP headers, for trace context."""
    own_server_requests: RequestTable = field(default_factory=RequestTable)
    """Server requests awaiting answers when there is no session to keep them."""

    def bind(self, session: Session, requests: RequestTable | None = None) -> None:
        """The exchange turned out to belong to `session` (learned from the server's answer or stream);
        `requests` when the session's own table collects the answers (legacy SSE)."""
        self.session = session
        if requests is not None:
            self.requests = requests
        version = session.protocol_version or self.ctx.protocol_version
        self.ctx = dataclasses.replace(self.ctx, session_id=session.id, protocol_version=version)

    def learn_version(self, messages: list[Message]) -> None:
        """Remember the revision an initialize result settled on, for the rest of the session."""
        for message in messages:
            if message.kind is Kind.RESULT and message.method == "initialize":
                version = message.result.get("protocolVersion")
                if isinstance(version, str):
                    self.ctx = dataclasses.replace(self.ctx, protocol_version=version)
                    if self.session is not None:
                        self.session.protocol_version = version

    @property
    def server_requests(self) -> RequestTable:
        """Server requests awaiting the client's answer: the session's, or this exchange's own without one."""
        return self.session.server_requests if self.session is not None else self.own_server_requests

    def remember(self, id_: Any, pending: Pending) -> bool:
        """A client request was forwarded: remember it until its answer; False when no room is left."""
        if not self.requests.add(id_, pending):
            return False
        if self.session is not None:
            # The answer may come on another stream (a GET resumed with Last-Event-ID).
            self.session.recent.put(id_, pending)
        return True

    def match(self, id_: Any) -> Pending | None:
        """The request an answer from the server is for, or None when it matches none."""
        pending = self.requests.take(id_)
        if pending is None and self.session is not None:
            # An answer replayed on a resumed stream (`Last-Event-ID`): guard it like the first time.
            pending = self.session.recent.get(id_)
        return pending


def _no_room(telemetry: Telemetry, span: Span | None, message: Message) -> dict[str, Any]:
    """A request refused because its answer could not be awaited: the table of pending requests is full."""
    telemetry.rejected("too-many-pending")
    telemetry.end(span, time.perf_counter(), message.method, None, OVERLOADED, _NO_ROOM)
    return error_object(message.id, OVERLOADED, _NO_ROOM)


@dataclass(slots=True)
class FromClient:
    forward: bytes | None
    """Bytes to send to the server, or None when nothing is left to send."""
    replies: list[dict[str, Any]]
    """JSON-RPC errors the client gets straight away, for what was refused."""
    rejected: bool = False
    """The payload was refused as a whole before any guard ran (bad JSON-RPC, batch not allowed, no capacity)."""
    status: int = 400
    """The HTTP status of a refusal as a whole: 400, or 503 / 413 when it could not be admitted for inspection."""


@dataclass(slots=True)
class FromServer:
    forward: bytes | None
    """Bytes to deliver to the client, or None to drop the payload."""
    to_server: list[dict[str, Any]] = field(default_factory=list)
    """Errors to send back to the server for its requests that a guard refused."""
    invalid: str | None = None
    """Why the server's payload could not be inspected (it is then not delivered; `forward` then holds the
    error standing in for the answer it named, if any)."""
    messages: list[Message] = field(default_factory=list)
    changed: bool = False
    """A guard modified or refused something, so `forward` differs from the input."""


class Relay:
    def __init__(self, runtime: Runtime, inspector: Inspector | None = None) -> None:
        self.runtime = runtime
        self.telemetry = runtime.telemetry
        self.inspector = inspector or Inspector(runtime)

    async def from_client(
        self,
        raw: bytes,
        exchange: Exchange,
        batch_allowed: bool = True,
        check: Callable[[list[Message]], None] | None = None,
    ) -> FromClient:
        """Inspect a client payload. `check` may refuse it (raising ProtocolError) before any guard runs.
        A large payload is inspected off the event loop once admitted (transports/admission.py)."""
        if len(raw) < LARGE_MESSAGE:
            return await self._from_client(raw, exchange, batch_allowed, check, None)
        try:
            admitted = await self.inspector.admit(exchange.ctx.client_id or "", raw)
        except (Overloaded, TooCostly) as exc:
            return self._not_admitted(exc)
        try:
            return await self._from_client(raw, exchange, batch_allowed, check, admitted)
        finally:
            admitted.release()

    def _not_admitted(self, exc: Overloaded | TooCostly) -> FromClient:
        if isinstance(exc, TooCostly):
            self.telemetry.rejected("too-costly", str(exc))
            error = error_object(None, TOO_LARGE, f"Message too large to inspect: {exc}")
            return FromClient(None, [error], rejected=True, status=413)
        self.telemetry.rejected("overloaded", str(exc))
        error = error_object(None, OVERLOADED, f"Sidecar overloaded: {exc}; retry later")
        return FromClient(None, [error], rejected=True, status=503)

    async def _parse(self, raw: bytes, direction: Direction, admitted: Admitted | None) -> tuple[list[Message], bool]:
        depth = self.runtime.limits.max_depth
        if admitted is None:
            return parse(raw, direction, depth)
        return await self.inspector.call(admitted, parse, raw, direction, depth)

    async def _guard(self, message: Message, ctx: GuardContext, admitted: Admitted | None) -> Outcome:
        pipeline = self.runtime.pipeline
        if admitted is None:
            return await pipeline.run(message, ctx)
        return await self.inspector.guard(admitted, pipeline, message, ctx)

    async def _from_client(
        self,
        raw: bytes,
        exchange: Exchange,
        batch_allowed: bool,
        check: Callable[[list[Message]], None] | None,
        admitted: Admitted | None,
    ) -> FromClient:
        try:
            messages, is_batch = await self._parse(raw, Direction.TO_SERVER, admitted)
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
                pending = exchange.server_requests.take(message.id)
                if pending is not None:
                    message.method, message.target, span = pending.method, pending.target, pending.span
            outcome = await self._guard(message, ctx, admitted)
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
            if message.kind is Kind.REQUEST:
                if not exchange.remember(message.id, Pending(message.method or "", message.target, span)):
                    changed = True
                    replies.append(_no_room(telemetry, span, message))
                    continue
            elif pending is not None:
                pending.settle(telemetry, outcome.message)
            if outcome.modified:
                changed = True
            kept.append(outcome.message.body)
        if not changed:
            return FromClient(raw, replies)
        forward = None
        if kept:
            forward = orjson.dumps(kept if is_batch else kept[0])
        return FromClient(forward, replies)

    async def from_server(self, raw: bytes | str, exchange: Exchange) -> FromServer:
        """Inspect a server payload. A large one is inspected off the event loop once admitted; raises
        Overloaded or TooCostly (transports/admission.py) when it cannot be, for the transport to answer."""
        data = raw.encode() if isinstance(raw, str) else raw
        if len(data) < LARGE_MESSAGE:
            return await self._from_server(data, exchange, None)
        admitted = await self.inspector.admit(exchange.ctx.client_id or "", data)
        try:
            return await self._from_server(data, exchange, admitted)
        finally:
            admitted.release()

    async def _from_server(self, data: bytes, exchange: Exchange, admitted: Admitted | None) -> FromServer:
        try:
            messages, is_batch = await self._parse(data, Direction.TO_CLIENT, admitted)
        except ProtocolError as exc:
            self.telemetry.rejected(f"upstream-{exc.reason}", str(exc))
            return FromServer(self._invalid_answer(exc, exchange), invalid=str(exc))
        telemetry = self.telemetry
        ctx = exchange.ctx
        out: list[dict[str, Any]] = []
        to_server: list[dict[str, Any]] = []
        changed = False
        for message in messages:
            pending = None
            span = None
            if message.kind is Kind.RESULT or message.kind is Kind.ERROR:
                pending = exchange.match(message.id)
                if pending is not None:
                    message.method, message.target, span = pending.method, pending.target, pending.span
            elif message.kind is Kind.REQUEST:
                span = telemetry.begin(message, ctx, None)
            if pending is None and message.kind in (Kind.RESULT, Kind.ERROR):
                outcome = await self._unmatched(message, ctx, admitted)
            else:
                outcome = await self._guard(message, ctx, admitted)
            if (
                not outcome.denied
                and message.kind is Kind.RESULT
                and message.result.get("resultType") == "input_required"
            ):
                outcome = await self._input_requests(outcome, ctx, admitted)
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
                        pending.settle(telemetry, None, outcome.error_code, outcome.error_message)
                continue
            if message.kind is Kind.REQUEST:
                if not exchange.server_requests.add(message.id, Pending(message.method or "", None, span)):
                    changed = True
                    to_server.append(_no_room(telemetry, span, message))
                    continue
            elif pending is not None:
                pending.settle(telemetry, outcome.message)
            if outcome.modified:
                changed = True
            out.append(outcome.message.body)
        if not changed:
            return FromServer(data, to_server, messages=messages)
        forward = None
        if out:
            forward = orjson.dumps(out if is_batch else out[0])
        return FromServer(forward, to_server, messages=messages, changed=True)

    def _invalid_answer(self, exc: ProtocolError, exchange: Exchange) -> bytes | None:
        """A server message that is not valid JSON-RPC is never delivered; when it names the id of a request
        waiting for its answer, that request gets an error now instead of waiting for an answer that came."""
        pending = exchange.match(exc.id) if exc.id is not None else None
        message = "Upstream MCP server sent an invalid answer"
        if pending is None or not pending.settle(self.telemetry, None, UPSTREAM_UNAVAILABLE, message):
            return None
        return orjson.dumps(error_object(exc.id, UPSTREAM_UNAVAILABLE, message))

    async def _unmatched(self, message: Message, ctx: GuardContext, admitted: Admitted | None) -> Outcome:
        """An answer that matches no request the sidecar forwarded (a server answering with another id, or
        replaying an answer this replica never saw) is not let through raw: it passes the response guards
        as the answer to each method they inspect, and the first refusal refuses it."""
        log.info("an answer from the server matches no pending request (id %r); guarding it as any answer", message.id)
        pipeline = self.runtime.pipeline
        outcome = Outcome(message)
        current = message
        for method in pipeline.methods(Phase.RESPONSE):
            # A fresh message per method: what guards derive from a body may depend on what it answers.
            candidate = Message(current.body, current.direction, current.kind, current.phase, method, current.id, None)
            result = await self._guard(candidate, ctx, admitted)
            outcome.evaluations.extend(result.evaluations)
            if result.denied:
                outcome.denied_by = result.denied_by
                return outcome
            if result.modified:
                current = result.message
                outcome.modified = True
        outcome.message = Message(current.body, message.direction, message.kind, message.phase, None, message.id, None)
        return outcome

    async def _input_requests(self, outcome: Outcome, ctx: GuardContext, admitted: Admitted | None) -> Outcome:
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
            result = await self._guard(inner, ctx, admitted)
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

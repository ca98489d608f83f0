"""The transport-independent relay: what is forwarded, what is answered, and how answers meet their requests."""

from collections.abc import Callable
from typing import Any

import orjson
import pytest

from guardmesh.config import Phase
from guardmesh.guards.api import ALLOW, GuardContext, Verdict, deny, modify
from guardmesh.pipeline import BoundGuard, Pipeline
from guardmesh.protocol.errors import (
    GUARD_DENIED,
    GUARD_FAILED,
    INVALID_REQUEST,
    OVERLOADED,
    PARSE_ERROR,
    UPSTREAM_UNAVAILABLE,
)
from guardmesh.protocol.jsonrpc import Message, ProtocolError
from guardmesh.runtime import Runtime
from guardmesh.telemetry.metrics import Metrics
from guardmesh.transports.correlation import RequestTable
from guardmesh.transports.relay import Exchange, Relay

DENY_DELETE = {
    "guards": [
        {"name": "tools", "spec": {"type": "native", "native": {"kind": "tool-access", "deny": ["fs_delete"]}}},
    ]
}


def rpc(**fields: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", **fields}


def raw(value: object) -> bytes:
    return orjson.dumps(value)


def call(id_: int, tool: str) -> dict[str, Any]:
    return rpc(id=id_, method="tools/call", params={"name": tool, "arguments": {}})


class ServerRequestGuard:
    """Refuses or rewrites server-to-client requests by method, as a sampling or elicitation policy would."""

    kind = "server-requests"

    def __init__(self, decide: Callable[[Message], Verdict]) -> None:
        self.phases: frozenset[Phase] = frozenset({Phase.SERVER_REQUEST, Phase.RESPONSE})
        methods = frozenset({"sampling/createMessage", "elicitation/create"})
        self.interests: dict[Phase, frozenset[str] | None] = dict.fromkeys(self.phases, methods)
        self.seen: list[Message] = []
        self._decide = decide

    def check(self, message: Message, ctx: GuardContext) -> Verdict:
        self.seen.append(message)
        return self._decide(message)


def install(runtime: Runtime, guard: ServerRequestGuard, enforce: bool = True) -> None:
    """Put a hand-written guard in force, the way a reload swaps the pipeline."""
    bound = BoundGuard("server-requests", guard, 1, guard.phases, 1.0, False, enforce)
    runtime.pipeline = Pipeline([bound], runtime.server_id)


@pytest.fixture
def runtime(make_runtime: Callable[[dict[str, Any]], Runtime]) -> Runtime:
    return make_runtime(DENY_DELETE)


@pytest.fixture
def relay(runtime: Runtime) -> Relay:
    return Relay(runtime)


@pytest.fixture
def exchange() -> Exchange:
    return Exchange(GuardContext("test-server", None, "2025-03-26"))


def messages_total(metrics: Metrics, method: str, phase: str, outcome: str) -> float | None:
    labels = {"method": method, "phase": phase, "outcome": outcome}
    return metrics.registry.get_sample_value("guardmesh_messages_total", labels)


# --- from the client ---------------------------------------------------------------------------


async def test_an_unchanged_client_payload_is_forwarded_as_the_very_same_bytes(
    relay: Relay, exchange: Exchange
) -> None:
    payload = b'{ "jsonrpc": "2.0",  "id": 1, "method": "tools/call", "params": {"name": "fs_read"} }'
    result = await relay.from_client(payload, exchange)
    assert result.forward is payload
    assert result.replies == []
    assert len(exchange.requests) == 1, "the request awaits its answer"


async def test_a_denied_request_is_answered_and_nothing_is_forwarded(
    relay: Relay, exchange: Exchange, metrics: Metrics
) -> None:
    result = await relay.from_client(raw(call(5, "fs_delete")), exchange)
    assert result.forward is None
    assert not result.rejected
    (reply,) = result.replies
    assert reply["id"] == 5
    assert reply["error"]["code"] == GUARD_DENIED
    assert "'tools'" in reply["error"]["message"]
    assert "fs_delete" in reply["error"]["message"]
    assert len(exchange.requests) == 0
    assert messages_total(metrics, "tools/call", "request", "denied") == 1


async def test_a_batch_with_one_denied_request_forwards_the_rest(relay: Relay, exchange: Exchange) -> None:
    batch = [call(1, "fs_read"), call(2, "fs_delete"), rpc(method="notifications/progress", params={}), call(3, "a")]
    result = await relay.from_client(raw(batch), exchange)
    assert result.forward is not None
    assert orjson.loads(result.forward) == [batch[0], batch[2], batch[3]]
    assert [(r["id"], r["error"]["code"]) for r in result.replies] == [(2, GUARD_DENIED)]
    assert len(exchange.requests) == 2, "both forwarded requests await their answers"


async def test_a_batch_is_refused_where_the_revision_removed_batches(
    relay: Relay, exchange: Exchange, metrics: Metrics
) -> None:
    result = await relay.from_client(raw([call(1, "a")]), exchange, batch_allowed=False)
    assert result.rejected
    assert result.forward is None
    assert result.replies[0]["error"]["code"] == INVALID_REQUEST
    assert metrics.registry.get_sample_value("guardmesh_rejected_total", {"reason": "batch"}) == 1


async def test_an_unparseable_client_payload_is_rejected_and_counted(
    relay: Relay, exchange: Exchange, metrics: Metrics
) -> None:
    result = await relay.from_client(b"{nope", exchange)
    assert result.rejected
    (reply,) = result.replies
    assert reply["id"] is None
    assert reply["error"]["code"] == PARSE_ERROR
    assert metrics.registry.get_sample_value("guardmesh_rejected_total", {"reason": "parse"}) == 1


async def test_a_check_may_refuse_a_payload_before_any_guard_runs(relay: Relay, exchange: Exchange) -> None:
    def refuse(messages: list[Message]) -> None:
        raise ProtocolError(-32020, "Header mismatch: nope", messages[0].id, "header-mismatch")

    result = await relay.from_client(raw(call(8, "fs_read")), exchange, check=refuse)
    assert result.rejected
    assert result.replies[0]["id"] == 8
    assert result.replies[0]["error"]["code"] == -32020
    assert len(exchange.requests) == 0


# --- from the server ---------------------------------------------------------------------------


async def test_an_unchanged_server_payload_is_delivered_as_the_very_same_bytes(
    relay: Relay, exchange: Exchange
) -> None:
    await relay.from_client(raw(call(1, "fs_read")), exchange)
    payload = b'{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hi"}]}}'
    result = await relay.from_server(payload, exchange)
    assert result.forward is payload
    assert result.to_server == []
    assert result.invalid is None


async def test_a_response_is_matched_to_its_request_so_method_guards_apply(relay: Relay, exchange: Exchange) -> None:
    await relay.from_client(raw(rpc(id="list-1", method="tools/list")), exchange)
    tools = [{"name": "fs_read"}, {"name": "fs_delete"}]
    result = await relay.from_server(raw(rpc(id="list-1", result={"tools": tools})), exchange)
    assert result.messages[0].method == "tools/list"
    assert result.forward is not None
    assert orjson.loads(result.forward)["result"]["tools"] == [{"name": "fs_read"}]
    assert len(exchange.requests) == 0, "an answered request is forgotten"


async def test_a_response_to_no_known_request_is_guarded_as_an_answer_to_any_method(
    relay: Relay, exchange: Exchange
) -> None:
    await relay.from_client(raw(rpc(id=1, method="tools/list")), exchange)
    payload = raw(rpc(id=2, result={"tools": [{"name": "fs_read"}, {"name": "fs_delete"}]}))
    result = await relay.from_server(payload, exchange)
    assert result.messages[0].method is None, "it is not mistaken for the answer to request 1"
    assert result.forward is not None
    assert orjson.loads(result.forward)["result"]["tools"] == [{"name": "fs_read"}], "but filtered as a listing"
    assert len(exchange.requests) == 1, "request 1 still waits for its own answer"


async def test_an_invalid_answer_that_names_a_waiting_request_answers_it_with_an_error(
    relay: Relay, exchange: Exchange
) -> None:
    await relay.from_client(raw(call(4, "fs_read")), exchange)
    result = await relay.from_server(b'{"jsonrpc":"2.0","id":4,"result":{},"error":{"code":1}}', exchange)
    assert result.invalid is not None
    assert result.forward is not None
    assert orjson.loads(result.forward)["error"]["code"] == UPSTREAM_UNAVAILABLE
    assert exchange.requests.unanswered() == []


async def test_a_full_table_of_pending_requests_refuses_the_next_one_and_forgets_none(relay: Relay) -> None:
    exchange = Exchange(GuardContext("test-server", None, "2025-03-26"), requests=RequestTable(limit=2))
    for id_ in (1, 2):
        assert (await relay.from_client(raw(call(id_, "fs_read")), exchange)).replies == []
    refused = await relay.from_client(raw(call(3, "fs_read")), exchange)
    assert refused.forward is None
    assert [(r["id"], r["error"]["code"]) for r in refused.replies] == [(3, OVERLOADED)]
    assert [id_ for id_, _ in exchange.requests.unanswered()] == [1, 2]


async def test_an_invalid_server_payload_is_not_delivered(relay: Relay, exchange: Exchange, metrics: Metrics) -> None:
    result = await relay.from_server(b'{"jsonrpc":"2.0","id":1}', exchange)
    assert result.forward is None
    assert result.invalid is not None
    assert metrics.registry.get_sample_value("guardmesh_rejected_total", {"reason": "upstream-shape"}) == 1


async def test_a_denied_server_request_is_answered_to_the_server_and_not_delivered(
    runtime: Runtime, relay: Relay, exchange: Exchange
) -> None:
    install(
        runtime, ServerRequestGuard(lambda m: deny("no sampling") if m.method == "sampling/createMessage" else ALLOW)
    )
    sampling = rpc(id="srv-1", method="sampling/createMessage", params={"messages": []})
    ping = rpc(id="srv-2", method="ping")
    result = await relay.from_server(raw([sampling, ping]), exchange)
    assert result.forward is not None
    assert orjson.loads(result.forward) == [ping]
    (refusal,) = result.to_server
    assert refusal["id"] == "srv-1"
    assert refusal["error"]["code"] == GUARD_DENIED
    assert "no sampling" in refusal["error"]["message"]


async def test_the_clients_answer_to_a_server_request_is_matched_and_guarded(
    runtime: Runtime, relay: Relay, exchange: Exchange
) -> None:
    guard = ServerRequestGuard(lambda m: deny("answer withheld") if m.body.get("result") is not None else ALLOW)
    install(runtime, guard)
    await relay.from_server(raw(rpc(id="srv-1", method="sampling/createMessage", params={})), exchange)
    answer = rpc(id="srv-1", result={"role": "assistant", "content": {"type": "text", "text": "secret"}})
    result = await relay.from_client(raw(answer), exchange)
    assert guard.seen[-1].method == "sampling/createMessage"
    assert result.replies == []
    assert result.forward is not None
    sent = orjson.loads(result.forward)
    assert sent["id"] == "srv-1"
    assert sent["error"]["code"] == GUARD_DENIED, "the server gets the refusal instead of the client's answer"


def input_required(**requests: dict[str, Any]) -> dict[str, Any]:
    return rpc(id=1, result={"resultType": "input_required", "inputRequests": requests})


SAMPLE: dict[str, Any] = {"method": "sampling/createMessage", "params": {"messages": [], "maxTokens": 10}}
ELICIT: dict[str, Any] = {
    "method": "elicitation/create",
    "params": {"message": "Your password?", "requestedSchema": {}},
}


async def test_input_requests_of_an_input_required_result_are_guarded_as_server_requests(
    runtime: Runtime, relay: Relay, exchange: Exchange
) -> None:
    guard = ServerRequestGuard(lambda m: deny("no elicitation") if m.method == "elicitation/create" else ALLOW)
    install(runtime, guard)
    await relay.from_client(raw(call(1, "fs_read")), exchange)
    result = await relay.from_server(raw(input_required(llm=SAMPLE, ask=ELICIT)), exchange)
    assert [(m.method, m.phase, m.id) for m in guard.seen] == [
        ("sampling/createMessage", Phase.SERVER_REQUEST, "llm"),
        ("elicitation/create", Phase.SERVER_REQUEST, "ask"),
    ]
    assert result.forward is not None
    error = orjson.loads(result.forward)
    assert error["id"] == 1
    assert error["error"]["code"] == GUARD_DENIED
    assert "no elicitation" in error["error"]["message"]


async def test_an_allowed_input_required_result_is_delivered_unchanged(
    runtime: Runtime, relay: Relay, exchange: Exchange
) -> None:
    install(runtime, ServerRequestGuard(lambda _: ALLOW))
    await relay.from_client(raw(call(1, "fs_read")), exchange)
    payload = raw(input_required(llm=SAMPLE))
    assert (await relay.from_server(payload, exchange)).forward is payload


async def test_a_modified_input_request_is_replaced_in_the_result(
    runtime: Runtime, relay: Relay, exchange: Exchange
) -> None:
    def redact(m: Message) -> Verdict:
        return modify({**m.body, "params": {**m.params, "message": "[redacted]"}}, "redacted")

    install(runtime, ServerRequestGuard(lambda m: redact(m) if m.method == "elicitation/create" else ALLOW))
    await relay.from_client(raw(call(1, "fs_read")), exchange)
    result = await relay.from_server(raw(input_required(llm=SAMPLE, ask=ELICIT)), exchange)
    assert result.forward is not None
    delivered = orjson.loads(result.forward)["result"]
    assert delivered["resultType"] == "input_required"
    redacted = {**ELICIT["params"], "message": "[redacted]"}
    assert delivered["inputRequests"]["ask"] == {"method": "elicitation/create", "params": redacted}
    assert delivered["inputRequests"]["llm"] == SAMPLE


async def test_an_audit_only_guard_changes_nothing_on_the_wire(
    runtime: Runtime, relay: Relay, exchange: Exchange
) -> None:
    install(runtime, ServerRequestGuard(lambda _: deny("would refuse")), enforce=False)
    payload = raw(rpc(id="srv-1", method="sampling/createMessage", params={}))
    result = await relay.from_server(payload, exchange)
    assert result.forward is payload
    assert result.to_server == []


async def test_a_failing_guard_refuses_with_the_guard_failed_code(
    runtime: Runtime, relay: Relay, exchange: Exchange
) -> None:
    def broken(_: Message) -> Verdict:
        raise KeyError("oops")

    install(runtime, ServerRequestGuard(broken))
    result = await relay.from_server(raw(rpc(id="srv-1", method="elicitation/create", params={})), exchange)
    assert result.forward is None
    assert result.to_server[0]["error"]["code"] == GUARD_FAILED

"""JSON-RPC decoding, validation and classification: what is refused, with which code, and why."""

from typing import Any

import orjson
import pytest

from guardmesh.config import Phase
from guardmesh.protocol.errors import INVALID_REQUEST, PARSE_ERROR, error_bytes, error_object
from guardmesh.protocol.jsonrpc import Direction, Kind, ProtocolError, classify, decode, parse

LIMIT = 128


def nested(depth: int) -> bytes:
    """A message whose JSON nesting is exactly `depth` levels (the message object itself is level 1)."""
    arrays = depth - 2
    return b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":' + b"[" * arrays + b"]" * arrays + b"}}"


def refusal(raw: bytes, direction: Direction = Direction.TO_SERVER) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        parse(raw, direction, LIMIT)
    return caught.value


def rpc(**fields: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", **fields}


# --- decoding ----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"{", b"", b"nope", b'{"jsonrpc": "2.0",}', b"\x00"])
def test_invalid_json_is_a_parse_error(raw: bytes) -> None:
    error = refusal(raw)
    assert error.code == PARSE_ERROR
    assert error.reason == "parse"
    assert error.id is None


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"jsonrpc":"2.0","id":1,"method":"\xff"}', id="lone-continuation-byte"),
        pytest.param(b'{"jsonrpc":"2.0","id":1,"method":"\xc3"}', id="truncated-sequence"),
        pytest.param(b'{"jsonrpc":"2.0","id":1,"method":"\xed\xa0\x80"}', id="encoded-surrogate"),
    ],
)
def test_invalid_utf8_is_a_parse_error_of_its_own_reason(raw: bytes) -> None:
    error = refusal(raw)
    assert error.code == PARSE_ERROR
    assert error.reason == "utf8"
    assert "UTF-8" in str(error)


def test_nesting_exactly_at_the_limit_is_accepted() -> None:
    raw = nested(LIMIT)
    messages, _ = parse(raw, Direction.TO_SERVER, LIMIT)
    assert messages[0].method == "ping"


def test_nesting_one_level_over_the_limit_is_an_invalid_request() -> None:
    error = refusal(nested(LIMIT + 1))
    assert error.code == INVALID_REQUEST
    assert error.reason == "depth"
    assert f"{LIMIT} levels" in str(error)


def test_nesting_past_the_json_decoders_own_limit_is_refused_as_too_deep() -> None:
    error = refusal(b"[" * 5000 + b"]" * 5000)
    assert (error.code, error.reason) == (INVALID_REQUEST, "depth")


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    raw = orjson.dumps(rpc(id=1, method="ping", params={"text": "[{" * 1000}))
    assert parse(raw, Direction.TO_SERVER, LIMIT)[0][0].method == "ping"


def test_wide_but_shallow_documents_are_accepted() -> None:
    raw = orjson.dumps(rpc(id=1, method="ping", params={"items": [[1]] * 1000}))
    assert decode(raw, LIMIT)["params"]["items"][999] == [1]


# --- shape -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1", "[1]", '"text"', "null", "true"])
def test_a_message_is_an_object(value: str) -> None:
    error = refusal(value.encode())
    assert error.code == INVALID_REQUEST
    assert error.reason in ("shape", "batch")


def test_an_empty_batch_is_refused() -> None:
    error = refusal(b"[]")
    assert (error.code, error.reason) == (INVALID_REQUEST, "batch")


@pytest.mark.parametrize("version", [None, "1.0", 2.0, "2.0 "])
def test_jsonrpc_must_be_exactly_2_0(version: object) -> None:
    body: dict[str, Any] = {"id": 7, "method": "ping"}
    if version is not None:
        body["jsonrpc"] = version
    error = refusal(orjson.dumps(body))
    assert error.code == INVALID_REQUEST
    assert error.id == 7, "the reply carries the id when it is usable"


@pytest.mark.parametrize(
    "id_",
    [pytest.param(True, id="bool"), pytest.param(1.5, id="float"), pytest.param(1.0, id="integral-float"),
     pytest.param({"n": 1}, id="object"), pytest.param([1], id="array"), pytest.param(None, id="null")],
)  # fmt: skip
def test_a_request_id_is_a_string_or_an_integer(id_: object) -> None:
    error = refusal(orjson.dumps(rpc(id=id_, method="ping")))
    assert error.code == INVALID_REQUEST
    assert error.id is None, "an unusable id is never echoed back"


@pytest.mark.parametrize("id_", [True, 2.5, {"n": 1}])
def test_a_response_id_is_a_string_an_integer_or_null(id_: object) -> None:
    error = refusal(orjson.dumps(rpc(id=id_, result={})), Direction.TO_CLIENT)
    assert error.code == INVALID_REQUEST
    assert error.id is None


@pytest.mark.parametrize("method", [None, 3, "", ["tools/call"]])
def test_a_method_is_a_non_empty_string(method: object) -> None:
    error = refusal(orjson.dumps(rpc(id=1, method=method)))
    assert error.code == INVALID_REQUEST
    assert "method" in str(error)


def test_a_message_with_neither_method_nor_result_nor_error_is_refused() -> None:
    error = refusal(orjson.dumps(rpc(id=4, params={})))
    assert error.code == INVALID_REQUEST
    assert error.id == 4


def test_a_response_with_both_result_and_error_is_refused() -> None:
    error = refusal(orjson.dumps(rpc(id=4, result={}, error={"code": 1, "message": "x"})), Direction.TO_CLIENT)
    assert error.code == INVALID_REQUEST
    assert "exactly one" in str(error)


@pytest.mark.parametrize("error", [{"message": "x"}, {"code": "1", "message": "x"}, {"code": 1.5}, "boom", None])
def test_an_error_needs_an_integer_code(error: object) -> None:
    refused = refusal(orjson.dumps(rpc(id=4, error=error)), Direction.TO_CLIENT)
    assert refused.code == INVALID_REQUEST
    assert "integer" in str(refused)


@pytest.mark.parametrize("params", ["text", 1, True])
def test_params_are_an_object_or_an_array(params: object) -> None:
    error = refusal(orjson.dumps(rpc(id=1, method="ping", params=params)))
    assert error.code == INVALID_REQUEST
    assert "params" in str(error)


def test_params_may_be_an_array_or_absent() -> None:
    with_array = classify(rpc(id=1, method="ping", params=[1, 2]), Direction.TO_SERVER)
    without = classify(rpc(id=2, method="ping"), Direction.TO_SERVER)
    assert with_array.params == {}
    assert without.params == {}


def test_one_bad_message_refuses_the_whole_batch() -> None:
    raw = orjson.dumps([rpc(id=1, method="ping"), rpc(id=2, method=5)])
    assert refusal(raw).code == INVALID_REQUEST


# --- classification ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "direction", "kind", "phase"),
    [
        (rpc(id=1, method="tools/list"), Direction.TO_SERVER, Kind.REQUEST, Phase.REQUEST),
        (rpc(id=1, method="sampling/createMessage"), Direction.TO_CLIENT, Kind.REQUEST, Phase.SERVER_REQUEST),
        (rpc(method="notifications/initialized"), Direction.TO_SERVER, Kind.NOTIFICATION, Phase.NOTIFICATION),
        (rpc(method="notifications/progress"), Direction.TO_CLIENT, Kind.NOTIFICATION, Phase.NOTIFICATION),
        (rpc(id=1, result={}), Direction.TO_CLIENT, Kind.RESULT, Phase.RESPONSE),
        (rpc(id="s-1", result={}), Direction.TO_SERVER, Kind.RESULT, Phase.RESPONSE),
        (rpc(id=1, error={"code": -1, "message": "no"}), Direction.TO_CLIENT, Kind.ERROR, Phase.RESPONSE),
        (rpc(id=None, error={"code": -32700, "message": "bad"}), Direction.TO_CLIENT, Kind.ERROR, Phase.RESPONSE),
    ],
)
def test_messages_are_classified_by_kind_phase_and_direction(
    body: dict[str, Any], direction: Direction, kind: Kind, phase: Phase
) -> None:
    message = classify(body, direction)
    assert (message.kind, message.phase, message.direction) == (kind, phase, direction)
    assert message.body is body


def test_a_response_has_no_method_until_it_is_matched() -> None:
    message = classify(rpc(id=3, result={"tools": []}), Direction.TO_CLIENT)
    assert message.method is None
    assert message.id == 3
    assert message.result == {"tools": []}


def test_a_notification_has_no_id() -> None:
    assert classify(rpc(method="notifications/cancelled", params={"requestId": 1}), Direction.TO_SERVER).id is None


@pytest.mark.parametrize(
    ("method", "params", "target"),
    [
        ("tools/call", {"name": "fs_read", "arguments": {}}, "fs_read"),
        ("prompts/get", {"name": "greet"}, "greet"),
        ("resources/read", {"uri": "file:///etc/hosts"}, "file:///etc/hosts"),
        ("resources/subscribe", {"uri": "mem://x"}, "mem://x"),
        ("resources/unsubscribe", {"uri": "mem://x"}, "mem://x"),
        ("tools/call", {"name": 42}, None),
        ("tools/call", ["fs_read"], None),
        ("tools/list", {"name": "ignored"}, None),
        ("resources/read", {"name": "not-the-uri"}, None),
    ],
)
def test_the_target_is_the_name_or_uri_of_methods_that_have_one(
    method: str, params: object, target: str | None
) -> None:
    assert classify(rpc(id=1, method=method, params=params), Direction.TO_SERVER).target == target


def test_a_batch_is_reported_as_a_batch() -> None:
    raw = orjson.dumps([rpc(id=1, method="ping"), rpc(method="notifications/initialized")])
    messages, is_batch = parse(raw, Direction.TO_SERVER, LIMIT)
    assert is_batch
    assert [m.kind for m in messages] == [Kind.REQUEST, Kind.NOTIFICATION]
    assert parse(orjson.dumps(rpc(id=1, method="ping")), Direction.TO_SERVER, LIMIT)[1] is False


# --- errors ------------------------------------------------------------------------------------


def test_an_error_reply_carries_data_only_when_given() -> None:
    assert error_object(1, -32050, "no") == {"jsonrpc": "2.0", "id": 1, "error": {"code": -32050, "message": "no"}}
    with_data = orjson.loads(error_bytes("a", -32600, "bad", {"why": "x"}))
    assert with_data["error"]["data"] == {"why": "x"}

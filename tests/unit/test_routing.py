"""2026-07-28 routing headers: `Mcp-Method`, `Mcp-Name` and the protocol version must say what the body says."""

import base64
from typing import Any

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from guardmesh.protocol.errors import HEADER_MISMATCH
from guardmesh.protocol.jsonrpc import Direction, Message, ProtocolError, classify
from guardmesh.protocol.routing import PROTOCOL_VERSION_META, decode_header_value, routing_check

VERSION = "2026-07-28"


def headers(*pairs: tuple[str, str]) -> CIMultiDictProxy[str]:
    return CIMultiDictProxy(CIMultiDict(pairs))


def request(method: str, params: dict[str, Any] | None = None, id_: int = 1) -> Message:
    return classify({"jsonrpc": "2.0", "id": id_, "method": method, "params": params or {}}, Direction.TO_SERVER)


def b64(text: str) -> str:
    return f"=?base64?{base64.b64encode(text.encode()).decode()}?="


def mismatch(pairs: list[tuple[str, str]], *messages: Message) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        routing_check(headers(*pairs))(list(messages))
    assert caught.value.code == HEADER_MISMATCH
    assert caught.value.reason == "header-mismatch"
    return caught.value


def test_headers_that_match_the_body_pass() -> None:
    check = routing_check(headers(("Mcp-Method", "tools/call"), ("Mcp-Name", "fs_read")))
    check([request("tools/call", {"name": "fs_read", "arguments": {}})])


def test_a_method_without_a_name_needs_no_name_header() -> None:
    routing_check(headers(("Mcp-Method", "tools/list")))([request("tools/list")])


def test_a_different_method_header_is_a_mismatch_answered_with_the_request_id() -> None:
    error = mismatch([("Mcp-Method", "tools/list"), ("Mcp-Name", "rm")], request("tools/call", {"name": "rm"}, id_=9))
    assert error.id == 9
    assert "Mcp-Method" in str(error)


def test_a_missing_method_header_is_a_mismatch() -> None:
    mismatch([], request("ping"))


def test_method_headers_compare_exactly() -> None:
    mismatch([("Mcp-Method", "Tools/Call"), ("Mcp-Name", "a")], request("tools/call", {"name": "a"}))


@pytest.mark.parametrize(
    ("method", "key", "value"),
    [("tools/call", "name", "fs_read"), ("prompts/get", "name", "greet"), ("resources/read", "uri", "file:///a")],
)
def test_a_different_name_header_is_a_mismatch(method: str, key: str, value: str) -> None:
    error = mismatch([("Mcp-Method", method), ("Mcp-Name", "something-else")], request(method, {key: value}))
    assert repr(key) in str(error)


def test_a_missing_name_header_is_a_mismatch_when_the_body_names_a_target() -> None:
    mismatch([("Mcp-Method", "tools/call")], request("tools/call", {"name": "fs_delete"}))


def test_a_name_header_in_base64_is_decoded_before_comparing() -> None:
    name = "outil-résumé ✓"
    routing_check(headers(("Mcp-Method", "tools/call"), ("Mcp-Name", b64(name))))(
        [request("tools/call", {"name": name})]
    )


def test_a_base64_name_of_another_tool_is_a_mismatch() -> None:
    mismatch([("Mcp-Method", "tools/call"), ("Mcp-Name", b64("fs_read"))], request("tools/call", {"name": "fs_delete"}))


@pytest.mark.parametrize("value", ["=?base64?not base64!?=", "=?base64?/w==?=", "=?base64?YQ?="])
def test_a_malformed_base64_name_header_matches_nothing(value: str) -> None:
    assert decode_header_value(value) is None
    mismatch([("Mcp-Method", "tools/call"), ("Mcp-Name", value)], request("tools/call", {"name": "a"}))


@pytest.mark.parametrize(("value", "decoded"), [("plain", "plain"), (b64("é"), "é"), ("=?base64?", "=?base64?")])
def test_header_values_decode_only_inside_the_base64_sentinel(value: str, decoded: str) -> None:
    assert decode_header_value(value) == decoded


@pytest.mark.parametrize("name", ["Mcp-Method", "Mcp-Name", "MCP-Protocol-Version"])
def test_a_routing_header_given_twice_is_a_mismatch_even_with_equal_values(name: str) -> None:
    pairs = [("Mcp-Method", "tools/call"), ("Mcp-Name", "a"), ("MCP-Protocol-Version", VERSION), (name, "x")]
    pairs[-1] = (name.lower(), dict(pairs)[name])
    error = mismatch(pairs, request("tools/call", {"name": "a"}))
    assert "more than once" in str(error)


def test_the_protocol_version_in_meta_must_match_the_header() -> None:
    meta = {"_meta": {PROTOCOL_VERSION_META: VERSION}}
    routing_check(headers(("Mcp-Method", "ping"), ("MCP-Protocol-Version", VERSION)))([request("ping", meta)])
    error = mismatch([("Mcp-Method", "ping"), ("MCP-Protocol-Version", "2025-11-25")], request("ping", meta))
    assert "MCP-Protocol-Version" in str(error)


def test_a_protocol_version_in_meta_without_the_header_is_a_mismatch() -> None:
    mismatch([("Mcp-Method", "ping")], request("ping", {"_meta": {PROTOCOL_VERSION_META: VERSION}}))


def test_responses_are_not_routed_by_headers() -> None:
    result = classify({"jsonrpc": "2.0", "id": 1, "result": {}}, Direction.TO_SERVER)
    routing_check(headers())([result])

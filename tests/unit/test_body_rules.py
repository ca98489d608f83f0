"""The canonical form of a request (transports/body.py) and of a message (protocol/jsonrpc.py)."""

import pytest

from guardmesh.protocol import errors
from guardmesh.protocol.jsonrpc import Direction, ProtocolError, classify
from guardmesh.transports.body import Refused, _check_content_type


@pytest.mark.parametrize(
    "value",
    [
        "application/json",
        "Application/JSON",
        "application/json; charset=utf-8",
        'application/json;charset="UTF-8"',
        "application/json; charset=utf8",
        "application/json; profile=mcp",
    ],
)
def test_json_in_utf_8_is_canonical(value: str) -> None:
    _check_content_type(value)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "text/plain",
        "application/json, text/plain",
        "application/json; charset=utf-7",
        "application/json; charset=utf-16",
        "application/json; charset=utf-8; charset=utf-8",
        "application/json; charset = utf-8",
        "application/json; charset",
        "application/json; =x",
    ],
)
def test_anything_else_is_refused_with_415(value: str | None) -> None:
    with pytest.raises(Refused) as caught:
        _check_content_type(value)
    assert caught.value.response.status == 415


@pytest.mark.parametrize(
    "message",
    [
        {"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "x"}},
        {"jsonrpc": "2.0", "method": "ping"},
        {"jsonrpc": "2.0", "id": 2**53, "method": "ping"},
        {"jsonrpc": "2.0", "id": -(2**53), "method": "ping"},
    ],
)
def test_a_request_method_without_an_id_and_an_unsafe_integer_id_are_refused(message: dict[str, object]) -> None:
    with pytest.raises(ProtocolError) as caught:
        classify(message, Direction.TO_SERVER)
    assert caught.value.code == errors.INVALID_REQUEST


def test_the_largest_safe_integer_is_an_id() -> None:
    assert classify({"jsonrpc": "2.0", "id": 2**53 - 1, "method": "ping"}, Direction.TO_SERVER).id == 2**53 - 1

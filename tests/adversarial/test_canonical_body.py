"""One reading of every body: whatever the sidecar inspects is what the server executes.

Each case sends a call of the denied tool `get-env` (or a disguised one) in a form where a server
could read the bytes differently from the sidecar: another declared charset (server-everything's
legacy transport decodes by it, so `+AGc-et-env` in UTF-7 is `get-env`), a content encoding, a BOM,
duplicate or conflicting headers, a method other than POST, a call sent as a notification. The
sidecar must refuse each before the server sees it; a control case shows canonical UTF-8 JSON with
the usual header variants still reaches the guards (and is denied there).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable

import orjson
import pytest

from guardmesh.protocol import errors
from tests.adversarial.conftest import Guarded
from tests.adversarial.raw import JSON_AND_SSE, RawResponse, Streamable, call, legacy_session, rpc

pytestmark = pytest.mark.e2e

GET_ENV = orjson.dumps(call(2, "get-env"))
ACCEPT = ("Accept", "application/json, text/event-stream")


def utf7(text: str) -> bytes:
    return text.encode("utf-7")


def _with_type(content_type: str) -> list[tuple[str, str]]:
    return [("Content-Type", content_type), ACCEPT]


# (body, headers besides the session's, method) and the status the sidecar must answer with.
CASES: dict[str, tuple[bytes, list[tuple[str, str]], str, int]] = {
    "charset-utf-7-tool-name": (
        b'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"+AGc-et-env","arguments":{}}}',
        _with_type("application/json; charset=utf-7"),
        "POST",
        415,
    ),
    "charset-utf-7-method": (
        b'{"jsonrpc":"2.0","id":2,"method":"+AHQ-ools/call","params":{"name":"get+AC0-env","arguments":{}}}',
        _with_type("application/json; charset=UTF-7"),
        "POST",
        415,
    ),
    "charset-utf-16": (
        GET_ENV.decode().encode("utf-16-le"),
        _with_type("application/json; charset=utf-16le"),
        "POST",
        415,
    ),
    "charset-latin-1": (GET_ENV, _with_type("application/json;charset=iso-8859-1"), "POST", 415),
    "charset-twice": (GET_ENV, _with_type('application/json; charset=utf-8; charset="utf-7"'), "POST", 415),
    "charset-unparseable": (GET_ENV, _with_type("application/json; charset = utf-7"), "POST", 415),
    "not-json-type": (GET_ENV, _with_type("text/plain"), "POST", 415),
    "two-types-in-one-field": (GET_ENV, _with_type("application/json, text/plain; charset=utf-7"), "POST", 415),
    "no-content-type": (GET_ENV, [ACCEPT], "POST", 415),
    "content-type-twice": (
        GET_ENV,
        [("Content-Type", "application/json"), ("Content-Type", "application/json; charset=utf-7"), ACCEPT],
        "POST",
        400,
    ),
    "content-encoding-gzip": (gzip.compress(GET_ENV), [*JSON_AND_SSE, ("Content-Encoding", "gzip")], "POST", 415),
    "content-encoding-twice": (
        GET_ENV,
        [*JSON_AND_SSE, ("Content-Encoding", "identity"), ("Content-Encoding", "gzip")],
        "POST",
        400,
    ),
    "utf-8-bom": (b"\xef\xbb\xbf" + GET_ENV, list(JSON_AND_SSE), "POST", 400),
    "utf-16-bom-no-charset": (GET_ENV.decode().encode("utf-16"), list(JSON_AND_SSE), "POST", 400),
    "transfer-encoding-gzip-chunked": (
        b"%x\r\n%b\r\n0\r\n\r\n" % (len(gzip.compress(GET_ENV)), gzip.compress(GET_ENV)),
        [*JSON_AND_SSE, ("Transfer-Encoding", "gzip, chunked")],
        "POST",
        501,
    ),
    "content-length-and-chunked": (
        b"%x\r\n%b\r\n0\r\n\r\n" % (len(GET_ENV), GET_ENV),
        [*JSON_AND_SSE, ("Content-Length", "5"), ("Transfer-Encoding", "chunked")],
        "POST",
        400,
    ),
    "put": (GET_ENV, list(JSON_AND_SSE), "PUT", 405),
    "patch": (GET_ENV, list(JSON_AND_SSE), "PATCH", 405),
    "get-with-body": (GET_ENV, list(JSON_AND_SSE), "GET", 400),
    "delete-with-body": (GET_ENV, list(JSON_AND_SSE), "DELETE", 400),
    "tools-call-as-notification": (
        orjson.dumps(rpc(None, "tools/call", {"name": "get-env"})),
        list(JSON_AND_SSE),
        "POST",
        400,
    ),
    "unsafe-integer-id": (
        b'{"jsonrpc":"2.0","id":9007199254740993,"method":"tools/call","params":{"name":"echo","arguments":{"message":"x"}}}',
        list(JSON_AND_SSE),
        "POST",
        400,
    ),
}

SESSION_HEADER_CASES: dict[str, list[tuple[str, str]]] = {
    "session-id-twice": [("Mcp-Session-Id", "a"), ("Mcp-Session-Id", "b")],
    "protocol-version-twice": [("MCP-Protocol-Version", "2025-03-26"), ("MCP-Protocol-Version", "2025-06-18")],
}

# Canonical UTF-8 JSON in every spelling the header allows reaches the guards, which deny the call.
CONTROLS: dict[str, list[tuple[str, str]]] = {
    "plain": list(JSON_AND_SSE),
    "charset-utf-8": _with_type("application/json; charset=utf-8"),
    "charset-quoted-upper": _with_type('Application/JSON;charset="UTF-8"'),
    "content-encoding-identity": [*JSON_AND_SSE, ("Content-Encoding", "identity")],
}


def _legacy(guarded: Guarded) -> bool:
    return guarded.name.endswith("sse")


def _ran_get_env(messages: Iterable[object]) -> bool:
    return any(isinstance(m, dict) and m.get("id") == 2 and "result" in m for m in messages)


async def _attempt(
    guarded: Guarded, body: bytes, headers: list[tuple[str, str]], method: str
) -> tuple[RawResponse, list[object]]:
    """Send the body; returns the sidecar's answer and every message the attempt led to (answers on
    the legacy stream included, up to the answer to a ping sent after it)."""
    if _legacy(guarded):
        async with legacy_session(guarded.url) as legacy:
            response = await legacy.post(body, headers, method)
            await legacy.post(orjson.dumps(rpc(3, "ping")))
            seen: list[object] = []
            while True:
                message = await legacy.next_message()
                seen.append(message)
                if message.get("id") == 3:
                    return response, seen
    session = await Streamable(guarded.url).open()
    mcp_headers = [(k, v) for k, v in session.headers() if k.lower().startswith("mcp-")]
    response = await session.post(body, [*headers, *mcp_headers], method)
    return response, _messages(response)


def _messages(response: RawResponse) -> list[object]:
    try:
        value = response.json() if response.body else []
    except orjson.JSONDecodeError:
        return []
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("case", list(CASES))
async def test_a_body_a_server_could_read_differently_is_refused_before_it(guarded: Guarded, case: str) -> None:
    body, headers, method, status = CASES[case]
    response, seen = await _attempt(guarded, body, headers, method)
    assert not _ran_get_env(seen), f"{case}: the server ran the denied tool: {seen}"
    assert response.status == status, f"{case}: {response.status} {response.body[:300]!r}"
    assert "RAN get-env" not in guarded.server.log()


@pytest.mark.parametrize("guarded", ["everything-streamable", "sdk-streamable"], indirect=True)
@pytest.mark.parametrize("case", list(SESSION_HEADER_CASES))
async def test_duplicate_session_headers_are_refused(guarded: Guarded, case: str) -> None:
    """(The legacy transport names its session in the endpoint URL, not in headers.)"""
    session = await Streamable(guarded.url).open()
    response = await session.post(GET_ENV, [*JSON_AND_SSE, *SESSION_HEADER_CASES[case]])
    assert response.status == 400, response
    assert not _ran_get_env(_messages(response))


@pytest.mark.parametrize("case", list(CONTROLS))
async def test_canonical_json_in_any_header_spelling_reaches_the_guards(guarded: Guarded, case: str) -> None:
    response, seen = await _attempt(guarded, GET_ENV, CONTROLS[case], "POST")
    assert response.status in (200, 202), f"{case}: {response.status} {response.body[:300]!r}"
    denials = [m for m in seen if isinstance(m, dict) and m.get("id") == 2 and "error" in m]
    assert denials, seen
    assert denials[0]["error"]["code"] == errors.GUARD_DENIED, seen

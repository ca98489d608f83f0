"""Standalone use: `guardmesh-sidecar --auth-issuer --auth-audience --auth-jwks` in front of the real
server-everything on the legacy HTTP+SSE transport (2024-11-05), with the Python SDK's SSE client. The session
(the SSE stream and its POST endpoint) belongs to the caller that opened the stream."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import peers
from tests.support.sidecar import Sidecar, running_sidecar, write_bundle
from tests.support.tokens import TestIssuer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer("https://issuer.test")


@pytest.fixture(scope="module")
def sidecar(everything_sse_url: str, issuer: TestIssuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sidecar]:
    tmp = tmp_path_factory.mktemp("flags")
    jwks = tmp / "jwks.json"
    jwks.write_text(json.dumps(issuer.jwks()))
    rules = [
        {"name": "alice", "subjects": [{"subject": "alice"}], "tools": ["echo"]},
        {"name": "bob", "subjects": [{"subject": "bob"}], "tools": ["*"]},
    ]
    config = write_bundle(tmp / "bundle.json", [], authorization={"rules": rules})
    port = peers.free_port()
    flags = [
        "--auth-issuer",
        issuer.issuer,
        "--auth-audience",
        f"http://127.0.0.1:{port}/sse",
        "--auth-jwks",
        str(jwks),
    ]
    with running_sidecar(everything_sse_url, config=config, port=port, extra_args=flags) as sidecar:
        yield sidecar


async def tools_over_sse(url: str, token: str, on_session: list[str]) -> list[str]:
    from mcp import Client
    from mcp.client.sse import sse_client

    transport = sse_client(url, headers={"Authorization": f"Bearer {token}"}, on_session_created=on_session.append)
    async with Client(transport, mode="legacy") as client:
        return sorted(t.name for t in (await client.list_tools(cache_mode="bypass")).tools)


async def test_the_flags_turn_on_authentication_and_each_caller_sees_its_tools(
    sidecar: Sidecar, issuer: TestIssuer
) -> None:
    sessions: list[str] = []
    audience = sidecar.url
    assert await tools_over_sse(sidecar.url, issuer.token("alice", audience), sessions) == ["echo"]
    assert "get-env" in await tools_over_sse(sidecar.url, issuer.token("bob", audience), sessions)
    assert len(sessions) == 2


def test_without_a_token_the_stream_is_not_opened(sidecar: Sidecar) -> None:
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(sidecar.url, timeout=5)
    with err.value:
        assert err.value.code == 401
        assert "resource_metadata=" in err.value.headers["WWW-Authenticate"]


def test_another_caller_posting_to_an_sse_session_is_refused(sidecar: Sidecar, issuer: TestIssuer) -> None:
    audience = sidecar.url
    alice, mallory = issuer.token("alice", audience), issuer.token("mallory", audience)
    request = urllib.request.Request(sidecar.url, headers={"Authorization": f"Bearer {alice}"})
    with urllib.request.urlopen(request, timeout=10) as stream:
        endpoint = None
        for raw in stream:
            line = raw.decode().strip()
            if line.startswith("data:"):
                endpoint = line.removeprefix("data:").strip()
                break
        assert endpoint is not None, "no endpoint event"
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        status, body = _post(sidecar.base + endpoint, mallory, message)
        assert status == 403
        assert json.loads(body)["error"]["code"] == -32059
        assert _post(sidecar.base + endpoint, alice, message)[0] == 202


def _post(url: str, token: str, message: dict[str, Any]) -> tuple[int, bytes]:
    data = json.dumps(message).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read()

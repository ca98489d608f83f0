"""Who may call which tool, with real parts: Dex (built from its Go modules) as the OpenID provider, the
official MCP SDK clients doing the OAuth flow from the sidecar's 401 and metadata, and real MCP servers in both
protocol eras (server-everything with 2025 sessions, a Python SDK server at the stateless 2026-07-28).

Dex issues access tokens whose `aud` is the protected resource's canonical URI when the client asks for the
scope `audience:server:client_id:<resource>`; the sidecar advertises exactly that scope in its challenge, so
the SDK clients request it on their own.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import peers
from tests.support.dex import CLIENT_ID, Dex, running_dex
from tests.support.sidecar import Sidecar, running_sidecar, write_bundle

pytestmark = pytest.mark.e2e

STATELESS = Path(__file__).parent / "servers" / "stateless_server.py"
TS_CLIENT = Path(__file__).parent / "clients" / "oauth_client.mjs"
REVISION = "2026-07-28"
GUARD_DENIED = -32050


@dataclass
class Protected:
    """A sidecar requiring Dex tokens in front of a real server."""

    sidecar: Sidecar
    resource: str
    seen_log: Path | None = None
    upstream: str = ""

    def seen(self) -> list[dict[str, Any]]:
        assert self.seen_log is not None
        text = self.seen_log.read_text(encoding="utf-8") if self.seen_log.exists() else ""
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def _bundle(path: Path, dex: Dex, resource: str, rules: list[dict[str, Any]]) -> Path:
    return write_bundle(
        path,
        [],
        authentication={
            "resource": resource,
            "oauth": [{"issuer": dex.issuer}],
            "scopesSupported": ["openid", "email", f"audience:server:client_id:{resource}"],
            "identityHeaders": {"subject": "X-Forwarded-User"},
        },
        authorization={"rules": rules},
    )


def _email(user: str) -> dict[str, Any]:
    return {"claims": {"email": f"{user}@example.com"}}


@pytest.fixture(scope="module")
def ports() -> dict[str, int]:
    return {"sessions": peers.free_port(), "stateless": peers.free_port()}


@pytest.fixture(scope="module")
def dex(ports: dict[str, int]) -> Iterator[Dex]:
    resources = [f"http://127.0.0.1:{port}/mcp" for port in ports.values()]
    # Keys rotate as often as Dex checks (every 30 s), so tests see a rotation while they run.
    with running_dex(resources, signing_keys="10s") as dex:
        yield dex


@pytest.fixture(scope="module")
def sessions(dex: Dex, ports: dict[str, int], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Protected]:
    """server-everything (Streamable HTTP, 2025 sessions): alice may echo and add, bob may use every tool."""
    resource = f"http://127.0.0.1:{ports['sessions']}/mcp"
    rules = [
        {"name": "alice-basics", "subjects": [_email("alice")], "tools": ["echo", "get-sum"]},
        {"name": "bob-everything", "subjects": [_email("bob")], "tools": ["*"]},
    ]
    config = _bundle(tmp_path_factory.mktemp("sessions") / "bundle.json", dex, resource, rules)
    server = peers.server_everything("streamableHttp")
    with (
        peers.running(server.argv, port=server.port, env=server.env),
        running_sidecar(server.url or "", config=config, port=ports["sessions"]) as sidecar,
    ):
        yield Protected(sidecar, resource)


@pytest.fixture(scope="module")
def stateless(dex: Dex, ports: dict[str, int], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Protected]:
    """A Python SDK server at 2026-07-28: alice may add, bob may also delete files under /tmp only."""
    resource = f"http://127.0.0.1:{ports['stateless']}/mcp"
    rules = [
        {"name": "adders", "subjects": [_email("alice"), _email("bob")], "tools": ["add"]},
        {
            "name": "tmp-cleaners",
            "subjects": [_email("bob")],
            "tools": ["delete_file"],
            "when": "args.path.startsWith('/tmp/')",
        },
    ]
    tmp = tmp_path_factory.mktemp("stateless")
    config = _bundle(tmp / "bundle.json", dex, resource, rules)
    port, seen_log = peers.free_port(), tmp / "seen.jsonl"
    with (
        peers.running([sys.executable, str(STATELESS), str(port), str(seen_log)], port=port),
        running_sidecar(f"http://127.0.0.1:{port}/mcp", config=config, port=ports["stateless"]) as sidecar,
    ):
        yield Protected(sidecar, resource, seen_log, f"http://127.0.0.1:{port}/mcp")


# --- the Python SDK client with its OAuth provider ----------------------------------------------


class MemoryStorage:
    """The SDK's TokenStorage: a pre-registered public client (Dex has no dynamic registration)."""

    def __init__(self, dex: Dex) -> None:
        from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

        self.tokens: OAuthToken | None = None
        self.client = OAuthClientInformationFull(
            client_id=CLIENT_ID,
            redirect_uris=[dex.redirect_uri],  # type: ignore[list-item]
            token_endpoint_auth_method="none",
            grant_types=["authorization_code"],
        )

    async def get_tokens(self) -> Any:
        return self.tokens

    async def set_tokens(self, tokens: Any) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> Any:
        return self.client

    async def set_client_info(self, client_info: Any) -> None:
        self.client = client_info


def oauth(url: str, dex: Dex, user: str, storage: MemoryStorage | None = None) -> tuple[Any, MemoryStorage]:
    """An httpx auth that runs the SDK's OAuth flow, signing in at Dex as `user` when asked to."""
    import anyio
    from mcp.client.auth import OAuthClientProvider
    from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

    storage = storage or MemoryStorage(dex)
    asked: list[str] = []

    async def redirect(authorization_url: str) -> None:
        asked.append(authorization_url)

    async def callback() -> AuthorizationCodeResult:
        code, state = await anyio.to_thread.run_sync(dex.login, asked[-1], user)
        return AuthorizationCodeResult(code=code, state=state)

    metadata = OAuthClientMetadata(
        redirect_uris=[dex.redirect_uri],  # type: ignore[list-item]
        token_endpoint_auth_method="none",
        grant_types=["authorization_code"],
        client_name="guardmesh e2e",
    )
    provider = OAuthClientProvider(url, metadata, storage, redirect_handler=redirect, callback_handler=callback)
    return provider, storage


async def python_client(
    url: str, dex: Dex, user: str, mode: str, calls: list[tuple[str, dict[str, Any]]]
) -> dict[str, Any]:
    """Sign in as `user` through the SDK's OAuth flow, list the tools and make `calls`."""
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.exceptions import MCPError

    provider, storage = oauth(url, dex, user)
    out: dict[str, Any] = {"calls": []}
    async with (
        httpx2.AsyncClient(auth=provider, timeout=30) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode) as client,
    ):
        listing = await client.list_tools(cache_mode="bypass")
        out["tools"] = sorted(t.name for t in listing.tools)
        out["cacheScope"] = getattr(listing, "cache_scope", None)
        for tool, arguments in calls:
            try:
                result = await client.call_tool(tool, arguments)
                out["calls"].append({"ok": result.model_dump(mode="json", by_alias=True, exclude_none=True)})
            except MCPError as exc:
                out["calls"].append({"code": exc.error.code, "message": exc.error.message})
    assert storage.tokens is not None
    out["token"] = storage.tokens.access_token
    return out


async def direct_cache_scope(url: str) -> str | None:
    """The `cacheScope` of the server's own tool list (the server itself needs no token)."""
    from mcp import Client

    async with Client(url, mode=REVISION) as client:
        scope: str | None = (await client.list_tools(cache_mode="bypass")).cache_scope
        return scope


def _claims(token: str) -> dict[str, Any]:
    import jwt

    return jwt.decode(token, options={"verify_signature": False})


# --- the tests ------------------------------------------------------------------------------------


def test_an_unauthenticated_client_gets_the_challenge_and_the_metadata(sessions: Protected, dex: Dex) -> None:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        sessions.sidecar.url,
        data=b'{"jsonrpc":"2.0","id":1,"method":"ping"}',
        headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream"},
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=5)
    with err.value:
        assert err.value.code == 401
        challenge = err.value.headers["WWW-Authenticate"]
    metadata_url = f"{sessions.sidecar.base}/.well-known/oauth-protected-resource/mcp"
    assert challenge.startswith(f'Bearer resource_metadata="{metadata_url}"')
    with urllib.request.urlopen(metadata_url, timeout=5) as response:
        document = json.load(response)
    assert document["resource"] == sessions.resource
    assert document["authorization_servers"] == [dex.issuer]


async def test_two_callers_see_different_tools_and_a_call_outside_rights_is_refused_2025_sessions(
    sessions: Protected, dex: Dex
) -> None:
    url = sessions.sidecar.url
    alice = await python_client(url, dex, "alice", "legacy", [("get-sum", {"a": 2, "b": 3}), ("get-env", {})])
    bob = await python_client(url, dex, "bob", "legacy", [("get-env", {})])
    assert alice["tools"] == ["echo", "get-sum"]
    assert {"echo", "get-sum", "get-env", "get-tiny-image"} <= set(bob["tools"])
    assert "5" in json.dumps(alice["calls"][0]["ok"])
    assert alice["calls"][1]["code"] == GUARD_DENIED
    assert "no authorization rule grants tool 'get-env'" in alice["calls"][1]["message"]
    assert "ok" in bob["calls"][0]
    claims = _claims(alice["token"])
    assert sessions.resource in claims["aud"]
    assert claims["iss"] == dex.issuer


async def test_two_callers_see_different_tools_and_a_call_outside_rights_is_refused_2026_stateless(
    stateless: Protected, dex: Dex
) -> None:
    url = stateless.sidecar.url
    alice = await python_client(
        url, dex, "alice", REVISION, [("add", {"a": 20, "b": 22}), ("delete_file", {"path": "/tmp/x"})]
    )
    bob = await python_client(url, dex, "bob", REVISION, [("delete_file", {"path": "/etc/passwd"})])
    assert alice["tools"] == ["add"]
    assert bob["tools"] == ["add", "delete_file"]
    assert alice["cacheScope"] == bob["cacheScope"] == "private"
    assert alice["calls"][0]["ok"]["structuredContent"] == {"result": 42}
    assert alice["calls"][1]["code"] == GUARD_DENIED
    assert bob["calls"][0]["code"] == GUARD_DENIED
    assert "rule 'tmp-cleaners' grants it only when its condition holds" in bob["calls"][0]["message"]
    seen = stateless.seen()
    assert seen, "nothing reached the server"
    assert all(entry["authorization"] is None for entry in seen), "a client token reached the MCP server"
    assert {entry["x-forwarded-user"] for entry in seen} == {
        _claims(alice["token"])["sub"],
        _claims(bob["token"])["sub"],
    }
    assert not [e for e in seen if "delete_file" in e["body"] and '"tools/call"' in e["body"]]
    # The server lets caches share its tool list; through the sidecar each caller's list depends on who asked.
    assert await direct_cache_scope(stateless.upstream) == "public"


async def test_keys_rotated_by_dex_during_the_test_are_picked_up(sessions: Protected, dex: Dex) -> None:
    url = sessions.sidecar.url
    first = await python_client(url, dex, "alice", "legacy", [])
    first_kid = _header_kid(first["token"])
    deadline = time.monotonic() + 75
    while first_kid in dex.kids()[:1] and time.monotonic() < deadline:
        time.sleep(1)  # Dex rotates on its own schedule (checked every 30 s)
    assert dex.kids()[0] != first_kid, "Dex did not rotate its signing key in time"
    second = await python_client(url, dex, "alice", "legacy", [("echo", {"message": "after rotation"})])
    assert _header_kid(second["token"]) != first_kid
    # The sidecar logs the key ids each time the set it holds changes: the new key was fetched on first sight.
    assert _header_kid(second["token"]) in sessions.sidecar.log()
    assert second["tools"] == ["echo", "get-sum"]
    assert "after rotation" in json.dumps(second["calls"][0]["ok"])


def _header_kid(token: str) -> str:
    import jwt

    kid = jwt.get_unverified_header(token)["kid"]
    assert isinstance(kid, str)
    return kid


def typescript_client(url: str, dex: Dex, user: str, calls: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The TypeScript SDK's client (Node 22) doing the same flow; returns what it printed."""
    import subprocess

    argv = [str(peers.node22()), str(TS_CLIENT), str(peers.sdk_dir()), url, user, dex.redirect_uri, CLIENT_ID]
    proc = subprocess.run([*argv, json.dumps(calls)], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, f"TypeScript client failed:\n{proc.stderr[-3000:]}"
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_the_typescript_sdk_client_does_the_oauth_flow_and_sees_its_own_tools(sessions: Protected, dex: Dex) -> None:
    url = sessions.sidecar.url
    alice = typescript_client(url, dex, "alice", [("get-sum", {"a": 1, "b": 1}), ("get-tiny-image", {})])
    bob = typescript_client(url, dex, "bob", [("get-tiny-image", {})])
    assert alice["authorized"], "the client never went through the authorization flow"
    assert alice["tools"] == ["echo", "get-sum"]
    assert "get-tiny-image" in bob["tools"]
    assert "2" in json.dumps(alice["calls"][0]["ok"])
    assert alice["calls"][1]["code"] == GUARD_DENIED
    assert "ok" in bob["calls"][0]
    assert sessions.resource in alice["claims"]["aud"]
    assert alice["claims"]["email"] == "alice@example.com"

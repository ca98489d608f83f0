"""The resource server at the HTTP seam: the real proxy in front of an in-process fake MCP server."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web

from guardmesh.app.server import Settings, serving
from guardmesh.protocol import errors
from tests.support.tokens import TestIssuer

RESOURCE = "https://mcp.test/mcp"
TOOLS: list[dict[str, Any]] = [{"name": n, "inputSchema": {"type": "object"}} for n in ("read_file", "delete_file")]


@dataclass
class Seen:
    headers: list[dict[str, str]] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)


SEEN = web.AppKey("seen", Seen)


async def serve(request: web.Request) -> web.Response:
    seen = request.app[SEEN]
    seen.headers.append(dict(request.headers))
    body = orjson.loads(await request.read())
    seen.bodies.append(body)
    if "id" not in body:
        return web.Response(status=202)
    if body["method"] == "initialize":
        result: dict[str, Any] = {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "serverInfo": {"name": "fake", "version": "1"},
        }
        return web.json_response(
            {"jsonrpc": "2.0", "id": body["id"], "result": result}, headers={"Mcp-Session-Id": "s1"}
        )
    if body["method"] == "tools/list":
        result = {"tools": TOOLS, "cacheScope": "public", "ttlMs": 1000}
        return web.json_response({"jsonrpc": "2.0", "id": body["id"], "result": result})
    return web.json_response({"jsonrpc": "2.0", "id": body["id"], "result": {"content": []}})


@dataclass
class Proxy:
    url: str
    base: str
    admin: str
    http: aiohttp.ClientSession
    seen: Seen
    issuer: TestIssuer
    audit: Path

    async def post(self, body: Any, token: str | None, headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
        sent = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        sent["MCP-Protocol-Version"] = "2025-06-18"
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        async with self.http.post(self.url, data=orjson.dumps(body), headers={**sent, **(headers or {})}) as resp:
            payload = await resp.read()
            return resp.status, orjson.loads(payload) if payload else None, resp.headers

    def token(self, subject: str, **claims: Any) -> str:
        return self.issuer.token(subject, RESOURCE, **claims)


def rpc(method: str, id_: int = 1, **params: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id_, "method": method, "params": params}


@pytest.fixture
async def proxy(tmp_path: Path, write_bundle: Callable[[dict[str, Any] | str], Path]) -> AsyncIterator[Proxy]:
    issuer = TestIssuer()
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(issuer.jwks()))
    config = write_bundle(
        {
            "authentication": {
                "resource": RESOURCE,
                "oauth": [{"issuer": issuer.issuer, "jwksUri": jwks.as_uri()}],
                "scopesSupported": ["mcp"],
                "identityHeaders": {"subject": "X-Forwarded-User"},
            },
            "authorization": {
                "rules": [
                    {"name": "everyone", "subjects": [{"subject": "*"}], "tools": ["read_*"]},
                    {"name": "admins", "subjects": [{"group": "admins"}], "tools": ["*"]},
                ]
            },
            "guards": [
                {
                    "name": "per-caller-limit",
                    "spec": {
                        "type": "native",
                        "native": {"kind": "rate-limit", "perClient": {"ratePerSecond": 0.001, "burst": 2}},
                    },
                }
            ],
        }
    )
    seen = Seen()
    app = web.Application()
    app[SEEN] = seen
    app.router.add_post("/mcp", serve)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    upstream = f"http://127.0.0.1:{runner.addresses[0][1]}/mcp"
    audit = tmp_path / "audit.jsonl"
    settings = Settings(
        upstream=upstream, listen=("127.0.0.1", 0), admin=("127.0.0.1", 0), config=config, audit_log=str(audit)
    )
    try:
        async with serving(settings) as (_, addresses), aiohttp.ClientSession() as http:
            base = f"http://{addresses[0]}"
            yield Proxy(f"{base}/mcp", base, f"http://{addresses[1]}", http, seen, issuer, audit)
    finally:
        await runner.cleanup()


async def test_without_a_token_the_client_is_challenged_and_the_server_sees_nothing(proxy: Proxy) -> None:
    status, body, headers = await proxy.post(rpc("tools/list"), None)
    assert status == 401
    assert body["error"]["code"] == errors.UNAUTHENTICATED
    assert headers["WWW-Authenticate"] == (
        'Bearer resource_metadata="https://mcp.test/.well-known/oauth-protected-resource/mcp", scope="mcp"'
    )
    assert proxy.seen.bodies == []
    async with proxy.http.get(proxy.admin + "/metrics") as resp:
        metrics = await resp.text()
    assert 'guardmesh_authentications_total{kind="bearer",result="missing"} 1.0' in metrics
    assert 'guardmesh_rejected_total{reason="auth-missing"} 1.0' in metrics


@pytest.mark.parametrize("path", ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"])
async def test_the_protected_resource_metadata_is_served_without_a_token(proxy: Proxy, path: str) -> None:
    async with proxy.http.get(proxy.base + path) as resp:
        assert resp.status == 200
        document = await resp.json()
    assert document["resource"] == RESOURCE
    assert document["authorization_servers"] == [proxy.issuer.issuer]
    assert document["scopes_supported"] == ["mcp"]


async def test_a_token_in_the_query_string_is_refused(proxy: Proxy) -> None:
    token = proxy.token("alice")
    async with proxy.http.post(proxy.url + f"?access_token={token}", json=rpc("ping")) as resp:
        assert resp.status == 400
        assert token not in await resp.text()
    assert proxy.seen.bodies == []


async def test_the_token_never_reaches_the_server_only_the_configured_identity_header(proxy: Proxy) -> None:
    status, _, _ = await proxy.post(rpc("ping"), proxy.token("alice"), {"X-Forwarded-User": "root"})
    assert status == 200
    (headers,) = proxy.seen.headers
    assert "Authorization" not in headers
    assert headers["X-Forwarded-User"] == "alice"


async def test_two_callers_see_different_tools_and_calls_outside_rights_are_refused(proxy: Proxy) -> None:
    alice, admin = proxy.token("alice"), proxy.token("root", groups=["admins"])
    _, listing, _ = await proxy.post(rpc("tools/list"), alice)
    assert [t["name"] for t in listing["result"]["tools"]] == ["read_file"]
    assert listing["result"]["cacheScope"] == "private"
    _, listing, _ = await proxy.post(rpc("tools/list"), admin)
    assert [t["name"] for t in listing["result"]["tools"]] == ["read_file", "delete_file"]
    status, refused, _ = await proxy.post(rpc("tools/call", name="delete_file", arguments={}), alice)
    assert status == 200
    assert refused["error"]["code"] == errors.GUARD_DENIED
    assert "no authorization rule grants tool 'delete_file'" in refused["error"]["message"]
    assert [b["params"].get("name") for b in proxy.seen.bodies if b["method"] == "tools/call"] == []
    _, done, _ = await proxy.post(rpc("tools/call", name="delete_file", arguments={}), admin)
    assert "result" in done


async def test_a_session_belongs_to_the_caller_that_opened_it(proxy: Proxy) -> None:
    init = rpc("initialize", protocolVersion="2025-06-18", capabilities={}, clientInfo={"name": "t", "version": "1"})
    status, _, headers = await proxy.post(init, proxy.token("alice"))
    assert status == 200
    session = {"Mcp-Session-Id": headers["Mcp-Session-Id"]}
    status, _, _ = await proxy.post(rpc("ping", 2), proxy.token("alice"), session)
    assert status == 200
    status, body, _ = await proxy.post(rpc("ping", 3), proxy.token("mallory"), session)
    assert status == 403
    assert body["error"] == {"code": errors.FOREIGN_SESSION, "message": "This session belongs to another caller"}
    assert len(proxy.seen.bodies) == 2


async def test_the_audit_log_names_the_subject_never_the_token(proxy: Proxy) -> None:
    token = proxy.token("alice")
    await proxy.post(rpc("tools/call", name="delete_file", arguments={}), token)
    for _ in range(100):  # the audit writer runs off the request path
        if proxy.audit.exists() and proxy.audit.read_text().strip():
            break
        await asyncio.sleep(0.02)
    text = proxy.audit.read_text()
    record = json.loads(text.splitlines()[0])
    assert (record["guard"], record["decision"], record["subject"]) == ("authorization", "deny", "alice")
    assert token not in text


async def test_rate_limits_count_per_verified_caller_not_per_address(proxy: Proxy) -> None:
    alice, bob = proxy.token("alice"), proxy.token("bob")
    outcomes = []
    for token in (alice, alice, alice, bob):
        _, body, _ = await proxy.post(rpc("tools/call", name="read_file", arguments={}), token)
        outcomes.append(body.get("error", {}).get("message", "ok"))
    assert outcomes[:2] == ["ok", "ok"]
    assert "rate limit per client exceeded" in outcomes[2]
    assert outcomes[3] == "ok", "bob shares alice's address, not her bucket"


async def test_readiness_shows_the_issuers_keys(proxy: Proxy) -> None:
    await proxy.post(rpc("ping"), proxy.token("alice"))
    async with proxy.http.get(proxy.admin + "/readyz") as resp:
        ready = await resp.json()
    [issuer] = ready["authentication"]
    assert (issuer["issuer"], issuer["keys"], issuer["error"]) == (proxy.issuer.issuer, 1, None)

"""Bearer tokens: every bad token gets the right status and a clear message, good ones are cheap to repeat."""

import time
from typing import Any

import orjson
import pytest

from guardmesh.auth.authenticator import Authenticator, Refusal
from guardmesh.auth.keys import MAX_STALE_SECONDS, MIN_REFETCH_SECONDS, REFRESH_SECONDS, KeySet, KeysUnavailable, Source
from guardmesh.auth.tokens import Issuer, TokenVerifier
from guardmesh.config.identity import Authentication
from guardmesh.guards.api import Identity
from tests.support.tokens import TestIssuer, hmac_signed, unsigned

RESOURCE = "https://mcp.test/mcp"
BASE = "http://sidecar.test"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Jwks:
    """The issuer's JWKS endpoint: serves the issuer's keys, counts fetches, can be taken down."""

    def __init__(self, issuer: TestIssuer) -> None:
        self.issuer = issuer
        self.fetches = 0
        self.down = False

    async def __call__(self, url: str) -> bytes:
        self.fetches += 1
        if self.down:
            raise KeysUnavailable(f"cannot fetch {url}: connection refused")
        return orjson.dumps(self.issuer.jwks())


@pytest.fixture
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def jwks(issuer: TestIssuer) -> Jwks:
    return Jwks(issuer)


def authenticator(issuer: TestIssuer, jwks: Jwks, clock: FakeClock | None = None, **settings: Any) -> Authenticator:
    config = Authentication.model_validate(
        {"resource": RESOURCE, "oauth": [{"issuer": issuer.issuer, "jwksUri": "https://issuer.test/jwks"}], **settings}
    )
    keys = KeySet(Source(issuer.issuer, "https://issuer.test/jwks"), jwks, clock or time.monotonic)
    trusted = config.oauth[0]
    verifier = TokenVerifier(
        [Issuer(issuer.issuer, "oauth", (RESOURCE,), trusted.algorithms, keys)], config.clock_skew_seconds
    )
    return Authenticator(config, verifier)


async def refused(auth: Authenticator, header: str | None, query: str = "") -> Refusal:
    headers = {} if header is None else {"authorization": header}
    answer = await auth.authenticate(headers, query, BASE)
    assert isinstance(answer, Refusal), f"accepted: {answer}"
    return answer


def challenge(refusal: Refusal) -> str:
    values = [v for k, v in refusal.headers if k == "WWW-Authenticate"]
    assert len(values) == 1, refusal.headers
    return values[0]


async def test_a_good_token_names_the_caller_never_the_token(issuer: TestIssuer, jwks: Jwks) -> None:
    auth = authenticator(issuer, jwks)
    token = issuer.token("alice", RESOURCE, groups=["readers"], scope="mcp:read mcp:write")
    who = await auth.authenticate({"authorization": f"Bearer {token}"}, "", BASE)
    assert isinstance(who, Identity)
    assert (who.subject, who.issuer, who.kind) == ("alice", issuer.issuer, "oauth")
    assert who.groups == {"readers"}
    assert who.scopes == {"mcp:read", "mcp:write"}
    assert token not in repr(who)


async def test_a_missing_token_gets_401_pointing_at_the_metadata(issuer: TestIssuer, jwks: Jwks) -> None:
    auth = authenticator(issuer, jwks, requiredScopes=["mcp:tools"])
    refusal = await refused(auth, None)
    assert (refusal.status, refusal.reason) == (401, "missing")
    assert challenge(refusal) == (
        'Bearer resource_metadata="https://mcp.test/.well-known/oauth-protected-resource/mcp", scope="mcp:tools"'
    )
    assert orjson.loads(refusal.body)["error"]["message"] == "Authentication required: send a bearer token"


@pytest.mark.parametrize("header", ["Basic YWxpY2U6c2VjcmV0", "Bearer", "Bearer not-a-jwt", "Bearer a.b.c"])
async def test_a_malformed_header_or_token_gets_401_invalid_token(issuer: TestIssuer, jwks: Jwks, header: str) -> None:
    refusal = await refused(authenticator(issuer, jwks), header)
    assert (refusal.status, refusal.reason) == (401, "malformed")
    assert 'error="invalid_token"' in challenge(refusal)


async def test_an_expired_token_is_refused(issuer: TestIssuer, jwks: Jwks) -> None:
    token = issuer.token(audience=RESOURCE, issued=time.time() - 3600, lifetime=600)
    refusal = await refused(authenticator(issuer, jwks), f"Bearer {token}")
    assert (refusal.status, refusal.reason, refusal.message) == (401, "expired", "Invalid token: the token has expired")


async def test_an_expiry_within_the_clock_skew_is_accepted(issuer: TestIssuer, jwks: Jwks) -> None:
    token = issuer.token(audience=RESOURCE, issued=time.time() - 310, lifetime=300)  # expired 10 s ago, skew 30 s
    assert isinstance(
        await authenticator(issuer, jwks).authenticate({"authorization": f"Bearer {token}"}, "", BASE), Identity
    )


async def test_a_token_not_yet_valid_is_refused(issuer: TestIssuer, jwks: Jwks) -> None:
    token = issuer.token(audience=RESOURCE, nbf=int(time.time()) + 600)
    refusal = await refused(authenticator(issuer, jwks), f"Bearer {token}")
    assert (refusal.status, refusal.reason) == (401, "not-yet-valid")


async def test_a_token_for_another_audience_is_refused(issuer: TestIssuer, jwks: Jwks) -> None:
    token = issuer.token(audience="https://other.test/mcp")
    refusal = await refused(authenticator(issuer, jwks), f"Bearer {token}")
    assert (refusal.status, refusal.reason) == (401, "audience")
    assert "not meant for this server" in refusal.message


async def test_a_token_of_another_issuer_is_refused(issuer: TestIssuer, jwks: Jwks) -> None:
    stranger = TestIssuer("https://stranger.test")
    token = stranger.token(audience=RESOURCE)
    refusal = await refused(authenticator(issuer, jwks), f"Bearer {token}")
    assert (refusal.status, refusal.reason) == (401, "issuer")


async def test_a_forged_iss_claim_does_not_verify(issuer: TestIssuer, jwks: Jwks) -> None:
    """A stranger's key signing a token that claims the trusted issuer: the signature check catches it."""
    stranger = TestIssuer(issuer.issuer, kid=issuer.current)
    refusal = await refused(authenticator(issuer, jwks), f"Bearer {stranger.token(audience=RESOURCE)}")
    assert (refusal.status, refusal.reason) == (401, "signature")


async def test_alg_none_is_refused(issuer: TestIssuer, jwks: Jwks) -> None:
    payload = {"iss": issuer.issuer, "sub": "mallory", "aud": RESOURCE, "exp": int(time.time()) + 300}
    refusal = await refused(authenticator(issuer, jwks), f"Bearer {unsigned(payload)}")
    assert (refusal.status, refusal.reason) == (401, "algorithm")
    assert "unsigned tokens (alg none) are not accepted" in refusal.message


async def test_hmac_keyed_with_the_public_key_is_refused(issuer: TestIssuer, jwks: Jwks) -> None:
    payload = {"iss": issuer.issuer, "sub": "mallory", "aud": RESOURCE, "exp": int(time.time()) + 300}
    token = hmac_signed(payload, issuer.public_pem(), issuer.current)
    refusal = await refused(authenticator(issuer, jwks), f"Bearer {token}")
    assert (refusal.status, refusal.reason) == (401, "algorithm")
    assert "shared-secret" in refusal.message


async def test_an_unknown_kid_refetches_once_then_is_refused(issuer: TestIssuer, jwks: Jwks, clock: FakeClock) -> None:
    auth = authenticator(issuer, jwks, clock)
    await auth.authenticate({"authorization": f"Bearer {issuer.token(audience=RESOURCE)}"}, "", BASE)
    stranger = TestIssuer(issuer.issuer, kid="made-up")
    clock.now += MIN_REFETCH_SECONDS
    before = jwks.fetches
    for _ in range(5):
        refusal = await refused(auth, f"Bearer {stranger.token(audience=RESOURCE)}")
        assert (refusal.status, refusal.reason) == (401, "unknown-key")
    assert jwks.fetches - before == 1, "made-up key ids must not make the sidecar hammer the issuer"


async def test_a_rotated_key_is_picked_up_on_first_sight(issuer: TestIssuer, jwks: Jwks, clock: FakeClock) -> None:
    auth = authenticator(issuer, jwks, clock)
    assert isinstance(await auth.authenticate({"authorization": f"Bearer {issuer.token()}"}, "", BASE), Identity)
    clock.now += MIN_REFETCH_SECONDS
    issuer.add_key("key-2")
    who = await auth.authenticate({"authorization": f"Bearer {issuer.token('bob')}"}, "", BASE)
    assert isinstance(who, Identity)
    assert who.subject == "bob"


async def test_tokens_signed_by_a_withdrawn_key_are_forgotten(issuer: TestIssuer, jwks: Jwks, clock: FakeClock) -> None:
    auth = authenticator(issuer, jwks, clock)
    old = issuer.token()
    assert isinstance(await auth.authenticate({"authorization": f"Bearer {old}"}, "", BASE), Identity)
    issuer.add_key("key-2")
    issuer.drop_key("key-1")
    clock.now += REFRESH_SECONDS
    await auth.authenticate({"authorization": f"Bearer {issuer.token('bob')}"}, "", BASE)
    refusal = await refused(auth, f"Bearer {old}")
    assert refusal.reason == "unknown-key"


async def test_with_the_jwks_endpoint_down_cached_keys_serve_until_stale_then_fail_closed(
    issuer: TestIssuer, jwks: Jwks, clock: FakeClock
) -> None:
    auth = authenticator(issuer, jwks, clock)
    assert isinstance(await auth.authenticate({"authorization": f"Bearer {issuer.token()}"}, "", BASE), Identity)
    jwks.down = True
    clock.now += REFRESH_SECONDS + 1
    fresh = issuer.token("bob")  # not in the verified-token cache: needs the keys
    assert isinstance(await auth.authenticate({"authorization": f"Bearer {fresh}"}, "", BASE), Identity)
    clock.now += MAX_STALE_SECONDS
    for token in (issuer.token("carol"), fresh):
        refusal = await refused(auth, f"Bearer {token}")
        assert (refusal.status, refusal.reason) == (503, "keys-unavailable")
        assert ("Retry-After", "10") in refusal.headers
    jwks.down = False
    clock.now += MIN_REFETCH_SECONDS
    assert isinstance(await auth.authenticate({"authorization": f"Bearer {fresh}"}, "", BASE), Identity)


async def test_keys_never_fetched_fail_closed(issuer: TestIssuer, jwks: Jwks) -> None:
    jwks.down = True
    refusal = await refused(authenticator(issuer, jwks), f"Bearer {issuer.token()}")
    assert (refusal.status, refusal.reason) == (503, "keys-unavailable")


async def test_an_oversized_token_is_refused_unread(issuer: TestIssuer, jwks: Jwks) -> None:
    token = issuer.token(padding="x" * 9000)
    refusal = await refused(authenticator(issuer, jwks), f"Bearer {token}")
    assert (refusal.status, refusal.reason) == (401, "too-large")
    assert jwks.fetches == 0


@pytest.mark.parametrize("param", ["access_token", "token", "Access_Token"])
async def test_a_token_in_the_query_string_is_refused_even_beside_a_good_header(
    issuer: TestIssuer, jwks: Jwks, param: str
) -> None:
    token = issuer.token()
    refusal = await refused(authenticator(issuer, jwks), f"Bearer {token}", f"{param}={token}")
    assert (refusal.status, refusal.reason) == (400, "query-token")
    assert token not in refusal.message


async def test_a_token_without_a_required_scope_gets_403_insufficient_scope(issuer: TestIssuer, jwks: Jwks) -> None:
    auth = authenticator(issuer, jwks, requiredScopes=["mcp:tools"])
    refusal = await refused(auth, f"Bearer {issuer.token(scope='mcp:read')}")
    assert (refusal.status, refusal.reason) == (403, "scope")
    assert 'error="insufficient_scope"' in challenge(refusal)
    assert 'scope="mcp:tools"' in challenge(refusal)
    assert isinstance(
        await auth.authenticate({"authorization": f"Bearer {issuer.token(scope='mcp:tools')}"}, "", BASE), Identity
    )


async def test_a_repeated_token_is_verified_once_and_still_expires(
    issuer: TestIssuer, jwks: Jwks, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [time.time()]
    auth = authenticator(issuer, jwks)
    auth.verifier._clock = lambda: now[0]
    token = issuer.token(lifetime=60)
    calls = 0
    original = auth.verifier._verify

    async def counting(token: str, at: float) -> Any:
        nonlocal calls
        calls += 1
        return await original(token, at)

    monkeypatch.setattr(auth.verifier, "_verify", counting)
    for _ in range(3):
        assert isinstance(await auth.authenticate({"authorization": f"Bearer {token}"}, "", BASE), Identity)
    assert calls == 1
    now[0] += 60 + 31
    refusal = await refused(auth, f"Bearer {token}")
    assert refusal.reason == "expired"


def test_the_metadata_document_names_the_resource_issuers_and_scopes(issuer: TestIssuer, jwks: Jwks) -> None:
    auth = authenticator(issuer, jwks, scopesSupported=["mcp:read", "mcp:tools"])
    document = orjson.loads(auth.metadata(BASE, "/.well-known/oauth-protected-resource/mcp"))
    assert document == {
        "resource": RESOURCE,
        "authorization_servers": [issuer.issuer],
        "bearer_methods_supported": ["header"],
        "scopes_supported": ["mcp:read", "mcp:tools"],
        "resource_signing_alg_values_supported": ["ES256", "RS256"],
    }


async def test_workload_tokens_name_the_service_account_and_namespace() -> None:
    cluster = TestIssuer("https://kubernetes.default.svc.cluster.local")
    keys = KeySet(Source(cluster.issuer, "https://api/openid/v1/jwks"), Jwks(cluster))
    verifier = TokenVerifier([Issuer(cluster.issuer, "kubernetes", ("guardmesh",), ("RS256",), keys)], 30)
    workload: dict[str, Any] = {"kubernetes.io": {"namespace": "agents", "serviceaccount": {"name": "reader"}}}
    token = cluster.token("system:serviceaccount:agents:reader", "guardmesh", **workload)
    who = await verifier.verify(token)
    assert (who.subject, who.kind, who.namespace, who.service_account) == (
        "system:serviceaccount:agents:reader",
        "kubernetes",
        "agents",
        "agents/reader",
    )


def _part(value: Any) -> str:
    import base64

    raw = value if isinstance(value, bytes) else orjson.dumps(value)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _forged(header: Any, payload: Any) -> str:
    return f"{_part(header)}.{_part(payload)}.x"


@pytest.mark.parametrize(
    "token",
    [
        "..",
        "a.b",
        "a.b.c.d",
        _forged([1, 2], {}),
        _forged({"alg": "RS256", "kid": 7}, "just a string"),
        _forged({"alg": ["RS256"]}, {"iss": "https://issuer.test"}),
        _forged({"alg": "RS256"}, {"iss": ["https://issuer.test"]}),
        _forged({"alg": "RS256", "kid": "key-1"}, {"iss": "https://issuer.test", "exp": "soon"}),
        "\u00e9\u00e9.\u00e9.\u00e9",
        _forged(bytes(range(256)), bytes(range(256))),
    ],
)
async def test_garbage_tokens_are_refused_with_401_never_an_exception(
    issuer: TestIssuer, jwks: Jwks, token: str
) -> None:
    refusal = await refused(authenticator(issuer, jwks), f"Bearer {token}")
    assert refusal.status == 401


async def test_claims_of_the_wrong_types_in_a_signed_token_are_refused(issuer: TestIssuer, jwks: Jwks) -> None:
    auth = authenticator(issuer, jwks)
    for claims in ({"exp": "tomorrow"}, {"nbf": [1]}, {"sub": 42}, {"aud": 7}, {"iat": "now"}):
        refusal = await refused(auth, f"Bearer {issuer.token(audience=RESOURCE, **claims)}")
        assert refusal.status == 401, claims
        assert refusal.reason in {"malformed", "audience", "not-yet-valid", "expired"}, (claims, refusal)


async def test_readiness_shows_each_issuers_keys_and_the_last_fetch_error(
    issuer: TestIssuer, jwks: Jwks, clock: FakeClock
) -> None:
    auth = authenticator(issuer, jwks, clock)
    assert auth.status() == [{"issuer": issuer.issuer, "keys": 0, "fetchedSecondsAgo": None, "error": None}]
    await auth.authenticate({"authorization": f"Bearer {issuer.token()}"}, "", BASE)
    jwks.down = True
    clock.now += REFRESH_SECONDS
    await auth.authenticate({"authorization": f"Bearer {issuer.token('bob')}"}, "", BASE)
    [status] = auth.status()
    assert (status["keys"], status["fetchedSecondsAgo"]) == (1, REFRESH_SECONDS)
    assert status["error"] == "cannot fetch https://issuer.test/jwks: connection refused"

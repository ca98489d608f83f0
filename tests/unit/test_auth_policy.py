"""Per-caller authorization: listings filtered to what a caller may use, uses outside its rights refused."""

from typing import Any

import pytest

from guardmesh.auth.policy import AuthorizationGuard, PolicyError
from guardmesh.config import Bundle
from guardmesh.config.identity import Authorization
from guardmesh.guards.api import Decision, GuardContext, Identity, Verdict
from guardmesh.guards.registry import GuardBuildError, GuardResources
from guardmesh.pipeline import Pipeline
from guardmesh.protocol.jsonrpc import Direction, Message, classify

ALICE = Identity("alice", "https://idp", "oauth", groups=frozenset({"readers"}), claims={"email": "alice@x.test"})
BOB = Identity("bob", "https://idp", "oauth", scopes=frozenset({"admin"}))
AGENT = Identity(
    "system:serviceaccount:agents:reader",
    "https://kubernetes.default.svc.cluster.local",
    "kubernetes",
    namespace="agents",
    service_account="agents/reader",
)
TOOLS: list[dict[str, Any]] = [
    {"name": n, "inputSchema": {"type": "object"}} for n in ("read_file", "write_file", "delete_file", "echo")
]

RULES: dict[str, Any] = {
    "rules": [
        {
            "name": "readers",
            "subjects": [{"group": "readers"}, {"serviceAccount": "agents/*"}],
            "tools": ["read_*", "echo"],
            "resources": ["file:///data/*"],
            "prompts": ["summary"],
        },
        {
            "name": "data-writers",
            "subjects": [{"claims": {"email": "alice@x.test"}}],
            "tools": ["write_file"],
            "when": "args.path.startsWith('/data/')",
        },
        {"name": "admins", "subjects": [{"scope": "admin"}], "tools": ["*"]},
    ]
}


def guard(rules: dict[str, Any] = RULES) -> AuthorizationGuard:
    return AuthorizationGuard(Authorization.model_validate(rules))


def ctx(who: Identity | None) -> GuardContext:
    return GuardContext("server", identity=who, client_id=who.key if who else None)


def call(tool: str, **arguments: Any) -> Message:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
    return classify(body, Direction.TO_SERVER)


def request(method: str, **params: Any) -> Message:
    return classify({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, Direction.TO_SERVER)


def result(method: str, **fields: Any) -> Message:
    message = classify({"jsonrpc": "2.0", "id": 2, "result": fields}, Direction.TO_CLIENT)
    message.method = method
    return message


def listed(verdict: Verdict, field: str = "tools", key: str = "name") -> list[str]:
    if verdict.decision is Decision.ALLOW:
        return [t["name"] for t in TOOLS]
    assert verdict.body is not None
    return [item[key] for item in verdict.body["result"][field]]


@pytest.mark.parametrize(
    ("who", "tools"),
    [
        (ALICE, ["read_file", "write_file", "echo"]),
        (AGENT, ["read_file", "echo"]),
        (BOB, ["read_file", "write_file", "delete_file", "echo"]),
        (None, []),
    ],
)
def test_tools_list_shows_each_caller_what_it_may_call(who: Identity | None, tools: list[str]) -> None:
    assert listed(guard().check(result("tools/list", tools=TOOLS), ctx(who))) == tools


def test_a_call_outside_the_callers_rights_is_refused_with_a_reason() -> None:
    verdict = guard().check(call("delete_file", path="/data/x"), ctx(ALICE))
    assert verdict.decision is Decision.DENY
    assert verdict.reason == "no authorization rule grants tool 'delete_file' to this caller"


def test_an_argument_condition_decides_and_its_refusal_names_the_rule() -> None:
    assert guard().check(call("write_file", path="/data/report"), ctx(ALICE)).decision is Decision.ALLOW
    verdict = guard().check(call("write_file", path="/etc/passwd"), ctx(ALICE))
    assert verdict.decision is Decision.DENY
    assert verdict.reason == "tool 'write_file': rule 'data-writers' grants it only when its condition holds"
    assert "/etc/passwd" not in verdict.reason


def test_a_condition_reading_a_missing_argument_refuses_and_says_which() -> None:
    verdict = guard().check(call("write_file"), ctx(ALICE))
    assert verdict.decision is Decision.DENY
    assert "it reads 'path', which the call lacks" in verdict.reason


def test_an_unconditional_grant_beats_a_conditional_one() -> None:
    assert guard().check(call("write_file", path="/etc/x"), ctx(BOB)).decision is Decision.ALLOW


def test_resources_and_prompts_are_filtered_and_refused_per_caller() -> None:
    resources = [{"uri": "file:///data/a", "name": "a"}, {"uri": "file:///etc/b", "name": "b"}]
    assert listed(guard().check(result("resources/list", resources=resources), ctx(AGENT)), "resources", "uri") == [
        "file:///data/a"
    ]
    assert guard().check(request("resources/read", uri="file:///etc/b"), ctx(AGENT)).decision is Decision.DENY
    assert guard().check(request("resources/read", uri="file:///data/a"), ctx(AGENT)).decision is Decision.ALLOW
    prompts = [{"name": "summary"}, {"name": "jailbreak"}]
    assert listed(guard().check(result("prompts/list", prompts=prompts), ctx(AGENT)), "prompts") == ["summary"]
    assert guard().check(request("prompts/get", name="jailbreak"), ctx(AGENT)).decision is Decision.DENY


def test_without_a_verified_caller_everything_named_is_refused() -> None:
    verdict = guard().check(call("echo"), ctx(None))
    assert verdict.decision is Decision.DENY
    assert "needs a verified caller" in verdict.reason


def test_a_public_listing_becomes_private_since_it_depends_on_the_caller() -> None:
    verdict = guard().check(result("tools/list", tools=TOOLS, ttlMs=60000, cacheScope="public"), ctx(BOB))
    assert verdict.decision is Decision.MODIFY
    assert verdict.body is not None
    assert verdict.body["result"]["cacheScope"] == "private"
    assert verdict.body["result"]["ttlMs"] == 60000
    filtered = guard().check(result("tools/list", tools=TOOLS, cacheScope="public"), ctx(AGENT))
    assert filtered.body is not None
    assert filtered.body["result"]["cacheScope"] == "private"
    private = guard().check(result("tools/list", tools=TOOLS, cacheScope="private"), ctx(BOB))
    assert private.decision is Decision.ALLOW


def test_a_condition_that_does_not_compile_is_a_build_error() -> None:
    rules = {"rules": [{"name": "bad", "subjects": [{"subject": "*"}], "tools": ["x"], "when": "args.("}]}
    with pytest.raises(PolicyError, match="rule 'bad': `when` is not valid CEL"):
        guard(rules)
    bundle = Bundle.model_validate({"authorization": rules})
    with pytest.raises(GuardBuildError):
        Pipeline.from_bundle(bundle, GuardResources(), "server")


async def test_the_pipeline_runs_authorization_first_and_names_it() -> None:
    bundle = Bundle.model_validate(
        {
            "authorization": RULES,
            "guards": [
                {"name": "a-guard", "spec": {"type": "native", "priority": 0, "native": {"kind": "tool-access"}}}
            ],
        }
    )
    pipeline = Pipeline.from_bundle(bundle, GuardResources(), "server")
    assert [g.name for g in pipeline.guards] == ["authorization", "a-guard"]
    outcome = await pipeline.run(call("delete_file"), ctx(ALICE))
    assert outcome.denied
    assert outcome.error_message == (
        "Blocked by GuardMesh guard 'authorization' (authorization): "
        "no authorization rule grants tool 'delete_file' to this caller"
    )

"""The guard pipeline: order, first deny, chained modifications, audit mode, timeouts and failure modes."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from guardmesh.config import Bundle, Phase
from guardmesh.guards.api import ALLOW, Decision, GuardContext, Verdict, deny, modify
from guardmesh.guards.registry import GuardResources
from guardmesh.pipeline import BoundGuard, Pipeline
from guardmesh.protocol.errors import GUARD_DENIED, GUARD_FAILED
from guardmesh.protocol.jsonrpc import Direction, Message, classify

CTX = GuardContext("test-server")
EVERY_PHASE = frozenset(Phase)

Check = Callable[[Message], object]


class Scripted:
    """A guard that answers with `script` and remembers what it was shown."""

    kind = "scripted"

    def __init__(self, script: Check, phases: frozenset[Phase] = EVERY_PHASE, methods: frozenset[str] | None = None):
        self.phases: frozenset[Phase] = phases
        self.interests: dict[Phase, frozenset[str] | None] = dict.fromkeys(phases, methods)
        self.seen: list[dict[str, Any]] = []
        self._script = script

    def check(self, message: Message, ctx: GuardContext) -> Verdict | Awaitable[Verdict]:
        self.seen.append(message.body)
        return self._script(message)  # type: ignore[return-value]  # some scripts misbehave on purpose


def bound(
    name: str, guard: Scripted, priority: int = 100, fail_open: bool = False, enforce: bool = True, timeout: float = 1
) -> BoundGuard:
    return BoundGuard(name, guard, priority, guard.phases, timeout, fail_open, enforce)


def call(tool: str = "fs_read", id_: int = 1) -> Message:
    body = {"jsonrpc": "2.0", "id": id_, "method": "tools/call", "params": {"name": tool, "arguments": {"q": "x"}}}
    return classify(body, Direction.TO_SERVER)


def with_params(message: Message, **params: Any) -> dict[str, Any]:
    return {**message.body, "params": {**message.params, **params}}


def allow(_: Message) -> Verdict:
    return ALLOW


async def run(*guards: BoundGuard, message: Message | None = None) -> Any:
    return await Pipeline(list(guards), "test-server").run(message or call(), CTX)


async def test_guards_run_in_priority_order_and_ties_by_name() -> None:
    order: list[str] = []

    def note(name: str) -> Scripted:
        def script(_: Message) -> Verdict:
            order.append(name)
            return ALLOW

        return Scripted(script)

    await run(bound("c", note("c"), 30), bound("b", note("b"), 10), bound("a", note("a"), 30), bound("z", note("z"), 5))
    assert order == ["z", "b", "a", "c"]


async def test_the_first_deny_wins_and_stops_the_pipeline() -> None:
    later = Scripted(allow)
    outcome = await run(
        bound("first", Scripted(lambda _: deny("no fs")), 10),
        bound("second", Scripted(lambda _: deny("other")), 20),
        bound("third", later, 30),
    )
    assert outcome.denied
    assert outcome.denied_by.guard == "first"
    assert outcome.error_code == GUARD_DENIED
    assert outcome.error_message == "Blocked by GuardMesh guard 'first' (scripted): no fs"
    assert [e.guard for e in outcome.evaluations] == ["first"]
    assert later.seen == []


async def test_an_allowed_message_is_the_original_object() -> None:
    message = call()
    outcome = await run(bound("a", Scripted(allow)), message=message)
    assert not outcome.denied
    assert not outcome.modified
    assert outcome.message is message


async def test_modifications_chain_so_each_guard_sees_the_previous_change() -> None:
    second = Scripted(lambda m: modify(with_params(m, b=2), "add b"))
    third = Scripted(allow)
    message = call()
    outcome = await run(
        bound("first", Scripted(lambda m: modify(with_params(m, a=1), "add a")), 1),
        bound("second", second, 2),
        bound("third", third, 3),
        message=message,
    )
    assert second.seen[0]["params"]["a"] == 1
    assert third.seen[0]["params"] == {"name": "fs_read", "arguments": {"q": "x"}, "a": 1, "b": 2}
    assert outcome.modified
    assert outcome.message.body == third.seen[0]
    assert "a" not in message.params, "the original message is left as it was"


async def test_a_later_guard_judges_a_rewritten_tool_call_by_its_new_target() -> None:
    seen_targets: list[str | None] = []

    def rename(m: Message) -> Verdict:
        return modify(with_params(m, name="fs_delete"), "renamed")

    def note_target(m: Message) -> Verdict:
        seen_targets.append(m.target)
        return ALLOW

    outcome = await run(bound("rename", Scripted(rename), 1), bound("look", Scripted(note_target), 2))
    assert seen_targets == ["fs_delete"]
    assert outcome.message.target == "fs_delete"


async def test_an_audit_guard_never_blocks_but_its_deny_is_recorded() -> None:
    after = Scripted(allow)
    outcome = await run(bound("audit", Scripted(lambda _: deny("would block")), 1, enforce=False), bound("b", after, 2))
    assert not outcome.denied
    assert after.seen, "guards after an audit-only deny still run"
    (audit, _) = outcome.evaluations
    assert (audit.decision, audit.enforced, audit.reason) == (Decision.DENY, False, "would block")


async def test_an_audit_guard_never_modifies_but_its_modification_is_recorded() -> None:
    message = call()
    outcome = await run(
        bound("audit", Scripted(lambda m: modify(with_params(m, redacted=True), "redact")), enforce=False),
        message=message,
    )
    assert not outcome.modified
    assert outcome.message is message
    assert outcome.evaluations[0].decision is Decision.MODIFY
    assert outcome.evaluations[0].enforced is False


async def test_an_audit_decision_lets_the_message_through_and_is_recorded() -> None:
    outcome = await run(bound("watch", Scripted(lambda _: Verdict(Decision.AUDIT, "suspicious"))))
    assert not outcome.denied
    assert not outcome.modified
    assert outcome.evaluations[0].decision is Decision.AUDIT


async def test_an_async_guard_is_awaited() -> None:
    async def slow_deny() -> Verdict:
        await asyncio.sleep(0)
        return deny("after a pause")

    outcome = await run(bound("async", Scripted(lambda _: slow_deny())))
    assert outcome.denied_by.reason == "after a pause"


async def never_answers() -> Verdict:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


async def test_a_fail_closed_guard_that_times_out_denies_with_the_guard_failed_code() -> None:
    outcome = await run(bound("stuck", Scripted(lambda _: never_answers()), timeout=0.01))
    assert outcome.denied
    assert outcome.error_code == GUARD_FAILED
    evaluation = outcome.denied_by
    assert evaluation.failed
    assert evaluation.decision is Decision.DENY
    assert evaluation.reason == "guard timed out"


async def test_a_fail_open_guard_that_times_out_allows_and_is_marked_failed() -> None:
    after = Scripted(allow)
    outcome = await run(bound("stuck", Scripted(lambda _: never_answers()), 1, fail_open=True, timeout=0.01),
                        bound("next", after, 2))  # fmt: skip
    assert not outcome.denied
    assert after.seen
    evaluation = outcome.evaluations[0]
    assert evaluation.failed
    assert evaluation.decision is Decision.ALLOW


def explode(_: Message) -> Verdict:
    raise RuntimeError("bug in guard")


@pytest.mark.parametrize(
    ("script", "why"),
    [
        pytest.param(explode, "RuntimeError: bug in guard", id="raises"),
        pytest.param(lambda _: None, "returned NoneType, not a Verdict", id="returns-none"),
        pytest.param(lambda _: "allow", "returned str, not a Verdict", id="returns-a-string"),
        pytest.param(
            lambda m: modify({**m.body, "id": 999}, "x"), "not a JSON-RPC message with the same id", id="changes-the-id"
        ),
        pytest.param(
            lambda m: modify({k: v for k, v in m.body.items() if k != "jsonrpc"}, "x"), "same id", id="drops-jsonrpc"
        ),
        pytest.param(lambda _: Verdict(Decision.MODIFY, "x", None), "same id", id="modifies-without-a-body"),
        pytest.param(
            lambda m: modify({k: v for k, v in m.body.items() if k != "method"}, "x"),
            "not valid JSON-RPC",
            id="drops-the-method",
        ),
        pytest.param(
            lambda m: modify({**m.body, "method": "tools/list"}, "x"),
            "changed its kind or method",
            id="changes-the-method",
        ),
        pytest.param(
            lambda m: modify({"jsonrpc": "2.0", "id": m.id, "result": {}}, "x"),
            "changed its kind",
            id="changes-the-kind",
        ),
    ],
)
async def test_a_misbehaving_guard_is_a_failure_not_a_crash(script: Check, why: str) -> None:
    closed = await run(bound("bad", Scripted(script)))
    assert closed.denied
    assert closed.error_code == GUARD_FAILED
    assert closed.denied_by.failed
    assert why in closed.denied_by.reason
    message = call()
    opened = await run(bound("bad", Scripted(script), fail_open=True), message=message)
    assert not opened.denied
    assert opened.message is message, "a failed guard's output is never used"
    assert opened.evaluations[0].failed


async def test_a_guard_only_runs_on_its_phases() -> None:
    responses_only = Scripted(allow, phases=frozenset({Phase.RESPONSE}))
    await run(bound("r", responses_only))
    assert responses_only.seen == []
    result = classify({"jsonrpc": "2.0", "id": 1, "result": {}}, Direction.TO_CLIENT)
    await run(bound("r", responses_only), message=result)
    assert responses_only.seen == [result.body]


async def test_a_guard_only_runs_on_its_methods() -> None:
    calls_only = Scripted(allow, methods=frozenset({"tools/call"}))
    pipeline = Pipeline([bound("calls", calls_only)], "s")
    listing = classify({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, Direction.TO_SERVER)
    await pipeline.run(listing, CTX)
    await pipeline.run(call(), CTX)
    assert [body["method"] for body in calls_only.seen] == ["tools/call"]


async def test_a_response_reaches_method_guards_only_once_matched_to_its_request() -> None:
    lists_only = Scripted(allow, methods=frozenset({"tools/list"}))
    result = classify({"jsonrpc": "2.0", "id": 1, "result": {"tools": []}}, Direction.TO_CLIENT)
    await run(bound("lists", lists_only), message=result)
    assert lists_only.seen == []
    result.method = "tools/list"
    await run(bound("lists", lists_only), message=result)
    assert lists_only.seen == [result.body]


def test_a_bundle_guard_runs_only_where_both_its_spec_and_its_kind_apply() -> None:
    bundle = Bundle.model_validate(
        {
            "guards": [
                {"name": "t", "spec": {"type": "native", "native": {"kind": "tool-access"}, "runsOn": ["request"]}},
                {
                    "name": "n",
                    "spec": {"type": "native", "native": {"kind": "tool-access"}, "runsOn": ["notification"]},
                },
            ]
        }
    )
    pipeline = Pipeline.from_bundle(bundle, GuardResources(), "fallback-id")
    assert [g.name for g in pipeline.select(Phase.REQUEST, "tools/call")] == ["t"]
    assert pipeline.select(Phase.RESPONSE, "tools/list") == ()
    assert pipeline.select(Phase.NOTIFICATION, "tools/call") == ()
    assert pipeline.server_id == "fallback-id"


def test_a_bundle_server_id_overrides_the_default() -> None:
    pipeline = Pipeline.from_bundle(Bundle(server_id="pinned-id"), GuardResources(), "fallback-id")
    assert pipeline.server_id == "pinned-id"

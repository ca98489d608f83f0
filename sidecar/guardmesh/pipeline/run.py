"""The guard pipeline. Pure logic: it returns what happened and leaves recording to telemetry."""

import asyncio
import inspect
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from guardmesh.auth import GUARD_NAME, AuthorizationGuard, PolicyError
from guardmesh.config.models import (
    Bundle,
    BundleGuard,
    EnforcementAction,
    FailureMode,
    GuardType,
    Phase,
    SecurityGuardSpec,
)
from guardmesh.config.native import RugPullSettings
from guardmesh.guards.api import Decision, Guard, GuardContext, Verdict
from guardmesh.guards.registry import GuardBuildError, GuardResources, build_guard
from guardmesh.protocol.errors import GUARD_DENIED, GUARD_FAILED
from guardmesh.protocol.jsonrpc import Kind, Message, ProtocolError, classify

log = logging.getLogger("guardmesh.pipeline")

_SELECTION_CACHE_LIMIT = 512


@dataclass(frozen=True, slots=True)
class BoundGuard:
    """A built guard with the settings that govern how the pipeline runs it."""

    name: str
    guard: Guard
    priority: int
    phases: frozenset[Phase]
    timeout: float
    fail_open: bool
    enforce: bool

    def applies(self, phase: Phase, method: str | None) -> bool:
        if phase not in self.phases:
            return False
        methods = self.guard.interests.get(phase, frozenset())
        return methods is None or method in methods


@dataclass(slots=True)
class Evaluation:
    """One guard's verdict on one message, for metrics, spans and the audit log."""

    guard: str
    kind: str
    decision: Decision
    reason: str
    seconds: float
    enforced: bool
    failed: bool = False
    """The guard errored or timed out; `decision` is what its failure mode made of it."""


@dataclass(slots=True)
class Outcome:
    message: Message
    """The message to forward: the original, or the last modification."""
    evaluations: list[Evaluation] = field(default_factory=list)
    denied_by: Evaluation | None = None
    modified: bool = False

    @property
    def denied(self) -> bool:
        return self.denied_by is not None

    @property
    def error_code(self) -> int:
        return GUARD_FAILED if self.denied_by is not None and self.denied_by.failed else GUARD_DENIED

    @property
    def error_message(self) -> str:
        by = self.denied_by
        return "" if by is None else f"Blocked by GuardMesh guard {by.guard!r} ({by.kind}): {by.reason}"


class Pipeline:
    """An immutable set of guards; a reload builds a new Pipeline and in-flight messages keep the old one."""

    def __init__(self, guards: list[BoundGuard], server_id: str) -> None:
        self.guards = sorted(guards, key=lambda g: (g.priority, g.name))
        self.server_id = server_id
        self._selection: dict[tuple[Phase, str | None], tuple[BoundGuard, ...]] = {}

    @classmethod
    def from_bundle(cls, bundle: Bundle, resources: GuardResources, server_id: str) -> "Pipeline":
        bound = []
        resources.trusted_servers = bundle.trusted_servers
        resources.baselines = bundle.baselines
        server_id = bundle.server_id or server_id
        for entry in _with_baseline_guard(bundle, server_id):
            spec = entry.spec
            guard = build_guard(spec, resources)
            bound.append(
                BoundGuard(
                    name=entry.name,
                    guard=guard,
                    priority=spec.priority,
                    phases=frozenset(spec.runs_on) & frozenset(guard.interests),
                    timeout=spec.timeout_ms / 1000,
                    fail_open=spec.failure_mode is FailureMode.FAIL_OPEN,
                    enforce=spec.enforcement_action is EnforcementAction.ENFORCE,
                )
            )
        if bundle.authorization is not None:
            try:
                authorization = AuthorizationGuard(bundle.authorization)
            except PolicyError as exc:
                raise GuardBuildError(str(exc)) from None
            # First of all: what a caller may not use is refused before any other guard spends time on it.
            bound.append(
                BoundGuard(GUARD_NAME, authorization, -1, frozenset(authorization.interests), 1.0, False, True)
            )
        return cls(bound, server_id)

    def select(self, phase: Phase, method: str | None) -> tuple[BoundGuard, ...]:
        key = (phase, method)
        chosen = self._selection.get(key)
        if chosen is None:
            chosen = tuple(g for g in self.guards if g.applies(phase, method))
            if len(self._selection) < _SELECTION_CACHE_LIMIT:
                self._selection[key] = chosen
        return chosen

    def methods(self, phase: Phase) -> list[str | None]:
        """Every method some guard inspects in `phase`; None last when a guard inspects them all."""
        found: set[str] = set()
        everything = False
        for bound in self.guards:
            if phase not in bound.phases:
                continue
            methods = bound.guard.interests.get(phase, frozenset())
            if methods is None:
                everything = True
            else:
                found |= methods
        return [*sorted(found), *([None] if everything else [])]

    async def run(self, message: Message, ctx: GuardContext) -> Outcome:
        outcome = Outcome(message)
        for bound in self.select(message.phase, message.method):
            evaluation, verdict = await self._evaluate(bound, outcome.message, ctx)
            outcome.evaluations.append(evaluation)
            if not bound.enforce:
                continue
            if verdict.decision is Decision.DENY:
                outcome.denied_by = evaluation
                return outcome
            if verdict.decision is Decision.MODIFY and verdict.body is not None:
                outcome.message = _replace_body(outcome.message, verdict.body)
                outcome.modified = True
        return outcome

    async def _evaluate(self, bound: BoundGuard, message: Message, ctx: GuardContext) -> tuple[Evaluation, Verdict]:
        start = time.perf_counter()
        try:
            result = bound.guard.check(message, ctx)
            if inspect.isawaitable(result):
                result = await asyncio.wait_for(result, bound.timeout)
            verdict = _checked(result, message)
        except Exception as exc:  # a broken guard must never take the sidecar down
            seconds = time.perf_counter() - start
            why = "timed out" if isinstance(exc, TimeoutError) else f"failed: {type(exc).__name__}: {exc}"
            log.warning("guard %s %s", bound.name, why)
            decision = Decision.ALLOW if bound.fail_open else Decision.DENY
            verdict = Verdict(decision, f"guard {why}")
            return Evaluation(
                bound.name, bound.guard.kind, decision, verdict.reason, seconds, bound.enforce, True
            ), verdict
        seconds = time.perf_counter() - start
        return Evaluation(
            bound.name, bound.guard.kind, verdict.decision, verdict.reason, seconds, bound.enforce
        ), verdict


BASELINE_GUARD = "tool-baseline"
"""Name of the rug-pull guard added when the server has a ToolBaseline and no Policy gave it a rug-pull guard."""


def _with_baseline_guard(bundle: Bundle, server_id: str) -> tuple[BundleGuard, ...]:
    """The bundle's guards, plus a rug-pull guard when the server has a baseline and no guard to enforce it:
    a ToolBaseline in Enforcing mode must hold on every replica whichever Policies select the pod."""
    if server_id not in bundle.baselines or any(g.spec.kind == "rug-pull" for g in bundle.guards):
        return bundle.guards
    spec = SecurityGuardSpec(type=GuardType.NATIVE, native=RugPullSettings(), priority=40)
    return (*bundle.guards, BundleGuard(name=BASELINE_GUARD, spec=spec))


def _checked(result: object, message: Message) -> Verdict:
    if not isinstance(result, Verdict):
        raise TypeError(f"returned {type(result).__name__}, not a Verdict")
    if result.decision is Decision.MODIFY:
        body = result.body
        if not isinstance(body, dict) or body.get("jsonrpc") != "2.0" or body.get("id") != message.body.get("id"):
            raise ValueError("modified message is not a JSON-RPC message with the same id")
        try:
            fresh = classify(body, message.direction)
        except ProtocolError as exc:
            raise ValueError(f"modified message is not valid JSON-RPC: {exc}") from None
        # Guards were selected by kind and method, so a modification may change neither.
        if fresh.kind is not message.kind or (fresh.method is not None and fresh.method != message.method):
            raise ValueError("modified message changed its kind or method")
    return result


def _replace_body(message: Message, body: dict[str, Any]) -> Message:
    if body is message.body:
        return message
    # A rewritten request may name another tool or resource: later guards judge the new target.
    target = classify(body, message.direction).target if message.kind is Kind.REQUEST else message.target
    # The new message starts with an empty cache: text extracted from the old body no longer describes it.
    return Message(body, message.direction, message.kind, message.phase, message.method, message.id, target)

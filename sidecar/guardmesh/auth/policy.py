"""Per-caller authorization: which verified caller may list and use which tools, resources and prompts.

Runs in the pipeline as the first guard (`authorization`), so its refusals and filtered listings are traced,
counted and audited like any guard's. What no rule grants is refused, and filtered out of listings.
"""

import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cel

from guardmesh.config.identity import CONDITION_VARIABLES, AccessRule, Authorization, SubjectMatch
from guardmesh.config.models import Phase
from guardmesh.guards.api import ALLOW, GuardContext, Identity, Verdict, deny, modify
from guardmesh.guards.native.globs import GlobSet
from guardmesh.protocol.jsonrpc import Kind, Message

log = logging.getLogger("guardmesh.auth")

GUARD_NAME = "authorization"
_CALLERS_REMEMBERED = 4096
"""Callers whose matching rules are remembered (a caller's rules are worked out once per distinct identity)."""
_LISTINGS = {
    "tools/list": ("tools", "name", "tools"),
    "resources/list": ("resources", "uri", "resources"),
    "resources/templates/list": ("resourceTemplates", "uriTemplate", "resources"),
    "prompts/list": ("prompts", "name", "prompts"),
}


class PolicyError(ValueError):
    """An authorization section that cannot be enforced (a condition that does not compile)."""


@dataclass(frozen=True)
class _Rule:
    name: str
    subjects: tuple[SubjectMatch, ...]
    tools: GlobSet
    resources: GlobSet
    prompts: GlobSet
    when: Any
    """The compiled CEL program, or None."""

    def grants(self, kind: str, name: str) -> bool:
        globs: GlobSet = getattr(self, kind)
        return name in globs


def _compiled(rule: AccessRule) -> _Rule:
    program = None
    if rule.when is not None:
        try:
            program = cel.compile(rule.when)
        except ValueError as exc:
            raise PolicyError(f"authorization rule {rule.name!r}: `when` is not valid CEL: {exc}") from None
        unknown = set(program.variables()) - CONDITION_VARIABLES
        if unknown:
            raise PolicyError(f"authorization rule {rule.name!r}: `when` reads unknown {', '.join(sorted(unknown))}")
    return _Rule(rule.name, rule.subjects, GlobSet(rule.tools), GlobSet(rule.resources), GlobSet(rule.prompts), program)


def matches(match: SubjectMatch, who: Identity) -> bool:
    """Whether a caller is one a subject match names: every field it sets must hold."""
    if match.subject is not None and who.subject not in GlobSet((match.subject,)):
        return False
    if match.issuer is not None and who.issuer != match.issuer:
        return False
    if match.group is not None and match.group not in who.groups:
        return False
    if match.scope is not None and match.scope not in who.scopes:
        return False
    if match.namespace is not None and who.namespace != match.namespace:
        return False
    if match.service_account is not None:
        namespace, _, name = match.service_account.partition("/")
        if who.namespace != namespace or (name != "*" and who.service_account != match.service_account):
            return False
    for claim, wanted in match.claims.items():
        value = who.claims.get(claim)
        if not (value == wanted or (isinstance(value, list) and wanted in value)):
            return False
    return True


class AuthorizationGuard:
    kind = "authorization"
    interests: Mapping[Phase, frozenset[str] | None] = {
        Phase.REQUEST: frozenset({"tools/call", "resources/read", "resources/subscribe", "prompts/get"}),
        Phase.RESPONSE: frozenset({*_LISTINGS, "resources/read"}),
    }

    def __init__(self, settings: Authorization) -> None:
        self._rules = [_compiled(rule) for rule in settings.rules]
        self._callers: OrderedDict[Identity, tuple[_Rule, ...]] = OrderedDict()

    def rules_for(self, who: Identity | None) -> tuple[_Rule, ...]:
        if who is None:
            return ()
        found = self._callers.get(who)
        if found is None:
            found = tuple(r for r in self._rules if any(matches(m, who) for m in r.subjects))
            self._callers[who] = found
            if len(self._callers) > _CALLERS_REMEMBERED:
                self._callers.popitem(last=False)
        return found

    def check(self, message: Message, ctx: GuardContext) -> Verdict:
        rules = self.rules_for(ctx.identity)
        if message.kind is Kind.REQUEST:
            return self._use(message, ctx.identity, rules)
        if message.kind is Kind.RESULT:
            listing = _LISTINGS.get(message.method or "")
            verdict = ALLOW if listing is None else self._filter(message, rules, *listing)
            return _private(message, verdict)
        return ALLOW

    def _use(self, message: Message, who: Identity | None, rules: tuple[_Rule, ...]) -> Verdict:
        method, target = message.method, message.target
        if target is None:
            return ALLOW  # no name: the server refuses it itself
        kind, noun = {"tools/call": ("tools", "tool"), "prompts/get": ("prompts", "prompt")}.get(
            method or "", ("resources", "resource")
        )
        if who is None:
            return deny(f"{noun} {target!r} needs a verified caller (authentication is off)")
        granting = [r for r in rules if r.grants(kind, target)]
        if not granting:
            return deny(f"no authorization rule grants {noun} {target!r} to this caller")
        conditional = [r for r in granting if r.when is not None]
        if len(conditional) < len(granting) or kind == "resources":
            return ALLOW
        problems = []
        for rule in conditional:
            outcome = _evaluate(rule, message, target, who)
            if outcome is True:
                return ALLOW
            problems.append(f"rule {rule.name!r} grants it only when its condition holds{outcome or ''}")
        return deny(f"{noun} {target!r}: " + "; ".join(problems))

    @staticmethod
    def _filter(message: Message, rules: tuple[_Rule, ...], field: str, key: str, kind: str) -> Verdict:
        items = message.result.get(field)
        if not isinstance(items, list):
            return ALLOW
        kept = [i for i in items if isinstance(i, dict) and any(r.grants(kind, str(i.get(key, ""))) for r in rules)]
        if len(kept) == len(items):
            return ALLOW
        body = {**message.body, "result": {**message.body["result"], field: kept}}
        return modify(body, f"filtered {len(items) - len(kept)} {kind} not granted to this caller")


def _evaluate(rule: _Rule, message: Message, target: str, who: Identity) -> bool | str:
    """True when the condition holds, else a short note on why it could not be judged (never the values)."""
    arguments = message.params.get("arguments")
    activation = {
        "args": arguments if isinstance(arguments, dict) else {},
        "tool": target,
        "subject": who.subject,
        "claims": dict(who.claims),
    }
    try:
        return rule.when.execute(activation) is True
    except KeyError as exc:
        return f" (it reads {exc.args[0]!r}, which the call lacks)"
    except Exception as exc:  # a CEL runtime error (bad types, overflow) never lets the call through
        log.info("authorization rule %s: condition failed: %s", rule.name, type(exc).__name__)
        return f" (it could not be evaluated: {type(exc).__name__})"


def _private(message: Message, verdict: Verdict) -> Verdict:
    """A result that now depends on who asked must not be shared by caches across callers (2026-07-28
    `cacheScope`): `public` becomes `private`."""
    body = verdict.body if verdict.body is not None else message.body
    result = body.get("result")
    if not isinstance(result, dict) or result.get("cacheScope") != "public":
        return verdict
    changed = {**body, "result": {**result, "cacheScope": "private"}}
    return modify(changed, verdict.reason or "cacheScope made private: the result depends on the caller")

"""prompt-injection: instructions to the model in tool results, resource contents and prompt messages."""

from typing import Final

from guardmesh.config.models import Phase
from guardmesh.config.native import PromptInjectionSettings
from guardmesh.engine import Scope
from guardmesh.guards.api import ALLOW, GuardContext, Verdict, deny, modify
from guardmesh.guards.native.content import at_least, describe, load_engine, redact, scan
from guardmesh.protocol.jsonrpc import Message

_ANSWERS: Final = frozenset({"tools/call", "resources/read", "prompts/get"})


class PromptInjectionGuard:
    kind = "prompt-injection"
    interests = {Phase.RESPONSE: _ANSWERS}

    def __init__(self, settings: PromptInjectionSettings) -> None:
        self._redact = settings.action == "redact"
        self._min = settings.min_severity
        self._ignore = frozenset(settings.ignore_rules)
        load_engine()

    def check(self, message: Message, ctx: GuardContext) -> Verdict:
        findings = [
            f
            for f in scan(message).of("prompt-injection/")
            if f.segment.scope is Scope.RESULT
            and f.rule.id not in self._ignore
            and at_least(f.rule.severity, self._min)
        ]
        if not findings:
            return ALLOW
        reason = f"prompt injection in the result: {describe(findings)}"
        if self._redact and (body := redact(message.body, findings)) is not None:
            return modify(body, reason)
        return deny(reason)

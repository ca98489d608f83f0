"""prompt-injection: instructions to the model in tool results, resource contents and prompt messages."""

from typing import Any, Final

import orjson

from guardmesh.config.models import Phase
from guardmesh.config.native import PromptInjectionSettings
from guardmesh.engine import Scope
from guardmesh.engine.learned import Provider, result_units
from guardmesh.guards.api import ALLOW, GuardContext, Verdict, deny, modify
from guardmesh.guards.native.content import REDACTED, at_least, describe, load_engine, message_text, redact, scan
from guardmesh.protocol.jsonrpc import Message

_ANSWERS: Final = frozenset({"tools/call", "resources/read", "prompts/get"})


class PromptInjectionGuard:
    kind = "prompt-injection"
    interests = {Phase.RESPONSE: _ANSWERS}

    def __init__(self, settings: PromptInjectionSettings, learned: Provider | None = None) -> None:
        self._redact = settings.action == "redact"
        self._min = settings.min_severity
        self._ignore = frozenset(settings.ignore_rules)
        self._sensitivity = settings.sensitivity
        self._learned = learned if settings.learned else None
        if self._learned is not None:
            self._learned.model()  # at config load, not on the first result
        load_engine()

    def check(self, message: Message, ctx: GuardContext) -> Verdict:
        relevant = [
            f
            for f in scan(message).of("prompt-injection/")
            if f.segment.scope is Scope.RESULT and f.rule.id not in self._ignore
        ]
        findings = [f for f in relevant if at_least(f.rule.severity, self._min)]
        if not findings:
            if self._learned is not None:
                return self._learned_verdict(message, {f.segment.path for f in relevant})
            return ALLOW
        reason = f"prompt injection in the result: {describe(findings)}"
        if self._redact and (body := redact(message.body, findings)) is not None:
            return modify(body, reason)
        return deny(reason)

    def _learned_verdict(self, message: Message, weak: set[tuple[str | int, ...]]) -> Verdict:
        """The learned tier on each string of the result; a string with a finding below `minSeverity` (the
        grey zone) is flagged at the `high` sensitivity's lower threshold."""
        assert self._learned is not None
        head = self._learned.model().heads["result"]
        if "learned.result" in self._ignore:
            return ALLOW
        for path, text in result_units(message_text(message)):
            level = "high" if path in weak else self._sensitivity
            score = self._learned.score("result", text)
            threshold = head.threshold[level]
            if score >= threshold:
                where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
                grey = " with a rule finding below minSeverity" if path in weak else ""
                reason = (
                    f"prompt injection in the result: learned.result at {where} "
                    f"(classifier score {score:.2f} over threshold {threshold:.2f}{grey})"
                )
                if self._redact and (body := _blank(message.body, path)) is not None:
                    return modify(body, reason)
                return deny(reason)
        return ALLOW


def _blank(body: dict[str, Any], path: tuple[str | int, ...]) -> dict[str, Any] | None:
    """A copy of `body` with the string at `path` replaced by REDACTED (None if it is not a string)."""
    copy: dict[str, Any] = orjson.loads(orjson.dumps(body))
    node: Any = copy
    try:
        for part in path[:-1]:
            node = node[part]
        if not isinstance(node[path[-1]], str):
            return None
        node[path[-1]] = REDACTED
    except (KeyError, IndexError, TypeError):
        return None
    return copy

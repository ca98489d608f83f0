"""secrets: keys, tokens and credentials in tool-call arguments and in results; redacted or denied."""

from typing import Final

from guardmesh.config.models import Phase
from guardmesh.config.native import SecretsSettings
from guardmesh.guards.api import ALLOW, GuardContext, Verdict, deny, modify
from guardmesh.guards.native.content import describe, load_engine, redact, scan
from guardmesh.protocol.jsonrpc import Message

REQUESTS: Final = frozenset({"tools/call", "prompts/get"})
"""Requests whose arguments leave for the server."""
ANSWERS: Final = frozenset({"tools/call", "resources/read", "prompts/get"})
"""Responses whose content reaches the model."""


class SecretsGuard:
    kind = "secrets"
    interests = {Phase.REQUEST: REQUESTS, Phase.RESPONSE: ANSWERS}

    def __init__(self, settings: SecretsSettings) -> None:
        self._redact = settings.action == "redact"
        self._ignore = frozenset(settings.ignore_rules)
        load_engine()

    def check(self, message: Message, ctx: GuardContext) -> Verdict:
        findings = [f for f in scan(message).of("secrets/") if f.rule.id not in self._ignore]
        if not findings:
            return ALLOW
        reason = f"secrets found: {describe(findings)}"
        if self._redact and (body := redact(message.body, findings)) is not None:
            return modify(body, reason)
        return deny(reason)

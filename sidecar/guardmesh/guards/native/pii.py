"""pii: personal data in tool-call arguments and in results; each kind allowed, audited, redacted or denied."""

from typing import Final

from guardmesh.config.models import Phase
from guardmesh.config.native import PiiSettings
from guardmesh.engine import Finding
from guardmesh.guards.api import ALLOW, Decision, GuardContext, Verdict, deny, modify
from guardmesh.guards.native.content import describe, load_engine, redact, scan
from guardmesh.guards.native.secrets import ANSWERS, REQUESTS
from guardmesh.protocol.jsonrpc import Message

_CATEGORY: Final = {"ip": "pii/ip-address"}
"""Engine categories whose names differ from the setting's kind (`pii/<kind>` otherwise)."""


class PiiGuard:
    kind = "pii"
    interests = {Phase.REQUEST: REQUESTS, Phase.RESPONSE: ANSWERS}

    def __init__(self, settings: PiiSettings) -> None:
        self._actions = {_CATEGORY.get(k, f"pii/{k}"): a for k, a in settings.actions.items() if a != "allow"}
        self._ignore = frozenset(settings.ignore_rules)
        load_engine()

    def check(self, message: Message, ctx: GuardContext) -> Verdict:
        if not self._actions:
            return ALLOW
        by_action: dict[str, list[Finding]] = {}
        for finding in scan(message).of("pii/"):
            action = self._actions.get(finding.rule.category)
            if action is not None and finding.rule.id not in self._ignore:
                by_action.setdefault(action, []).append(finding)
        if not by_action:
            return ALLOW
        if "deny" in by_action:
            return deny(f"personal data found: {describe(by_action['deny'])}")
        audited = by_action.get("audit", [])
        if "redact" in by_action:
            body = redact(message.body, by_action["redact"])
            if body is None:
                return deny(f"personal data found that cannot be redacted: {describe(by_action['redact'])}")
            also = f"; audited: {describe(audited)}" if audited else ""
            return modify(body, f"personal data redacted: {describe(by_action['redact'])}{also}")
        return Verdict(Decision.AUDIT, f"personal data found: {describe(audited)}")

"""What the content guards share: a message's text and scan, made once per message, and redaction.

The text is extracted and normalised once and kept in `Message.cache`, so every guard that reads a
message's content pays for one extraction and one engine pass between them.
"""

from collections.abc import Iterable
from typing import Any, Final

import orjson

from guardmesh.engine import Finding, MessageText, Scan, default_engine, extract
from guardmesh.protocol.jsonrpc import Message

REDACTED: Final = "[removed by GuardMesh]"
"""What a redacted span or string becomes."""

_TEXT_KEY: Final = "guardmesh.engine.text"
_SEVERITY_RANK: Final = {"low": 0, "medium": 1, "high": 2, "critical": 3}
_REASON_ITEMS: Final = 8


def message_text(message: Message) -> MessageText:
    """The message's extracted, normalised text, memoised on the message."""
    memo = message.cache.get(_TEXT_KEY)
    # A response's method may be learnt after a first look; the text depends on it.
    if memo is not None and memo[0] == message.method:
        text: MessageText = memo[1]
        return text
    text = extract(message.body, message.method)
    message.cache[_TEXT_KEY] = (message.method, text)
    return text


def load_engine() -> None:
    """Build the engine now (at config load) rather than on the first message, which would wait for it."""
    default_engine()


def scan(message: Message) -> Scan:
    """The default engine's findings in the message, memoised on its text."""
    return default_engine().scan(message_text(message))


def at_least(severity: str, minimum: str) -> bool:
    return _SEVERITY_RANK[severity] >= _SEVERITY_RANK[minimum]


def describe(findings: Iterable[Finding]) -> str:
    """Rule ids and where they matched, never what they matched: reasons are logged and shown."""
    items = list(dict.fromkeys(f"{f.rule.id} at {f.segment.location}" for f in findings))
    more = len(items) - _REASON_ITEMS
    return ", ".join(items[:_REASON_ITEMS]) + (f" and {more} more" if more > 0 else "")


def redact(body: dict[str, Any], findings: Iterable[Finding]) -> dict[str, Any] | None:
    """A copy of `body` with each finding's value replaced by REDACTED, or None when a finding is not in
    a string the message holds (a property name, say) and so cannot be redacted.

    A span is replaced in place when the segment's text is the string as sent; text that was normalised
    or decoded has no span in the string, so the whole string goes."""
    spans: dict[tuple[str | int, ...], list[tuple[int, int]] | None] = {}
    for finding in findings:
        segment = finding.segment
        whole = segment.parent is not None or segment.encoding is not None or not segment.identical
        cuts = spans.setdefault(segment.path, [])
        if whole:
            spans[segment.path] = None
        elif cuts is not None:
            cuts.append(finding.value)
    copy: dict[str, Any] = orjson.loads(orjson.dumps(body))
    for path, cuts in spans.items():
        if not path:
            return None
        container: Any = copy
        for part in path[:-1]:
            try:
                container = container[part]
            except (KeyError, IndexError, TypeError):
                return None
        last = path[-1]
        try:
            value = container[last]
        except (KeyError, IndexError, TypeError):
            return None
        if not isinstance(value, str):
            return None
        container[last] = REDACTED if cuts is None else _cut(value, cuts)
    return copy


def _cut(value: str, cuts: list[tuple[int, int]]) -> str:
    merged: list[list[int]] = []
    for start, end in sorted(cuts):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in reversed(merged):
        value = value[:start] + REDACTED + value[end:]
    return value

"""The engine: a rule set, its matcher, and the findings of one message's text."""

import bisect
import functools
import gc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from guardmesh.engine.matcher import Matcher, build_matcher, default_cache_dir, return_freed_memory
from guardmesh.engine.rules import CompiledRule, Rule, RuleSet, load_rules
from guardmesh.engine.text import MessageText, Segment


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule matched one segment."""

    rule: Rule
    segment: Segment
    index: int
    """The segment's index in `MessageText.segments`."""
    span: tuple[int, int]
    """Where the match is in `segment.text`."""
    value: tuple[int, int]
    """Where the rule's `value` group is in `segment.text` (the whole match when it has none): what a
    validator checked and what a redaction replaces."""

    @property
    def category(self) -> str:
        return self.rule.category

    @property
    def matched(self) -> str:
        """The matched text. Never put it in logs, spans or reasons: it may be the secret itself."""
        return self.segment.text[self.span[0] : self.span[1]]


@dataclass(frozen=True, slots=True)
class Scan:
    """The findings of one engine over one message."""

    findings: tuple[Finding, ...]
    truncated: bool
    """The text was cut by the extraction limits, or a rule's findings were capped."""

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def of(self, *prefixes: str) -> tuple[Finding, ...]:
        """Findings whose category starts with one of `prefixes` (`secrets/`, `pii/card`, ...)."""
        return tuple(f for f in self.findings if f.rule.category.startswith(prefixes))


class Engine:
    """Rules compiled once; `scan` finds them in a message's text. Thread-safe and stateless per scan."""

    def __init__(
        self, rules: RuleSet, matcher: str = "auto", max_findings_per_rule: int = 64, cache_dir: Path | None = None
    ) -> None:
        self.rules = rules
        self.matcher: Matcher = build_matcher(rules, matcher, cache_dir)
        self.max_findings_per_rule = max_findings_per_rule

    def scan(self, text: MessageText) -> Scan:
        """Every finding of every rule in `text`, memoised on the text for the other guards."""
        key = id(self)
        memo = text.cache.get(key)
        if memo is not None and memo[0] is self:
            scan: Scan = memo[1]
            return scan
        fired = self.matcher.fired(text)
        findings: list[Finding] = []
        capped = False
        present = text.scopes
        for index in sorted(set(fired)):
            rule = self.rules.compiled[index]
            # A rule for places the message does not have (results, in a tools/call request) cannot
            # find anything; its RE2 pass over the whole text would cost microseconds for nothing.
            if rule.scopes is None or not rule.scopes.isdisjoint(present):
                capped |= self._verify(rule, text, findings)
        scan = Scan(tuple(findings), text.truncated or capped)
        text.cache[key] = (self, scan)
        return scan

    def _verify(self, rule: CompiledRule, text: MessageText, out: list[Finding]) -> bool:
        """Run one fired rule's RE2 regex over the text, segment by segment; True if findings were capped."""
        data = text.encoded
        starts = text.byte_starts
        regex = rule.regex
        limit = self.max_findings_per_rule
        found = 0
        pos = 0
        end_of_data = len(data)
        while pos < end_of_data:
            match = regex.search(data, pos)
            if match is None:
                break
            start, end = match.span()
            i = bisect.bisect_right(starts, start) - 1
            segment_end = starts[i + 1] - 1 if i + 1 < len(starts) else end_of_data
            if rule.scopes is not None and text.scope_of(i) not in rule.scopes:
                pos = segment_end + 1
                continue
            if end > segment_end:  # ran across the separator: look again inside this segment only
                match = regex.search(data, start, segment_end)
                if match is None:
                    pos = segment_end + 1
                    continue
                start, end = match.span()
            pos = end if end > start else end + 1
            value = match.span(rule.value_group) if rule.value_group else (start, end)
            if value[0] < 0:
                value = (start, end)
            if rule.validator is not None and not rule.validator(data[value[0] : value[1]].decode("utf-8", "replace")):
                continue
            if found == limit:
                return True
            found += 1
            out.append(_finding(rule.rule, text, i, (start, end), value))
        return False


@functools.cache
def default_engine() -> Engine:
    """The engine of the rules shipped with GuardMesh, built once per process (its matcher cached on disk)."""
    # Loading leaves megabytes of freed heap behind; give them back before the matcher is loaded, so
    # the sidecar's peak stays low too (its budget is 60 MB).
    rules = load_rules()
    gc.collect()
    return_freed_memory()
    engine = Engine(rules, cache_dir=default_cache_dir())
    return_freed_memory()
    return engine


def _finding(rule: Rule, text: MessageText, i: int, span: tuple[int, int], value: tuple[int, int]) -> Finding:
    """A finding with byte offsets in the encoded message turned into character offsets in the segment."""
    segment = text.segments[i]
    base = text.byte_starts[i]
    if text.text_of(i).isascii():
        return Finding(rule, segment, i, (span[0] - base, span[1] - base), (value[0] - base, value[1] - base))
    raw = text.encoded

    def chars(offset: int) -> int:
        return len(raw[base:offset].decode("utf-8", "replace"))

    return Finding(rule, segment, i, (chars(span[0]), chars(span[1])), (chars(value[0]), chars(value[1])))

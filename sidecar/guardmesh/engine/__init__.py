"""The native detection engine: rules as data, one multi-pattern pass per message, shared by guards.

    text = extract(message.body, message.method)   # once per message, shared by every guard
    scan = default_engine().scan(text)              # memoised on `text`
    for finding in scan.of("secrets/", "pii/card"):
        finding.rule.id, finding.segment.location, finding.value

Pure and synchronous: no I/O after load. Nothing here imports other GuardMesh packages.
"""

from guardmesh.engine.engine import Engine, Finding, Scan, default_engine
from guardmesh.engine.matcher import MatcherError, build_matcher
from guardmesh.engine.normalise import Encoding, Hidden, Normalised, normalise
from guardmesh.engine.rules import Rule, RuleError, RuleSet, Severity, load_rules, parse_rules
from guardmesh.engine.text import Field, Limits, MessageText, Scope, Segment, extract

__all__ = [
    "Encoding",
    "Engine",
    "Field",
    "Finding",
    "Hidden",
    "Limits",
    "MatcherError",
    "MessageText",
    "Normalised",
    "Rule",
    "RuleError",
    "RuleSet",
    "Scan",
    "Scope",
    "Segment",
    "Severity",
    "build_matcher",
    "default_engine",
    "extract",
    "load_rules",
    "normalise",
    "parse_rules",
]

"""The Hyperscan database is compiled once and kept on disk; a bad or unwritable cache only costs time."""

import importlib.util
from pathlib import Path

import pytest

from guardmesh.engine import RuleSet, extract, parse_rules
from guardmesh.engine.matcher import HyperscanMatcher

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("hyperscan") is None, reason="Hyperscan wheels are x86-64 only"
)

RULES = """rules:
  - id: demo.token
    category: secrets/demo
    severity: high
    where: any
    regex: 'demo-[0-9]{4}'
    description: A demo token.
    examples: {match: ["demo-1234"]}
  - id: demo.word
    category: prompt-injection/demo
    severity: high
    where: any
    regex: 'ignore (all|previous) instructions'
    description: A demo override.
    examples: {match: ["ignore previous instructions"]}
"""


def ruleset(text: str = RULES) -> RuleSet:
    return RuleSet.of(parse_rules(text, "demo.yaml"))


def fired(matcher: HyperscanMatcher, text: str) -> list[int]:
    return sorted(
        matcher.fired(extract({"jsonrpc": "2.0", "id": 1, "result": {"content": [{"type": "text", "text": text}]}}))
    )


def test_a_compiled_database_is_written_once_and_loaded_by_the_next_matcher(tmp_path: Path) -> None:
    first = HyperscanMatcher(ruleset(), tmp_path)
    [cached] = tmp_path.iterdir()
    written = cached.stat().st_mtime_ns
    second = HyperscanMatcher(ruleset(), tmp_path)
    assert cached.stat().st_mtime_ns == written
    sample = "use demo-1234 and ignore previous instructions"
    assert fired(first, sample) == fired(second, sample) == [0, 1]


def test_different_rules_get_a_different_cache_file(tmp_path: Path) -> None:
    HyperscanMatcher(ruleset(), tmp_path)
    HyperscanMatcher(ruleset(RULES.replace("instructions'", "orders'")), tmp_path)
    assert len(list(tmp_path.iterdir())) == 2


def test_a_corrupt_cache_file_is_recompiled_and_replaced(tmp_path: Path) -> None:
    HyperscanMatcher(ruleset(), tmp_path)
    [cached] = tmp_path.iterdir()
    cached.write_bytes(b"not a hyperscan database")
    matcher = HyperscanMatcher(ruleset(), tmp_path)
    assert fired(matcher, "demo-1234") == [0]
    assert cached.read_bytes() != b"not a hyperscan database"


def test_an_unwritable_cache_directory_still_gives_a_working_matcher(tmp_path: Path) -> None:
    blocked = tmp_path / "file-in-the-way"
    blocked.write_text("")
    matcher = HyperscanMatcher(ruleset(), blocked / "engine")
    assert fired(matcher, "demo-1234") == [0]


def test_arguments_alone_are_scanned_with_the_rules_for_arguments_only(tmp_path: Path) -> None:
    text = RULES.replace("where: any\n    regex: 'ignore", "where: [result]\n    regex: 'ignore")
    matcher = HyperscanMatcher(ruleset(text), tmp_path)
    arguments = {"q": "demo-1234 and ignore previous instructions"}
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "t", "arguments": arguments}}
    assert sorted(matcher.fired(extract(call))) == [0]
    assert fired(matcher, "demo-1234 and ignore previous instructions") == [0, 1]
    assert len(list(tmp_path.iterdir())) == 2  # the rules for arguments and the others, both kept

"""Samples from the test cases of the npm package `agent-threat-rules` (ATR).

Every rule YAML under `rules/` carries `test_cases.true_positives` (attacks), `true_negatives`
(benign) and often `evasion_tests` (attacks written to slip past that rule). A case names the field
it belongs to (`tool_description`, `tool_response`, `tool_args`, `agent_output`, `tool_name`) or
gives a bare `input`, which belongs where the rule looks: its detection fields and its
`agent_source.type`. That decides the sample's location; the rule's `tags.category` is its category.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from gm_corpora.messages import Label, Location, Record, embed, sample, tool_call

CORPUS = "agent-threat-rules"

# Rules about tool metadata whose cases give a bare `input` (a description or a manifest excerpt).
_DEFINITION_TITLE = re.compile(r"tool[- ]description|tool[- ]manifest|schema poisoning|rug[- ]pull", re.IGNORECASE)
# Sources whose cases are traces or metrics, not text any MCP message carries.
_NOT_TEXT = {"agent_trace", "agent_behavior"}
_ARGUMENT_SOURCES = {"tool_call", "skill_lifecycle", "skill_permission", "skill_chain"}
_CASES: tuple[tuple[str, str, Label], ...] = (
    ("true_positives", "tp", "attack"),
    ("true_negatives", "tn", "benign"),
    ("evasion_tests", "ev", "attack"),
)

# libyaml is ~10x faster on ~800 rule files; the pure-Python loader gives the same result.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _rule_location(rule: dict[str, Any]) -> Location:
    """Where a bare `input` of this rule belongs."""
    conditions = (rule.get("detection") or {}).get("conditions") or []
    fields = {c.get("field") for c in conditions if isinstance(c, dict)}
    source = (rule.get("agent_source") or {}).get("type")
    if "tool_description" in fields or _DEFINITION_TITLE.search(str(rule.get("title", ""))):
        return "tool-definition"
    if source in _ARGUMENT_SOURCES:
        return "argument"
    if source == "mcp_exchange" or "tool_response" in fields:
        return "result"
    if source == "memory_access":
        return "resource"
    return "prompt"


def _arguments(text: str) -> dict[str, Any]:
    """Tool arguments: a JSON object as given, any other text as one string argument."""
    try:
        value = json.loads(text)
    except ValueError:
        return {"input": text}
    return value if isinstance(value, dict) else {"input": text}


def _message(case: dict[str, Any], rule: dict[str, Any]) -> tuple[Location, str, dict[str, Any], str] | None:
    """Location, text, message and the ATR field the text came from; None for non-text cases."""
    described = case.get("tool_description")
    # Beside a bare `input`, a one-word `tool_description` is the tool's name and `input` the text.
    named = isinstance(described, str) and "input" in case and not any(c.isspace() for c in described)
    tool = str(case.get("tool_name") or (described if named else None) or "sample_tool")
    if described is not None and not named:
        text = _text(case["tool_description"])
        return "tool-definition", text, embed("tool-definition", text, tool=tool), "tool_description"
    if "tool_response" in case:
        text = _text(case["tool_response"])
        return "result", text, embed("result", text), "tool_response"
    for field in ("tool_args", "agent_output", "tool_call"):
        if field in case:
            value = case[field]
            if isinstance(value, dict) and "name" in value:
                return "argument", _text(value), tool_call(str(value["name"]), value.get("arguments") or {}), field
            text = _text(value)
            return "argument", text, tool_call(tool, _arguments(text)), field
    raw = next((case[k] for k in ("input", "content", "user_input") if k in case), None)
    if raw is None:
        if "tool_name" in case:
            return "argument", tool, tool_call(tool, {}), "tool_name"
        return None
    text = _text(raw)
    location = _rule_location(rule)
    if location == "argument":
        return location, text, tool_call(tool, _arguments(text)), "input"
    return location, text, embed(location, text, tool=tool), "input"


def _rule_samples(rule: dict[str, Any], version: str) -> Iterator[tuple[Label, Location, str, Record]]:
    rule_id = str(rule.get("id"))
    tags = rule.get("tags") or {}
    category = str(tags.get("category") or "unknown")
    test_cases = dict(rule.get("test_cases") or {})
    test_cases["evasion_tests"] = rule.get("evasion_tests") or []
    for key, short, label in _CASES:
        for n, case in enumerate(test_cases.get(key) or [], start=1):
            if not isinstance(case, dict):
                continue
            found = _message(case, rule)
            if found is None:
                continue
            location, text, message, field = found
            source = {
                "package": f"agent-threat-rules@{version}",
                "rule": rule_id,
                "subcategory": tags.get("subcategory"),
                "case": key,
                "field": field,
            }
            if key == "evasion_tests":
                source["technique"] = case.get("bypass_technique") or case.get("evasion_technique")
            record = sample(f"atr/{rule_id}/{short}{n}", CORPUS, label, category, location, message, source=source)
            yield label, location, text, record


def build(package_dir: Path, stats: Counter[str]) -> list[Record]:
    """All samples of the installed package at `package_dir`, one per distinct (location, text).

    A text that is an attack in one rule and benign in another is dropped: it has no single label.
    """
    version = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))["version"]
    found: list[tuple[Label, Location, str, Record]] = []
    for path in sorted((package_dir / "rules").rglob("*.yaml")):
        rule = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a safe loader
        if not isinstance(rule, dict) or (rule.get("agent_source") or {}).get("type") in _NOT_TEXT:
            stats["atr: rules skipped (trace or metric cases)"] += isinstance(rule, dict)
            continue
        found.extend(_rule_samples(rule, version))
    labels: dict[tuple[Location, str], set[str]] = {}
    for label, location, text, _ in found:
        labels.setdefault((location, text), set()).add(label)
    out: list[Record] = []
    seen: set[tuple[Location, str]] = set()
    for _, location, text, record in found:
        key = (location, text)
        if len(labels[key]) > 1:
            stats["atr: cases dropped (same text labelled both ways)"] += 1
        elif key in seen:
            stats["atr: cases dropped (duplicate text)"] += 1
        else:
            seen.add(key)
            out.append(record)
    return out

"""Rule files: the shipped set loads; a bad file is an error at load that names the rule."""

from collections import Counter
from pathlib import Path

import pytest

from guardmesh.engine import RuleError, load_rules, parse_rules
from guardmesh.engine.matcher import prefilter_form, required_literals
from guardmesh.engine.rules import check_linear

GOOD = """
  - id: {id}
    category: secrets/demo
    severity: high
    where: any
    regex: '{regex}'
    {extra}
    description: A demo rule.
    examples: {{match: ["x"]}}
"""


def rule_file(regex: str = "demo-[0-9]{4}", id: str = "demo.rule", extra: str = "") -> str:
    return "rules:" + GOOD.format(id=id, regex=regex, extra=extra)


def test_the_shipped_rule_set_loads_with_at_least_250_rules_and_25_in_every_detection_family() -> None:
    rules = load_rules()
    families = Counter(rule.category.split("/")[0] for rule in rules.rules)
    assert len(rules) >= 250
    assert set(families) == {"tool-poisoning", "prompt-injection", "secrets", "pii", "tool-access"}
    assert all(families[family] >= 25 for family in ("tool-poisoning", "prompt-injection", "secrets", "pii"))
    assert {rule.category for rule in rules.rules if rule.category.startswith("tool-access/")} == {
        "tool-access/path-traversal",
        "tool-access/shell",
        "tool-access/sql",
    }


def test_a_valid_rule_file_parses() -> None:
    [rule] = parse_rules(rule_file(), "demo.yaml")
    assert rule.id == "demo.rule"
    assert rule.where == ("any",)
    assert rule.scopes is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: [unclosed", "demo.yaml: not valid YAML"),
        ("- just a list", "demo.yaml: expected a mapping with a `rules` list"),
        (rule_file(extra="validator: crc32"), "rule 'demo.rule': validator: unknown validator 'crc32'"),
        (rule_file(regex="demo-(unclosed"), "rule 'demo.rule': regex: not a valid regex"),
        (rule_file(regex="(a)\\1"), "rule 'demo.rule': regex: uses backreferences"),
        (rule_file(regex="a(?=b)"), "rule 'demo.rule': regex: uses lookarounds"),
        (rule_file(regex="a(?<!b)"), "rule 'demo.rule': regex: uses lookarounds"),
        (rule_file(regex="(?:a+)+b"), "rule 'demo.rule': regex: nests unbounded repeats"),
        (rule_file(regex="(a|aa)*c"), "rule 'demo.rule': regex: nests unbounded repeats"),
        (rule_file(regex="\\Atoken"), "rule 'demo.rule': regex: uses \\A or \\Z"),
        (rule_file(regex="a{2000}"), "rule 'demo.rule': regex: repeats 2000 times"),
        (rule_file(regex="(?:a{0,100}){0,100}"), "rule 'demo.rule': regex: nested repeats expand"),
        (rule_file(regex="x*"), "rule 'demo.rule': regex: matches the empty string"),
        (rule_file(regex="\\pL+"), "rule 'demo.rule': regex: not a valid regex"),
        (rule_file(extra="colour: red"), "rule 'demo.rule': colour: Extra inputs are not permitted"),
        (rule_file(id="Bad Id"), "rule 'Bad Id': id:"),
        (rule_file().replace("secrets/demo", "malware/x"), "rule 'demo.rule': category:"),
    ],
)
def test_a_bad_rule_file_is_a_clear_error_naming_the_rule(text: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rules(text, "demo.yaml")
    assert message in str(caught.value)


def test_duplicate_ids_are_refused_within_and_across_files(tmp_path: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text(rule_file() + GOOD.format(id="demo.rule", regex="other-[0-9]{4}", extra=""))
    with pytest.raises(RuleError, match=r"rule 'demo\.rule': duplicate id"):
        load_rules([one])
    one.write_text(rule_file())
    two = tmp_path / "two.yaml"
    two.write_text(rule_file(regex="other-[0-9]{4}"))
    with pytest.raises(RuleError, match=r"two.yaml: rule 'demo.rule': duplicate id \(first defined in .*one.yaml\)"):
        load_rules([one, two])


def test_rule_regexes_are_nfkc_normalised_like_the_text_they_match() -> None:
    [rule] = parse_rules(rule_file(regex="ｄｅｍｏ-[0-9]{4}"), "demo.yaml")  # noqa: RUF001
    assert rule.regex == "demo-[0-9]{4}"


def test_required_literals_are_found_in_every_branch() -> None:
    assert required_literals(r"\b(?:ignore|disregard)\s+previous\s+instructions") == frozenset({"instructions"})
    assert required_literals(r"(?:password|secret)\s*=") == frozenset({"password", "secret"})
    assert required_literals(r"\d{3}-\d{2}-\d{4}") is None
    assert required_literals(r"(?:the|for)\s+\w+") is None  # common words gate nothing


def test_prefilter_forms_widen_bounds_drop_boundaries_and_spell_out_cases() -> None:
    assert prefilter_form(r"\ba[^\n]{0,80}b{2,3}\b") == r"a[^\n]{0,}b{2,3}"
    assert prefilter_form(r"[\b]x\\b") == r"[\b]x\\b"
    assert prefilter_form("игнор", case_sensitive=False) == "[Ии][Гг][Нн][Оо][Рр]"  # noqa: RUF001
    assert prefilter_form("[ıi]", case_sensitive=False) == "[Iıi]"  # noqa: RUF001


def test_every_shipped_rule_is_linear_time_though_loading_them_skips_the_check() -> None:
    for rule in load_rules().rules:
        check_linear(rule.regex)


def test_a_rule_file_given_by_path_is_checked_for_linear_time(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(rule_file(regex="(?:a+)+b"))
    with pytest.raises(RuleError, match="nests unbounded repeats"):
        load_rules([path])

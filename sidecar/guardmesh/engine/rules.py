"""Detection rules as data: YAML files shipped in `guardmesh/engine/rules/`, validated once at load.

A rule's regex must be linear-time: it is written in the common subset of RE2 and Python syntax,
without backreferences, lookarounds, anchors or nested unbounded repeats, and RE2 must compile it.
Any problem is a RuleError naming the file and the rule id.
"""

import importlib
import importlib.resources
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import re2
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from guardmesh.engine.text import Scope
from guardmesh.engine.validators import Validator, resolve

_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader parses the shipped rules ~10x faster than the pure-Python one."""

# The stdlib regex parser: the only way to see a pattern's structure. Imported by name because it is
# private and untyped (the public alias sre_parse warns of deprecation).
_sre: Any = importlib.import_module("re._parser")
_sre_c: Any = importlib.import_module("re._constants")

MAX_REPEAT_COUNT = 1000
"""Largest bounded repeat, as in RE2; larger ones bloat automata."""
MAX_REPEAT_PRODUCT = 4000
"""Largest product of nested bounded repeats (`(?:a{0,50}){0,100}` expands to 5,000 states)."""
MAX_PROGRAM_SIZE = 4000
"""Largest compiled RE2 program of one rule."""


SHIPPED = "shipped"
"""Validation context key: the rule comes with GuardMesh, and the test suite has already proved every
shipped regex linear (tests/unit/test_engine_rules.py), so loading skips that check: 0.2 s and ~2.5 MB
of freed-but-kept heap at every sidecar start."""


class RuleError(ValueError):
    """A rule file that cannot be loaded; the message names the file and the rule."""


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


Where = Literal["tool-definition", "result", "argument", "any"]


class Examples(BaseModel):
    """Texts the rule must find and must not find; the test suite checks every one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    match: tuple[str, ...] = Field(min_length=1)
    nomatch: tuple[str, ...] = ()


class Rule(BaseModel):
    """One detection rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9]+(?:[.-][a-z0-9]+)*$")
    category: str = Field(
        pattern=r"^(?:tool-poisoning|prompt-injection|secrets|pii|tool-access)/[a-z0-9]+(?:-[a-z0-9]+)*$"
    )
    severity: Severity
    where: tuple[Where, ...] = Field(min_length=1)
    """The places the rule applies to; `any` for all (including places of no known kind)."""
    regex: str = Field(min_length=1)
    """Matched case-insensitively unless `case_sensitive`. A named group `value` marks the part that a
    validator checks and that a redaction replaces. `^` and `$` match at the start and end of each string
    of the message and of each line in it; a match never spans two strings."""
    case_sensitive: bool = False
    validator: str | None = None
    """`luhn`, `iban-mod97`, `us-ssn`, `phone`, `ip-address`, `jwt` or `entropy>=N`."""
    description: str = Field(min_length=1)
    examples: Examples

    @field_validator("where", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value

    @field_validator("validator")
    @classmethod
    def _known_validator(cls, value: str | None) -> str | None:
        if value is not None:
            resolve(value)
        return value

    @field_validator("regex")
    @classmethod
    def _linear(cls, value: str, info: ValidationInfo) -> str:
        # Rules match normalised text, so their literals are normalised the same way (NFKC).
        value = unicodedata.normalize("NFKC", value)
        if not (info.context or {}).get(SHIPPED):
            check_linear(value)
        return value

    @property
    def scopes(self) -> frozenset[Scope] | None:
        """The scopes the rule applies to, or None for every scope."""
        return None if "any" in self.where else frozenset(Scope(w) for w in self.where)

    @property
    def flagged_regex(self) -> str:
        """The regex with its flags inline, as every engine compiles it: multi-line, so that `^` and `$`
        see the separator between strings as a line end, and case-insensitive unless `case_sensitive`."""
        return f"(?m){self.regex}" if self.case_sensitive else f"(?mi){self.regex}"


class _RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[dict[str, Any]]


_OPTIONS = re2.Options()
_OPTIONS.log_errors = False


def re2_compile(pattern: str | bytes) -> Any:
    """Compile with RE2 quietly (it logs parse errors to stderr by default)."""
    return re2.compile(pattern, _OPTIONS)


def check_linear(pattern: str) -> None:
    """Raise ValueError unless `pattern` is in the linear-time subset GuardMesh accepts."""
    try:
        tree = _sre.parse(pattern)
    except Exception as exc:  # re.error, or RecursionError on absurd nesting
        raise ValueError(f"not a valid regex: {exc}") from None
    _walk(tree, unbounded_above=False, product=1)
    try:
        compiled = re2_compile(pattern)
    except re2.error as exc:
        raise ValueError(f"RE2 rejects it: {exc}") from None
    if compiled.programsize > MAX_PROGRAM_SIZE:
        raise ValueError(f"compiles to {compiled.programsize} RE2 instructions (limit {MAX_PROGRAM_SIZE})")
    if compiled.search("") is not None:
        raise ValueError("matches the empty string")


_REJECTED = {
    "GROUPREF": "backreferences",
    "GROUPREF_EXISTS": "conditional groups",
    "ASSERT": "lookarounds",
    "ASSERT_NOT": "lookarounds",
    "ATOMIC_GROUP": "atomic groups",
    "POSSESSIVE_REPEAT": "possessive repeats",
}


def _walk(items: Iterable[tuple[Any, Any]], unbounded_above: bool, product: int) -> None:
    for op, arg in items:
        name = str(op)
        if name in _REJECTED:
            raise ValueError(f"uses {_REJECTED[name]}, which are not linear-time")
        if name == "AT" and str(arg) in ("AT_BEGINNING_STRING", "AT_END_STRING"):
            raise ValueError("uses \\A or \\Z; use ^ and $, which match at the start and end of each string")
        if name in ("MAX_REPEAT", "MIN_REPEAT"):
            _low, high, sub = arg
            unbounded = high is _sre_c.MAXREPEAT
            if unbounded and unbounded_above:
                raise ValueError("nests unbounded repeats (catastrophic backtracking in backtracking engines)")
            if unbounded and _has_branch(sub):
                raise ValueError("nests unbounded repeats over alternatives (catastrophic backtracking)")
            if not unbounded and high > MAX_REPEAT_COUNT:
                raise ValueError(f"repeats {high} times (limit {MAX_REPEAT_COUNT})")
            inner = product * (1 if unbounded else max(high, 1))
            if inner > MAX_REPEAT_PRODUCT:
                raise ValueError(f"nested repeats expand to {inner} copies (limit {MAX_REPEAT_PRODUCT})")
            _walk(sub, unbounded_above or unbounded, inner)
        elif name == "SUBPATTERN":
            _walk(arg[-1], unbounded_above, product)
        elif name == "BRANCH":
            for branch in arg[1]:
                _walk(branch, unbounded_above, product)


def _has_branch(items: Iterable[tuple[Any, Any]]) -> bool:
    for op, arg in items:
        name = str(op)
        if name == "BRANCH" or (name == "SUBPATTERN" and _has_branch(arg[-1])):
            return True
        if name in ("MAX_REPEAT", "MIN_REPEAT") and _has_branch(arg[2]):
            return True
    return False


class CompiledRule:
    """A rule ready to verify a candidate match: its RE2 regex over UTF-8 bytes, and its validator.

    The regex is compiled on first use: most rules never fire in a sidecar's life, and 300 compiled
    RE2 programs hold a few megabytes (the load already proved that each one compiles)."""

    __slots__ = ("_regex", "index", "rule", "scopes", "validator", "value_group")

    def __init__(self, index: int, rule: Rule) -> None:
        self.index = index
        self.rule = rule
        self.scopes = rule.scopes
        self.validator: Validator | None = resolve(rule.validator) if rule.validator else None
        self._regex: Any = None
        self.value_group = 0
        """Number of the `value` group, 0 (the whole match) when the rule has none."""

    @property
    def regex(self) -> Any:
        """RE2 regex of the UTF-8 encoded pattern, run on the message's encoded text."""
        if self._regex is None:  # a race compiles twice, harmlessly
            regex = re2_compile(self.rule.flagged_regex.encode())
            self.value_group = regex.groupindex.get(b"value", 0)
            self._regex = regex
        return self._regex


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Validated rules, in load order, with their compiled forms."""

    rules: tuple[Rule, ...]
    compiled: tuple[CompiledRule, ...]

    def __len__(self) -> int:
        return len(self.rules)

    def by_id(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    @classmethod
    def of(cls, rules: Sequence[Rule]) -> "RuleSet":
        seen: set[str] = set()
        compiled = []
        for index, rule in enumerate(rules):
            if rule.id in seen:
                raise RuleError(f"rule {rule.id!r}: duplicate id")
            seen.add(rule.id)
            compiled.append(CompiledRule(index, rule))
        return cls(tuple(rules), tuple(compiled))


def parse_rules(source: str, name: str, shipped: bool = False) -> list[Rule]:
    """Parse and validate one rule file's text; `name` is used in error messages. `shipped` rules skip
    the linear-time check, which the test suite runs on them."""
    try:
        data = yaml.load(source, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader, libyaml's when present
    except yaml.YAMLError as exc:
        raise RuleError(f"{name}: not valid YAML: {exc}") from None
    try:
        entries = _RuleFile.model_validate(data).rules
    except ValidationError as exc:
        raise RuleError(f"{name}: expected a mapping with a `rules` list: {_first_error(exc)}") from None
    rules = []
    for position, entry in enumerate(entries):
        label = entry.get("id") if isinstance(entry.get("id"), str) else f"#{position + 1}"
        try:
            rules.append(Rule.model_validate(entry, context={SHIPPED: shipped}))
        except ValidationError as exc:
            raise RuleError(f"{name}: rule {label!r}: {_first_error(exc)}") from None
    return rules


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def load_rules(paths: Iterable[Path] | None = None) -> RuleSet:
    """Load rule files (default: every file the package ships) into one RuleSet; ids must be unique."""
    sources: list[tuple[str, str]] = []
    shipped = paths is None
    if paths is None:
        folder = importlib.resources.files("guardmesh.engine").joinpath("rules")
        for item in sorted(folder.iterdir(), key=lambda i: i.name):
            if item.name.endswith((".yaml", ".yml")):
                sources.append((item.read_text(encoding="utf-8"), f"rules/{item.name}"))
    else:
        sources = [(Path(p).read_text(encoding="utf-8"), str(p)) for p in paths]
    rules: list[Rule] = []
    owner: dict[str, str] = {}
    for text, name in sources:
        for rule in parse_rules(text, name, shipped):
            if rule.id in owner:
                raise RuleError(f"{name}: rule {rule.id!r}: duplicate id (first defined in {owner[rule.id]})")
            owner[rule.id] = name
            rules.append(rule)
    return RuleSet.of(rules)

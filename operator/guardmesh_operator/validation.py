"""Check SecurityGuard and Policy specs beyond the schema, with messages that name the field and say why."""

from collections.abc import Collection, Iterator, Mapping
from typing import Any

import cel
import jsonschema  # type: ignore[import-untyped]
import re2
from jsonschema.validators import validator_for  # type: ignore[import-untyped]
from pydantic import ValidationError

from guardmesh.config.identity import CONDITION_VARIABLES
from guardmesh.config.models import PolicySpec, SecurityGuardSpec
from guardmesh.config.native import ToolAccessSettings


class Invalid(ValueError):
    """A spec that cannot be used; `problems` holds one `field: why` line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _path(loc: tuple[int | str, ...], prefix: str = "spec") -> str:
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def pydantic_problems(exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors():
        # Discriminated unions add the tag value to the location (`native.pii.actions`); drop it.
        loc = tuple(p for i, p in enumerate(err["loc"]) if not (i > 0 and err["loc"][i - 1] == "native"))
        loc = tuple(p for p in loc if p != "[key]")
        if err["type"] == "extra_forbidden":
            why = "unknown setting: not a field of this guard" + (" kind" if "native" in loc else "")
        else:
            why = err["msg"].removeprefix("Value error, ")
        problems.append(f"{_path(loc)}: {why}")
    return problems


def parse_guard(spec: Mapping[str, Any]) -> SecurityGuardSpec:
    """The typed spec of a SecurityGuard, or Invalid naming every bad field."""
    try:
        guard = SecurityGuardSpec.model_validate(dict(spec))
    except ValidationError as exc:
        raise Invalid(pydantic_problems(exc)) from None
    problems = list(_native_problems(guard))
    if problems:
        raise Invalid(problems)
    return guard


def _native_problems(guard: SecurityGuardSpec) -> Iterator[str]:
    if isinstance(guard.native, ToolAccessSettings):
        for glob, schema in guard.native.argument_schemas.items():
            field = f"spec.native.argumentSchemas[{glob}]"
            yield from _schema_problems(schema, field)


def _schema_problems(schema: Mapping[str, Any], field: str) -> Iterator[str]:
    """A JSON Schema the sidecar would refuse: invalid for its dialect, or with a regex RE2 cannot run."""
    try:
        validator_for(schema).check_schema(schema)
    except jsonschema.exceptions.SchemaError as exc:
        where = ".".join(str(p) for p in exc.absolute_path)
        yield f"{field}{'.' + where if where else ''}: not a valid JSON Schema: {exc.message}"
        return
    for where, pattern in _patterns(schema, field, 0):
        try:
            re2.compile(pattern)
        except re2.error as exc:
            # The sidecar runs schema patterns on RE2 (linear time): backreferences and lookarounds are refused.
            reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
            yield f"{where}: RE2 cannot compile {pattern!r}: {reason}"


def _patterns(node: Any, where: str, depth: int) -> Iterator[tuple[str, str]]:
    if depth > 64:
        return
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield f"{where}.pattern", node["pattern"]
        if isinstance(node.get("patternProperties"), dict):
            yield from ((f"{where}.patternProperties", key) for key in node["patternProperties"])
        for key, value in node.items():
            yield from _patterns(value, f"{where}.{key}", depth + 1)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _patterns(value, f"{where}[{i}]", depth + 1)


def parse_policy(spec: Mapping[str, Any], guards: Collection[str] | None = None, namespace: str = "") -> PolicySpec:
    """The typed spec of a Policy; with `guards` (the namespace's SecurityGuard names), references are checked."""
    try:
        policy = PolicySpec.model_validate(dict(spec))
    except ValidationError as exc:
        raise Invalid(pydantic_problems(exc)) from None
    problems = []
    if guards is not None:
        for i, ref in enumerate(policy.guards):
            if ref.name not in guards:
                where = f" in namespace {namespace}" if namespace else ""
                problems.append(f"spec.guards[{i}].name: SecurityGuard {ref.name!r} does not exist{where}")
    problems.extend(_condition_problems(policy))
    seen: set[str] = set()
    for i, ref in enumerate(policy.guards):
        if ref.name in seen:
            problems.append(f"spec.guards[{i}].name: {ref.name!r} is listed twice")
        seen.add(ref.name)
    if problems:
        raise Invalid(problems)
    return policy


def _condition_problems(policy: PolicySpec) -> Iterator[str]:
    """Argument conditions the sidecar could not compile, or that read variables it does not provide."""
    if policy.authorization is None:
        return
    for i, rule in enumerate(policy.authorization.rules):
        if rule.when is None:
            continue
        field = f"spec.authorization.rules[{i}].when"
        try:
            program = cel.compile(rule.when)
        except ValueError as exc:
            yield f"{field}: not a valid CEL expression: {str(exc).splitlines()[0]}"
            continue
        unknown = sorted(set(program.variables()) - CONDITION_VARIABLES)
        if unknown:
            known = ", ".join(sorted(CONDITION_VARIABLES))
            yield f"{field}: unknown variable {', '.join(unknown)} (a condition may read {known})"


def missing_guards(policy: PolicySpec, guards: Collection[str]) -> list[str]:
    """Names the Policy references that are not among `guards`."""
    return [ref.name for ref in policy.guards if ref.name not in guards]

"""values.schema.json and the values table of docs/chart.md, generated from the comments in values.yaml.

    hack/chart-values.py --write    # regenerate both
    hack/chart-values.py --check    # exit 1 when either is stale or a value has no comment

Each key's comment is the lines of `#` directly above it. The type comes from the default value; a
comment line `# @schema {...}` adds JSON Schema keywords, and `# @free` marks a map whose keys are
the user's (labels, resources). Every other map rejects unknown keys. Written by hand because the
comment-driven generators are Go or Node tools the project does not otherwise need.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
CHART = REPO / "charts" / "guardmesh"
VALUES = CHART / "values.yaml"
SCHEMA = CHART / "values.schema.json"
DOC = REPO / "docs" / "chart.md"
BEGIN, END = "<!-- values:begin (hack/chart-values.py) -->", "<!-- values:end -->"
KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.-]+):(\s|$)")


@dataclass
class Note:
    """What the comment above one key says."""

    text: list[str] = field(default_factory=list)
    schema: dict[str, Any] = field(default_factory=dict)
    free: bool = False


class ValuesError(ValueError):
    """values.yaml breaks a rule of this generator; the message names the line."""


def read_notes(text: str) -> dict[tuple[str, ...], Note]:
    """The comment of every key path, skipping the inside of lists and free maps (their keys are data)."""
    notes: dict[tuple[str, ...], Note] = {}
    stack: list[tuple[int, tuple[str, ...]]] = []
    pending = Note()
    opaque: int | None = None  # indent of a key whose children are data, not values
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if opaque is not None and stripped and indent > opaque:
            continue
        opaque = None
        if not stripped:
            pending = Note()
            continue
        if stripped.startswith("#"):
            body = stripped.lstrip("#").strip()
            if body.startswith("@schema"):
                try:
                    pending.schema.update(json.loads(body.removeprefix("@schema")))
                except ValueError as exc:
                    raise ValuesError(f"values.yaml:{number}: bad @schema JSON: {exc}") from None
            elif body == "@free":
                pending.free = True
            else:
                pending.text.append(body)
            continue
        if stripped.startswith("-"):
            raise ValuesError(f'values.yaml:{number}: a list needs `# @schema {{"items": ...}}` on its key')
        match = KEY.match(line)
        if match is None:
            raise ValuesError(f"values.yaml:{number}: expected `key: value`, got {stripped[:60]!r}")
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = (*(stack[-1][1] if stack else ()), match["key"])
        if not pending.text:
            raise ValuesError(f"values.yaml:{number}: {'.'.join(path)} has no comment")
        notes[path] = pending
        stack.append((indent, path))
        if pending.free or "items" in pending.schema:
            opaque = indent
        pending = Note()
    return notes


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise ValuesError(f"no JSON type for {value!r}; give one with @schema")


def schema_of(value: Any, path: tuple[str, ...], notes: dict[tuple[str, ...], Note]) -> dict[str, Any]:
    """The schema of one value: its type, description, nested properties, then the @schema keywords."""
    note = notes.get(path, Note())
    out: dict[str, Any] = {}
    if path:
        out["description"] = " ".join(note.text)
    out["type"] = _type(value)
    if isinstance(value, dict) and not note.free:
        out["additionalProperties"] = False
        out["properties"] = {}
        for key, child in value.items():
            if (*path, key) not in notes:
                raise ValuesError(f"values.yaml: {'.'.join((*path, key))} has no comment")
            out["properties"][key] = schema_of(child, (*path, key), notes)
    out.update(note.schema)
    return out


def build_schema(text: str) -> dict[str, Any]:
    values = yaml.safe_load(text)
    schema = schema_of(values, (), read_notes(text))
    return {"$schema": "https://json-schema.org/draft-07/schema#", "title": "GuardMesh chart values", **schema}


def _rows(schema: dict[str, Any], values: Any, prefix: str = "") -> list[str]:
    rows = []
    for key, sub in schema.get("properties", {}).items():
        name, value = f"{prefix}{key}", values.get(key)
        if "properties" in sub:
            rows += _rows(sub, value, f"{name}.")
            continue
        shown = json.dumps(value) if not isinstance(value, list) or len(json.dumps(value)) < 40 else "(see values.yaml)"
        types = sub["type"] if isinstance(sub["type"], str) else " or ".join(sub["type"])
        text = sub["description"].replace("|", "\\|")
        rows.append(f"| `{name}` | {types} | `{shown}` | {text} |")
    return rows


def build_table(text: str, schema: dict[str, Any]) -> str:
    lines = ["| value | type | default | what it does |", "|---|---|---|---|"]
    return "\n".join(lines + _rows(schema, yaml.safe_load(text)))


def _with_table(doc: str, table: str) -> str:
    if BEGIN not in doc or END not in doc:
        raise ValuesError(f"{DOC.relative_to(REPO)} lacks the markers {BEGIN} ... {END}")
    head, rest = doc.split(BEGIN, 1)
    return f"{head}{BEGIN}\n{table}\n{END}{rest.split(END, 1)[1]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = VALUES.read_text()
    try:
        schema = build_schema(text)
        doc = _with_table(DOC.read_text(), build_table(text, schema))
    except ValuesError as exc:
        print(f"chart-values: {exc}", file=sys.stderr)
        return 1
    schema_text = json.dumps(schema, indent=2) + "\n"
    if args.write:
        SCHEMA.write_text(schema_text)
        DOC.write_text(doc)
        return 0
    stale = [p for p, want in ((SCHEMA, schema_text), (DOC, doc)) if not p.exists() or p.read_text() != want]
    for path in stale:
        print(f"chart-values: {path.relative_to(REPO)} is stale; run hack/chart-values.py --write", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())

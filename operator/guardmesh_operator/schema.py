"""Turn a pydantic model's JSON Schema into a Kubernetes structural schema.

Kubernetes accepts a subset of OpenAPI v3: no `$ref`, no `const`, no `additionalProperties: false`
(unknown fields are pruned or, with field validation, refused), no `propertyNames`, no null types, and
a `oneOf` may not introduce fields. Hand-written because no library maps pydantic to CRD schemas.
"""

import copy
import json
from typing import Any

from pydantic import BaseModel

Schema = dict[str, Any]

_DROP = {"title", "discriminator", "$schema"}


class SchemaError(ValueError):
    """A model whose schema has no structural equivalent."""


def structural(model: type[BaseModel]) -> Schema:
    """The structural schema of `model` as it reads camelCase JSON."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    defs = raw.pop("$defs", {})
    return _convert(raw, defs)


def _resolve(node: Schema, defs: Schema) -> Schema:
    """Inline a `$ref`, keeping the referring node's own description and default."""
    if "$ref" not in node:
        return node
    target = copy.deepcopy(defs[node["$ref"].rsplit("/", 1)[-1]])
    target.update({k: v for k, v in node.items() if k != "$ref"})
    return _resolve(target, defs)


def _convert(node: Schema, defs: Schema) -> Schema:
    node = _resolve(node, defs)
    variants = node.get("anyOf")
    if variants is not None:
        # `X | None` is an optional field: Kubernetes leaves it out rather than sending null.
        real = [v for v in variants if v != {"type": "null"}]
        if len(real) != 1:
            raise SchemaError(f"cannot express a union of {len(real)} types: {json.dumps(variants)[:200]}")
        outer = {k: v for k, v in node.items() if k not in ("anyOf", "default") or (k == "default" and v is not None)}
        return _convert({**_resolve(real[0], defs), **outer}, defs)
    if "oneOf" in node:
        return _merge_variants(node, defs)
    out: Schema = {}
    for key, value in node.items():
        if key in _DROP or value is None:
            continue
        if key == "const":
            out["enum"] = [value]
        elif key == "properties":
            out["properties"] = {name: _convert(sub, defs) for name, sub in value.items()}
        elif key == "items":
            out["items"] = _convert(value, defs)
        elif key == "additionalProperties":
            if value is True:
                out["x-kubernetes-preserve-unknown-fields"] = True
            elif isinstance(value, dict):
                out["additionalProperties"] = _convert(value, defs)
        elif key == "propertyNames":
            names = value.get("enum", [])
            out["maxProperties"] = len(names)
            out.setdefault("x-kubernetes-validations", []).append(
                {"rule": f"self.all(k, k in {json.dumps(names)})", "message": f"keys must be among {', '.join(names)}"}
            )
        elif key == "exclusiveMinimum":
            out["minimum"], out["exclusiveMinimum"] = value, True
        elif key == "exclusiveMaximum":
            out["maximum"], out["exclusiveMaximum"] = value, True
        elif key == "default":
            out["default"] = _without_nulls(value)
        elif key == "description":
            out["description"] = " ".join(value.split())
        else:
            out[key] = value
    if not out.get("type") and not out.get("x-kubernetes-preserve-unknown-fields"):
        # An unconstrained value (`Any`): free-form, kept as written.
        out["x-kubernetes-preserve-unknown-fields"] = True
    return out


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _merge_variants(node: Schema, defs: Schema) -> Schema:
    """A discriminated union as one object: the union of the variants' fields, plus CEL rules that
    allow each field only for the kinds that have it (and only the values that kind accepts)."""
    tag = node["discriminator"]["propertyName"]
    variants = [_convert(v, defs) for v in node["oneOf"]]
    kinds = [v["properties"][tag]["enum"][0] for v in variants]
    fields: dict[str, list[tuple[str, Schema]]] = {}
    for kind, variant in zip(kinds, variants, strict=True):
        for name, sub in variant["properties"].items():
            if name != tag:
                fields.setdefault(name, []).append((kind, sub))
    properties: Schema = {tag: {"type": "string", "enum": kinds, "description": f"Which guard: {', '.join(kinds)}."}}
    rules: list[Schema] = []
    for name, per_kind in fields.items():
        properties[name] = _unify(name, per_kind)
        owners = [kind for kind, _ in per_kind]
        if len(owners) < len(kinds):
            rules.append(
                {
                    "rule": f"!has(self.{_cel_field(name)}) || self.{tag} in {json.dumps(owners)}",
                    "message": f"{name} is a setting of {', '.join(owners)} only",
                }
            )
        enums = {kind: sub.get("enum") for kind, sub in per_kind}
        if len({json.dumps(e) for e in enums.values()}) > 1:
            clauses = " || ".join(
                f"(self.{tag} == '{k}' && self.{_cel_field(name)} in {json.dumps(e)})" for k, e in enums.items()
            )
            rules.append(
                {"rule": f"!has(self.{_cel_field(name)}) || {clauses}", "message": f"{name} is not valid for this kind"}
            )
    out: Schema = {"type": "object", "required": [tag], "properties": properties, "x-kubernetes-validations": rules}
    if "description" in node:
        out["description"] = " ".join(node["description"].split())
    return out


def _unify(name: str, per_kind: list[tuple[str, Schema]]) -> Schema:
    """One schema for a field several kinds share; defaults are left to the sidecar, as they differ by kind."""
    bodies = [{k: v for k, v in sub.items() if k not in ("default", "description")} for _, sub in per_kind]
    first = dict(bodies[0])
    for body in bodies[1:]:
        if body == first:
            continue
        if set(body) == set(first) == {"type", "enum"} and body["type"] == first["type"]:
            first["enum"] = first["enum"] + [e for e in body["enum"] if e not in first["enum"]]
            continue
        raise SchemaError(f"field {name} has different shapes in different kinds")
    docs: dict[str, list[str]] = {}
    for kind, sub in per_kind:
        if "description" in sub:
            docs.setdefault(sub["description"], []).append(kind)
    if len(docs) == 1:
        first["description"] = next(iter(docs))
    elif docs:
        first["description"] = " ".join(f"({', '.join(ks)}) {doc}" for doc, ks in docs.items())
    return first


def _cel_field(name: str) -> str:
    """A field name as CEL reads it; camelCase names need no escaping, and nothing else is generated."""
    if not name.isidentifier():
        raise SchemaError(f"field {name} needs CEL escaping")
    return name

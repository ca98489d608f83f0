"""The bridge between a `guardmesh_guard.Guard` and the generated bindings of `guardmesh:guard@0.1.0`."""

from __future__ import annotations

import json
from typing import Any

from componentize_py_types import Err  # type: ignore[import-not-found]
from wit_world import exports  # type: ignore[import-not-found]
from wit_world.imports import types  # type: ignore[import-not-found]

from guardmesh_guard import Allow, Context, Deny, Guard, Message, Verdict

_PHASES = {p: p.name.lower().replace("_", "-") for p in types.Phase}
_DIRECTIONS = {d: d.name.lower().replace("_", "-") for d in types.Direction}
_ALLOW = types.Verdict_Allow()

# One guard per component instance: the host builds a new instance per pool slot and calls
# `configure` on each before any `evaluate`, so module state is per instance.
_guard: Guard | None = None


def _lower(verdict: Verdict) -> Any:
    if isinstance(verdict, Allow):
        return _ALLOW
    if isinstance(verdict, Deny):
        return types.Verdict_Deny(types.Denial(code=verdict.code, message=verdict.message))
    text = verdict.message if isinstance(verdict.message, str) else json.dumps(verdict.message)
    return types.Verdict_Modify(text)


def exported(guard_class: type[Guard]) -> type:
    class Exported(exports.Guard):  # type: ignore[misc]
        def configure(self, config: str) -> None:
            global _guard
            try:
                parsed = json.loads(config) if config.strip() else {}
            except ValueError as exc:
                raise Err(f"config is not JSON: {exc}") from None
            try:
                _guard = guard_class.configure(parsed)
            except (ValueError, TypeError, KeyError) as exc:
                raise Err(str(exc) or type(exc).__name__) from None

        def evaluate(self, context: Any, message: str) -> Any:
            if _guard is None:
                return types.Verdict_Deny(types.Denial(code="not-configured", message="the guard was never configured"))
            ctx = Context(
                server_id=context.server_id,
                phase=_PHASES[context.phase],
                direction=_DIRECTIONS[context.direction],
                method=context.method,
                target=context.target,
                session_id=context.session_id,
                protocol_version=context.protocol_version,
            )
            return _lower(_guard.evaluate(ctx, Message(message)))

    Exported.__name__ = Exported.__qualname__ = "Guard"
    return Exported

"""A fast call of `evaluate` through wasmtime's C API, for exactly the contract's parameter types.

wasmtime-py's generic `Func.__call__` inspects the function's types anew on every call: about
100 µs to lower the 7-field context record and 25 µs to lift the verdict (hack/bench/wasm.py). The
C API takes values by field and case *name*, so with the names known up front the same call costs
a few µs. `check_signature` compares the guest's real types with the contract once, at load, and
wasmtime type-checks every value at the call as well, so a mismatch is an error, never corruption.

It uses wasmtime-py's `_ffi` bindings and `Func._func`, which are not public: wasmtime is pinned
(50.0.1) and tests/unit/wasm exercises every path here (allow, deny, modify, traps, bad verdicts), so
an upgrade that moves them fails there first.
"""

import ctypes
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi
from wasmtime import component as wc
from wasmtime.component._enter import enter_wasm

from guardmesh.guards.wasm.contract import CONTEXT_FIELDS, DENIAL_FIELDS, VERDICT_CASES

_ENUM_FIELDS = frozenset({"phase", "direction"})
_REQUIRED_FIELDS = frozenset({"server-id"})


class SignatureError(ValueError):
    """The guest's `evaluate` or `configure` does not have the contract's types."""


def check_signature(store: wasmtime.Store, evaluate: wc.Func, configure: wc.Func) -> None:
    """Raise SignatureError unless both functions have exactly the contract's parameter and result types."""
    ftype = evaluate.type(store)
    params = ftype.params
    if [name for name, _ in params] != ["context", "message"]:
        raise SignatureError(f"evaluate takes {[n for n, _ in params]}, not (context, message)")
    context, message = params[0][1], params[1][1]
    if not isinstance(context, wc.RecordType) or [n for n, _ in context.fields] != list(CONTEXT_FIELDS):
        raise SignatureError("evaluate's context is not the contract's record")
    for name, ty in context.fields:
        expected: type = (
            wc.EnumType if name in _ENUM_FIELDS else wc.String if name in _REQUIRED_FIELDS else wc.OptionType
        )
        if not isinstance(ty, expected):
            raise SignatureError(f"context field {name} has the wrong type")
    if not isinstance(message, wc.String):
        raise SignatureError("evaluate's message is not a string")
    result = ftype.result
    if not isinstance(result, wc.VariantType) or [n for n, _ in result.cases] != list(VERDICT_CASES):
        raise SignatureError("evaluate does not return the contract's verdict")
    cases = dict(result.cases)
    denial = cases["deny"]
    if not isinstance(denial, wc.RecordType) or [n for n, _ in denial.fields] != list(DENIAL_FIELDS):
        raise SignatureError("verdict's deny case is not the contract's denial")
    if not isinstance(cases["modify"], wc.String) or cases["allow"] is not None:
        raise SignatureError("verdict's allow or modify case has the wrong type")
    ctype = configure.type(store)
    if [n for n, _ in ctype.params] != ["config"] or not isinstance(ctype.result, wc.ResultType):
        raise SignatureError("configure is not configure(config: string) -> result<_, string>")


def _fill(vec: Any, data: bytes) -> None:
    # wasmtime-py's str_to_capi copies twice through a ctypes array; memmove takes bytes directly.
    ffi.wasm_byte_vec_new_uninitialized(ctypes.byref(vec), len(data))
    ctypes.memmove(vec.data, data, len(data))


_TEMPLATES: dict[str, Any] = {}


def _copy_name(vec: Any, name: str) -> None:
    """Field and enum case names repeat on every call: copy a prepared vector in one C call."""
    template = _TEMPLATES.get(name)
    if template is None:
        template = ffi.wasm_byte_vec_t()
        _fill(template, name.encode())
        _TEMPLATES[name] = template
    ffi.wasm_byte_vec_copy(ctypes.byref(vec), ctypes.byref(template))


def _string(val: Any, text: str) -> None:
    val.kind = ffi.WASMTIME_COMPONENT_STRING
    _fill(val.of.string, text.encode())


def _option(val: Any, text: str | None) -> None:
    val.kind = ffi.WASMTIME_COMPONENT_OPTION
    if text is None:
        val.of.option = None
    else:
        inner = ffi.wasmtime_component_val_t()
        _string(inner, text)
        val.of.option = ffi.wasmtime_component_val_new(ctypes.byref(inner))


_RECORDS: dict[tuple[str | None, ...], Any] = {}
_RECORDS_LIMIT = 1024
"""Lowered context records kept for reuse: contexts repeat (same server, session, method, tool)."""


def _lower_context(val: Any, context: dict[str, str | None]) -> None:
    key = tuple(context.get(name) for name in CONTEXT_FIELDS)
    template = _RECORDS.get(key)
    if template is None:
        template = _build_context(context)
        if len(_RECORDS) >= _RECORDS_LIMIT:
            ffi.wasmtime_component_valrecord_delete(ctypes.byref(_RECORDS.pop(next(iter(_RECORDS)))))
        _RECORDS[key] = template
    # One C call copies the whole record; building it field by field from Python costs ~15 µs.
    record = ffi.wasmtime_component_valrecord_t()
    ffi.wasmtime_component_valrecord_copy(ctypes.byref(record), ctypes.byref(template))
    val.kind = ffi.WASMTIME_COMPONENT_RECORD
    val.of.record = record


def _build_context(context: dict[str, str | None]) -> Any:
    record = ffi.wasmtime_component_valrecord_t()
    ffi.wasmtime_component_valrecord_new_uninit(record, len(CONTEXT_FIELDS))
    for i, name in enumerate(CONTEXT_FIELDS):
        entry = record.data[i]
        _copy_name(entry.name, name)
        value = context.get(name)
        if name in _ENUM_FIELDS:
            entry.val.kind = ffi.WASMTIME_COMPONENT_ENUM
            _copy_name(entry.val.of.enumeration, value or "")
        elif name in _REQUIRED_FIELDS:
            _string(entry.val, value or "")
        else:
            _option(entry.val, value)
    return record


def _text(vec: Any) -> str:
    return ffi.to_str(vec)


def _lift_verdict(val: Any) -> tuple[str, str, str]:
    """(case, first text, second text): allow → ("allow", "", ""), deny → ("deny", code, message),
    modify → ("modify", new message, "")."""
    if val.kind != ffi.WASMTIME_COMPONENT_VARIANT.value:
        raise TypeError("evaluate returned something other than a verdict")
    case = _text(val.of.variant.discriminant)
    payload = val.of.variant.val
    if case == "allow":
        return case, "", ""
    if not payload:
        raise TypeError(f"verdict {case} has no payload")
    inner = payload.contents
    if case == "modify" and inner.kind == ffi.WASMTIME_COMPONENT_STRING.value:
        return case, _text(inner.of.string), ""
    if case == "deny" and inner.kind == ffi.WASMTIME_COMPONENT_RECORD.value:
        fields = {_text(inner.of.record.data[i].name): inner.of.record.data[i].val for i in range(inner.of.record.size)}
        code, message = fields.get("code"), fields.get("message")
        if code is None or message is None:
            raise TypeError("denial lacks code or message")
        return case, _text(code.of.string), _text(message.of.string)
    raise TypeError(f"unknown verdict case {case!r}")


def evaluate(
    func: wc.Func, store: wasmtime.Store, context: dict[str, str | None], message: str
) -> tuple[str, str, str]:
    """Call the guest's `evaluate`; traps and wasmtime errors propagate as wasmtime exceptions."""
    params = (ffi.wasmtime_component_val_t * 2)()
    lowered = 0
    result = ffi.wasmtime_component_val_t()
    try:
        _lower_context(params[0], context)
        lowered = 1
        _string(params[1], message)
        lowered = 2
        raw = func._func
        enter_wasm(
            lambda: ffi.wasmtime_component_func_call(
                ctypes.byref(raw),
                store._context(),
                params,
                2,
                ctypes.byref(result),
                1,
            )
        )
        try:
            return _lift_verdict(result)
        finally:
            ffi.wasmtime_component_val_delete(ctypes.byref(result))
    finally:
        for i in range(lowered):
            ffi.wasmtime_component_val_delete(ctypes.byref(params[i]))

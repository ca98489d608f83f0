"""What wasmtime's Python component API costs to hand a guest one message, by parameter type.

The guest (hack/bench/marshal-guest, built by hack/build-guards.sh) only reads the length of what it
gets, so the figures are the host's marshalling plus one call. Three shapes of the same message:
one `string` (the JSON text), one `list<u8>` (the JSON bytes) and a `record` of typed fields with
a `list<tool>`. Each figure includes building the argument from the decoded message, as the
sidecar would have to. All shapes run in one process on the same messages.

    .venv/bin/python hack/bench/wasm_marshal.py [--iterations 2000]
"""

from __future__ import annotations

import argparse
import functools
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import wasmtime
from timing import timed  # the bench folder's own module
from wasmtime import component as wc

ROOT = Path(__file__).resolve().parents[2]
EXPORT = "guardmesh:marshal-bench/bench@0.1.0"


def tools_call(size: int) -> dict[str, Any]:
    """A `tools/call` request of about `size` bytes of JSON, with a few arguments."""
    body: dict[str, Any] = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": "search_docs", "arguments": {"query": "", "limit": 10, "lang": "en"}},
    }
    pad = size - len(orjson.dumps(body))
    body["params"]["arguments"]["query"] = ("quarterly revenue by region " * (pad // 28 + 1))[: max(pad, 0)]
    return body


def tools_list(count: int) -> dict[str, Any]:
    """A `tools/list` result with `count` tools, each with a description and a small input schema."""
    tools = [
        {
            "name": f"tool_{i}",
            "title": f"Tool {i}",
            "description": f"Looks up record {i} in the inventory and returns its current state and history.",
            "inputSchema": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "verbose": {"type": "boolean"}},
                "required": ["id"],
            },
        }
        for i in range(count)
    ]
    return {"jsonrpc": "2.0", "id": 2, "result": {"tools": tools}}


def _record(fields: dict[str, Any]) -> wc.Record:
    record = wc.Record()
    for name, value in fields.items():
        setattr(record, name, value)
    return record


def as_record(body: dict[str, Any]) -> wc.Record:
    """The message as the typed record a structured contract would carry."""
    params = body.get("params") or {}
    arguments = params.get("arguments") or {}
    tools = (body.get("result") or {}).get("tools") or []
    return _record(
        {
            "id": None if body.get("id") is None else str(body["id"]),
            "method": body.get("method"),
            "tool-name": params.get("name"),
            "arguments": [(k, orjson.dumps(v).decode()) for k, v in arguments.items()],
            "tools": [
                _record(
                    {
                        "name": t["name"],
                        "title": t.get("title"),
                        "description": t.get("description"),
                        "input-schema": orjson.dumps(t.get("inputSchema")).decode(),
                    }
                )
                for t in tools
            ],
        }
    )


def _call(func: wc.Func, store: wasmtime.Store, body: dict[str, Any], shape: Callable[[Any], object]) -> object:
    return func(store, shape(body))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--iterations", type=int, default=2000)
    args = parser.parse_args()
    built = subprocess.run(
        ["bash", str(ROOT / "hack/build-guards.sh")], check=True, capture_output=True, text=True
    ).stdout.split()[-1]
    engine = wasmtime.Engine()
    component = wc.Component.from_file(engine, str(Path(built) / "marshal-bench-guest.wasm"))
    linker = wc.Linker(engine)
    linker.define_unknown_imports_as_traps(component)
    store = wasmtime.Store(engine)
    instance = linker.instantiate(store, component)
    iface = instance.get_export_index(store, EXPORT)
    funcs = {}
    for name in ("as-string", "as-bytes", "as-record"):
        index = instance.get_export_index(store, name, iface)
        func = instance.get_func(store, index) if index is not None else None
        if func is None:
            raise SystemExit(f"the bench guest does not export {name}")
        funcs[name] = func

    messages = {
        "tools/call 1 KB": tools_call(1024),
        "tools/call 4 KB": tools_call(4096),
        "tools/list 20 tools": tools_list(20),
    }
    print(f"wasmtime-py component API, {args.iterations} calls each; µs per call, p50 / p99")
    print(f"{'message':<22}{'bytes':>7}  {'string':>15}  {'list<u8>':>15}  {'record':>15}")
    for label, body in messages.items():
        size = len(orjson.dumps(body))
        shapes: dict[str, Callable[[], object]] = {
            "as-string": functools.partial(_call, funcs["as-string"], store, body, lambda b: orjson.dumps(b).decode()),
            "as-bytes": functools.partial(_call, funcs["as-bytes"], store, body, orjson.dumps),
            "as-record": functools.partial(_call, funcs["as-record"], store, body, as_record),
        }
        cells = []
        for name in ("as-string", "as-bytes", "as-record"):
            p50, p99 = timed(shapes[name], args.iterations)
            cells.append(f"{p50:7.1f} / {p99:5.0f}")
        print(f"{label:<22}{size:>7}  " + "  ".join(f"{c:>15}" for c in cells))


if __name__ == "__main__":
    main()

"""WebAssembly guard costs, beside a native guard in the same run (not part of the test suite).

For 1 KB and 4 KB `tools/call` requests and a 20-tool `tools/list` result it times one `check`
of the Rust pattern guard (guards/examples/pattern-guard) and, as the baseline, of the native
tool-access guard with the same deny globs; also the bare guest call (`abi.evaluate`) and
wasmtime-py's generic `Func.__call__` for the same call, cold start from the disk cache (deserialize,
link, instantiate, configure), a new instance from a loaded component, and memory per instance.

    .venv/bin/python hack/bench/wasm.py [--iterations 5000]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "sidecar"))
sys.path.insert(0, str(ROOT / "hack" / "bench"))

from timing import rss_kib, timed  # noqa: E402 - the bench folder's own modules
from wasm_marshal import tools_call, tools_list  # noqa: E402

from guardmesh.config.models import SecurityGuardSpec  # noqa: E402
from guardmesh.guards.api import GuardContext  # noqa: E402
from guardmesh.guards.registry import GuardResources, build_guard  # noqa: E402
from guardmesh.protocol.jsonrpc import Direction, Message, classify  # noqa: E402

DENY = ["delete_*", "*exec*", "drop_*"]


def messages() -> dict[str, Message]:
    listing = classify(tools_list(20), Direction.TO_CLIENT)
    listing.method = "tools/list"
    return {
        "tools/call 1 KB": classify(tools_call(1024), Direction.TO_SERVER),
        "tools/call 4 KB": classify(tools_call(4096), Direction.TO_SERVER),
        "tools/list 20 tools": listing,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--iterations", type=int, default=5000)
    args = parser.parse_args()
    built = Path(
        subprocess.run(
            ["bash", str(ROOT / "hack/build-guards.sh")], check=True, capture_output=True, text=True
        ).stdout.split()[-1]
    )
    cache = Path(tempfile.mkdtemp(prefix="guardmesh-wasm-bench-"))
    os.environ["GUARDMESH_WASM_CACHE"] = str(cache)
    ctx = GuardContext("bench", session_id="s-1", protocol_version="2025-11-25")

    before = rss_kib()
    from guardmesh.guards.wasm import abi, engine
    from guardmesh.guards.wasm.guard import WasmGuard
    from guardmesh.guards.wasm.module import Module

    engine.engine()
    imported = rss_kib() - before

    wasm_spec: dict[str, Any] = {
        "type": "wasm",
        "wasm": {"url": (built / "pattern-guard.wasm").as_uri(), "config": {"blockedTools": DENY}},
    }
    native_spec = {"type": "native", "native": {"kind": "tool-access", "deny": DENY, "argumentChecks": []}}
    start = time.perf_counter()
    wasm_guard = build_guard(SecurityGuardSpec.model_validate(wasm_spec), GuardResources())
    first_compile = time.perf_counter() - start
    native_guard = build_guard(SecurityGuardSpec.model_validate(native_spec), GuardResources())
    if not isinstance(wasm_guard, WasmGuard) or wasm_guard.pool is None:
        raise SystemExit("the pattern guard did not load")
    module = wasm_guard.pool.module

    print(f"wasmtime {engine.WASMTIME_VERSION}, {args.iterations} calls each; µs per check, p50 / p99\n")
    print(f"{'message':<22}{'native tool-access':>20}{'wasm guard':>18}{'guest call only':>18}{'generic __call__':>19}")
    for label, message in messages().items():
        if native_guard.check(message, ctx) != wasm_guard.check(message, ctx):
            raise SystemExit(f"{label}: the native and wasm guards disagree, so the comparison is void")

        def wasm_check(m: Message = message) -> object:
            m.cache.clear()  # every check pays for the message's JSON text, as the first wasm guard does
            return wasm_guard.check(m, ctx)

        def native_check(m: Message = message) -> object:
            m.cache.clear()
            return native_guard.check(m, ctx)

        instance = module.instantiate()
        text = orjson.dumps(message.body).decode()
        context: dict[str, str | None] = {
            "server-id": "bench", "session-id": "s-1", "protocol-version": "2025-11-25",
            "phase": message.phase.value, "direction": message.direction.value,
            "method": message.method, "target": message.target,
        }  # fmt: skip
        func = instance._evaluate
        store = instance.store

        def bare(f: Any = func, s: Any = store, c: dict[str, str | None] = context, t: str = text) -> object:
            s.set_epoch_deadline(1_000_000)
            return abi.evaluate(f, s, c, t)

        from wasmtime import component as wc

        record = wc.Record()
        for key, value in context.items():
            setattr(record, key, value)

        def generic(f: Any = func, s: Any = store, r: Any = record, t: str = text) -> object:
            s.set_epoch_deadline(1_000_000)
            return f(s, r, t)

        cells = [timed(native_check, args.iterations), timed(wasm_check, args.iterations),
                 timed(bare, args.iterations), timed(generic, max(args.iterations // 5, 200))]  # fmt: skip
        print(f"{label:<22}" + "".join(f"{p50:>11.1f} / {p99:<5.0f}" for p50, p99 in cells))

    # Cold start from the disk cache: what a new sidecar (or a reload in a new process) pays.
    colds, instances = [], []
    for _ in range(20):
        engine._compiled.clear()
        start = time.perf_counter()
        Module("bench", built / "pattern-guard.wasm", '{"blockedTools":["x"]}', 64 << 20, 0.1, cache).instantiate()
        colds.append((time.perf_counter() - start) * 1000)
    for _ in range(50):
        start = time.perf_counter()
        module.instantiate()
        instances.append((time.perf_counter() - start) * 1000)

    gc.collect()
    before = rss_kib()
    held = [module.instantiate() for _ in range(50)]
    for held_instance in held:
        held_instance.evaluate({"server-id": "x", "phase": "request", "direction": "client-to-server"}, "{}")
    per_instance = (rss_kib() - before) / len(held)

    print()
    print(f"first compile (no cache)                {first_compile * 1000:8.1f} ms")
    print(
        f"cold start from disk cache, p50         {statistics.median(colds):8.2f} ms"
        "   (deserialize, link, instantiate, configure)"
    )
    print(f"new instance from loaded component, p50 {statistics.median(instances):8.2f} ms")
    print(f"memory per instance (RSS, 50 held)      {per_instance:8.0f} KiB")
    print(f"wasmtime import + engine (RSS)          {imported / 1024:8.1f} MiB   (paid only when a wasm guard exists)")


if __name__ == "__main__":
    main()

"""Cost of the Python spoofing guard (componentize-py), beside the native server-spoofing guard in the same run.

Times one `check` for 1 KB and 4 KB `tools/call` requests and a 4 KB `tools/list` result (clean, and
with one imitating tool to filter), cold start from the disk cache (deserialize, link, instantiate,
configure), a new instance from a loaded component, and memory per instance. Not part of the tests.

    .venv/bin/python hack/bench/wasm_python_guest.py [--iterations 3000]
"""

from __future__ import annotations

import argparse
import gc
import logging
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

from timing import rss_kib, timed  # noqa: E402 - beside this file

from guardmesh.config.models import SecurityGuardSpec  # noqa: E402
from guardmesh.guards.api import GuardContext, Verdict  # noqa: E402
from guardmesh.guards.registry import GuardResources, build_guard  # noqa: E402
from guardmesh.protocol.jsonrpc import Direction, Message, classify  # noqa: E402

TRUSTED = [{"name": "trusted-mail", "tools": ["send_email", "read_inbox", "search_mail", "delete_email"]}]
CONFIG = {"trustedServers": TRUSTED, "maxEditDistance": 1, "minLengthForEditDistance": 5}


def call_of(size: int) -> Message:
    body: dict[str, Any] = {
        "jsonrpc": "2.0",
        "id": 9,
        "method": "tools/call",
        "params": {"name": "lookup_order", "arguments": {"note": ""}},
    }
    pad = max(size - len(orjson.dumps(body)), 0)
    body["params"]["arguments"]["note"] = ("order status for the northern warehouse " * (pad // 40 + 1))[:pad]
    return classify(body, Direction.TO_SERVER)


def listing_of(size: int, extra: str | None = None, prefix: str = "lookup_order") -> Message:
    tool = {
        "description": "Looks up one order and returns its state.",
        "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
    }
    tools: list[dict[str, Any]] = []
    while len(orjson.dumps(tools)) < size - 60:
        tools.append({"name": f"{prefix}_{len(tools)}", **tool})
    if extra is not None:
        tools[-1] = {"name": extra, **tool}
    message = classify({"jsonrpc": "2.0", "id": 2, "result": {"tools": tools}}, Direction.TO_CLIENT)
    message.method = "tools/list"
    return message


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--instances", type=int, default=10)
    parser.add_argument("--unseen", type=int, default=300, help="listings of new names, timed once each")
    args = parser.parse_args()
    logging.getLogger("guardmesh.guards.wasm").setLevel(logging.ERROR)  # the guest logs each filtered listing
    build = subprocess.run(
        ["bash", str(ROOT / "hack/build-python-guard.sh")], check=True, capture_output=True, text=True
    )
    guest = Path(build.stdout.split()[-1])
    cache = Path(tempfile.mkdtemp(prefix="guardmesh-pyguest-bench-"))
    ctx = GuardContext("bench-server", session_id="s-1", protocol_version="2025-11-25")

    from guardmesh.guards.wasm import engine
    from guardmesh.guards.wasm.guard import WasmGuard
    from guardmesh.guards.wasm.module import Module

    wasm_spec = {"type": "wasm", "wasm": {"url": guest.as_uri(), "config": CONFIG}, "runsOn": ["request", "response"]}
    native_spec = {
        "type": "native",
        "native": {"kind": "server-spoofing", "checkDescriptions": False, **CONFIG},
        "runsOn": ["request", "response"],
    }
    start = time.perf_counter()
    wasm_guard = WasmGuard(SecurityGuardSpec.model_validate(wasm_spec), cache_dir=cache)
    first_compile = time.perf_counter() - start
    native_guard = build_guard(SecurityGuardSpec.model_validate(native_spec), GuardResources())
    if wasm_guard.pool is None:
        raise SystemExit("the Python guard did not load")
    module = wasm_guard.pool.module

    messages = {
        "tools/call 1 KB": call_of(1024),
        "tools/call 4 KB": call_of(4096),
        "tools/list 4 KB": listing_of(4096),
        "tools/list 4 KB, 1 filtered": listing_of(4096, extra="send-emails"),
    }
    print(f"wasmtime {engine.WASMTIME_VERSION}, {args.iterations} checks each; µs per check, p50 / p99\n")
    print(f"{'message':<30}{'bytes':>7}{'native server-spoofing':>26}{'Python wasm guard':>22}{'ratio p50':>11}")
    for label, message in messages.items():
        wasm_verdict, native_verdict = wasm_guard.check(message, ctx), native_guard.check(message, ctx)
        if not isinstance(native_verdict, Verdict) or wasm_verdict.decision != native_verdict.decision:
            raise SystemExit(f"{label}: the guards disagree ({wasm_verdict} / {native_verdict}); comparison void")

        def wasm_check(m: Message = message) -> object:
            m.cache.clear()  # each check pays for the JSON text, as the first wasm guard of a message does
            return wasm_guard.check(m, ctx)

        def native_check(m: Message = message) -> object:
            m.cache.clear()
            return native_guard.check(m, ctx)

        native = timed(native_check, args.iterations)
        wasm = timed(wasm_check, args.iterations)
        size = len(orjson.dumps(message.body))
        print(
            f"{label:<30}{size:>7}{native[0]:>16.1f} / {native[1]:<7.0f}{wasm[0]:>12.1f} / {wasm[1]:<7.0f}"
            f"{wasm[0] / native[0]:>9.1f}x"
        )

    # Names the guard has not seen: its per-instance memo cannot help (the native guard keeps none).
    unseen = [listing_of(4096, prefix=f"fetch_record_{i}") for i in range(2 * args.unseen)]
    queue = iter(unseen)

    def wasm_unseen() -> object:
        return wasm_guard.check(next(queue), ctx)

    def native_unseen() -> object:
        return native_guard.check(next(queue), ctx)

    native = timed(native_unseen, args.unseen, warmup=0)
    wasm = timed(wasm_unseen, args.unseen, warmup=0)
    print(
        f"{'tools/list 4 KB, unseen names':<30}{len(orjson.dumps(unseen[0].body)):>7}"
        f"{native[0]:>16.1f} / {native[1]:<7.0f}{wasm[0]:>12.1f} / {wasm[1]:<7.0f}{wasm[0] / native[0]:>9.1f}x"
    )

    colds = []
    for _ in range(10):
        engine._compiled.clear()  # as in a new process: the component comes from the disk cache
        start = time.perf_counter()
        Module("bench", guest, orjson.dumps(CONFIG).decode(), 128 << 20, 1.0, cache).instantiate()
        colds.append((time.perf_counter() - start) * 1000)
    fresh = []
    for _ in range(10):
        start = time.perf_counter()
        module.instantiate()
        fresh.append((time.perf_counter() - start) * 1000)

    gc.collect()
    before = rss_kib()
    held = [module.instantiate() for _ in range(args.instances)]
    for instance in held:  # touch what a working instance touches
        instance.evaluate(
            {"server-id": "x", "phase": "response", "direction": "server-to-client", "method": "tools/list"},
            orjson.dumps(listing_of(4096, extra="send-emails").body).decode(),
        )
    per_instance = (rss_kib() - before) / len(held)

    # What loading the guard adds to a sidecar: a new process that starts it from the disk cache.
    probe = (
        "import sys, orjson\n"
        "from pathlib import Path\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from wasm_python_guest import rss_kib, CONFIG\n"
        "from guardmesh.guards.wasm import engine\n"
        "from guardmesh.guards.wasm.module import Module\n"
        "from guardmesh.guards.wasm.pool import Pool\n"
        "engine.engine(); before = rss_kib()\n"
        "Pool(Module('b', Path(sys.argv[2]), orjson.dumps(CONFIG).decode(), 128 << 20, 1.0, Path(sys.argv[3])))\n"
        "print(rss_kib() - before)\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe, str(ROOT / "hack" / "bench"), str(guest), str(cache)],
        check=True,
        capture_output=True,
        text=True,
    )
    loaded_kib = int(loaded.stdout.split()[-1])

    print()
    print(f"component size                           {guest.stat().st_size / 2**20:8.1f} MiB")
    print(f"first load (compile, no cache)           {first_compile * 1000:8.0f} ms")
    print(f"cold start from disk cache, p50          {statistics.median(colds):8.1f} ms", end="")
    print("   (deserialize, link, instantiate, configure)")
    print(f"new instance from loaded component, p50  {statistics.median(fresh):8.1f} ms   (instantiate, configure)")
    print(f"memory per instance (RSS, {len(held)} held)        {per_instance / 1024:8.1f} MiB")
    print(f"sidecar RSS added by loading the guard    {loaded_kib / 1024:8.1f} MiB   (compiled code and one instance)")


if __name__ == "__main__":
    main()

"""Micro-benchmark of the native detection engine (not part of the test suite).

For 1 KB and 4 KB `tools/call` requests and `tools/list` results, with the full shipped rule set,
it times separately: extraction + normalisation (`extract`), then for each matcher candidate the
scan (UTF-8 encoding, the matcher's single pass, and RE2 verification of the rules that fired),
and prints p50/p99 per message as a table. All candidates run in the same process, one after the
other on the same messages, so the figures compare with each other.

    .venv/bin/python hack/bench/engine.py [--iterations 3000] [--matchers hyperscan,re2-set,...] [--hostile]

`--hostile` adds the worst case that decides between the two fast candidates: one scan of 256 KB of
random printable text (a base64 blob, binary noise), where an RE2 Set's lazily built DFA thrashes.
"""

from __future__ import annotations

import argparse
import functools
import gc
import random
import statistics
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "sidecar"))

from guardmesh.engine import Engine, MessageText, extract, load_rules
from guardmesh.engine.matcher import MATCHERS, hyperscan_available

PROSE = (
    "The quarterly report summarises revenue by region and highlights the main drivers of growth. "
    "Sales in the northern region rose on the back of two new distribution agreements, while the "
    "southern region held steady. Operating costs were flat, and the team expects the second half "
    "to follow the same pattern. Next steps: confirm the budget with finance, update the forecast "
    "sheet, and schedule the review meeting for the first week of the month. "
)
CODE = (
    "def load_config(path: str) -> dict[str, object]:\n"
    "    with open(path, encoding='utf-8') as handle:\n"
    "        data = json.load(handle)\n"
    "    if not isinstance(data, dict):\n"
    "        raise ValueError(f'{path}: expected an object')\n"
    "    return {key.lower(): value for key, value in data.items()}\n\n"
)


def _fill(text: str, size: int) -> str:
    return (text * (size // len(text) + 1))[:size]


def tools_call(size: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": "write_file", "arguments": {"path": "/workspace/src/app/config.py", "content": ""}},
    }
    overhead = len(orjson.dumps(body))
    notes = _fill(PROSE, (size - overhead) // 4)
    body["params"]["arguments"].update({"notes": notes, "tags": ["config", "loader", "refactor"]})
    overhead = len(orjson.dumps(body))
    body["params"]["arguments"]["content"] = _fill(CODE, size - overhead)
    return body


def _tool(i: int) -> dict[str, Any]:
    return {
        "name": f"search_records_{i}",
        "title": f"Search records {i}",
        "description": (
            "Search the record store for entries matching a query. Returns at most `limit` results, "
            "newest first, with their identifiers, titles and a short excerpt. Use a narrower query "
            "when the result is truncated."
        ),
        "inputSchema": {
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "Words to search for; quotes match a phrase."},
                "limit": {"type": "integer", "description": "Largest number of results.", "default": 20},
                "order": {"type": "string", "enum": ["newest", "oldest", "relevance"], "default": "newest"},
            },
            "required": ["query"],
        },
        "annotations": {"readOnlyHint": True, "title": f"Search {i}"},
    }


def tools_list(size: int) -> dict[str, Any]:
    tools: list[dict[str, Any]] = []
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": 3, "result": {"tools": tools}}
    while len(orjson.dumps(body)) < size:
        tools.append(_tool(len(tools)))
    tools.pop()
    last = _tool(len(tools))
    room = size - len(orjson.dumps(body)) - len(orjson.dumps(last))
    last["description"] += " " + _fill(PROSE, max(0, room - 2))
    tools.append(last)
    return body


def _timed(fn: Callable[[], object], iterations: int) -> tuple[float, float]:
    """p50 and p99 of one call, in microseconds."""
    samples = []
    for _ in range(min(200, iterations // 10)):  # warm-up
        fn()
    gc.disable()
    try:
        for _ in range(iterations):
            start = time.perf_counter_ns()
            fn()
            samples.append(time.perf_counter_ns() - start)
    finally:
        gc.enable()
    samples.sort()
    return statistics.median(samples) / 1000, samples[int(len(samples) * 0.99) - 1] / 1000


def _scan(engine: Engine, text: MessageText) -> object:
    return engine.scan(_fresh(text))


def _fresh(text: MessageText) -> MessageText:
    """The same extracted text without its encoding or scan memo, so each scan pays for both."""
    text.cache.clear()
    text._encoded = None
    text._byte_starts = None
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=3000)
    default = [m for m in MATCHERS if m != "hyperscan" or hyperscan_available()]
    parser.add_argument("--matchers", default=",".join(default))
    parser.add_argument("--hostile", action="store_true", help="also time 256 KB of random text, once")
    args = parser.parse_args()

    start = time.perf_counter()
    rules = load_rules()
    load_s = time.perf_counter() - start
    engines: dict[str, Engine] = {}
    build_s: dict[str, float] = {}
    for name in args.matchers.split(","):
        start = time.perf_counter()
        engines[name] = Engine(rules, name)
        build_s[name] = time.perf_counter() - start

    messages = {
        "tools/call 1 KB": (tools_call(1024), None),
        "tools/call 4 KB": (tools_call(4096), None),
        "tools/list 1 KB": (tools_list(1024), "tools/list"),
        "tools/list 4 KB": (tools_list(4096), "tools/list"),
    }
    print(f"{len(rules)} rules, loaded and validated in {load_s * 1000:.0f} ms")
    print("matcher build: " + ", ".join(f"{n} {s * 1000:.0f} ms" for n, s in build_s.items()))
    print()
    header = f"{'message':<17} {'bytes':>5} {'segs':>4} {'extract+normalise':>18} " + " ".join(
        f"{name:>22}" for name in engines
    )
    print(header)
    print(" " * 29 + f"{'p50 / p99 µs':>18} " + " ".join(f"{'scan p50 / p99 µs':>22}" for _ in engines))
    for label, (body, method) in messages.items():
        size = len(orjson.dumps(body))
        text = extract(body, method)
        p50, p99 = _timed(functools.partial(extract, body, method), args.iterations)
        cells = []
        for name, engine in engines.items():
            n = args.iterations if name != "python-re" else max(100, args.iterations // 20)
            found = len(engine.scan(_fresh(text)))
            s50, s99 = _timed(functools.partial(_scan, engine, text), n)
            cells.append(f"{s50:>8.1f} / {s99:>6.1f}" + (f" ({found}!)" if found else "     "))
        print(
            f"{label:<17} {size:>5} {len(text.segments):>4} {p50:>9.1f} / {p99:>6.1f} "
            + " ".join(f"{c:>22}" for c in cells)
        )
    print()
    print("scan = UTF-8 encoding + one matcher pass + RE2 verification of fired rules; (n!) = findings")
    if args.hostile:
        rng = random.Random(1)  # noqa: S311 - noise, not secrets
        noise = "".join(rng.choice(string.printable) for _ in range(256 * 1024))
        body = {"jsonrpc": "2.0", "id": 1, "result": {"content": [{"type": "text", "text": noise}]}}
        text = extract(body, "tools/call")
        print()
        print("256 KB of random printable text, one scan (matcher pass only):")
        for name, engine in engines.items():
            if name == "python-re":
                continue
            start = time.perf_counter()
            engine.matcher.fired(_fresh(text))
            print(f"  {name:<18} {(time.perf_counter() - start) * 1000:9.1f} ms")


if __name__ == "__main__":
    main()

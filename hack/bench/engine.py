"""Micro-benchmark of the native detection engine (run by `make bench`, not part of the test suite).

For 1 KB and 4 KB `tools/call` requests and `tools/list` results, with the full shipped rule set,
it times separately: extraction + normalisation (`extract`), then for each matcher candidate the
scan (UTF-8 encoding, the matcher's single pass, and RE2 verification of the rules that fired),
and the whole default guard set in-process (JSON parse, classification and every default guard's
verdict: the sidecar's guard cost per message without its transport), beside the parse alone as
the baseline. Prints p50/p99 per message as a table; `--json` also writes the figures. All run in
the same process, one after the other on the same messages, so the figures compare with each other.

    .venv/bin/python hack/bench/engine.py [--iterations 3000] [--matchers hyperscan,re2-set,...] [--hostile]
        [--json docs/bench/engine.json]

`--hostile` adds the worst case that decides between the two fast candidates: one scan of 256 KB of
random printable text (a base64 blob, binary noise), where an RE2 Set's lazily built DFA thrashes.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import string
import sys
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "sidecar"))

from timing import timed

from guardmesh.config import default_bundle
from guardmesh.engine import Engine, MessageText, extract, load_rules
from guardmesh.engine.matcher import MATCHERS, hyperscan_available
from guardmesh.guards.api import GuardContext
from guardmesh.guards.registry import GuardResources
from guardmesh.pipeline import Outcome, Pipeline
from guardmesh.protocol.jsonrpc import Direction, Message, classify

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


def _scan(engine: Engine, text: MessageText) -> object:
    return engine.scan(_fresh(text))


def _fresh(text: MessageText) -> MessageText:
    """The same extracted text without its encoding or scan memo, so each scan pays for both."""
    text.cache.clear()
    text._encoded = None
    text._byte_starts = None
    return text


def _message(raw: bytes, method: str | None) -> Message:
    """A freshly parsed message, as the relay hands it to the pipeline (responses matched to `method`)."""
    body = orjson.loads(raw)
    if method is None:
        return classify(body, Direction.TO_SERVER)
    message = classify(body, Direction.TO_CLIENT)
    message.method = method
    return message


def _run_pipeline(pipeline: Pipeline, raw: bytes, method: str | None, ctx: GuardContext) -> Outcome:
    """One pipeline run, driven without an event loop: native guards never suspend it."""
    coroutine = pipeline.run(_message(raw, method), ctx)
    try:
        coroutine.send(None)
    except StopIteration as done:
        outcome: Outcome = done.value
        return outcome
    coroutine.close()
    raise RuntimeError("the pipeline suspended: a guard awaited something")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=3000)
    default = [m for m in MATCHERS if m != "hyperscan" or hyperscan_available()]
    parser.add_argument("--matchers", default=",".join(default))
    parser.add_argument("--hostile", action="store_true", help="also time 256 KB of random text, once")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    figures: dict[str, Any] = {"command": "hack/bench/engine.py " + " ".join(sys.argv[1:]), "messages": {}}

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
    figures |= {"rules": len(rules), "load_ms": round(load_s * 1000), "iterations": args.iterations}
    figures["build_ms"] = {name: round(seconds * 1000) for name, seconds in build_s.items()}
    pipeline = Pipeline.from_bundle(default_bundle(), GuardResources(), "bench")
    ctx = GuardContext("bench")
    print(f"{len(rules)} rules, loaded and validated in {load_s * 1000:.0f} ms")
    print("matcher build: " + ", ".join(f"{n} {s * 1000:.0f} ms" for n, s in build_s.items()))
    print()
    header = f"{'message':<17} {'bytes':>5} {'segs':>4} {'extract+normalise':>18} " + " ".join(
        f"{name:>22}" for name in [*engines, "parse only", "default guards"]
    )
    print(header)
    print(
        " " * 29
        + f"{'p50 / p99 µs':>18} "
        + " ".join(f"{'scan p50 / p99 µs':>22}" for _ in engines)
        + f" {'p50 / p99 µs':>22} {'p50 / p99 µs':>22}"
    )
    for label, (body, method) in messages.items():
        size = len(orjson.dumps(body))
        text = extract(body, method)
        p50, p99 = timed(functools.partial(extract, body, method), args.iterations)
        cells = []
        entry: dict[str, Any] = {"bytes": size, "segments": len(text.segments), "extract_us": [p50, p99], "scan_us": {}}
        for name, engine in engines.items():
            n = args.iterations if name != "python-re" else max(100, args.iterations // 20)
            found = len(engine.scan(_fresh(text)))
            s50, s99 = timed(functools.partial(_scan, engine, text), n)
            entry["scan_us"][name] = [s50, s99]
            cells.append(f"{s50:>8.1f} / {s99:>6.1f}" + (f" ({found}!)" if found else "     "))
        raw = orjson.dumps(body)
        b50, b99 = timed(functools.partial(_message, raw, method), args.iterations)
        outcome = _run_pipeline(pipeline, raw, method, ctx)
        g50, g99 = timed(functools.partial(_run_pipeline, pipeline, raw, method, ctx), args.iterations)
        entry |= {"parse_us": [b50, b99], "default_guards_us": [g50, g99]}
        entry["default_guards"] = [e.guard for e in outcome.evaluations]
        figures["messages"][label] = entry
        cells += [f"{b50:>8.1f} / {b99:>6.1f}     ", f"{g50:>8.1f} / {g99:>6.1f}     "]
        print(
            f"{label:<17} {size:>5} {len(text.segments):>4} {p50:>9.1f} / {p99:>6.1f} "
            + " ".join(f"{c:>22}" for c in cells)
        )
    print()
    print("scan = UTF-8 encoding + one matcher pass + RE2 verification of fired rules; (n!) = findings")
    print("default guards = JSON parse + classification + every default guard for the message's phase")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
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

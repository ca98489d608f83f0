"""Micro-benchmark of the learned tier and the contextual layer beside the rules-only path (`make bench`).

In one process, on the same texts, one after the other (so the figures compare with each other):
- results: the rules-only path (extract + engine scan of a 1 KB `tools/call` result, and the
  prompt-injection guard as shipped), then the learned tier's score of the same 1 KB text, and the
  guard with `learned: true`;
- definitions: the contextual layer per tool, the learned score of an unseen definition, a 50-tool
  listing seen for the first time and again (scores cached by content hash), beside the rules-only
  tool-poisoning guard on the same listing;
- memory: this process's RSS before and after loading the model (numpy, tokenizers, table, heads).

    taskset -c 1 .venv/bin/python hack/bench/learned.py [--iterations 2000] [--model DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "sidecar"))

from timing import rss_kib, timed

RESULT_1K = (
    "From: Maria <maria@example.com>\nTo: team@example.com\nSubject: Release 2.4 checklist\n\nHi all,\n\n"
    "The migration finished overnight and all services are back to normal. Please review the attached "
    "document and leave comments by Friday. We moved the weekly sync to Thursday because of the public "
    "holiday. The new dashboard shows latency per region and error rates per endpoint; remember to update "
    "your dependencies before running the test suite. Sales grew 12% quarter over quarter, mostly from the "
    "enterprise plan, and the report covers revenue, churn and the support backlog for October. The API "
    "returns paginated results; pass the cursor to get the next page. Our office will be closed on Monday; "
    "support stays available by email. Tickets for the conference are booked; hotel details follow "
    "separately. The bug only appears when the cache is cold and two requests race.\n\nBest,\nMaria"
)[:1024]


def _tool(i: int) -> dict[str, Any]:
    return {
        "name": f"tool_{i}",
        "description": f"Return the status of job number {i} and the time it last ran. Use list_jobs first.",
        "inputSchema": {"type": "object", "properties": {"job": {"type": "string", "description": "Job id"}}},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    n = args.iterations
    rss_start = rss_kib()

    from guardmesh.config import PromptInjectionSettings, ToolPoisoningSettings
    from guardmesh.engine import default_engine, extract
    from guardmesh.guards.api import GuardContext
    from guardmesh.guards.native.context import check_definition
    from guardmesh.guards.native.prompt_injection import PromptInjectionGuard
    from guardmesh.guards.native.tool_poisoning import FlaggedStore, ToolPoisoningGuard
    from guardmesh.protocol.jsonrpc import Direction, classify

    default_engine()
    rss_rules = rss_kib()
    result = {"jsonrpc": "2.0", "id": 1, "result": {"content": [{"type": "text", "text": RESULT_1K}]}}
    ctx = GuardContext("bench")

    def message(body: dict[str, Any], method: str) -> Any:
        m = classify(body, Direction.TO_CLIENT)
        m.method = method
        return m

    rows: list[tuple[str, float, float]] = []
    rows.append(("1 KB result: extract + rule scan (rules-only path)", *timed(
        lambda: default_engine().scan(extract(result, "tools/call")), n)))  # fmt: skip
    pi_rules = PromptInjectionGuard(PromptInjectionSettings())
    rows.append(("1 KB result: prompt-injection guard, rules only", *timed(
        lambda: pi_rules.check(message(result, "tools/call"), ctx), n)))  # fmt: skip

    from guardmesh.engine.learned import Provider, definition_units, load_model

    model = load_model(args.model)
    rss_model = rss_kib()
    rows.append(("1 KB result: learned score (tokenise, table, windows, head)", *timed(
        lambda: model.score("result", RESULT_1K), n)))  # fmt: skip
    provider = Provider(model)
    pi_learned = PromptInjectionGuard(PromptInjectionSettings(learned=True), provider)
    rows.append(("1 KB result: prompt-injection guard, rules + learned", *timed(
        lambda: pi_learned.check(message(result, "tools/call"), ctx), n)))  # fmt: skip

    tools = [_tool(i) for i in range(50)]
    listing = {"jsonrpc": "2.0", "id": 1, "result": {"tools": tools}}
    own = frozenset(t["name"] for t in tools)
    rows.append(("definition: contextual layer, one tool", *timed(
        lambda: check_definition(tools[7], own, {"send_email": "mail"}), n)))  # fmt: skip
    units = list(definition_units(extract(listing, "tools/list")).values())
    counter = iter(range(10**9))
    rows.append(("definition: learned score of an unseen definition", *timed(
        lambda: model.score("definition", f"{units[7]} {next(counter)}"), n)))  # fmt: skip
    tp_rules = ToolPoisoningGuard(ToolPoisoningSettings(contextual=False), FlaggedStore())
    tp_context = ToolPoisoningGuard(ToolPoisoningSettings(), FlaggedStore())
    rows.append(("50-tool listing: tool-poisoning, rules only", *timed(
        lambda: tp_rules.check(message(listing, "tools/list"), ctx), 200, warmup=20)))  # fmt: skip
    rows.append(("50-tool listing: tool-poisoning, rules + contextual (default)", *timed(
        lambda: tp_context.check(message(listing, "tools/list"), ctx), 200, warmup=20)))  # fmt: skip

    def first_listing() -> None:
        guard = ToolPoisoningGuard(ToolPoisoningSettings(learned=True), FlaggedStore(), learned=Provider(model))
        fresh = {"jsonrpc": "2.0", "id": 1, "result": {"tools": [
            {**t, "description": t["description"] + f" v{next(counter)}"} for t in tools]}}  # fmt: skip
        guard.check(message(fresh, "tools/list"), ctx)

    rows.append(("50-tool listing first seen: rules + contextual + learned", *timed(first_listing, 30, warmup=3)))
    tp_learned = ToolPoisoningGuard(ToolPoisoningSettings(learned=True), FlaggedStore(), learned=Provider(model))
    rows.append(("50-tool listing seen before: rules + contextual + learned (cached)", *timed(
        lambda: tp_learned.check(message(listing, "tools/list"), ctx), 200, warmup=20)))  # fmt: skip

    print(f"learned tier and contextual layer, {n} iterations, one process (p50 / p99, µs)")
    width = max(len(r[0]) for r in rows)
    for name, p50, p99 in rows:
        print(f"  {name:<{width}}  {p50:10.1f}  {p99:10.1f}")
    print(f"  RSS: {rss_start / 1024:.1f} MiB at start, {rss_rules / 1024:.1f} with the rule engine, "
          f"{rss_model / 1024:.1f} with the learned model (+{(rss_model - rss_rules) / 1024:.1f} MiB)")  # fmt: skip
    print(f"  model: {model.directory} ({model.meta.get('model')}, {model.meta.get('dims')} dims)")
    asyncio.get_event_loop_policy()
    return 0


if __name__ == "__main__":
    sys.exit(main())

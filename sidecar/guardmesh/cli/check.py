"""`guardmesh check`: run the guards over recorded messages, offline, one JSON decision per line.

Input: one JSON object per line, `{"direction": "client-to-server" | "server-to-client", "message": {...}}`,
optionally with `"method"` for an answer whose request is not in the input. Answers are matched to
earlier requests by id, as the sidecar does. Exit status: 0 when nothing was denied, 1 when something
was, 2 when the config is unusable.
"""

import argparse
import asyncio
import sys
from pathlib import Path
from typing import IO, Any

import orjson

from guardmesh.config import ConfigError, default_bundle, load_bundle
from guardmesh.guards.api import GuardContext
from guardmesh.guards.registry import GuardBuildError, GuardResources
from guardmesh.pipeline import Outcome, Pipeline
from guardmesh.protocol.jsonrpc import Direction, Kind, ProtocolError, classify


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="guardmesh check", description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--config", type=Path, help="bundle file (YAML or JSON); the built-in default when omitted")
    p.add_argument("--server-id", default="check", help="identity of the server the messages came from")
    return p


def decision(outcome: Outcome) -> str:
    if outcome.denied:
        return "deny"
    if outcome.modified:
        return "modify"
    return "audit" if any(e.decision.value != "allow" or e.failed for e in outcome.evaluations) else "allow"


async def check(lines: IO[str], out: IO[str], pipeline: Pipeline, server_id: str) -> int:
    """Judge every line; returns the number of denied messages."""
    ctx = GuardContext(server_id)
    asked: dict[tuple[Direction, Any], tuple[str | None, str | None]] = {}
    denied = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
            if not isinstance(record, dict):
                raise ValueError("a line is a JSON object with `direction` and `message`")
            direction = Direction(str(record.get("direction")))
            message = classify(record.get("message"), direction)
        except (orjson.JSONDecodeError, ValueError, ProtocolError) as exc:
            out.write(orjson.dumps({"line": number, "error": str(exc)}).decode() + "\n")
            continue
        other_side = Direction.TO_CLIENT if direction is Direction.TO_SERVER else Direction.TO_SERVER
        if message.kind is Kind.REQUEST:
            asked[(direction, message.id)] = (message.method, message.target)
        elif message.kind in (Kind.RESULT, Kind.ERROR):
            method, target = asked.pop((other_side, message.id), (record.get("method"), None))
            message.method, message.target = method, target
        outcome = await pipeline.run(message, ctx)
        denied += outcome.denied
        result: dict[str, Any] = {
            "line": number,
            "direction": direction.value,
            "phase": message.phase.value,
            "method": message.method,
            "target": message.target,
            "decision": decision(outcome),
            "deniedBy": outcome.denied_by.guard if outcome.denied_by else None,
            "guards": [
                {"guard": e.guard, "kind": e.kind, "decision": e.decision.value, "reason": e.reason,
                 "enforced": e.enforced, "failed": e.failed}
                for e in outcome.evaluations
            ],
        }  # fmt: skip
        if outcome.modified and not outcome.denied:
            result["message"] = outcome.message.body
        out.write(orjson.dumps(result).decode() + "\n")
    return denied


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        bundle = default_bundle() if args.config is None else load_bundle(args.config)
        pipeline = Pipeline.from_bundle(bundle, GuardResources(), args.server_id)
    except (ConfigError, GuardBuildError) as exc:
        print(f"guardmesh check: {exc}", file=sys.stderr)
        return 2
    denied = asyncio.run(check(sys.stdin, sys.stdout, pipeline, args.server_id))
    return 1 if denied else 0

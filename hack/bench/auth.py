"""What caller authentication and authorization cost per request, beside the unauthenticated path, in one run.

Part 1, in process: a bearer token already verified once (the common case: a client reuses its token) and
a token seen for the first time (full signature check with cached keys), RS256 and ES256; then the
authorization guard on a `tools/call` with a CEL condition and on a 20-tool `tools/list`.

Part 2, end to end: wrk drives nginx (a canned `tools/call` result) through a sidecar without
authentication, one requiring a bearer token, and one also authorizing the call, back to back with the
same load, each pinned like hack/bench/run.py does; the sidecar's CPU time per request and wrk's
latency percentiles are compared with the unauthenticated sidecar of the same run.

    python hack/bench/auth.py [--duration 10] [--out docs/bench/auth.json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(HERE))

import run  # noqa: E402 - hack/bench/run.py: processes, pinning, wrk
from timing import timed  # noqa: E402

from guardmesh.auth.authenticator import Authenticator  # noqa: E402
from guardmesh.auth.keys import KeySet, Source  # noqa: E402
from guardmesh.auth.policy import AuthorizationGuard  # noqa: E402
from guardmesh.auth.tokens import Issuer, TokenVerifier  # noqa: E402
from guardmesh.config.identity import Authentication, Authorization  # noqa: E402
from guardmesh.guards.api import GuardContext, Identity  # noqa: E402
from guardmesh.protocol.jsonrpc import Direction, classify  # noqa: E402
from tests.support.tokens import TestIssuer  # noqa: E402

RESOURCE = "https://mcp.bench/mcp"
RULES = {
    "rules": [
        {"name": "readers", "subjects": [{"group": "readers"}], "tools": ["echo", "read_*"]},
        {
            "name": "writers",
            "subjects": [{"group": "writers"}],
            "tools": ["write_*"],
            "when": "args.path.startsWith('/data/')",
        },
    ]
}


def complete(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never suspends (keys and tokens are cached) without an event loop's overhead."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    raise RuntimeError("the coroutine suspended: keys were not cached")


def verification(alg: str, iterations: int) -> dict[str, float]:
    """A token already verified once (the hot path), and tokens seen for the first time, keys cached."""
    issuer = TestIssuer(kid=f"{alg}-key", alg=alg)

    async def jwks(_url: str) -> bytes:
        return json.dumps(issuer.jwks()).encode()

    keys = KeySet(Source(issuer.issuer, "https://issuer/jwks"), jwks)
    asyncio.run(keys.key(f"{alg}-key"))  # fetch once: every measured call finds the keys cached
    config = Authentication.model_validate({"resource": RESOURCE, "oauth": [{"issuer": issuer.issuer}]})
    verifier = TokenVerifier([Issuer(issuer.issuer, "oauth", (RESOURCE,), (alg,), keys)], 30)
    authenticator = Authenticator(config, verifier)
    token = issuer.token("alice", RESOURCE, groups=["readers"], scope="mcp")
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    complete(authenticator.authenticate(headers, "", "http://sidecar"))
    cached = timed(lambda: complete(authenticator.authenticate(headers, "", "http://sidecar")), iterations)
    count = min(iterations, 2000)
    fresh = iter([issuer.token(f"user-{i}", RESOURCE) for i in range(count + 50)])
    first = timed(lambda: complete(verifier._verify(next(fresh), time.time())), count, warmup=50)
    return {
        "cached_token_p50_us": round(cached[0], 2),
        "cached_token_p99_us": round(cached[1], 2),
        "first_sight_p50_us": round(first[0], 2),
        "first_sight_p99_us": round(first[1], 2),
    }


def in_process(iterations: int) -> dict[str, Any]:
    out: dict[str, Any] = {alg: verification(alg, iterations) for alg in ("RS256", "ES256")}

    guard = AuthorizationGuard(Authorization.model_validate(RULES))
    who = Identity("alice", "https://issuer", "oauth", groups=frozenset({"readers", "writers"}))
    ctx = GuardContext("bench", client_id=who.key, identity=who)
    call = classify(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "write_file", "arguments": {"path": "/data/x"}},
        },
        Direction.TO_SERVER,
    )
    tools = [
        {"name": f"{prefix}_{i}", "inputSchema": {"type": "object"}}
        for prefix in ("read", "write", "admin", "echo")
        for i in range(5)
    ]
    listing = classify({"jsonrpc": "2.0", "id": 2, "result": {"tools": tools}}, Direction.TO_CLIENT)
    listing.method = "tools/list"
    out["authorize_call_with_condition_p50_us"] = round(timed(lambda: guard.check(call, ctx), iterations)[0], 2)
    out["filter_20_tool_listing_p50_us"] = round(timed(lambda: guard.check(listing, ctx), iterations)[0], 2)
    return out


def end_to_end(duration: float, rounds: int, pin: bool) -> dict[str, Any]:
    """The three sidecars measured in turn, `rounds` times over (so a burst of load from elsewhere on the
    machine hits every variant alike); per variant the median of its rounds."""
    place = run.Placement(pin=pin, nice=0)
    scenario = run.Scenario("closed-4", "4 connections, closed loop", 4, 1, 0)
    issuer = TestIssuer()
    samples: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="guardmesh-bench-auth-") as tmp_dir, contextlib.ExitStack() as stack:
        tmp = Path(tmp_dir)
        jwks = tmp / "jwks.json"
        jwks.write_text(json.dumps(issuer.jwks()))
        authentication = {"resource": RESOURCE, "oauth": [{"issuer": issuer.issuer, "jwksUri": jwks.as_uri()}]}
        allow_echo = {"rules": [{"name": "callers", "subjects": [{"subject": "*"}], "tools": ["echo"]}]}
        variants: dict[str, dict[str, Any]] = {
            "no-auth": {},
            "bearer": {"authentication": authentication},
            "bearer+authorization": {"authentication": authentication, "authorization": allow_echo},
        }
        bearer = f"Bearer {issuer.token('alice', RESOURCE, lifetime=3600)}"
        upstream = stack.enter_context(run.nginx_upstream(tmp, place))
        cars = {}
        for name, extra in variants.items():
            bundle = {"apiVersion": "guardmesh.dev/v1alpha1", "kind": "GuardBundle", "guards": [], **extra}
            cars[name] = stack.enter_context(run.sidecar(name, upstream, tmp, place, bundle))
            _check(cars[name].url, "" if name == "no-auth" else bearer)
        for round_ in range(rounds):
            for name, car in cars.items():
                os.environ["GM_BENCH_AUTHORIZATION"] = "" if name == "no-auth" else bearer
                session = run.McpSession(car.url, None, None)
                run.run_wrk(session, scenario, 1, place, False, tmp / f"{name}-{round_}-warmup.log")
                before, busy0 = run.cpu_sample(car.pid), run.busy_ticks()
                wrk = run.run_wrk(session, scenario, duration, place, False, tmp / f"{name}-{round_}.log")
                after, busy1 = run.cpu_sample(car.pid), run.busy_ticks()
                n = max(wrk.requests, 1)
                samples.setdefault(name, []).append(
                    {
                        "requests": wrk.requests,
                        "errors": sum(wrk.errors.values()),
                        "rps": round(wrk.requests / wrk.duration_s, 1),
                        "sidecar_cpu_us_per_request": round((after.run_ns - before.run_ns) / 1000 / n, 1),
                        "latency_p50_us": wrk.latency_us["p50"],
                        "latency_p99_us": wrk.latency_us["p99"],
                        "machine_busy_percent": round(
                            (busy1 - busy0) / (wrk.duration_s * run.CLK_TCK * (os.cpu_count() or 1)) * 100, 1
                        ),
                    }
                )
    os.environ.pop("GM_BENCH_AUTHORIZATION", None)
    results: dict[str, Any] = {}
    for name, runs in samples.items():
        results[name] = {
            key: statistics.median(r[key] for r in runs)
            for key in ("rps", "sidecar_cpu_us_per_request", "latency_p50_us", "latency_p99_us")
        }
        results[name]["errors"] = sum(r["errors"] for r in runs)
        results[name]["rounds"] = runs
    base = results["no-auth"]["sidecar_cpu_us_per_request"]
    for figures in results.values():
        figures["cpu_ratio_to_no_auth"] = round(figures["sidecar_cpu_us_per_request"] / base, 3)
        figures["added_cpu_us_per_request"] = round(figures["sidecar_cpu_us_per_request"] - base, 1)
    return results


def _check(url: str, authorization: str) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "echo", "arguments": {"message": "x"}},
    }
    status, payload, _ = run.http_call("POST", url, body, headers)
    if status != 200 or b"quarterly revenue" not in payload:
        raise RuntimeError(f"{url}: {status} {payload[:300]!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20000)
    parser.add_argument("--duration", type=float, default=6.0, help="seconds of load per variant and round")
    parser.add_argument("--rounds", type=int, default=3, help="times each variant is measured, in turn")
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--skip-end-to-end", action="store_true")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "bench" / "auth.json")
    args = parser.parse_args()
    out: dict[str, Any] = {"loadavg_before": Path("/proc/loadavg").read_text().split()[0]}
    out["in_process"] = in_process(args.iterations)
    print(json.dumps(out["in_process"], indent=2), flush=True)
    if not args.skip_end_to_end:
        out["end_to_end"] = end_to_end(args.duration, args.rounds, not args.no_pin)
        print(json.dumps(out["end_to_end"], indent=2), flush=True)
    out["loadavg_after"] = Path("/proc/loadavg").read_text().split()[0]
    args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

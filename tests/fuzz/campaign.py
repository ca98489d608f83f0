"""`make fuzz`: every target for its share of the inputs, corpora kept between runs; a summary at the end.

    python -m tests.fuzz.campaign [--runs N] [--timeout S]

Each target runs tests/fuzz/run.py with libFuzzer reading two corpora: the one this campaign grows,
kept in $GUARDMESH_CACHE/fuzz/corpus/<target> (new interesting inputs land there), and the seeds and
finds committed in tests/fuzz/corpus/<target> (replayed by `make test`). With `--keep`, what the
campaign found is added to the committed corpus. Crashes, broken properties and hangs leave
their input in $GUARDMESH_CACHE/fuzz/artifacts and fail the campaign.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from tests.fuzz.targets import TARGETS

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CACHE = Path(os.environ.get("GUARDMESH_CACHE", Path.home() / ".cache" / "guardmesh")) / "fuzz"

SHARES = {"request": 0.4, "response": 0.2, "sse": 0.25, "engine": 0.15}
"""Of the inputs, what each target gets: the parser differential first, the engine (slowest) least."""

_DONE = re.compile(r"Done (\d+) runs in (\d+) second")


def run_target(target: str, runs: int, timeout: int) -> tuple[int, float, int]:
    grown = CACHE / "corpus" / target
    seeds = HERE / "corpus" / target
    artifacts = CACHE / "artifacts" / target
    for path in (grown, seeds, artifacts):
        path.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.executable,
        "-m",
        "tests.fuzz.run",
        target,
        f"-runs={runs}",
        f"-timeout={timeout}",
        "-rss_limit_mb=3072",
        "-max_len=4096",
        "-print_final_stats=1",
        f"-artifact_prefix={artifacts}/",
        str(grown),
        str(seeds),
    ]
    started = time.monotonic()
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    done = _DONE.search(proc.stderr)
    executed = int(done.group(1)) if done else 0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-6000:])
    return executed, seconds, proc.returncode


def keep(target: str) -> None:
    """Copy what this campaign found into the committed corpus. libFuzzer only adds an input to a corpus
    when it reaches new coverage, and names it by the SHA-1 of its bytes, so this adds no duplicates.
    (libFuzzer's own `-merge` re-runs argv[0] as a program, which a Python module is not.)"""
    seeds = HERE / "corpus" / target
    for found in (CACHE / "corpus" / target).iterdir():
        kept = seeds / found.name
        if not kept.exists():
            kept.write_bytes(found.read_bytes())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000_000, help="inputs over all targets (default 10^6)")
    parser.add_argument("--timeout", type=int, default=10, help="seconds one input may take before it is a hang")
    parser.add_argument("--keep", action="store_true", help="merge what this run found into tests/fuzz/corpus")
    parser.add_argument("targets", nargs="*", default=list(TARGETS))
    args = parser.parse_args()
    total, failed = 0, []
    for target in args.targets:
        runs = max(1, int(args.runs * SHARES[target] / sum(SHARES[t] for t in args.targets)))
        executed, seconds, code = run_target(target, runs, args.timeout)
        total += executed
        corpus = len(list((CACHE / "corpus" / target).iterdir()))
        status = "ok" if code == 0 else f"FAILED (exit {code}, input in {CACHE / 'artifacts' / target})"
        rate = executed / max(seconds, 1e-9)
        print(f"{target:9} {executed:>9} inputs in {seconds:7.1f} s ({rate:7.0f}/s), corpus {corpus:5}: {status}")
        if code != 0:
            failed.append(target)
        elif args.keep:
            keep(target)
    verdict = "no crash, no hang, no unguarded pass" if not failed else "failures: " + ", ".join(failed)
    print(f"total     {total:>9} inputs; {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

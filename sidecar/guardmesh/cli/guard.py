"""`guardmesh guard run MODULE`: run one WebAssembly guard alone over recorded messages, for its author.

Input on stdin is what `guardmesh check` reads: one JSON object per line, `{"direction":
"client-to-server" | "server-to-client", "message": {...}}`, optionally with `"method"` for an
answer whose request is not in the input. The guard runs on every phase; each line gets one JSON
decision line (the same shape as `guardmesh check`'s), with the guard's reason and, for a
modification, the new message. Exit status: 0 when nothing was denied, 1 when something was, 2 when
the module or its config cannot be loaded.
"""

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import yaml

from guardmesh.cli.check import check
from guardmesh.config import Bundle, Phase
from guardmesh.guards.registry import GuardBuildError, GuardResources
from guardmesh.guards.wasm.sources import SourceError
from guardmesh.pipeline import Pipeline


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="guardmesh guard run", description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("module", help="the component: a path, or a file://, https:// or oci:// URL")
    p.add_argument("--config", type=Path, help="the guard's config (YAML or JSON object), given to configure")
    p.add_argument("--sha256", help="digest the module must have (required for https:// and oci://)")
    p.add_argument("--timeout-ms", type=int, default=100, help="longest one evaluation may take (default 100)")
    p.add_argument("--memory-mib", type=int, default=64, help="largest memory of an instance (default 64)")
    p.add_argument("--server-id", default="guard-run", help="the server identity the guard is told")
    return p


def _config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        value = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{path}: the config is an object (a YAML mapping or JSON object)")
    return value


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "run":
        print("usage: guardmesh guard run MODULE [--config FILE] < messages.jsonl", file=sys.stderr)
        return 2
    args = parser().parse_args(argv[1:])
    url = args.module if "://" in args.module else Path(args.module).resolve().as_uri()
    try:
        if not url.startswith("file://"):
            # The sidecar loads remote modules in the background; an author wants the answer now.
            from guardmesh.guards.wasm.engine import default_cache_dir
            from guardmesh.guards.wasm.sources import fetch

            url = fetch(url, args.sha256, cache_dir=default_cache_dir(), timeout=60.0).as_uri()
        spec = {
            "type": "wasm",
            "wasm": {"url": url, "sha256": args.sha256, "config": _config(args.config),
                     "limits": {"memoryMib": args.memory_mib}},
            "runsOn": [phase.value for phase in Phase],
            "timeoutMs": args.timeout_ms,
        }  # fmt: skip
        bundle = Bundle.model_validate({"guards": [{"name": "guard", "spec": spec}]})
        pipeline = Pipeline.from_bundle(bundle, GuardResources(), args.server_id)
    except (ValueError, GuardBuildError, SourceError) as exc:
        print(f"guardmesh guard run: {exc}", file=sys.stderr)
        return 2
    denied = asyncio.run(check(sys.stdin, sys.stdout, pipeline, args.server_id))
    return 1 if denied else 0

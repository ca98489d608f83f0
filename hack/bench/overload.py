"""Overload benchmark (issue 12): 16 connections sending maximum-size bodies as fast as the sidecar
takes them, with memory, /healthz and a small call from another client watched meanwhile.

    python hack/bench/overload.py [--seconds 30] [--out docs/bench/overload.json]

Upstream: nginx answering every POST with a canned tools/call result (so the sidecar's own cost is
what is measured). Load: wrk (Debian) with hack/bench/large.lua, 16 connections, closed loop (the
saturation rate), bodies just under the default limit (4 MiB): plain ASCII text, and text of
zero-width characters (the costly shape the issue found). Watch: hack/bench/probe.py, every 100 ms,
/healthz and a small call on fresh connections from another address, and the sidecar's RSS. Same
run, same machine, back to back: the sidecar idle and under small calls (baselines), and the
sidecar as it was before issue 12 (`--before`, default: main at 37b4636) under the same load.
wrk and nginx run on CPU 0, the sidecar on CPU 1 (as hack/bench/run.py). Figures are noisy when
other work shares the machine: the load average is recorded beside each run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(HERE))

from run import Placement, guarded_popen, memory_mib, nginx_binary, pinned  # noqa: E402

from tests.support import peers  # noqa: E402

LIMIT = 4 * 1024 * 1024
INJECTED_LIMIT_MIB = 256
BEFORE = "37b4636"
"""main just before issue 12's changes."""


def body(shape: str) -> bytes:
    head = b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"'
    tail = b'"}}}'
    room = LIMIT - 64 - len(head) - len(tail)
    text = (
        (b"lorem ipsum dolor sit amet " * (room // 27 + 1))[:room]
        if shape == "text"
        else "\u200b".encode() * (room // 3)
    )
    return head + text + tail


def small_body() -> bytes:
    return b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}'


def nginx_conf(tmp: Path, port: int) -> Path:
    canned = '{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"done"}]}}'
    temp = "\n".join(f"  {k}_temp_path {tmp / k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"""worker_processes 1;
daemon off;
master_process off;
pid {tmp / "nginx.pid"};
error_log {tmp / "nginx-error.log"} warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
{temp}
  client_max_body_size 16m;
  client_body_buffer_size 16m;
  keepalive_requests 10000000;
  server {{
    listen 127.0.0.1:{port};
    location = /mcp {{ default_type application/json; return 200 '{canned}'; }}
  }}
}}
"""
    )
    return conf


@contextlib.contextmanager
def nginx(tmp: Path, place: Placement) -> Iterator[str]:
    port = peers.free_port()
    conf = nginx_conf(tmp, port)
    argv = pinned(
        "upstream", [nginx_binary(), "-p", str(tmp), "-e", str(tmp / "nginx-error.log"), "-c", str(conf)], place
    )
    with peers.running(argv, port=port):
        yield f"http://127.0.0.1:{port}/mcp"


@dataclass
class Proxy:
    name: str
    url: str
    admin: str
    pid: int


@contextlib.contextmanager
def sidecar(name: str, upstream: str, source: Path | None, place: Placement) -> Iterator[Proxy]:
    port, admin = peers.free_port(), peers.free_port()
    argv = [
        sys.executable, "-m", "guardmesh.cli.sidecar",
        "--listen", f"127.0.0.1:{port}", "--upstream", upstream,
        "--admin-listen", f"127.0.0.1:{admin}", "--audit-log", "none", "--log-level", "warning",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    if source is not None:
        env["PYTHONPATH"] = str(source)
    with peers.running(pinned("sidecar", argv, place), port=port, env=env, timeout=60) as proc:
        yield Proxy(name, f"http://127.0.0.1:{port}/mcp", f"http://127.0.0.1:{admin}", proc.proc.pid)


@contextlib.contextmanager
def before_source(commit: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="guardmesh-before-") as tmp:
        archive = subprocess.run(["git", "archive", commit, "sidecar"], cwd=REPO_ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        yield Path(tmp) / "sidecar"


def peak_mib(pid: int) -> float:
    """VmHWM of the process and of its children (the sidecar's admin front), as a container limit counts."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return round(memory_mib(pid).get("VmHWM", 0.0) + sum(peak_mib(int(c)) for c in children), 1)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))], 1) if ordered else 0.0


def scenario(proxy: Proxy, load: str, seconds: float, tmp: Path, place: Placement) -> dict[str, Any]:
    probe_out = tmp / f"probe-{proxy.name}-{load}.json"
    probe = subprocess.Popen(
        pinned(
            "wrk",
            [
                sys.executable,
                str(HERE / "probe.py"),
                proxy.admin,
                proxy.url,
                str(proxy.pid),
                str(seconds),
                str(probe_out),
            ],
            place,
        )
    )
    wrk: dict[str, Any] = {}
    if load == "idle":
        probe.wait(seconds + 30)
    else:
        payload = small_body() if load == "small" else body(load)
        body_file = tmp / f"body-{load}.json"
        body_file.write_bytes(payload)
        env = {**os.environ, "GM_BODY_FILE": str(body_file)}
        argv = pinned(
            "wrk",
            ["wrk", "-t2", "-c16", f"-d{int(seconds)}s", "--timeout", "60s", "-s", str(HERE / "large.lua"), proxy.url],
            place,
        )
        log = tmp / f"wrk-{proxy.name}-{load}.log"
        with log.open("wb") as out, guarded_popen(argv, env, out) as proc:
            proc.wait(seconds + 120)
        probe.wait(30)
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("GMBENCH "):
                wrk = json.loads(line.removeprefix("GMBENCH "))
    watched = json.loads(probe_out.read_text())
    health = [ms for ms, status in watched["health"] if status == 200]
    small = [ms for ms, status in watched["small"] if status == 200]
    alive = Path(f"/proc/{proxy.pid}").exists()
    result = {
        "sidecar": proxy.name,
        "load": load,
        "seconds": seconds,
        "rate_per_s": round(wrk["requests"] / (wrk["duration_us"] / 1e6), 2) if wrk else 0,
        "answers": {k: wrk.get(k, 0) for k in ("ok", "too_large", "shed", "other")} if wrk else {},
        "wrk_errors": wrk.get("errors", {}),
        "latency_ms": {k: round(v / 1000, 1) for k, v in wrk.get("latency_us", {}).items()},
        "health_ms": {"p50": percentile(health, 0.5), "p99": percentile(health, 0.99), "max": percentile(health, 1.0)},
        "health_failed": len(watched["health"]) - len(health),
        "small_ms": {"p50": percentile(small, 0.5), "p99": percentile(small, 0.99), "max": percentile(small, 1.0)},
        "small_failed": len(watched["small"]) - len(small),
        "rss_max_mib": round(max(watched["rss"] or [0]), 1),
        "hwm_mib": peak_mib(proxy.pid) if alive else None,
        "alive": alive,
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }
    print(json.dumps(result), flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--before", default=BEFORE, help="commit of the sidecar to compare with ('' for none)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "bench" / "overload.json")
    args = parser.parse_args()
    place = Placement(pin=True, nice=0)
    runs = []
    with tempfile.TemporaryDirectory(prefix="guardmesh-overload-") as name, contextlib.ExitStack() as stack:
        tmp = Path(name)
        upstream = stack.enter_context(nginx(tmp, place))
        targets: list[tuple[str, Path | None]] = [("after", None)]
        if args.before:
            targets.append((f"before ({args.before})", stack.enter_context(before_source(args.before))))
        for label, source in targets:
            with sidecar(label, upstream, source, place) as proxy:
                for load in ("idle", "small", "text", "zero-width"):
                    runs.append(scenario(proxy, load, args.seconds if load != "idle" else 10.0, tmp, place))
                    if not Path(f"/proc/{proxy.pid}").exists():
                        break
                    time.sleep(2)
    report = {
        "what": __doc__.splitlines()[0],
        "body_bytes": LIMIT - 64,
        "connections": 16,
        "injected_memory_limit_mib": INJECTED_LIMIT_MIB,
        "machine": {"cpus": os.cpu_count(), "loadavg_at_end": Path("/proc/loadavg").read_text().split()[:3]},
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

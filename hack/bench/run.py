"""Benchmark the GuardMesh sidecar against a direct baseline, all in one run (`make bench`).

For each upstream (nginx serving a canned tools/call result; the real npm server-everything in
streamableHttp mode) and each load scenario, wrk drives the upstream directly, then through a bare
aiohttp relay (bare_relay.py: the floor of any Python proxy on this stack), then through a sidecar
with the default guards, then through one with every native guard ("full" bundle), back to back,
so every figure sits beside its own baseline. wrk and the upstream are pinned to CPU 0 and the
proxies to CPU 1 (see PINNING). Per run we record wrk's latency percentiles (its Lua `done()` hook),
the achieved rate, the proxy's CPU time per request (/proc/<pid>/stat, schedstat) and memory
(/proc/<pid>/status), and how busy the rest of the machine was meanwhile.

Writes <out>/results.json and <out>/latency.png, and regenerates docs/benchmarks.md from them.
Every process it starts runs in its own session and is killed on exit, Ctrl-C or failure.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gzip
import hashlib
import http.client
import json
import os
import platform
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
sys.path.insert(0, str(REPO_ROOT))  # for tests.support.peers (the locator of the real MCP peers)

import report  # noqa: E402 - lives beside this file

from tests.support import peers  # noqa: E402

LUA_SCRIPT = HERE / "post.lua"
SIDECAR = REPO_ROOT / ".venv" / "bin" / "guardmesh-sidecar"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# wrk and the upstream share CPU 0; the sidecar has CPU 1 to itself. In a pod the sidecar and the
# server share a node's cores the same way, and the direct baseline keeps the same placement.
PINNING = {"wrk": "0", "upstream": "0", "sidecar": "1"}

# What wrk sends to the echo tool; nginx answers every call with CANNED_RESULT.
MESSAGE = "GuardMesh benchmark: please echo this sentence back so the proxy has a realistic payload."
PROTOCOL_VERSION = "2025-11-25"

PROFILE_RATE = 200
"""py-spy samples per second."""

TARGETS = ("direct", "bare-relay", "sidecar", "sidecar-full")
BARE_RELAY = HERE / "bare_relay.py"


@dataclass(frozen=True)
class Scenario:
    name: str
    label: str
    connections: int
    threads: int
    rate: int
    """Target requests/s over all connections; 0 for a closed loop (each connection sends as fast as it can)."""


SCENARIOS = (
    Scenario("closed-1", "1 connection, closed loop", 1, 1, 0),
    Scenario("rate-500", "500 req/s, 16 connections", 16, 1, 500),
    Scenario("rate-1000", "1,000 req/s, 16 connections", 16, 1, 1000),
    Scenario("saturation", "saturation, 32 connections", 32, 1, 0),
)


def canned_result() -> bytes:
    """A tools/call result of realistic size (~1.7 KB): text content plus structured content."""
    text = (
        "Search results for the query on quarterly revenue: 1. Revenue grew 12 percent year over year, "
        "driven by subscriptions. 2. Operating margin improved to 18 percent. 3. Churn fell below 2 percent. "
    ) * 6
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "result": {
            "content": [{"type": "text", "text": text.strip()}],
            "structuredContent": {"matches": 3, "source": "benchmark", "truncated": False},
            "isError": False,
        },
    }
    return json.dumps(body, separators=(",", ":")).encode()


def full_bundle() -> dict[str, Any]:
    """Every native guard: the default bundle, with tool-access enforced with allow/deny globs, trusted
    servers declared for server-spoofing, and rate limits high enough never to refuse a benchmark call."""
    import yaml  # the bench runs in the project's venv

    bundle: dict[str, Any] = yaml.safe_load((REPO_ROOT / "sidecar/guardmesh/config/default-bundle.yaml").read_text())
    for guard in bundle["guards"]:
        if guard["name"] == "tool-access":
            guard["spec"]["enforcementAction"] = "Enforce"
            guard["spec"]["native"] |= {
                "allow": ["echo", "add", "get-*", "*sum*", "print*", "trigger-*", "toggle-*", "simulate-*"],
                "deny": ["*delete*", "*exec*", "shell_*", "*drop*", "fs_write*", "*sudo*", "rm_*", "*kill*"],
            }
    plenty = {"ratePerSecond": 1_000_000, "burst": 1_000_000}
    bundle["guards"].append(
        {
            "name": "rate-limit",
            "spec": {
                "type": "native",
                "native": {"kind": "rate-limit", "perTool": {"*": plenty}, "perClient": plenty, "perServer": plenty},
                "runsOn": ["request"],
                "priority": 5,
            },
        }
    )
    bundle["trustedServers"] = [{"name": "payments", "tools": ["refund", "charge", "get-balance"]}]
    return bundle


FULL_BUNDLE = full_bundle()


# --- processes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """Where and how our processes run: CPU pinning (PINNING) and a nice value for all of them."""

    pin: bool
    nice: int


def pinned(role: str, argv: Sequence[str], place: Placement) -> list[str]:
    out = ["taskset", "-c", PINNING[role], *argv] if place.pin else list(argv)
    return ["nice", "-n", str(place.nice), *out] if place.nice else out


@dataclass(frozen=True)
class CpuSample:
    utime: int
    stime: int
    """utime and stime of the whole process (all threads), in clock ticks."""
    run_ns: int
    """Time on CPU summed over the process's threads from /proc/<pid>/task/*/schedstat, in ns."""
    wait_ns: int
    """Time its threads were runnable but waiting for a CPU (schedstat's run delay), in ns."""

    @property
    def ticks(self) -> int:
        return self.utime + self.stime


def cpu_sample(pid: int) -> CpuSample:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    run_ns = wait_ns = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            on_cpu, waiting, _slices = (int(v) for v in (task / "schedstat").read_text().split())
            run_ns += on_cpu
            wait_ns += waiting
    return CpuSample(utime, stime, run_ns, wait_ns)


def memory_mib(pid: int) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


def busy_ticks() -> int:
    """Ticks all CPUs spent in user and system mode, or stolen by the hypervisor, since boot.

    irq and softirq time are left out: on loopback most of it is our own traffic (the kernel's TCP
    receive path), which is charged to no process, so it would show as someone else's load."""
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]
    )
    return user + nice + system + steal


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextlib.contextmanager
def guarded_popen(argv: Sequence[str], env: dict[str, str], stdout: Any) -> Iterator[subprocess.Popen[bytes]]:
    """Popen in its own session; the whole group is killed if we leave before it ends."""
    proc = subprocess.Popen(
        list(argv), env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def clean_env() -> dict[str, str]:
    """Our environment without OTEL_* (no tracing in the sidecar) and without Python's buffering tweaks."""
    return {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}


# --- upstreams --------------------------------------------------------------------------------


@dataclass
class Upstream:
    name: str
    label: str
    url: str
    pid: int
    stateful: bool
    expect: str
    """Text every successful answer contains (checked once per run, not by wrk)."""


def nginx_config(tmp: Path, port: int, body: bytes) -> Path:
    text = body.decode()
    if any(c in text for c in "'$\\"):
        raise ValueError("the canned body must not contain ', $ or \\ (nginx string syntax)")
    conf = tmp / "nginx.conf"
    temp_dirs = "\n".join(
        f"  {kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf.write_text(
        f"""\
worker_processes 1;
daemon off;
master_process off;
pid {tmp / "nginx.pid"};
error_log {tmp / "nginx-error.log"} warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
{temp_dirs}
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  server {{
    listen 127.0.0.1:{port};
    location = /mcp {{
      default_type application/json;
      return 200 '{text}';
    }}
    location / {{ return 404; }}
  }}
}}
""",
        encoding="utf-8",
    )
    return conf


def nginx_binary() -> str:
    """nginx lives in /usr/sbin, which is not on every user's PATH."""
    return shutil.which("nginx") or "/usr/sbin/nginx"


@contextlib.contextmanager
def nginx_upstream(tmp: Path, place: Placement) -> Iterator[Upstream]:
    port = peers.free_port()
    conf = nginx_config(tmp, port, canned_result())
    argv = pinned(
        "upstream", [nginx_binary(), "-p", str(tmp), "-e", str(tmp / "nginx-error.log"), "-c", str(conf)], place
    )
    with peers.running(argv, port=port) as proc:
        yield Upstream(
            "nginx",
            "nginx, canned tools/call result (1.7 KB JSON)",
            f"http://127.0.0.1:{port}/mcp",
            proc.proc.pid,
            stateful=False,
            expect="quarterly revenue",
        )


@contextlib.contextmanager
def everything_upstream(place: Placement) -> Iterator[Upstream]:
    cmd = peers.server_everything("streamableHttp")
    assert cmd.port is not None
    assert cmd.url is not None
    with peers.running(pinned("upstream", cmd.argv, place), port=cmd.port, env=cmd.env) as proc:
        yield Upstream(
            "everything",
            "server-everything (streamableHttp, SSE replies), echo tool",
            cmd.url,
            proc.proc.pid,
            stateful=True,
            expect=MESSAGE,
        )


@dataclass
class Sidecar:
    name: str
    url: str
    pid: int
    admin: str


@contextlib.contextmanager
def sidecar(
    name: str, upstream: Upstream, tmp: Path, place: Placement, bundle: dict[str, Any] | None
) -> Iterator[Sidecar]:
    port, admin = peers.free_port(), peers.free_port()
    argv = [
        str(SIDECAR),
        "--listen",
        f"127.0.0.1:{port}",
        "--upstream",
        upstream.url,
        "--admin-listen",
        f"127.0.0.1:{admin}",
        "--audit-log",
        "none",
        "--log-level",
        "warning",
    ]
    if bundle is not None:
        path = tmp / f"{name}-{upstream.name}-bundle.json"
        path.write_text(json.dumps(bundle, indent=2), encoding="utf-8")
        argv += ["--config", str(path)]
    with peers.running(pinned("sidecar", argv, place), port=port, env=clean_env()) as proc:
        status, body, _ = http_call("GET", f"http://127.0.0.1:{admin}/readyz", None, {})
        if status != 200 or json.loads(body).get("status") != "ready":
            raise RuntimeError(f"sidecar {name} not ready: {status} {body[:300]!r}\n{proc.log()[-2000:]}")
        yield Sidecar(name, f"http://127.0.0.1:{port}/mcp", proc.proc.pid, f"http://127.0.0.1:{admin}")


@contextlib.contextmanager
def bare_relay(upstream: Upstream, place: Placement) -> Iterator[Sidecar]:
    port = peers.free_port()
    argv = [sys.executable, str(BARE_RELAY), str(port), upstream.url]
    with peers.running(pinned("sidecar", argv, place), port=port, env=clean_env()) as proc:
        yield Sidecar("bare-relay", f"http://127.0.0.1:{port}/mcp", proc.proc.pid, "")


# --- MCP over plain HTTP (setup and checks only; the load itself is wrk's) ---------------------


def http_call(
    method: str, url: str, body: dict[str, Any] | None, headers: dict[str, str]
) -> tuple[int, bytes, dict[str, str]]:
    host_port, _, path = url.removeprefix("http://").partition("/")
    host, _, port = host_port.partition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        data = None if body is None else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream", **headers}
        conn.request(method, "/" + path, body=data, headers=all_headers)
        resp = conn.getresponse()
        return resp.status, resp.read(), {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


def rpc_payload(body: bytes) -> dict[str, Any]:
    """The JSON-RPC message of a reply sent as JSON or as a one-event SSE stream."""
    text = body.decode()
    if text.lstrip().startswith("{"):
        parsed: dict[str, Any] = json.loads(text)
        return parsed
    for line in text.splitlines():
        # Skip empty data lines: the SDK opens a resumable stream with a priming event that has no data.
        if line.startswith("data:") and line[5:].strip():
            parsed = json.loads(line[5:].strip())
            return parsed
    raise ValueError(f"no JSON-RPC message in {text[:300]!r}")


@dataclass
class McpSession:
    url: str
    session_id: str | None
    protocol: str | None

    def headers(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.session_id:
            out["Mcp-Session-Id"] = self.session_id
        if self.protocol:
            out["MCP-Protocol-Version"] = self.protocol
        return out


def open_session(url: str, stateful: bool) -> McpSession:
    """initialize + notifications/initialized (stateful servers), then one tools/list so pins exist."""
    if not stateful:
        return McpSession(url, None, None)
    init = {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "guardmesh-bench", "version": "0"},
        },
    }
    status, body, headers = http_call("POST", url, init, {})
    if status != 200 or "mcp-session-id" not in headers:
        raise RuntimeError(f"initialize via {url}: {status} {body[:300]!r}")
    negotiated = rpc_payload(body)["result"]["protocolVersion"]
    session = McpSession(url, headers["mcp-session-id"], negotiated)
    status, body, _ = http_call(
        "POST", url, {"jsonrpc": "2.0", "method": "notifications/initialized"}, session.headers()
    )
    if status != 202:
        raise RuntimeError(f"notifications/initialized via {url}: {status} {body[:300]!r}")
    status, body, _ = http_call("POST", url, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, session.headers())
    tools = [t["name"] for t in rpc_payload(body)["result"]["tools"]]
    if status != 200 or "echo" not in tools:
        raise RuntimeError(f"tools/list via {url}: {status} {body[:300]!r}")
    return session


def close_session(session: McpSession) -> None:
    if session.session_id:
        with contextlib.suppress(OSError):
            http_call("DELETE", session.url, None, session.headers())


def check_call(session: McpSession, expect: str) -> None:
    """One tools/call like wrk's, checked for the expected answer (wrk itself only counts HTTP errors)."""
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "echo", "arguments": {"message": MESSAGE}},
    }
    status, body, _ = http_call("POST", session.url, call, session.headers())
    if status != 200 or expect not in json.dumps(rpc_payload(body).get("result")):
        raise RuntimeError(f"tools/call via {session.url}: {status} {body[:500]!r}")


# --- wrk --------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    errors: dict[str, int]
    latency_us: dict[str, float]
    cpu_s: float


def run_wrk(
    session: McpSession, scenario: Scenario, seconds: float, place: Placement, unique_ids: bool, log_path: Path
) -> WrkResult:
    env = {
        **os.environ,
        "GM_BENCH_TOOL": "echo",
        "GM_BENCH_MESSAGE": MESSAGE,
        "GM_BENCH_SESSION": session.session_id or "",
        "GM_BENCH_PROTOCOL": session.protocol or "",
        "GM_BENCH_UNIQUE_IDS": "1" if unique_ids else "0",
        "GM_BENCH_RATE": str(scenario.rate),
        "GM_BENCH_THREADS": str(scenario.threads),
    }
    duration = max(1, round(seconds))
    argv = pinned(
        "wrk",
        [
            "wrk",
            f"-t{scenario.threads}",
            f"-c{scenario.connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA_SCRIPT),
            session.url,
        ],
        place,
    )
    before = children_cpu_s()
    with log_path.open("wb") as log, guarded_popen(argv, env, log) as proc:
        try:
            proc.wait(timeout=duration + 60)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"wrk did not finish: {shlex.join(argv)}") from None
    cpu = children_cpu_s() - before
    output = log_path.read_text(encoding="utf-8", errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {shlex.join(argv)}\n{output[-2000:]}")
    for line in output.splitlines():
        if line.startswith("GMBENCH "):
            data = json.loads(line.removeprefix("GMBENCH "))
            return WrkResult(
                data["requests"], data["duration_us"] / 1e6, data["errors"], data["latency_us"], round(cpu, 3)
            )
    raise RuntimeError(f"no GMBENCH line in wrk output:\n{output[-2000:]}")


# --- one measured run -------------------------------------------------------------------------


@dataclass
class Run:
    upstream: str
    scenario: str
    target: str
    connections: int
    threads: int
    target_rate: int
    requests: int
    duration_s: float
    achieved_rps: float
    errors: dict[str, int]
    latency_us: dict[str, float]
    wrk_cpu_us_per_request: float
    upstream_cpu_us_per_request: float
    background_cpu_percent: float
    """CPU used by anything but wrk, the upstream and the sidecar, as a share of all cores."""
    loadavg: str
    sidecar: dict[str, float] = field(default_factory=dict)
    attempt: int = 1
    """Which measurement of its scenario group this is (see measure_scenario)."""


def measure(
    upstream: Upstream,
    target: str,
    car: Sidecar | None,
    scenario: Scenario,
    args: argparse.Namespace,
    logs: Path,
) -> Run:
    url = car.url if car is not None else upstream.url
    session = open_session(url, upstream.stateful)
    try:
        check_call(session, upstream.expect)
        tag = f"{upstream.name}-{scenario.name}-{target}"
        if args.warmup > 0:
            run_wrk(session, scenario, args.warmup, args.place, upstream.stateful, logs / f"{tag}-warmup.log")
        pids = {"upstream": upstream.pid} | ({"sidecar": car.pid} if car is not None else {})
        start = {role: cpu_sample(pid) for role, pid in pids.items()}
        busy0, t0 = busy_ticks(), time.monotonic()
        wrk = run_wrk(session, scenario, args.duration, args.place, upstream.stateful, logs / f"{tag}.log")
        busy1, elapsed = busy_ticks(), time.monotonic() - t0
        end = {role: cpu_sample(pid) for role, pid in pids.items()}
        check_call(session, upstream.expect)
    finally:
        close_session(session)
    n = max(wrk.requests, 1)
    ticks = {role: end[role].ticks - start[role].ticks for role in pids}
    ours = sum(ticks.values()) + wrk.cpu_s * CLK_TCK
    cores = os.cpu_count() or 1
    background = max(0.0, (busy1 - busy0) - ours) / (elapsed * CLK_TCK * cores) * 100
    run = Run(
        upstream=upstream.name,
        scenario=scenario.name,
        target=target,
        connections=scenario.connections,
        threads=scenario.threads,
        target_rate=scenario.rate,
        requests=wrk.requests,
        duration_s=round(wrk.duration_s, 3),
        achieved_rps=round(wrk.requests / wrk.duration_s, 1),
        errors=wrk.errors,
        latency_us=wrk.latency_us,
        wrk_cpu_us_per_request=round(wrk.cpu_s * 1e6 / n, 1),
        upstream_cpu_us_per_request=round(ticks["upstream"] / CLK_TCK * 1e6 / n, 1),
        background_cpu_percent=round(background, 1),
        loadavg=Path("/proc/loadavg").read_text().split(" ")[0],
    )
    if car is not None:
        run.sidecar = {
            "cpu_ticks": ticks["sidecar"],
            "cpu_us_per_request": round(ticks["sidecar"] / CLK_TCK * 1e6 / n, 1),
            "cpu_us_per_request_schedstat": round((end["sidecar"].run_ns - start["sidecar"].run_ns) / 1e3 / n, 1),
            "runqueue_wait_us_per_request": round((end["sidecar"].wait_ns - start["sidecar"].wait_ns) / 1e3 / n, 1),
            "cpu_percent": round(ticks["sidecar"] / CLK_TCK / elapsed * 100, 1),
            "system_share_percent": round(
                (end["sidecar"].stime - start["sidecar"].stime) * 100 / max(ticks["sidecar"], 1), 1
            ),
            **{("rss_mib" if k == "VmRSS" else "hwm_mib"): v for k, v in memory_mib(car.pid).items()},
        }
    return run


def wait_for_quiet(limit: float, max_wait: float) -> None:
    """Before a scenario group, wait (at most max_wait seconds) until the machine's CPU use, while all
    our processes are idle, is at most `limit` percent of all cores over a second."""
    deadline = time.monotonic() + max_wait
    cores = os.cpu_count() or 1
    told = False
    while True:
        before, t0 = busy_ticks(), time.monotonic()
        time.sleep(1.0)
        load = (busy_ticks() - before) / ((time.monotonic() - t0) * CLK_TCK * cores) * 100
        if load <= limit or time.monotonic() >= deadline:
            if told:
                print(f"   machine at {load:.0f}% CPU; going on", flush=True)
            return
        if not told:
            print(f"   machine busy ({load:.0f}% CPU from other processes): waiting up to {max_wait:g} s", flush=True)
            told = True


def measure_scenario(
    upstream: Upstream,
    cars: dict[str, Sidecar | None],
    targets: Sequence[str],
    scenario: Scenario,
    args: argparse.Namespace,
    logs: Path,
) -> list[Run]:
    """Every target for one scenario, back to back. On a shared machine, when something else took more
    than --noise-limit percent of the CPUs during any of the runs, the whole group is measured again
    (at most --noise-retries times) and the quietest group is kept."""
    best: list[Run] = []
    for attempt in range(1 + args.noise_retries):
        wait_for_quiet(args.noise_limit, args.quiet_wait)
        group = []
        for target in targets:
            run = measure(upstream, target, cars[target], scenario, args, logs)
            run.attempt = attempt + 1
            print(describe(run), flush=True)
            group.append(run)
        noise = max(r.background_cpu_percent for r in group)
        if not best or noise < max(r.background_cpu_percent for r in best):
            best = group
        if noise <= args.noise_limit:
            break
        if attempt < args.noise_retries:
            print(f"   background CPU reached {noise:.0f}% (> {args.noise_limit:g}%): measuring again", flush=True)
    return best


def describe(run: Run) -> str:
    lat = run.latency_us
    text = (
        f"{run.upstream:10} {run.scenario:10} {run.target:12} {run.achieved_rps:9.0f} req/s"
        f"  p50 {lat['p50'] / 1000:6.3f} ms  p99 {lat['p99'] / 1000:7.3f} ms"
    )
    if run.sidecar:
        text += f"  cpu {run.sidecar['cpu_us_per_request']:6.1f} us/req  rss {run.sidecar['rss_mib']:5.1f} MiB"
    errors = sum(run.errors.values())
    if errors:
        text += f"  ERRORS {run.errors}"
    return text + f"  bg {run.background_cpu_percent:.0f}%"


# --- profile ----------------------------------------------------------------------------------


def profile_saturation(
    upstream: Upstream, car: Sidecar, args: argparse.Namespace, logs: Path, out: Path
) -> dict[str, Any]:
    """Sample the sidecar with py-spy (with native frames, pinned beside wrk) through one saturation run.

    py-spy stops the process for each sample (--nonblocking gives torn stacks), so this run is slower
    than the measured ones and is not one of them; only the shares matter."""
    scenario = next(s for s in SCENARIOS if s.name == "saturation")
    raw = logs / f"profile-{upstream.name}-saturation.txt"
    argv = pinned(
        "wrk",
        [
            args.py_spy,
            "record",
            "--pid",
            str(car.pid),
            "--duration",
            str(max(1, round(args.duration))),
            "--rate",
            str(PROFILE_RATE),
            "--native",
            "--format",
            "raw",
            "--output",
            str(raw),
        ],
        args.place,
    )
    session = open_session(car.url, upstream.stateful)
    try:
        with (logs / "py-spy.log").open("wb") as log, guarded_popen(argv, os.environ.copy(), log) as spy:
            time.sleep(0.5)
            run_wrk(session, scenario, args.duration, args.place, upstream.stateful, logs / "profile-wrk.log")
            spy.wait(timeout=60)
    finally:
        close_session(session)
    stored = out / f"{raw.name}.gz"
    stored.write_bytes(gzip.compress(raw.read_bytes(), mtime=0))
    return report.summarize_profile(raw) | {"raw_file": stored.name}


# --- metadata ---------------------------------------------------------------------------------


def command_output(argv: Sequence[str]) -> str:
    try:
        proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return "not found"
    return (proc.stdout + proc.stderr).strip().splitlines()[0] if (proc.stdout + proc.stderr).strip() else ""


def engine_benchmark(tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    """hack/bench/engine.py on the sidecar's CPU: the detection engine and the default guards in-process."""
    print("== detection engine and default guards, in-process (engine.py)", flush=True)
    wait_for_quiet(args.noise_limit, args.quiet_wait)
    path = tmp / "engine.json"
    iterations = "500" if args.quick else "3000"
    argv = [sys.executable, str(HERE / "engine.py"), "--iterations", iterations, "--matchers", "hyperscan"]
    subprocess.run(pinned("sidecar", [*argv, "--json", str(path)], args.place), check=True)
    figures: dict[str, Any] = json.loads(path.read_text())
    return figures


def machine_info() -> dict[str, Any]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "clock_ticks_per_s": CLK_TCK,
    }


def versions() -> dict[str, str]:
    everything = peers.node_modules() / "@modelcontextprotocol" / "server-everything" / "package.json"
    out = {
        "python": platform.python_version(),
        "wrk": command_output(["wrk", "-v"]).split(" [")[0].removeprefix("wrk "),
        "nginx": command_output([nginx_binary(), "-v"]).removeprefix("nginx version: nginx/"),
        "node": command_output([str(peers.node22()), "--version"]),
        "server-everything": json.loads(everything.read_text())["version"],
    }
    for dist in ("guardmesh", "aiohttp", "uvloop", "orjson", "pydantic"):
        out[dist] = metadata.version(dist)
    commit = command_output(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"])
    dirty = command_output(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--", "sidecar"])
    out["guardmesh commit"] = commit + (" + uncommitted changes in sidecar/" if dirty else "")
    out["sidecar source sha256"] = source_digest(REPO_ROOT / "sidecar")
    return out


def source_digest(root: Path) -> str:
    """sha256 over the sidecar's Python files (path and content), to tell which code was measured."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


# --- main -------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=10.0, help="seconds per measured run (default 10)")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load before each run (default 2)")
    p.add_argument("--quick", action="store_true", help="smoke run: 2 s runs, 1 s warm-up, output to bench-results/")
    p.add_argument("--upstreams", default="nginx,everything", help="comma list of nginx, everything")
    p.add_argument("--scenarios", default=",".join(s.name for s in SCENARIOS), help="comma list of scenario names")
    p.add_argument("--no-full", action="store_true", help="skip the sidecar with the full bundle")
    p.add_argument("--no-engine", action="store_true", help="skip the in-process engine benchmark (engine.py)")
    p.add_argument("--no-bare", action="store_true", help="skip the bare aiohttp relay (the floor of the stack)")
    p.add_argument("--no-pin", dest="pin", action="store_false", help="do not pin processes to CPUs with taskset")
    p.add_argument(
        "--nice",
        type=int,
        default=-10 if os.geteuid() == 0 else 0,
        help="nice value for wrk, the upstreams and the proxies (default -10 as root, else 0): on a shared"
        " machine, other processes then rarely delay ours; all targets get the same",
    )
    p.add_argument("--out", type=Path, help="directory for results.json and latency.png (default docs/bench)")
    p.add_argument(
        "--doc",
        type=Path,
        help="markdown report to write (default docs/benchmarks.md, but none with --quick or another --out)",
    )
    p.add_argument(
        "--noise-limit",
        type=float,
        default=10.0,
        help="background CPU %% above which a scenario is measured again (default 10)",
    )
    p.add_argument("--noise-retries", type=int, default=2, help="how often to measure a noisy scenario again")
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=30.0,
        help="seconds to wait for the machine to fall under --noise-limit before each scenario (default 30)",
    )
    p.add_argument("--py-spy", help="py-spy binary: also profile the sidecar through one nginx saturation run")
    p.add_argument("--render-only", action="store_true", help="only regenerate the plot and markdown from results.json")
    args = p.parse_args(argv)
    if args.quick:
        args.duration, args.warmup = min(args.duration, 2.0), min(args.warmup, 1.0)
    if args.doc is None and not args.quick and args.out is None:
        args.doc = REPO_ROOT / "docs" / "benchmarks.md"  # only beside the default results, never for another --out
    if args.out is None:
        args.out = REPO_ROOT / ("bench-results" if args.quick else "docs/bench")
    args.place = Placement(pin=args.pin and (os.cpu_count() or 1) >= 2, nice=args.nice)
    return args


def preflight(args: argparse.Namespace) -> None:
    missing = [tool for tool in ("wrk", "taskset") if shutil.which(tool) is None]
    missing += [] if Path(nginx_binary()).exists() else ["nginx"]
    if missing:
        raise SystemExit(f"missing {', '.join(missing)}: run `make apt` (bash hack/install-apt.sh) first")
    if not SIDECAR.exists():
        raise SystemExit(f"{SIDECAR} missing: run `make python` first")
    if args.py_spy and shutil.which(args.py_spy) is None:
        raise SystemExit(f"py-spy not found: {args.py_spy}")


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out: Path = args.out
    results_path = out / "results.json"
    if args.render_only:
        report.write_outputs(json.loads(results_path.read_text()), out, args.doc)
        return 0
    preflight(args)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _terminate)  # SIGINT too: a background job may have inherited it ignored
    from guardmesh.config import parse_bundle  # the full bundle must load in the sidecar

    parse_bundle(json.dumps(FULL_BUNDLE), "full bundle")
    wanted_upstreams = [u for u in args.upstreams.split(",") if u]
    scenarios = [s for s in SCENARIOS if s.name in args.scenarios.split(",")]
    skipped = {"sidecar-full"} if args.no_full else set()
    skipped |= {"bare-relay"} if args.no_bare else set()
    targets = [t for t in TARGETS if t not in skipped]
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC)
    runs: list[Run] = []
    upstream_labels: list[dict[str, str]] = []
    profile: dict[str, Any] | None = None
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="guardmesh-bench-") as tmp_name:
        tmp = Path(tmp_name)
        logs = tmp / "logs"
        logs.mkdir()
        for name in wanted_upstreams:
            with contextlib.ExitStack() as stack:
                if name == "nginx":
                    nginx_tmp = tmp / "nginx"
                    nginx_tmp.mkdir()
                    upstream = stack.enter_context(nginx_upstream(nginx_tmp, args.place))
                elif name == "everything":
                    upstream = stack.enter_context(everything_upstream(args.place))
                else:
                    raise SystemExit(f"unknown upstream {name!r}")
                cars: dict[str, Sidecar | None] = {"direct": None}
                if "bare-relay" in targets:
                    cars["bare-relay"] = stack.enter_context(bare_relay(upstream, args.place))
                cars["sidecar"] = stack.enter_context(sidecar("sidecar", upstream, tmp, args.place, None))
                if "sidecar-full" in targets:
                    cars["sidecar-full"] = stack.enter_context(
                        sidecar("sidecar-full", upstream, tmp, args.place, FULL_BUNDLE)
                    )
                upstream_labels.append({"name": upstream.name, "label": upstream.label})
                print(f"== {upstream.label} at {upstream.url}", flush=True)
                for scenario in scenarios:
                    runs.extend(measure_scenario(upstream, cars, targets, scenario, args, logs))
                default_car = cars["sidecar"]
                if args.py_spy and name == "nginx" and default_car is not None:
                    print("== profiling the default sidecar through one nginx saturation run", flush=True)
                    profile = profile_saturation(upstream, default_car, args, logs, out)
        engine = None if args.no_engine else engine_benchmark(tmp, args)
        if args.quick:
            shutil.copytree(logs, out / "logs", dirs_exist_ok=True)
    elapsed = time.monotonic() - started
    data: dict[str, Any] = {
        "meta": {
            "date": started_at.isoformat(timespec="seconds"),
            "command": ".venv/bin/python hack/bench/run.py " + shlex.join(sys.argv[1:] if argv is None else argv),
            "wall_time_s": round(elapsed, 1),
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "noise_limit_percent": args.noise_limit,
            "noise_retries": args.noise_retries,
            "quiet_wait_s": args.quiet_wait,
            "pinning": PINNING if args.place.pin else None,
            "nice": args.place.nice,
            "machine": machine_info(),
            "versions": versions(),
            "message": MESSAGE,
            "canned_result_bytes": len(canned_result()),
            "full_bundle": FULL_BUNDLE,
            "scenarios": [asdict(s) for s in scenarios],
            "upstreams": upstream_labels,
            "budget": report.BUDGET,
        },
        "runs": [asdict(r) for r in runs],
        "profile": profile,
        "engine": engine,
    }
    results_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    report.write_outputs(data, out, args.doc)
    print(f"wrote {results_path}" + (f" and {args.doc}" if args.doc else "") + f" in {elapsed:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as exc:
        print(f"interrupted ({exc}); every process started was stopped", file=sys.stderr)
        sys.exit(130)

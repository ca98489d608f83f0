"""Run the real ``guardmesh-sidecar`` as a subprocess for end-to-end tests.

``running_sidecar(upstream)`` starts it on free ports, waits until ``/healthz`` answers, yields a
``Sidecar`` with its URLs, and stops it with SIGTERM (which flushes traces and the audit log). The
test fails, with the sidecar's log, if the process died while in use or did not exit cleanly.
``stdio_command(...)`` is the argv of ``guardmesh-sidecar stdio -- <server>`` for clients that
spawn their server themselves.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.peers import free_port

__all__ = [
    "Sidecar",
    "read_audit",
    "running_sidecar",
    "sidecar_binary",
    "stdio_command",
    "stop",
    "wait_for_audit",
    "write_bundle",
]


def sidecar_binary() -> Path:
    """The ``guardmesh-sidecar`` entry point of the venv running the tests."""
    path = Path(sys.executable).parent / "guardmesh-sidecar"
    if not path.exists():
        pytest.fail(f"{path} is missing: run `uv sync` (or `make python`) to install the project into .venv")
    return path


def write_bundle(path: Path, guards: Sequence[Mapping[str, Any]], **extra: Any) -> Path:
    """Write a bundle file (JSON, a subset of the YAML the sidecar reads) with the given guards."""
    bundle = {"apiVersion": "guardmesh.dev/v1alpha1", "kind": "GuardBundle", "guards": list(guards), **extra}
    path.write_text(json.dumps(bundle, indent=2), encoding="utf-8")
    return path


def read_audit(path: Path) -> list[dict[str, Any]]:
    """The audit log's records (one JSON object per line); empty when the file does not exist yet."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def wait_for_audit(path: Path, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    """The records of the audit log at ``path`` once it holds at least ``count`` (or ``timeout`` passed)."""
    deadline = time.monotonic() + timeout
    while True:
        records = read_audit(path)
        if len(records) >= count or time.monotonic() > deadline:
            return records
        time.sleep(0.05)


@dataclass
class Sidecar:
    """A running sidecar: where clients connect, its admin endpoint and its output."""

    proc: subprocess.Popen[bytes]
    base: str
    """``http://127.0.0.1:<port>`` of the MCP listener."""
    url: str
    """The upstream URL with the sidecar's host and port: the path is kept (``/mcp``, ``/sse``)."""
    admin: str
    """``http://127.0.0.1:<port>`` of /metrics, /healthz and /readyz."""
    audit_log: Path | None
    log_path: Path
    stopped_by_test: bool = False
    """Set by ``terminate``: the test stopped the process and judges its exit itself."""

    def terminate(self, timeout: float) -> int | None:
        """SIGTERM and wait up to ``timeout`` seconds: the exit status, or None (then SIGKILL) if still running."""
        self.stopped_by_test = True
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def get_admin(self, path: str) -> str:
        with urllib.request.urlopen(self.admin + path, timeout=5) as response:
            body: bytes = response.read()
        return body.decode()

    def audit(self) -> list[dict[str, Any]]:
        return [] if self.audit_log is None else read_audit(self.audit_log)

    def wait_for_audit(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The audit records once at least ``count`` are written (the writer runs off the request path)."""
        return [] if self.audit_log is None else wait_for_audit(self.audit_log, count, timeout)


def _wait_healthy(proc: subprocess.Popen[bytes], admin: str, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            log = log_path.read_text(errors="replace")[-4000:]
            pytest.fail(f"guardmesh-sidecar exited with {proc.returncode} during startup:\n{log}")
        try:
            with urllib.request.urlopen(admin + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            log = log_path.read_text(errors="replace")[-4000:]
            pytest.fail(f"guardmesh-sidecar did not answer /healthz within {timeout}s:\n{log}")
        time.sleep(0.05)


@contextlib.contextmanager
def running_sidecar(
    upstream: str,
    *,
    config: Path | None = None,
    audit_log: Path | None = None,
    env: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
    timeout: float = 20.0,
    port: int | None = None,
) -> Iterator[Sidecar]:
    """Run ``guardmesh-sidecar --upstream <upstream>`` on free 127.0.0.1 ports while the context is open.

    ``env`` is added to the environment (``OTEL_*`` for tracing); OTLP export is off unless it asks
    for it. ``audit_log=None`` turns the audit log off.
    """
    port, admin_port = port or free_port(), free_port()  # a given port: for a URL known in advance (OAuth resource)
    argv = [
        str(sidecar_binary()),
        "--listen",
        f"127.0.0.1:{port}",
        "--upstream",
        upstream,
        "--admin-listen",
        f"127.0.0.1:{admin_port}",
        "--audit-log",
        str(audit_log) if audit_log is not None else "none",
        *(["--config", str(config)] if config is not None else []),
        *extra_args,
    ]
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    child_env.update(env or {})
    fd, name = tempfile.mkstemp(prefix="guardmesh-sidecar-", suffix=".log")
    log_path = Path(name)
    with os.fdopen(fd, "wb") as log_file:
        proc = subprocess.Popen(
            argv, env=child_env, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT
        )
    parts = urlsplit(upstream)
    base = f"http://127.0.0.1:{port}"
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    sidecar = Sidecar(proc, base, base + path, f"http://127.0.0.1:{admin_port}", audit_log, log_path)
    try:
        _wait_healthy(proc, sidecar.admin, log_path, timeout)
        yield sidecar
        if proc.poll() is not None and not sidecar.stopped_by_test:
            pytest.fail(f"guardmesh-sidecar crashed (exit {proc.returncode}) during the test:\n{sidecar.log()[-4000:]}")
    finally:
        code = stop(proc)
        log = sidecar.log()
        with contextlib.suppress(OSError):
            log_path.unlink()
    if code != 0 and not sidecar.stopped_by_test:
        pytest.fail(f"guardmesh-sidecar exited with {code} on SIGTERM (expected 0):\n{log[-4000:]}")
    if "Traceback (most recent call last)" in log:
        pytest.fail(f"guardmesh-sidecar logged an unhandled exception:\n{log[-6000:]}")


def stop(proc: subprocess.Popen[bytes], grace: float = 10.0) -> int:
    """SIGTERM, then SIGKILL after ``grace`` seconds; returns the exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def stdio_command(server: Sequence[str], *, config: Path | None = None, audit_log: Path | None = None) -> list[str]:
    """``guardmesh-sidecar stdio [--config F] [--audit-log F] -- <server argv>``."""
    argv = [str(sidecar_binary()), "stdio"]
    if config is not None:
        argv += ["--config", str(config)]
    argv += ["--audit-log", str(audit_log) if audit_log is not None else "none"]
    return [*argv, "--", *server]

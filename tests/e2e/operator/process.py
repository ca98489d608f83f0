"""Run the operator as a subprocess against a plane, with its webhook configurations registered."""

from __future__ import annotations

import contextlib
import json
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from guardmesh_operator.certs import ServingCert, write_serving_cert
from tests.e2e.operator.webhook_config import mutating, validating
from tests.support.cluster import Cluster
from tests.support.peers import REPO_ROOT, free_port


class OperatorError(RuntimeError):
    """The operator did not start, or logged an unhandled exception; the message carries its log."""


@dataclass(frozen=True)
class Operator:
    proc: subprocess.Popen[bytes]
    webhook: str
    """https://127.0.0.1:<port> of the admission webhooks."""
    ca: Path
    log_path: Path
    mutating: str
    """Name of the MutatingWebhookConfiguration."""

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def metrics(self) -> str:
        context = ssl.create_default_context(cafile=str(self.ca))
        with urllib.request.urlopen(f"{self.webhook}/metrics", context=context, timeout=5) as response:
            body: bytes = response.read()
        return body.decode()


def wait_answering(proc: subprocess.Popen[bytes], url: str, log_path: Path, context: ssl.SSLContext | None) -> None:
    """Wait (at most 60 s) until the operator answers `url` with 200; OperatorError with its log if it exits."""
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise OperatorError(
                f"the operator exited with {proc.returncode}:\n{log_path.read_text(errors='replace')[-4000:]}"
            )
        with (
            contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError),
            urllib.request.urlopen(url, timeout=2, context=context) as response,
        ):
            if response.status == 200:
                return
        if time.monotonic() > deadline:
            raise OperatorError(f"the operator did not answer {url}:\n{log_path.read_text(errors='replace')[-4000:]}")
        time.sleep(0.2)


def operator_argv(certs: ServingCert, port: int, live: int, image: str, *extra_args: str) -> list[str]:
    """`python -m guardmesh_operator run` with its webhooks and liveness endpoint on 127.0.0.1."""
    return [
        sys.executable,
        "-m",
        "guardmesh_operator",
        "run",
        "--webhook-host=127.0.0.1",
        f"--webhook-port={port}",
        f"--webhook-cert={certs.cert}",
        f"--webhook-key={certs.key}",
        f"--liveness=http://127.0.0.1:{live}/healthz",
        f"--image={image}",
        *extra_args,
    ]


@contextlib.contextmanager
def running_operator(cluster: Cluster, work: Path, *extra_args: str, observe: bool = False) -> Iterator[Operator]:
    """CRDs applied, the operator running (webhooks on loopback HTTPS), webhook configurations registered.
    With `observe`, it takes sidecars' reports of tool definitions on its webhook server (`/observe`)."""
    cluster.kubectl("apply", "-f", str(REPO_ROOT / "crds"))
    cluster.kubectl(
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/securityguards.guardmesh.dev",
        "crd/policies.guardmesh.dev",
        "crd/toolbaselines.guardmesh.dev",
    )
    certs = write_serving_cert(work / "certs", ["127.0.0.1"])
    port, live = free_port(), free_port()
    log_path = work / "operator.log"
    base = f"https://127.0.0.1:{port}"
    if observe:
        extra_args = (f"--observe-url={base}/observe", *extra_args)
    argv = operator_argv(certs, port, live, "guardmesh/sidecar:e2e", *extra_args)
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(argv, env=cluster.env(), stdout=log_file, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
    suffix = uuid.uuid4().hex[:6]
    names = (f"guardmesh-inject-{suffix}", f"guardmesh-validate-{suffix}")
    try:
        wait_answering(proc, f"http://127.0.0.1:{live}/healthz", log_path, None)
        wait_answering(proc, f"{base}/healthz", log_path, ssl.create_default_context(cafile=str(certs.ca)))
        ca = certs.ca.read_bytes()
        cluster.apply(json.dumps(mutating(names[0], base, ca)))
        cluster.apply(json.dumps(validating(names[1], base, ca)))
        yield Operator(proc, base, certs.ca, log_path, names[0])
    finally:
        cluster.kubectl("delete", "mutatingwebhookconfiguration", names[0], "--ignore-not-found", check=False)
        cluster.kubectl("delete", "validatingwebhookconfiguration", names[1], "--ignore-not-found", check=False)
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    # What kopf logs while its watches are torn down after SIGTERM is its own; judge the run up to the signal.
    log = log_path.read_text(errors="replace").split("Signal SIGTERM is received", 1)[0]
    if "Traceback (most recent call last)" in log:
        raise OperatorError(f"the operator logged an unhandled exception:\n{log[-6000:]}")

"""GuardMesh on the local control plane: the CRDs and webhook configurations, and the operator as a process.

The operator runs on this machine (the local plane has no kubelet to run its pod), with its admission
webhooks on loopback HTTPS; the API server calls them by URL with the throwaway CA in `caBundle`.
"""

import contextlib
import json
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from guardmesh_operator.certs import write_serving_cert
from tests.e2e.operator.webhook_config import mutating, validating
from tests.support.cluster import Cluster
from tests.support.peers import REPO_ROOT, free_port

CRD_NAMES = ("crd/securityguards.guardmesh.dev", "crd/policies.guardmesh.dev")
WEBHOOK_NAMES = ("guardmesh-demo-inject", "guardmesh-demo-validate")


class DemoError(RuntimeError):
    """A step of the demo failed; the message says which and why."""


@dataclass(frozen=True)
class OperatorProcess:
    proc: subprocess.Popen[bytes]
    webhook: str
    log_path: Path

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]


def _wait_ok(proc: subprocess.Popen[bytes], url: str, log: Path, context: ssl.SSLContext | None) -> None:
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise DemoError(f"the operator exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2, context=context) as response:  # noqa: S310 - our own http(s) URL
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise DemoError(f"the operator did not answer {url} within 60 s")
        time.sleep(0.2)


def apply_crds(cluster: Cluster) -> None:
    cluster.kubectl("apply", "--server-side", "-f", str(REPO_ROOT / "crds"))
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s", *CRD_NAMES)


@contextlib.contextmanager
def operator(cluster: Cluster, work: Path, *, register_webhooks: bool = True) -> Iterator[OperatorProcess]:
    """`python -m guardmesh_operator run` with webhooks on 127.0.0.1, registered at the API server; stopped on exit."""
    certs = write_serving_cert(work / "certs", ["127.0.0.1"])
    port, live = free_port(), free_port()
    log_path = work / "operator.log"
    argv = [
        sys.executable,
        "-m",
        "guardmesh_operator",
        "run",
        "--webhook-host=127.0.0.1",
        f"--webhook-port={port}",
        f"--webhook-cert={certs.cert}",
        f"--webhook-key={certs.key}",
        f"--liveness=http://127.0.0.1:{live}/healthz",
        "--image=guardmesh/sidecar:demo",
    ]
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            argv, env=cluster.env(), stdout=log_file, stderr=subprocess.STDOUT, cwd=REPO_ROOT, start_new_session=True
        )
    base = f"https://127.0.0.1:{port}"
    try:
        _wait_ok(proc, f"http://127.0.0.1:{live}/healthz", log_path, None)
        _wait_ok(proc, f"{base}/healthz", log_path, ssl.create_default_context(cafile=str(certs.ca)))
        if register_webhooks:
            ca = certs.ca.read_bytes()
            cluster.apply(json.dumps(mutating(WEBHOOK_NAMES[0], base, ca)))
            cluster.apply(json.dumps(validating(WEBHOOK_NAMES[1], base, ca)))
        yield OperatorProcess(proc, base, log_path)
    finally:
        if register_webhooks:
            # Without the operator these would refuse every opted-in pod (failurePolicy Fail).
            cluster.kubectl(
                "delete", "mutatingwebhookconfiguration", WEBHOOK_NAMES[0], "--ignore-not-found", check=False
            )
            cluster.kubectl(
                "delete", "validatingwebhookconfiguration", WEBHOOK_NAMES[1], "--ignore-not-found", check=False
            )
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

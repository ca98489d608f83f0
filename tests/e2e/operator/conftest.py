"""The operator as a subprocess against the real plane, with its webhooks registered at the API server."""

from __future__ import annotations

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

import pytest

from guardmesh_operator.certs import write_serving_cert
from tests.e2e.operator.webhook_config import mutating, validating
from tests.support.cluster import Cluster
from tests.support.peers import REPO_ROOT, free_port


@dataclass(frozen=True)
class Operator:
    proc: subprocess.Popen[bytes]
    webhook: str
    """https://127.0.0.1:<port> of the admission webhooks."""
    ca: Path
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def metrics(self) -> str:
        context = ssl.create_default_context(cafile=str(self.ca))
        with urllib.request.urlopen(f"{self.webhook}/metrics", context=context, timeout=5) as response:
            body: bytes = response.read()
        return body.decode()


def _wait_live(proc: subprocess.Popen[bytes], url: str, log_path: Path, context: ssl.SSLContext | None) -> None:
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            pytest.fail(f"the operator exited with {proc.returncode}:\n{log_path.read_text(errors='replace')[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2, context=context) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"the operator did not answer {url}:\n{log_path.read_text(errors='replace')[-4000:]}")
        time.sleep(0.2)


@pytest.fixture(scope="package")
def operator(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    """CRDs applied, the operator running (webhooks on loopback HTTPS), webhook configurations registered."""
    cluster.kubectl("apply", "-f", str(REPO_ROOT / "crds"))
    cluster.kubectl(
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/securityguards.guardmesh.dev",
        "crd/policies.guardmesh.dev",
    )
    work = tmp_path_factory.mktemp("operator")
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
        "--image=guardmesh/sidecar:e2e",
    ]
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(argv, env=cluster.env(), stdout=log_file, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
    base = f"https://127.0.0.1:{port}"
    suffix = uuid.uuid4().hex[:6]
    names = (f"guardmesh-inject-{suffix}", f"guardmesh-validate-{suffix}")
    try:
        _wait_live(proc, f"http://127.0.0.1:{live}/healthz", log_path, None)
        _wait_live(proc, f"{base}/healthz", log_path, ssl.create_default_context(cafile=str(certs.ca)))
        ca = certs.ca.read_bytes()
        cluster.apply(json.dumps(mutating(names[0], base, ca)))
        cluster.apply(json.dumps(validating(names[1], base, ca)))
        yield Operator(proc, base, certs.ca, log_path)
    finally:
        cluster.kubectl("delete", "mutatingwebhookconfiguration", names[0], "--ignore-not-found", check=False)
        cluster.kubectl("delete", "validatingwebhookconfiguration", names[1], "--ignore-not-found", check=False)
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    log = log_path.read_text(errors="replace")
    if "Traceback (most recent call last)" in log:
        pytest.fail(f"the operator logged an unhandled exception:\n{log[-6000:]}")


def make_namespace(cluster: Cluster, labels: dict[str, str]) -> Iterator[str]:
    name = f"gm-op-{uuid.uuid4().hex[:8]}"
    cluster.kubectl("create", "namespace", name)
    if labels:
        cluster.kubectl("label", "namespace", name, *(f"{k}={v}" for k, v in labels.items()))
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture(scope="module")
def namespace(cluster: Cluster, operator: Operator) -> Iterator[str]:
    """A namespace that enforces the restricted Pod Security Standard, so an injected pod proves it complies."""
    yield from make_namespace(cluster, {"pod-security.kubernetes.io/enforce": "restricted"})


@pytest.fixture(scope="module")
def plain_namespace(cluster: Cluster, operator: Operator) -> Iterator[str]:
    yield from make_namespace(cluster, {})

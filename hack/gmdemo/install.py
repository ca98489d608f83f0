"""GuardMesh on the local control plane: the CRDs and webhook configurations, and the operator as a process.

The operator runs on this machine (the local plane has no kubelet to run its pod), with its admission
webhooks on loopback HTTPS; the API server calls them by URL with the throwaway CA in `caBundle`.
"""

import base64
import contextlib
import json
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from guardmesh_operator.certs import ServingCert, write_serving_cert
from tests.e2e.operator.process import OperatorError, operator_argv, wait_answering
from tests.e2e.operator.webhook_config import mutating, validating
from tests.support.cluster import Cluster
from tests.support.peers import REPO_ROOT, free_port

CHART = REPO_ROOT / "charts" / "guardmesh"
CRD_NAMES = ("crd/securityguards.guardmesh.dev", "crd/policies.guardmesh.dev", "crd/toolbaselines.guardmesh.dev")
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
    try:
        wait_answering(proc, url, log, context)
    except OperatorError as exc:
        raise DemoError(str(exc)) from None


def apply_crds(cluster: Cluster) -> None:
    cluster.kubectl("apply", "--server-side", "-f", str(REPO_ROOT / "crds"))
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s", *CRD_NAMES)


@dataclass(frozen=True)
class Endpoint:
    """Where the operator's webhooks will listen, and the throwaway certificate they serve."""

    port: int
    certs: ServingCert

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"


def endpoint(work: Path) -> Endpoint:
    return Endpoint(free_port(), write_serving_cert(work / "certs", ["127.0.0.1"]))


def helm_install(cluster: Cluster, where: Endpoint) -> str:
    """`helm install` the chart with values for the local plane: CRDs, RBAC, webhook configurations, no operator pod."""
    ca = base64.b64encode(where.certs.ca.read_bytes()).decode()
    out = subprocess.run(
        [
            "helm",
            "install",
            "guardmesh",
            str(CHART),
            "--namespace=guardmesh-system",
            "--create-namespace",
            f"--values={CHART / 'values-local.yaml'}",
            f"--set=webhook.url={where.url}",
            f"--set=webhook.caBundle={ca}",
            "--wait",
            "--timeout=120s",
        ],
        env=cluster.env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    if out.returncode != 0:
        raise DemoError(f"helm install failed: {(out.stderr or out.stdout).strip()[-2000:]}")
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s", *CRD_NAMES)
    return out.stdout


@contextlib.contextmanager
def operator(
    cluster: Cluster, work: Path, where: Endpoint | None = None, *, register_webhooks: bool = True
) -> Iterator[OperatorProcess]:
    """`python -m guardmesh_operator run` with webhooks on 127.0.0.1; stopped on exit.

    With register_webhooks, the webhook configurations are created here (and deleted on exit); otherwise
    they are the chart's."""
    where = where or endpoint(work)
    certs, port, live = where.certs, where.port, free_port()
    log_path = work / "operator.log"
    argv = operator_argv(certs, port, live, "guardmesh/sidecar:demo")
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

"""A chart release on the real local plane with the operator running as a process under the chart's
ServiceAccount (a real token from the TokenRequest API, so the chart's RBAC is what the operator has) and
managing its own webhook certificate (`certs.mode: operator`, `--manage-certs`).

The plane runs no containers, so the chart's Deployment never runs the operator; the webhooks point at
the process on loopback (`webhook.url`), which is how an operator outside the cluster is installed.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import ssl
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.render import CHART, helm, values_args
from tests.support.cluster import Cluster, wait_until
from tests.support.peers import REPO_ROOT, free_port

CRDS = ("securityguards.guardmesh.dev", "policies.guardmesh.dev", "toolbaselines.guardmesh.dev")


@dataclass
class Release:
    cluster: Cluster
    name: str
    namespace: str
    port: int
    operator: subprocess.Popen[bytes]
    log: Path

    @property
    def prefix(self) -> str:
        return f"{self.name}-guardmesh"

    def secret(self) -> dict[str, str]:
        """The webhook Secret's data (base64 values)."""
        found = self.cluster.kubectl_json("get", "secret", f"{self.prefix}-webhook-tls", "-n", self.namespace)
        data: dict[str, str] = found.get("data") or {}
        return data

    def ca_bundles(self) -> list[str | None]:
        """caBundle of every webhook of both configurations, in order."""
        bundles = []
        for kind, suffix in (
            ("mutatingwebhookconfiguration", "inject"),
            ("validatingwebhookconfiguration", "validate"),
        ):
            config = self.cluster.kubectl_json("get", kind, f"{self.prefix}-{suffix}")
            bundles += [hook["clientConfig"].get("caBundle") for hook in config["webhooks"]]
        return bundles

    def served_cert(self) -> bytes | None:
        """The certificate the operator's webhooks present (DER), verified with the Secret's CA bundle."""
        secret = self.secret()
        if "ca.crt" not in secret:
            return None
        return served_cert(self.port, base64.b64decode(secret["ca.crt"]).decode())

    def stop_operator(self) -> str:
        """Stop the operator; return its log."""
        if self.operator.poll() is None:
            self.operator.terminate()
            try:
                self.operator.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.operator.kill()
                self.operator.wait()
        return self.log.read_text(errors="replace")


def _service_account_kubeconfig(cluster: Cluster, namespace: str, account: str, path: Path) -> Path:
    admin = yaml.safe_load(cluster.kubeconfig.read_text())
    token = cluster.kubectl("create", "token", account, "-n", namespace, "--duration=2h").strip()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "plane", "cluster": admin["clusters"][0]["cluster"]}],
        "users": [{"name": "operator", "user": {"token": token}}],
        "contexts": [{"name": "operator", "context": {"cluster": "plane", "user": "operator"}}],
        "current-context": "operator",
    }
    path.write_text(yaml.safe_dump(config))
    return path


def served_cert(port: int, ca_pem: str) -> bytes | None:
    """The certificate served on 127.0.0.1:`port` (DER), if it verifies with `ca_pem`; None otherwise."""
    context = ssl.create_default_context(cadata=ca_pem)
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=2) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            return tls.getpeercert(binary_form=True)
    except OSError:
        return None


def mcp_pod(name: str, labels: dict[str, str], annotations: dict[str, str]) -> dict[str, Any]:
    """A bare pod of an MCP server whose container port is named `mcp`."""
    container = {"name": "server", "image": "example/mcp:1", "ports": [{"name": "mcp", "containerPort": 3000}]}
    meta = {"name": name, "labels": labels, "annotations": annotations}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {"containers": [container]}}


def injected(cluster: Cluster, namespace: str, name: str) -> bool:
    """Whether the webhook injected the pod (it records what it did in guardmesh.dev/status)."""
    pod = cluster.kubectl_json("get", "pod", name, "-n", namespace)
    return "guardmesh.dev/status" in (pod["metadata"].get("annotations") or {})


def _adopt_crds(cluster: Cluster, release: str, namespace: str) -> None:
    """Let the release take over CRDs that exist already (applied with kubectl, or kept by an uninstalled
    release), the way an operator adopts them before `helm install` (docs/chart.md, Upgrades)."""
    for crd in CRDS:
        if cluster.kubectl("get", "crd", crd, "--ignore-not-found", "-o", "name").strip():
            cluster.kubectl(
                "annotate",
                "--overwrite",
                "crd",
                crd,
                f"meta.helm.sh/release-name={release}",
                f"meta.helm.sh/release-namespace={namespace}",
            )
            cluster.kubectl("label", "--overwrite", "crd", crd, "app.kubernetes.io/managed-by=Helm")


def new_namespace(cluster: Cluster, labels: dict[str, str]) -> str:
    """A fresh namespace with these labels (the caller deletes it)."""
    name = f"gm-chart-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", name)
    if labels:
        cluster.kubectl("label", "namespace", name, *(f"{k}={v}" for k, v in labels.items()))
    return name


@contextlib.contextmanager
def installed(
    cluster: Cluster, work: Path, name: str, sets: Sequence[str] = (), operator_args: Sequence[str] = ()
) -> Iterator[Release]:
    """`helm install` into a new namespace, run the operator, wait until it serves with its CA published;
    stop it and `helm uninstall` at the end, failing if the operator logged a traceback."""
    namespace = f"gm-chart-{uuid.uuid4().hex[:6]}"
    port, live = free_port(), free_port()
    env = cluster.env()
    prefix = f"{name}-guardmesh"
    if "crds.install=false" not in sets:
        _adopt_crds(cluster, name, namespace)
    helm(
        "install",
        name,
        str(CHART),
        "-n",
        namespace,
        "--create-namespace",
        *values_args(sets=[f"webhook.url=https://127.0.0.1:{port}", *sets]),
        env=env,
    )
    settings = work / "cert-settings.yaml"
    settings.write_text(
        cluster.kubectl_json("get", "configmap", f"{prefix}-cert-settings", "-n", namespace)["data"]["settings.yaml"]
    )
    kubeconfig = _service_account_kubeconfig(cluster, namespace, f"{prefix}-operator", work / "operator.kubeconfig")
    log = work / "operator.log"
    argv = [
        sys.executable,
        "-m",
        "guardmesh_operator",
        "run",
        "--webhook-host=127.0.0.1",
        f"--webhook-port={port}",
        f"--manage-certs={settings}",
        f"--liveness=http://127.0.0.1:{live}/healthz",
        "--image=guardmesh/sidecar:chart-test",
        *operator_args,
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, env={**env, "KUBECONFIG": str(kubeconfig)}, stdout=out, stderr=subprocess.STDOUT, cwd=REPO_ROOT
        )
    release = Release(cluster, name, namespace, port, proc, log)
    try:

        def published() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"the operator exited:\n{log.read_text(errors='replace')[-4000:]}")
            return all(release.ca_bundles()) and release.served_cert() is not None

        wait_until("the operator to publish its CA and serve its webhooks", published, timeout=90)
        yield release
    finally:
        text = release.stop_operator()
        helm("uninstall", name, "-n", namespace, "--ignore-not-found", env=env)
        cluster.kubectl("delete", "namespace", namespace, "--wait=false", "--ignore-not-found", check=False)
    assert "Traceback (most recent call last)" not in text, text[-6000:]

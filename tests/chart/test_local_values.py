"""values-local.yaml as `make demo` installs it: no operator pod, webhooks at a loopback URL with a CA
bundle given as a value, the operator a process with certificate files. Rotating those files (after the
new CA is added to the bundle with `helm upgrade`) reaches the running webhooks within one poll."""

from __future__ import annotations

import base64
import datetime
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from guardmesh_operator.webhook_certs import issue
from tests.chart.release import injected, mcp_pod, new_namespace, served_cert
from tests.chart.render import CHART, LOCAL_VALUES, helm, values_args
from tests.support.cluster import Cluster, wait_until
from tests.support.peers import REPO_ROOT, free_port

RELEASE = "gmlocal"
HOSTS = ("127.0.0.1",)


@dataclass
class Local:
    namespace: str
    port: int
    cert: Path
    key: Path
    ca: bytes
    operator: subprocess.Popen[bytes]

    def served(self) -> bytes | None:
        return served_cert(self.port, self.ca.decode())


@pytest.fixture(scope="module")
def local(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Local]:
    work = tmp_path_factory.mktemp("local")
    cluster.kubectl("apply", "-f", str(REPO_ROOT / "crds"))
    first = issue(HOSTS, datetime.datetime.now(datetime.UTC), 30)
    cert, key = work / "tls.crt", work / "tls.key"
    cert.write_bytes(first.cert)
    key.write_bytes(first.key)
    port, live = free_port(), free_port()
    namespace = f"{RELEASE}-{os.getpid()}"
    sets = [f"webhook.url=https://127.0.0.1:{port}", f"webhook.caBundle={base64.b64encode(first.ca_bundle).decode()}"]
    env = cluster.env()
    helm(
        "install",
        RELEASE,
        str(CHART),
        "-n",
        namespace,
        "--create-namespace",
        *values_args([LOCAL_VALUES], [*sets, "crds.install=false"]),
        env=env,
    )
    log = work / "operator.log"
    argv = [
        sys.executable,
        "-m",
        "guardmesh_operator",
        "run",
        "--webhook-host=127.0.0.1",
        f"--webhook-port={port}",
        f"--webhook-cert={cert}",
        f"--webhook-key={key}",
        f"--liveness=http://127.0.0.1:{live}/healthz",
        "--image=guardmesh/sidecar:chart-test",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
    running = Local(namespace, port, cert, key, first.ca_bundle, proc)
    try:
        wait_until("the operator's webhooks", running.served, timeout=60)
        yield running
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        helm("uninstall", RELEASE, "-n", namespace, "--ignore-not-found", env=env)
        cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)
    text = log.read_text(errors="replace")
    assert "Traceback (most recent call last)" not in text, text[-6000:]


def test_local_values_register_loopback_webhooks_with_the_given_ca_and_no_operator_pod(
    cluster: Cluster, local: Local
) -> None:
    config = cluster.kubectl_json("get", "mutatingwebhookconfiguration", f"{RELEASE}-guardmesh-inject")
    assert {h["clientConfig"]["url"] for h in config["webhooks"]} == {
        f"https://127.0.0.1:{local.port}/mutate/pods",
        f"https://127.0.0.1:{local.port}/mutate/pods/namespace",
        f"https://127.0.0.1:{local.port}/mutate/toolbaselines",
    }
    assert {base64.b64decode(h["clientConfig"]["caBundle"]) for h in config["webhooks"]} == {local.ca}
    assert not cluster.kubectl("get", "deployments,serviceaccounts", "-n", local.namespace, "-o", "name").count(
        "guardmesh"
    )


def test_rotated_certificate_files_are_served_by_the_running_operator(cluster: Cluster, local: Local) -> None:
    new = issue(HOSTS, datetime.datetime.now(datetime.UTC), 30)
    both = base64.b64encode(new.ca_bundle + local.ca).decode()
    helm(
        "upgrade",
        RELEASE,
        str(CHART),
        "-n",
        local.namespace,
        "--reuse-values",
        "--set",
        f"webhook.caBundle={both}",
        env=cluster.env(),
    )
    for path, content in ((local.key, new.key), (local.cert, new.cert)):
        part = path.with_suffix(".new")
        part.write_bytes(content)
        part.replace(path)
    local.ca = new.ca_bundle
    der = x509.load_pem_x509_certificate(new.cert).public_bytes(Encoding.DER)
    wait_until("the new certificate to be served", lambda: local.served() == der, timeout=40)
    assert local.operator.poll() is None
    namespace = new_namespace(cluster, {})
    try:
        pod = mcp_pod("after-rotation", {"guardmesh.dev/inject": "enabled"}, {})
        cluster.kubectl("apply", "-n", namespace, "-f", "-", stdin=json.dumps(pod))
        assert injected(cluster, namespace, "after-rotation")
    finally:
        cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)

"""`helm install`, `upgrade` and `uninstall` on the real local plane, with the operator running as a process
under the chart's ServiceAccount (a real token, so its RBAC is what is tested) and managing its own certificate.

The plane runs no containers, so the chart's Deployment never runs the operator; the webhooks point at
the process on loopback (`webhook.url`), which is how an operator outside the cluster is installed.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.render import CHART, helm, values_args
from tests.support.cluster import Cluster, ClusterError, wait_until
from tests.support.peers import REPO_ROOT, free_port

RELEASE = "gmtest"
PREFIX = f"{RELEASE}-guardmesh"
CRDS = ("securityguards.guardmesh.dev", "policies.guardmesh.dev")


@dataclass
class Release:
    namespace: str
    port: int
    operator: subprocess.Popen[bytes]
    log: Path

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


def _service_account_kubeconfig(cluster: Cluster, namespace: str, path: Path) -> Path:
    """A kubeconfig that acts as the chart's ServiceAccount, with a token from the TokenRequest API."""
    admin = yaml.safe_load(cluster.kubeconfig.read_text())
    token = cluster.kubectl("create", "token", f"{PREFIX}-operator", "-n", namespace, "--duration=2h").strip()
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


def _secret(cluster: Cluster, namespace: str) -> dict[str, str]:
    data: dict[str, str] = (
        cluster.kubectl_json("get", "secret", f"{PREFIX}-webhook-tls", "-n", namespace).get("data") or {}
    )
    return data


def _ca_bundles(cluster: Cluster) -> list[str | None]:
    bundles = []
    for kind, name in (("mutatingwebhookconfiguration", "inject"), ("validatingwebhookconfiguration", "validate")):
        config = cluster.kubectl_json("get", kind, f"{PREFIX}-{name}")
        bundles += [hook["clientConfig"].get("caBundle") for hook in config["webhooks"]]
    return bundles


@pytest.fixture(scope="module")
def release(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Release]:
    work = tmp_path_factory.mktemp("chart")
    namespace = f"gm-chart-{uuid.uuid4().hex[:6]}"
    port, live = free_port(), free_port()
    env = cluster.env()
    helm(
        "install",
        RELEASE,
        str(CHART),
        "-n",
        namespace,
        "--create-namespace",
        *values_args(sets=[f"webhook.url=https://127.0.0.1:{port}", "certs.operator.checkIntervalSeconds=3600"]),
        env=env,
    )
    settings = work / "cert-settings.yaml"
    settings.write_text(
        cluster.kubectl_json("get", "configmap", f"{PREFIX}-cert-settings", "-n", namespace)["data"]["settings.yaml"]
    )
    kubeconfig = _service_account_kubeconfig(cluster, namespace, work / "operator.kubeconfig")
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
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, env={**env, "KUBECONFIG": str(kubeconfig)}, stdout=out, stderr=subprocess.STDOUT, cwd=REPO_ROOT
        )
    running = Release(namespace, port, proc, log)
    try:

        def published() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"the operator exited:\n{log.read_text(errors='replace')[-4000:]}")
            return all(_ca_bundles(cluster)) and _serves(port, _secret(cluster, namespace))

        wait_until("the operator to publish its CA and serve its webhooks", published, timeout=90)
        yield running
    finally:
        text = running.stop_operator()
        helm("uninstall", RELEASE, "-n", namespace, "--ignore-not-found", env=env)
        cluster.kubectl("delete", "namespace", namespace, "--wait=false", "--ignore-not-found", check=False)
    assert "Traceback (most recent call last)" not in text, text[-6000:]


def _serves(port: int, secret: dict[str, str]) -> bool:
    if "ca.crt" not in secret:
        return False
    context = ssl.create_default_context(cadata=base64.b64decode(secret["ca.crt"]).decode())
    try:
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", context=context, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def test_install_creates_the_crds_webhook_configurations_rbac_and_the_operator(
    cluster: Cluster, release: Release
) -> None:
    for crd in CRDS:
        got = cluster.kubectl_json("get", "crd", crd)
        assert got["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
        assert any(c["type"] == "Established" and c["status"] == "True" for c in got["status"]["conditions"])
    mutating = cluster.kubectl_json("get", "mutatingwebhookconfiguration", f"{PREFIX}-inject")
    assert [h["name"] for h in mutating["webhooks"]] == [
        "label.inject.guardmesh.dev",
        "annotation.inject.guardmesh.dev",
        "namespace.inject.guardmesh.dev",
    ]
    assert cluster.kubectl_json("get", "validatingwebhookconfiguration", f"{PREFIX}-validate")["webhooks"]
    assert cluster.kubectl_json("get", "clusterrole", f"{PREFIX}-operator")["rules"]
    assert cluster.kubectl_json("get", "role", f"{PREFIX}-operator-certs", "-n", release.namespace)["rules"]
    deployment = cluster.kubectl_json("get", "deployment", f"{PREFIX}-operator", "-n", release.namespace)
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    assert cluster.kubectl_json("get", "pdb", f"{PREFIX}-operator", "-n", release.namespace)


def test_the_operator_publishes_its_ca_in_every_webhook_as_the_charts_service_account(
    cluster: Cluster, release: Release
) -> None:
    secret = _secret(cluster, release.namespace)
    assert set(secret) == {"ca.crt", "tls.crt", "tls.key"}
    assert set(_ca_bundles(cluster)) == {secret["ca.crt"]}


def test_the_service_account_may_not_read_other_secrets_or_delete_what_it_manages(
    cluster: Cluster, release: Release
) -> None:
    user = f"--as=system:serviceaccount:{release.namespace}:{PREFIX}-operator"

    def can(*args: str) -> bool:
        return cluster.kubectl("auth", "can-i", *args, user, check=False).strip() == "yes"

    assert can("get", f"secret/{PREFIX}-webhook-tls", "-n", release.namespace)
    assert can("list", "pods", "-A")
    assert can("patch", "securityguards.guardmesh.dev", "--subresource=status", "-n", "default")
    assert not can("get", "secret/other", "-n", release.namespace)
    assert not can("list", "secrets", "-n", release.namespace)
    assert not can("delete", "pods", "-n", "default")
    assert not can("delete", "configmaps", "-n", "default")
    assert not can("patch", "mutatingwebhookconfiguration/someone-elses")


def _pod(name: str, labels: dict[str, str], annotations: dict[str, str]) -> dict[str, Any]:
    container = {"name": "server", "image": "example/mcp:1", "ports": [{"name": "mcp", "containerPort": 3000}]}
    meta = {"name": name, "labels": labels, "annotations": annotations}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {"containers": [container]}}


def _resource(kind: str, name: str, spec: dict[str, Any]) -> str:
    return json.dumps({"apiVersion": "guardmesh.dev/v1alpha1", "kind": kind, "metadata": {"name": name}, "spec": spec})


def _namespace(cluster: Cluster, labels: dict[str, str]) -> str:
    name = f"gm-chart-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", name)
    if labels:
        cluster.kubectl("label", "namespace", name, *(f"{k}={v}" for k, v in labels.items()))
    return name


def test_the_api_server_sends_each_opted_in_pod_to_the_operator_and_no_other(
    cluster: Cluster, release: Release
) -> None:
    plain = _namespace(cluster, {})
    opted = _namespace(cluster, {"guardmesh.dev/injection": "enabled"})
    inject = "guardmesh.dev/inject"
    cases = [
        (plain, "by-label", {inject: "enabled"}, {}, True),
        (plain, "by-annotation", {}, {inject: "true"}, True),
        (plain, "not-asked", {}, {}, False),
        (opted, "by-namespace", {}, {}, True),
        (opted, "label-opt-out", {inject: "disabled"}, {}, False),
        (opted, "annotation-opt-out", {}, {inject: "false"}, False),
        (release.namespace, "in-the-release-namespace", {inject: "enabled"}, {}, False),
    ]
    try:
        for namespace, name, labels, annotations, _ in cases:
            cluster.kubectl("apply", "-n", namespace, "-f", "-", stdin=json.dumps(_pod(name, labels, annotations)))
        injected = {
            name: "guardmesh.dev/status"
            in (cluster.kubectl_json("get", "pod", name, "-n", namespace)["metadata"].get("annotations") or {})
            for namespace, name, *_ in cases
        }
        assert injected == {name: expected for _, name, _, _, expected in cases}
    finally:
        for namespace in (plain, opted):
            cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)
        cluster.kubectl("delete", "pod", "in-the-release-namespace", "-n", release.namespace, check=False)


def test_the_default_guards_apply_and_become_ready_under_the_operators_rbac(cluster: Cluster, release: Release) -> None:
    team = _namespace(cluster, {})
    manifests = cluster.kubectl(
        "get",
        "configmap",
        f"{PREFIX}-default-guards",
        "-n",
        release.namespace,
        "-o",
        "jsonpath={.data.default-guards\\.yaml}",
    )
    try:
        cluster.kubectl("apply", "-n", team, "-f", "-", stdin=manifests)

        def ready() -> list[dict[str, Any]] | None:
            guards = cluster.kubectl_json("get", "securityguards", "-n", team)["items"]
            conditions = [
                {c["type"]: c["status"] for c in (g.get("status") or {}).get("conditions", [])} for g in guards
            ]
            return guards if len(guards) == 7 and all(c.get("Ready") == "True" for c in conditions) else None

        wait_until("the default guards to become Ready", ready, timeout=90)
        bundle = cluster.kubectl_json("get", "configmap", "guardmesh-bundle", "-n", team)
        assert "guardmesh-defaults" in bundle["data"]["bundle.yaml"]
        schema = {"type": "object", "properties": {"path": {"type": "string", "pattern": "^(a+)\\1$"}}}
        regex = {"type": "native", "native": {"kind": "tool-access", "argumentSchemas": {"fs_*": schema}}}
        with pytest.raises(ClusterError, match=r'"securityguards\.validate\.guardmesh\.dev" denied the request'):
            cluster.kubectl("apply", "-n", team, "-f", "-", stdin=_resource("SecurityGuard", "regex", regex))
        ghost = {"guards": [{"name": "pii"}, {"name": "ghost"}]}
        with pytest.raises(ClusterError, match="SecurityGuard 'ghost' does not exist"):
            cluster.kubectl("apply", "-n", team, "-f", "-", stdin=_resource("Policy", "ghostly", ghost))
    finally:
        cluster.kubectl("delete", "namespace", team, "--wait=false", check=False)


def test_upgrade_changes_a_value_and_keeps_the_ca_then_uninstall_keeps_only_the_crds(
    cluster: Cluster, release: Release
) -> None:
    env = cluster.env()
    before = _ca_bundles(cluster)
    helm(
        "upgrade",
        RELEASE,
        str(CHART),
        "-n",
        release.namespace,
        "--reuse-values",
        "--set",
        "webhook.failurePolicy=Ignore",
        env=env,
    )
    mutating = cluster.kubectl_json("get", "mutatingwebhookconfiguration", f"{PREFIX}-inject")
    assert {h["failurePolicy"] for h in mutating["webhooks"]} == {"Ignore"}
    # The operator's check interval is an hour here: the CA it published survived the upgrade by itself.
    assert _ca_bundles(cluster) == before
    log = release.stop_operator()
    assert "Forbidden" not in log, log[-6000:]
    assert " 403" not in log, log[-6000:]
    helm("uninstall", RELEASE, "-n", release.namespace, "--wait", env=env)
    gone = [
        ("mutatingwebhookconfiguration", f"{PREFIX}-inject"),
        ("validatingwebhookconfiguration", f"{PREFIX}-validate"),
        ("clusterrole", f"{PREFIX}-operator"),
        ("clusterrolebinding", f"{PREFIX}-operator"),
    ]
    for kind, name in gone:
        assert not cluster.kubectl("get", kind, name, "--ignore-not-found", "-o", "name")
    for kind in ("deployment", "secret", "role", "configmap", "serviceaccount", "pdb"):
        names = cluster.kubectl("get", kind, "-n", release.namespace, "-o", "name")
        assert PREFIX not in names, names
    for crd in CRDS:
        assert (
            cluster.kubectl("get", "crd", crd, "-o", "name").strip()
            == f"customresourcedefinition.apiextensions.k8s.io/{crd}"
        )
    assert os.path.exists(release.log)

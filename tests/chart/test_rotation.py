"""A release that watches one namespace (Roles, not a ClusterRole) and checks its certificate every 10 s:
the namespaced RBAC is enough for the operator, and a certificate close to expiry is replaced, published
and served by the running process while the API server keeps calling the webhooks."""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from guardmesh_operator.webhook_certs import issue, load_settings
from tests.chart.release import Release, injected, installed, mcp_pod, new_namespace
from tests.support.cluster import Cluster, wait_until
from tests.support.peers import REPO_ROOT


@pytest.fixture(scope="module")
def team(cluster: Cluster) -> Iterator[str]:
    cluster.kubectl("apply", "-f", str(REPO_ROOT / "crds"))
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/securityguards.guardmesh.dev")
    name = new_namespace(cluster, {})
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture(scope="module")
def release(cluster: Cluster, team: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Release]:
    sets = [
        "crds.install=false",
        f"operator.watchNamespaces={{{team}}}",
        "certs.operator.checkIntervalSeconds=10",
    ]
    with installed(cluster, tmp_path_factory.mktemp("rotation"), "gmrot", sets, [f"--namespace={team}"]) as running:
        yield running


def _guards_ready(cluster: Cluster, namespace: str) -> list[dict[str, Any]] | None:
    guards: list[dict[str, Any]] = cluster.kubectl_json("get", "securityguards", "-n", namespace)["items"]
    ready = [g for g in guards if {"type": "Ready", "status": "True"}.items() <= _condition(g, "Ready").items()]
    return guards if guards and len(ready) == len(guards) else None


def _condition(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    found = [c for c in (obj.get("status") or {}).get("conditions", []) if c["type"] == kind]
    return found[0] if found else {}


def test_the_operator_watching_one_namespace_works_with_roles_only(
    cluster: Cluster, team: str, release: Release
) -> None:
    assert not cluster.kubectl("get", "role", f"{release.prefix}-operator", "-n", "default", "--ignore-not-found")
    rules = cluster.kubectl_json("get", "clusterrole", f"{release.prefix}-operator")["rules"]
    assert not [r for r in rules if "pods" in r["resources"] or "configmaps" in r["resources"]]
    manifests = cluster.kubectl(
        "get",
        "configmap",
        f"{release.prefix}-default-guards",
        "-n",
        release.namespace,
        "-o",
        "jsonpath={.data.default-guards\\.yaml}",
    )
    cluster.kubectl("apply", "-n", team, "-f", "-", stdin=manifests)
    guards = wait_until(
        "the default guards to become Ready in the watched namespace", lambda: _guards_ready(cluster, team), timeout=90
    )
    assert len(guards) == 7
    assert cluster.kubectl_json("get", "configmap", "guardmesh-bundle", "-n", team)["data"]["bundle.yaml"]


def test_a_certificate_near_expiry_is_replaced_and_served_without_a_restart(
    cluster: Cluster, team: str, release: Release
) -> None:
    settings = load_settings(release.log.parent / "cert-settings.yaml")
    pid = release.operator.pid
    first = base64.b64decode(release.secret()["ca.crt"])
    # What a Secret looks like 61 days into a 90-day certificate: 29 days left, inside the 30-day window.
    old = issue(settings.hosts, datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=61), 90)
    patch = {"data": old.as_secret_data()}
    cluster.kubectl(
        "patch", "secret", f"{release.prefix}-webhook-tls", "-n", release.namespace, "-p", json.dumps(patch)
    )

    def renewed() -> dict[str, str] | None:
        secret = release.secret()
        return secret if base64.b64decode(secret["tls.crt"]) != old.cert else None

    secret = wait_until("the operator to renew the certificate", renewed, timeout=60)
    bundle = base64.b64decode(secret["ca.crt"])
    # The new CA; the one in the Secret until it expires; the one of the certificate served until now.
    assert len(x509.load_pem_x509_certificates(bundle)) == 3
    assert old.ca_bundle in bundle
    assert first in bundle
    wait_until(
        "the new CA bundle in every webhook", lambda: set(release.ca_bundles()) == {secret["ca.crt"]}, timeout=30
    )
    new_cert = x509.load_pem_x509_certificate(base64.b64decode(secret["tls.crt"]))
    der = new_cert.public_bytes(Encoding.DER)
    wait_until("the new certificate to be served", lambda: release.served_cert() == der, timeout=30)
    assert release.operator.poll() is None
    assert release.operator.pid == pid
    # The API server verifies the new certificate with the published bundle: injection still works.
    cluster.kubectl(
        "apply",
        "-n",
        team,
        "-f",
        "-",
        stdin=json.dumps(mcp_pod("after-rotation", {"guardmesh.dev/inject": "enabled"}, {})),
    )
    assert injected(cluster, team, "after-rotation")

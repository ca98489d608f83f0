"""`helm install`, `upgrade` and `uninstall` on the real local plane, with the operator running as a process
under the chart's ServiceAccount and managing its own certificate (tests/chart/release.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.chart.release import Release, installed, mcp_pod, new_namespace
from tests.chart.render import CHART, helm
from tests.support.cluster import Cluster, ClusterError, wait_until

RELEASE = "gmtest"
PREFIX = f"{RELEASE}-guardmesh"
CRDS = ("securityguards.guardmesh.dev", "policies.guardmesh.dev", "toolbaselines.guardmesh.dev")


@pytest.fixture(scope="module")
def release(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Release]:
    # An hour between certificate checks: what survives the upgrade below survives by itself.
    with installed(
        cluster, tmp_path_factory.mktemp("chart"), RELEASE, ["certs.operator.checkIntervalSeconds=3600"]
    ) as running:
        yield running


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
        "toolbaselines.mutate.guardmesh.dev",
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
    secret = release.secret()
    assert set(secret) == {"ca.crt", "tls.crt", "tls.key"}
    assert set(release.ca_bundles()) == {secret["ca.crt"]}


def test_the_service_account_may_not_read_other_secrets_or_delete_what_it_manages(
    cluster: Cluster, release: Release
) -> None:
    user = f"--as=system:serviceaccount:{release.namespace}:{PREFIX}-operator"

    def can(*args: str) -> bool:
        return cluster.kubectl("auth", "can-i", *args, user, check=False).strip() == "yes"

    assert can("get", f"secret/{PREFIX}-webhook-tls", "-n", release.namespace)
    assert can("list", "pods", "-A")
    assert can("patch", "securityguards.guardmesh.dev", "--subresource=status", "-n", "default")
    assert can("patch", "toolbaselines.guardmesh.dev", "--subresource=status", "-n", "default")
    assert can("create", "tokenreviews.authentication.k8s.io")
    assert can("get", "pods", "-n", "default")
    assert not can("get", "secret/other", "-n", release.namespace)
    assert not can("list", "secrets", "-n", release.namespace)
    assert not can("delete", "pods", "-n", "default")
    assert not can("delete", "configmaps", "-n", "default")
    assert can("create", "roles", "-n", "default")  # the bundle readers of sidecars that follow the ConfigMap
    assert not can("delete", "roles", "-n", "default")
    assert not can("create", "clusterroles")
    assert not can("patch", "mutatingwebhookconfiguration/someone-elses")


def _resource(kind: str, name: str, spec: dict[str, Any]) -> str:
    return json.dumps({"apiVersion": "guardmesh.dev/v1alpha1", "kind": kind, "metadata": {"name": name}, "spec": spec})


def test_the_api_server_sends_each_opted_in_pod_to_the_operator_and_no_other(
    cluster: Cluster, release: Release
) -> None:
    plain = new_namespace(cluster, {})
    opted = new_namespace(cluster, {"guardmesh.dev/injection": "enabled"})
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
            cluster.kubectl("apply", "-n", namespace, "-f", "-", stdin=json.dumps(mcp_pod(name, labels, annotations)))
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
    team = new_namespace(cluster, {})
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
    before = release.ca_bundles()
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
    injection = [h for h in mutating["webhooks"] if h["name"].endswith(".inject.guardmesh.dev")]
    assert {h["failurePolicy"] for h in injection} == {"Ignore"}
    # The operator's check interval is an hour here: the CA it published survived the upgrade by itself.
    assert release.ca_bundles() == before
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


@pytest.mark.parametrize(
    ("values", "namespaces"),
    [("default-values.yaml", ()), ("namespaced-values.yaml", ("team-a", "team-b"))],
)
def test_the_api_server_accepts_every_rendered_object_in_a_server_side_dry_run(
    cluster: Cluster, release: Release, values: str, namespaces: tuple[str, ...]
) -> None:
    created = [new_namespace(cluster, {}), *namespaces]
    for namespace in namespaces:
        cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    try:
        rendered = helm("template", "dry", str(CHART), "-n", created[0], "-f", str(CHART / "ci" / values))
        out = cluster.kubectl("apply", "--dry-run=server", "-f", "-", stdin=rendered)
        assert (
            "mutatingwebhookconfiguration.admissionregistration.k8s.io/dry-guardmesh-inject created (server dry run)"
            in out
        )
        assert not cluster.kubectl("get", "mutatingwebhookconfiguration", "dry-guardmesh-inject", "--ignore-not-found")
        # The same check refuses what only the API server knows is wrong (a label value with a space).
        bad = helm("template", "dry", str(CHART), "-n", created[0], "--set", "commonLabels.team=a b")
        with pytest.raises(ClusterError, match="Invalid value"):
            cluster.kubectl("apply", "--dry-run=server", "-f", "-", stdin=bad)
    finally:
        for namespace in created:
            cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)

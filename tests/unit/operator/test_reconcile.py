"""A namespace's plan: the bundle ConfigMap (owned by its Policies), statuses, and NetworkPolicies."""

import json
from typing import Any

from guardmesh_operator.reconcile import bundle_reader_rbac, injected_ports, network_policy, plan_namespace


def _obj(name: str, spec: dict[str, Any], generation: int = 1, deleting: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "uid": f"uid-{name}", "generation": generation}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"metadata": meta, "spec": spec}


GUARD = {"type": "native", "native": {"kind": "rug-pull"}}
BAD_GUARD = {"type": "native", "native": {"kind": "pii", "deny": ["x"]}}


def test_the_configmap_holds_the_bundle_set_and_is_owned_by_each_live_policy() -> None:
    plan = plan_namespace(
        "team",
        [_obj("pins", GUARD), _obj("bad", BAD_GUARD)],
        [_obj("web", {"guards": [{"name": "pins"}, {"name": "bad"}]}), _obj("old", {}, deleting=True)],
        [],
    )
    meta = plan.configmap["metadata"]
    assert meta["name"] == "guardmesh-bundle"
    assert [o["name"] for o in meta["ownerReferences"]] == ["web"]
    assert meta["annotations"]["guardmesh.dev/bundle-hash"] == plan.compiled.hash
    assert "policy: web" in plan.configmap["data"]["bundle.yaml"]
    assert "policy: old" not in plan.configmap["data"]["bundle.yaml"]
    assert plan.guards["bad"].conditions[0].reason == "InvalidSpec"
    assert plan.guards["pins"].policies == 1
    ready = plan.policies["web"].conditions[1]
    assert (ready.status, ready.reason) == ("False", "GuardsMissing")
    assert "bad" in ready.message


def test_a_deleting_guard_leaves_the_bundle_first() -> None:
    plan = plan_namespace(
        "team", [_obj("pins", GUARD, deleting=True)], [_obj("web", {"guards": [{"name": "pins"}]})], []
    )
    assert plan.compiled.bundle_set.entries[0].bundle.guards == ()
    assert plan.compiled.missing == {"web": ("pins",)}


def test_the_network_policy_admits_only_the_sidecar_ports_of_the_workload() -> None:
    record = {"listen_port": 15080, "admin_port": 15090}
    pod = {
        "metadata": {
            "labels": {"guardmesh.dev/workload": "web"},
            "annotations": {"guardmesh.dev/status": json.dumps(record)},
        }
    }
    assert injected_ports(pod) == ("web", 15080, 15090)
    owner = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "u"}
    body = network_policy("team", "web", [15090, 15080], owner)
    assert body["metadata"]["ownerReferences"] == [owner]
    assert body["spec"]["podSelector"] == {"matchLabels": {"guardmesh.dev/workload": "web"}}
    assert body["spec"]["ingress"] == [
        {"ports": [{"port": 15080, "protocol": "TCP"}, {"port": 15090, "protocol": "TCP"}]}
    ]
    assert injected_ports({"metadata": {}}) is None


def test_the_bundle_reader_role_reads_one_configmap_for_the_namespaces_accounts() -> None:
    role, binding = bundle_reader_rbac("team")
    assert role["rules"] == [
        {
            "apiGroups": [""],
            "resources": ["configmaps"],
            "resourceNames": ["guardmesh-bundle"],
            "verbs": ["get", "list", "watch"],
        }
    ]
    assert binding["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:serviceaccounts:team"}
    ]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]

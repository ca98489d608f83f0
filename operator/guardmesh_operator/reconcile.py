"""What a namespace should look like, from its guards, policies and pods. Pure: the handlers apply it."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from guardmesh.config.baseline import Baseline, Reporting, ToolBaselineSpec
from guardmesh.config.models import PolicySpec, SecurityGuardSpec
from guardmesh_operator.api import (
    API_VERSION,
    BUNDLE_CONFIGMAP,
    BUNDLE_HASH,
    BUNDLE_KEY,
    MANAGED_BY,
    STATUS,
    WORKLOAD,
    BaselineStatus,
    GuardStatus,
    PolicyStatus,
)
from guardmesh_operator.baselines import baseline_status, bundle_baseline, parse_baseline, server_id
from guardmesh_operator.bundle import Compiled, compile_namespace
from guardmesh_operator.status import guard_status, pod_counts, policy_status
from guardmesh_operator.validation import Invalid, parse_guard, parse_policy

Obj = Mapping[str, Any]


@dataclass(frozen=True)
class NamespacePlan:
    """The bundle ConfigMap to write and the status of every guard and policy in the namespace."""

    compiled: Compiled
    configmap: dict[str, Any]
    guards: dict[str, GuardStatus]
    policies: dict[str, PolicyStatus]
    baselines: dict[str, BaselineStatus]


def _live(objs: Sequence[Obj]) -> list[Obj]:
    """Objects not being deleted: a finalizing object leaves the bundle before its finalizer goes."""
    return [o for o in objs if not o.get("metadata", {}).get("deletionTimestamp")]


def _previous(obj: Obj) -> list[Mapping[str, Any]]:
    return list((obj.get("status") or {}).get("conditions") or [])


def plan_namespace(
    namespace: str,
    guards: Sequence[Obj],
    policies: Sequence[Obj],
    pods: Sequence[Obj],
    baselines: Sequence[Obj] = (),
    reporting: Reporting | None = None,
) -> NamespacePlan:
    guards, policies, baselines = _live(guards), _live(policies), _live(baselines)
    parsed_guards: dict[str, SecurityGuardSpec] = {}
    guard_problems: dict[str, str] = {}
    for obj in guards:
        name = obj["metadata"]["name"]
        try:
            parsed_guards[name] = parse_guard(obj.get("spec") or {})
        except Invalid as exc:
            guard_problems[name] = str(exc)
    parsed_policies: dict[str, PolicySpec] = {}
    policy_problems: dict[str, str] = {}
    for obj in policies:
        name = obj["metadata"]["name"]
        try:
            parsed_policies[name] = parse_policy(obj.get("spec") or {})
        except Invalid as exc:
            policy_problems[name] = str(exc)
    parsed_baselines: dict[str, ToolBaselineSpec] = {}
    baseline_problems: dict[str, str] = {}
    enforced: dict[str, Baseline] = {}
    for obj in baselines:
        name = obj["metadata"]["name"]
        try:
            parsed_baselines[name] = parse_baseline(obj.get("spec") or {})
        except Invalid as exc:
            baseline_problems[name] = str(exc)
            continue
        enforced[server_id(namespace, name)] = bundle_baseline(parsed_baselines[name], obj.get("status"))
    compiled = compile_namespace(parsed_guards, parsed_policies, enforced, reporting)
    configmap = bundle_configmap(namespace, compiled, policies)
    references: dict[str, int] = {}
    for policy in parsed_policies.values():
        for ref in policy.guards:
            references[ref.name] = references.get(ref.name, 0) + 1
    guard_states = {
        o["metadata"]["name"]: guard_status(
            _previous(o),
            o["metadata"].get("generation", 0),
            guard_problems.get(o["metadata"]["name"]),
            references.get(o["metadata"]["name"], 0),
            True,
        )
        for o in guards
    }
    policy_states = {}
    for obj in policies:
        name = obj["metadata"]["name"]
        parsed = parsed_policies.get(name)
        counts = pod_counts(parsed.pod_selector, pods) if parsed else (0, 0)
        missing = list(compiled.missing.get(name, ()))
        policy_states[name] = policy_status(
            _previous(obj),
            obj["metadata"].get("generation", 0),
            policy_problems.get(name),
            missing,
            counts,
            compiled.hash,
        )
    baseline_states = {
        o["metadata"]["name"]: baseline_status(
            o.get("status"),
            o["metadata"].get("generation", 0),
            parsed_baselines.get(o["metadata"]["name"]),
            baseline_problems.get(o["metadata"]["name"]),
            compiled.hash,
        )
        for o in baselines
    }
    return NamespacePlan(compiled, configmap, guard_states, policy_states, baseline_states)


def bundle_configmap(namespace: str, compiled: Compiled, policies: Sequence[Obj]) -> dict[str, Any]:
    """The namespace's bundle ConfigMap, owned by every live Policy (so it goes when the last one does)."""
    owners = [
        {
            "apiVersion": API_VERSION,
            "kind": "Policy",
            "name": p["metadata"]["name"],
            "uid": p["metadata"]["uid"],
            "blockOwnerDeletion": False,
            "controller": False,
        }
        for p in sorted(_live(policies), key=lambda p: str(p["metadata"]["name"]))
        if p.get("metadata", {}).get("uid")
    ]
    meta: dict[str, Any] = {
        "name": BUNDLE_CONFIGMAP,
        "namespace": namespace,
        "labels": dict(MANAGED_BY),
        "annotations": {BUNDLE_HASH: compiled.hash},
    }
    if owners:
        meta["ownerReferences"] = owners
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {BUNDLE_KEY: compiled.text}}


def injected_ports(pod: Obj) -> tuple[str, int, int] | None:
    """(workload, sidecar MCP port, admin port) of an injected pod, from its labels and status annotation."""
    meta = pod.get("metadata", {})
    work = (meta.get("labels") or {}).get(WORKLOAD)
    raw = (meta.get("annotations") or {}).get(STATUS)
    if not work or not raw:
        return None
    try:
        record = json.loads(raw)
        return work, int(record["listen_port"]), int(record["admin_port"])
    except (ValueError, KeyError, TypeError):
        return None


def network_policy(namespace: str, workload: str, ports: Sequence[int], owner: Obj | None) -> dict[str, Any]:
    """Admit traffic to the workload's pods only on the sidecar's ports, so clients cannot reach the server's
    own port directly. Other NetworkPolicies selecting the same pods still add to what is allowed."""
    meta: dict[str, Any] = {"name": f"guardmesh-{workload}"[:253], "namespace": namespace, "labels": dict(MANAGED_BY)}
    if owner is not None:
        meta["ownerReferences"] = [dict(owner)]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta,
        "spec": {
            "podSelector": {"matchLabels": {WORKLOAD: workload}},
            "policyTypes": ["Ingress"],
            "ingress": [{"ports": [{"port": port, "protocol": "TCP"} for port in sorted(set(ports))]}],
        },
    }


BUNDLE_READER = "guardmesh-bundle-reader"


def bundle_reader_rbac(namespace: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A Role that reads the namespace's bundle ConfigMap and nothing else, bound to the namespace's service
    accounts, for sidecars that follow the bundle through the API. Every sidecar of the namespace may read
    every Policy of it anyway: the bundle is shared, and holds guards, not secrets."""
    meta = {"name": BUNDLE_READER, "namespace": namespace, "labels": dict(MANAGED_BY)}
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": meta,
        "rules": [
            {
                "apiGroups": [""],
                "resources": ["configmaps"],
                "resourceNames": [BUNDLE_CONFIGMAP],
                "verbs": ["get", "list", "watch"],
            }
        ],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": dict(meta),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": BUNDLE_READER},
        "subjects": [
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": f"system:serviceaccounts:{namespace}"}
        ],
    }
    return role, binding

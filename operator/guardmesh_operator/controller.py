"""Apply the plans of guardmesh_operator.reconcile through guardmesh_operator.kube; no decisions of its own."""

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from guardmesh_operator.api import GUARD_PLURAL, POLICY_PLURAL
from guardmesh_operator.injection import InjectorSettings
from guardmesh_operator.kube import Kube, NamespaceTerminating
from guardmesh_operator.reconcile import (
    NamespacePlan,
    bundle_reader_rbac,
    injected_ports,
    network_policy,
    plan_namespace,
)
from guardmesh_operator.status import as_patch

log = logging.getLogger("guardmesh.operator")


@dataclass
class Context:
    """What the handlers and webhooks share for the life of the process."""

    kube: Kube
    injector: InjectorSettings
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    bundles: dict[str, str] = field(default_factory=dict)
    """Namespace -> hash of the bundle last written there."""
    network_policies: set[tuple[str, str, tuple[int, ...]]] = field(default_factory=set)
    last_reconcile: dict[str, float] = field(default_factory=dict)
    readers: set[str] = field(default_factory=set)
    """Namespaces where the bundle-reader Role and RoleBinding are in place."""
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def spawn(self, coroutine: Any) -> None:
        """Run a side job (an Event, say) without making the caller wait; keep a reference so it finishes."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


async def reconcile_namespace(ctx: Context, namespace: str) -> tuple[NamespacePlan, bool]:
    """Compile the namespace's bundle, write its ConfigMap and every guard's and policy's status.
    Returns the plan and whether the ConfigMap changed."""
    lock = ctx.locks.setdefault(namespace, asyncio.Lock())
    async with lock:
        guards, policies, pods = await asyncio.gather(
            ctx.kube.list_custom(GUARD_PLURAL, namespace),
            ctx.kube.list_custom(POLICY_PLURAL, namespace),
            ctx.kube.list_pods(namespace),
        )
        plan = plan_namespace(namespace, guards, policies, pods)
        try:
            changed = await ctx.kube.apply_configmap(namespace, plan.configmap)
            if ctx.injector.follow_configmap and namespace not in ctx.readers:
                await ctx.kube.apply_rbac(namespace, *bundle_reader_rbac(namespace))
                ctx.readers.add(namespace)
        except NamespaceTerminating:
            changed = False  # its pods and bundle go with it; the finalizers only need to let go
        ctx.bundles[namespace] = plan.compiled.hash
        ctx.last_reconcile[namespace] = time.monotonic()
        await _statuses(ctx, namespace, GUARD_PLURAL, guards, {k: as_patch(v) for k, v in plan.guards.items()})
        await _statuses(ctx, namespace, POLICY_PLURAL, policies, {k: as_patch(v) for k, v in plan.policies.items()})
    if changed:
        log.info("namespace %s: bundle %s written", namespace, plan.compiled.hash)
    return plan, changed


async def _statuses(
    ctx: Context, namespace: str, plural: str, objs: list[dict[str, Any]], wanted: Mapping[str, dict[str, Any]]
) -> None:
    for obj in objs:
        name = obj["metadata"]["name"]
        status = wanted.get(name)
        if status is not None and obj.get("status") != status:
            await ctx.kube.patch_status(plural, namespace, name, status)


async def refresh_if_idle(ctx: Context, namespace: str, every: float) -> None:
    """Reconcile (pod counts change without any spec changing) unless it was done within `every` seconds."""
    if time.monotonic() - ctx.last_reconcile.get(namespace, 0.0) >= every:
        await reconcile_namespace(ctx, namespace)


async def ensure_network_policy(ctx: Context, pod: Mapping[str, Any]) -> None:
    """One NetworkPolicy per protected workload, owned by the workload so it goes with it."""
    found = injected_ports(pod)
    meta = pod.get("metadata", {})
    namespace = meta.get("namespace", "")
    if found is None or not namespace:
        return
    work, listen, admin = found
    key = (namespace, work, (listen, admin))
    if key in ctx.network_policies:
        return
    owner = await _workload_owner(ctx, namespace, meta)
    try:
        await ctx.kube.apply_network_policy(namespace, network_policy(namespace, work, [listen, admin], owner))
    except NamespaceTerminating:
        return
    ctx.network_policies.add(key)
    log.info("namespace %s: NetworkPolicy guardmesh-%s admits ports %d and %d only", namespace, work, listen, admin)


async def _workload_owner(ctx: Context, namespace: str, meta: Mapping[str, Any]) -> dict[str, Any] | None:
    controller = next((o for o in meta.get("ownerReferences") or [] if o.get("controller")), None)
    if controller is None:
        if not meta.get("uid"):
            return None
        controller = {"apiVersion": "v1", "kind": "Pod", "name": meta["name"], "uid": meta["uid"]}
    else:
        controller = await ctx.kube.owner_of(namespace, controller["kind"], controller["name"]) or controller
    return {k: controller[k] for k in ("apiVersion", "kind", "name", "uid")} | {
        "controller": False,
        "blockOwnerDeletion": False,
    }


def pod_skipped(ctx: Context, namespace: str, pod: dict[str, Any], reason: str) -> None:
    """An Event on the workload (the pod's controller) whose pod asked for the sidecar and was not given it."""
    meta = pod.get("metadata", {})
    owner = next((o for o in meta.get("ownerReferences") or [] if o.get("controller")), None)
    if owner is None:
        return  # a bare pod does not exist yet at admission; its creator sees nothing to attach an Event to
    regarding = {k: owner.get(k) for k in ("apiVersion", "kind", "name", "uid")}
    ctx.spawn(ctx.kube.event(namespace, regarding, "InjectionSkipped", f"GuardMesh did not inject a pod: {reason}"))

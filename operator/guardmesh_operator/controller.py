"""Apply the plans of guardmesh_operator.reconcile through guardmesh_operator.kube; no decisions of its own."""

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from guardmesh.config.baseline import Reporting
from guardmesh_operator.api import BASELINE_PLURAL, GUARD_PLURAL, OBSERVER_AUDIENCE, POLICY_PLURAL
from guardmesh_operator.baselines import BadReport, Report, merge_report, now, parse_baseline, parse_report
from guardmesh_operator.injection import InjectorSettings
from guardmesh_operator.kube import Kube, KubeError, NamespaceTerminating
from guardmesh_operator.observers import Refused, authorize, reporter
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
    observe_url: str | None = None
    """Where sidecars report the tool definitions they see; None when the operator takes no reports."""
    observe_ca: Callable[[], bytes] = bytes
    """The CA bundle sidecars verify that endpoint with (it rotates with the webhook certificate)."""
    last_report: dict[str, float] = field(default_factory=dict)
    """Pod uid -> when it last reported, to refuse floods."""

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
        guards, policies, pods, baselines = await asyncio.gather(
            ctx.kube.list_custom(GUARD_PLURAL, namespace),
            ctx.kube.list_custom(POLICY_PLURAL, namespace),
            ctx.kube.list_pods(namespace),
            ctx.kube.list_custom(BASELINE_PLURAL, namespace),
        )
        plan = plan_namespace(namespace, guards, policies, pods, baselines, reporting(ctx))
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
        await _statuses(ctx, namespace, BASELINE_PLURAL, baselines, {k: as_patch(v) for k, v in plan.baselines.items()})
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


def reporting(ctx: Context) -> Reporting | None:
    """The report endpoint as sidecars find it in the bundle."""
    if ctx.observe_url is None:
        return None
    return Reporting(url=ctx.observe_url, ca_bundle=ctx.observe_ca().decode("ascii", "replace"))


REPORT_INTERVAL = 1.0
"""Shortest time between two reports of one pod; a sidecar reports only what changed, so more is a flood."""


async def observe(ctx: Context, token: str, body: Any) -> tuple[int, str]:
    """Take a sidecar's report of the tool definitions it saw: who sent it is checked (the pod-bound token,
    reviewed by the API server), then the definitions are folded into the ToolBaseline's status and the
    namespace is reconciled (bundle and status). Returns the HTTP status and a message for the sidecar."""
    try:
        report = parse_report(body)
    except BadReport as exc:
        return 400, str(exc)
    try:
        return await _observe(ctx, token, report)
    except Refused as exc:
        log.warning("report for %s refused: %s", report.server, exc)
        return exc.status, str(exc)
    except KubeError as exc:
        log.warning("report for %s not recorded: %s", report.server, exc)
        return 503, "the operator could not reach the API server; report again later"


async def _observe(ctx: Context, token: str, report: Report) -> tuple[int, str]:
    who = reporter(await ctx.kube.review_token(token, [OBSERVER_AUDIENCE]))
    authorize(who, report, await ctx.kube.get_pod(who.namespace, who.pod))
    moment = time.monotonic()
    if moment - ctx.last_report.get(who.pod_uid, -REPORT_INTERVAL) < REPORT_INTERVAL:
        return 429, "one report per second per pod"
    ctx.last_report[who.pod_uid] = moment
    if len(ctx.last_report) > 10_000:
        ctx.last_report.clear()
    namespace, name = report.namespace, report.workload
    lock = ctx.locks.setdefault(namespace, asyncio.Lock())
    async with lock:
        found = await ctx.kube.get_custom(BASELINE_PLURAL, namespace, name)
        if found is None or found["metadata"].get("deletionTimestamp"):
            return 404, f"no ToolBaseline {namespace}/{name}"
        await _record(ctx, found, report, who.pod)
    await reconcile_namespace(ctx, namespace)
    log.info("namespace %s: %d tool definitions reported for %s by pod %s", namespace, len(report.tools), name, who.pod)
    return 200, "recorded"


async def _record(ctx: Context, baseline: Mapping[str, Any], report: Report, pod: str) -> None:
    try:
        spec = parse_baseline(baseline.get("spec") or {})
    except ValueError:
        spec = None
    when = now()
    observed = merge_report(baseline.get("status"), report, pod, spec, when)
    patch = {
        "observed": [o.model_dump(mode="json", by_alias=True, exclude_none=True) for o in observed],
        "lastReport": when,
    }
    await ctx.kube.patch_status(BASELINE_PLURAL, report.namespace, report.workload, patch)


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

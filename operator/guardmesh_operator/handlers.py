"""Every kopf handler of the operator, and nothing else: each one delegates to guardmesh_operator.controller."""

import logging
from typing import Any

import kopf

from guardmesh_operator import controller
from guardmesh_operator.api import BASELINE_PLURAL, GROUP, GUARD_PLURAL, POLICY_PLURAL, VERSION, WORKLOAD
from guardmesh_operator.kube import KubeError
from guardmesh_operator.reconcile import NamespacePlan

COUNT_INTERVAL = 15.0
"""Seconds between refreshes of the selected and injected pod counts of each namespace's policies."""


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    """Production settings: our own domain for finalizers and state, no kopf peering CRDs, bounded watches."""
    settings.persistence.finalizer = f"{GROUP}/finalizer"
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(prefix=GROUP)
    # One replica runs at a time (the chart's Deployment uses the Recreate strategy), so kopf's peering,
    # which needs kopf.dev CRDs of its own, stays off.
    settings.peering.standalone = True
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    settings.watching.connect_timeout = 10
    settings.networking.request_timeout = 30
    settings.posting.level = logging.WARNING  # handler chatter stays in the log; Events are for people
    settings.execution.max_workers = 4
    # Only injected pods matter here; filter them on the server, not after decoding every pod in the cluster.
    settings.watching.label_selectors["pods"] = WORKLOAD


def _ctx(memo: Any) -> controller.Context:
    ctx: controller.Context = memo["ctx"]
    return ctx


async def _reconcile(memo: Any, namespace: str | None) -> tuple[NamespacePlan, bool]:
    """Reconcile the namespace; an API failure is temporary to kopf, which retries the handler."""
    try:
        return await controller.reconcile_namespace(_ctx(memo), namespace or "")
    except KubeError as exc:
        raise kopf.TemporaryError(f"namespace {namespace}: {exc}", delay=5) from None


def _report(body: kopf.Body, plan: NamespacePlan, changed: bool, plural: str) -> None:
    # kopf.event, not kopf.info/warn: those obey posting.level, which keeps kopf's own chatter out of Events.
    name = body["metadata"]["name"]
    status = (plan.guards if plural == GUARD_PLURAL else plan.policies).get(name)
    if status is None:
        return
    accepted, ready = status.conditions
    if accepted.status == "False":
        kopf.event(body, type="Warning", reason="InvalidSpec", message=accepted.message)
    elif ready.status == "False":
        kopf.event(body, type="Warning", reason=ready.reason, message=ready.message)
    elif changed:
        message = f"bundle {plan.compiled.hash} written to ConfigMap guardmesh-bundle"
        kopf.event(body, type="Normal", reason="BundleUpdated", message=message)


@kopf.on.resume(GROUP, VERSION, GUARD_PLURAL)
@kopf.on.create(GROUP, VERSION, GUARD_PLURAL)
@kopf.on.update(GROUP, VERSION, GUARD_PLURAL)
async def guard_changed(body: kopf.Body, namespace: str | None, memo: Any, **_: Any) -> None:
    plan, changed = await _reconcile(memo, namespace)
    _report(body, plan, changed, GUARD_PLURAL)


@kopf.on.delete(GROUP, VERSION, GUARD_PLURAL)
async def guard_deleted(namespace: str | None, memo: Any, **_: Any) -> None:
    await _reconcile(memo, namespace)


@kopf.on.resume(GROUP, VERSION, POLICY_PLURAL)
@kopf.on.create(GROUP, VERSION, POLICY_PLURAL)
@kopf.on.update(GROUP, VERSION, POLICY_PLURAL)
async def policy_changed(body: kopf.Body, namespace: str | None, memo: Any, **_: Any) -> None:
    plan, changed = await _reconcile(memo, namespace)
    _report(body, plan, changed, POLICY_PLURAL)


@kopf.on.delete(GROUP, VERSION, POLICY_PLURAL)
async def policy_deleted(namespace: str | None, memo: Any, **_: Any) -> None:
    await _reconcile(memo, namespace)


@kopf.timer(GROUP, VERSION, POLICY_PLURAL, interval=COUNT_INTERVAL, initial_delay=COUNT_INTERVAL)
async def policy_counts(namespace: str | None, memo: Any, **_: Any) -> None:
    try:
        await controller.refresh_if_idle(_ctx(memo), namespace or "", COUNT_INTERVAL / 2)
    except KubeError as exc:
        raise kopf.TemporaryError(f"namespace {namespace}: {exc}", delay=5) from None


@kopf.on.event("", "v1", "pods", labels={WORKLOAD: kopf.PRESENT})
async def injected_pod(event: kopf.RawEvent, body: kopf.Body, namespace: str | None, memo: Any, **_: Any) -> None:
    ctx = _ctx(memo)
    if event.get("type") == "DELETED":
        return
    try:
        await controller.ensure_network_policy(ctx, body)
    except KubeError as exc:
        raise kopf.TemporaryError(f"NetworkPolicy for {body['metadata'].get('name')}: {exc}", delay=5) from None
    if namespace and namespace not in ctx.bundles:
        # The pod mounts the namespace's bundle: make sure it exists, even before any Policy does.
        await _reconcile(memo, namespace)


@kopf.on.resume(GROUP, VERSION, BASELINE_PLURAL)
@kopf.on.create(GROUP, VERSION, BASELINE_PLURAL)
@kopf.on.update(GROUP, VERSION, BASELINE_PLURAL)
async def baseline_changed(body: kopf.Body, namespace: str | None, memo: Any, **_: Any) -> None:
    plan = (await _reconcile(memo, namespace))[0]
    status = plan.baselines.get(body["metadata"]["name"])
    if status is not None and status.conditions[0].status == "False":
        kopf.event(body, type="Warning", reason="InvalidSpec", message=status.conditions[0].message)


@kopf.on.delete(GROUP, VERSION, BASELINE_PLURAL)
async def baseline_deleted(namespace: str | None, memo: Any, **_: Any) -> None:
    await _reconcile(memo, namespace)

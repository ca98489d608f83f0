"""The controller applies a namespace's plan through a small in-memory stand-in for guardmesh_operator.kube."""

from typing import Any

import pytest

from guardmesh_operator import controller
from guardmesh_operator.injection import InjectorSettings
from guardmesh_operator.kube import KubeError, NamespaceTerminating


class FakeKube:
    """Objects by (plural, name) in one namespace; records writes."""

    def __init__(
        self,
        guards: list[dict[str, Any]],
        policies: list[dict[str, Any]],
        baselines: list[dict[str, Any]] | None = None,
    ) -> None:
        self.objects = {"securityguards": guards, "policies": policies, "toolbaselines": baselines or []}
        self.configmaps: list[dict[str, Any]] = []
        self.statuses: list[tuple[str, str, dict[str, Any]]] = []
        self.terminating = False

    async def list_custom(self, plural: str, namespace: str) -> list[dict[str, Any]]:
        return self.objects[plural]

    async def list_pods(self, namespace: str) -> list[dict[str, Any]]:
        return []

    async def apply_configmap(self, namespace: str, body: dict[str, Any]) -> bool:
        if self.terminating:
            raise NamespaceTerminating(403, "Forbidden", "namespace is being terminated")
        changed = not self.configmaps or self.configmaps[-1] != body
        self.configmaps.append(body)
        return changed

    async def patch_status(self, plural: str, namespace: str, name: str, status: dict[str, Any]) -> None:
        self.statuses.append((plural, name, status))
        for obj in self.objects[plural]:
            if obj["metadata"]["name"] == name:
                obj["status"] = {**(obj.get("status") or {}), **status}  # a merge patch, one level deep

    async def get_custom(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        return next((o for o in self.objects[plural] if o["metadata"]["name"] == name), None)


def _obj(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"name": name, "uid": f"uid-{name}", "generation": 1}, "spec": spec}


def _ctx(kube: FakeKube) -> controller.Context:
    return controller.Context(kube, InjectorSettings())  # type: ignore[arg-type]


async def test_a_namespace_is_written_once_and_its_statuses_only_when_they_change() -> None:
    kube = FakeKube(
        [_obj("pins", {"type": "native", "native": {"kind": "rug-pull"}})], [_obj("p", {"guards": [{"name": "pins"}]})]
    )
    ctx = _ctx(kube)
    plan, changed = await controller.reconcile_namespace(ctx, "team")
    assert changed
    assert ctx.bundles["team"] == plan.compiled.hash
    assert [(plural, name) for plural, name, _ in kube.statuses] == [("securityguards", "pins"), ("policies", "p")]
    _, changed = await controller.reconcile_namespace(ctx, "team")
    assert not changed
    assert len(kube.statuses) == 2  # same status again: nothing patched


async def test_a_terminating_namespace_writes_no_bundle_but_still_reports() -> None:
    kube = FakeKube([], [_obj("p", {"guards": [{"name": "gone"}]})])
    kube.terminating = True
    plan, changed = await controller.reconcile_namespace(_ctx(kube), "team")
    assert not changed
    assert plan.policies["p"].conditions[1].reason == "GuardsMissing"


async def test_other_api_failures_reach_the_handler() -> None:
    kube = FakeKube([], [])

    async def broken(namespace: str, body: dict[str, Any]) -> bool:
        raise KubeError(409, "Conflict", "the object has been modified")

    kube.apply_configmap = broken  # type: ignore[method-assign]
    with pytest.raises(KubeError, match="409 Conflict"):
        await controller.reconcile_namespace(_ctx(kube), "team")

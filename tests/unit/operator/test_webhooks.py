"""The admission webhooks in process: AdmissionReview in, allowed/denied with a JSON Patch out."""

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import jsonpatch
import pytest
from aiohttp.test_utils import TestClient, TestServer

from guardmesh_operator.injection import InjectorSettings
from guardmesh_operator.webhooks import Webhooks

GUARDS = {("team", "pins")}


async def _exists(namespace: str, name: str) -> bool:
    return (namespace, name) in GUARDS


@pytest.fixture
def skipped() -> list[tuple[str, str]]:
    return []


@pytest.fixture
async def client(skipped: list[tuple[str, str]]) -> AsyncIterator[TestClient[Any, Any]]:
    hooks = Webhooks(InjectorSettings(), _exists, lambda ns, pod, why: skipped.append((ns, why)))
    async with TestClient(TestServer(hooks.app)) as test_client:
        yield test_client


def _review(obj: dict[str, Any], namespace: str = "team", operation: str = "CREATE") -> dict[str, Any]:
    request = {"uid": "u-1", "namespace": namespace, "operation": operation, "object": obj}
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


def _pod(
    labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None, **spec: Any
) -> dict[str, Any]:
    container = {"name": "server", "image": "x", "ports": [{"name": "mcp", "containerPort": 3000}]}
    meta: dict[str, Any] = {"name": "p", "labels": labels or {}, "annotations": annotations or {}}
    meta["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "p-1", "uid": "u", "controller": True}
    ]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {"containers": [container], **spec}}


async def _post(client: TestClient[Any, Any], path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    assert response.status == 200
    answer: dict[str, Any] = (await response.json())["response"]
    assert answer["uid"] == "u-1"
    return answer


async def test_an_opted_in_pod_gets_a_json_patch_that_adds_the_sidecar(client: TestClient[Any, Any]) -> None:
    pod = _pod({"guardmesh.dev/inject": "enabled"})
    answer = await _post(client, "/mutate/pods", _review(pod))
    assert answer["allowed"] is True
    assert answer["patchType"] == "JSONPatch"
    patched = jsonpatch.apply_patch(pod, json.loads(base64.b64decode(answer["patch"])))
    assert patched["spec"]["initContainers"][0]["name"] == "guardmesh-sidecar"


async def test_the_namespace_path_opts_in_a_pod_that_says_nothing(client: TestClient[Any, Any]) -> None:
    assert "patch" not in await _post(client, "/mutate/pods", _review(_pod()))
    assert "patch" in await _post(client, "/mutate/pods/namespace", _review(_pod()))


async def test_a_bad_annotation_is_denied_with_its_name(client: TestClient[Any, Any]) -> None:
    pod = _pod({"guardmesh.dev/inject": "enabled"}, {"guardmesh.dev/path": "no-slash"})
    answer = await _post(client, "/mutate/pods", _review(pod))
    assert answer["allowed"] is False
    assert answer["status"]["message"].startswith("GuardMesh sidecar injection: guardmesh.dev/path:")


async def test_a_skipped_host_network_pod_is_told_to_its_workload(
    client: TestClient[Any, Any], skipped: list[tuple[str, str]]
) -> None:
    answer = await _post(client, "/mutate/pods", _review(_pod({"guardmesh.dev/inject": "enabled"}, hostNetwork=True)))
    assert answer["allowed"] is True
    assert "patch" not in answer
    assert [ns for ns, _ in skipped] == ["team"]
    assert "hostNetwork" in skipped[0][1]


async def test_an_invalid_guard_is_denied_naming_the_field(client: TestClient[Any, Any]) -> None:
    guard = {"metadata": {"name": "g"}, "spec": {"type": "native", "native": {"kind": "pii", "deny": ["x"]}}}
    answer = await _post(client, "/validate/securityguards", _review(guard))
    assert answer["allowed"] is False
    assert (
        answer["status"]["message"]
        == "SecurityGuard g: spec.native.deny: unknown setting: not a field of this guard kind"
    )
    assert (await _post(client, "/validate/securityguards", _review(guard, operation="DELETE")))["allowed"] is True


async def test_a_policy_is_checked_against_the_guards_of_its_namespace(client: TestClient[Any, Any]) -> None:
    policy = {"metadata": {"name": "p"}, "spec": {"guards": [{"name": "pins"}, {"name": "ghost"}]}}
    answer = await _post(client, "/validate/policies", _review(policy))
    assert answer["allowed"] is False
    assert "spec.guards[1].name: SecurityGuard 'ghost' does not exist in namespace team" in answer["status"]["message"]
    ok = {"metadata": {"name": "p"}, "spec": {"guards": [{"name": "pins"}]}}
    assert (await _post(client, "/validate/policies", _review(ok)))["allowed"] is True


async def test_a_request_that_is_not_a_review_is_a_400_and_counted(client: TestClient[Any, Any]) -> None:
    response = await client.post("/mutate/pods", data=b"{not json")
    assert response.status == 400
    await _post(client, "/mutate/pods", _review(_pod()))
    metrics = await (await client.get("/metrics")).text()
    assert 'guardmesh_operator_admission_bad_requests_total{webhook="pods"} 1.0' in metrics
    assert 'guardmesh_operator_admission_duration_seconds_count{result="allowed",webhook="pods"} 1.0' in metrics


async def test_an_update_may_keep_a_reference_to_a_guard_deleted_since(client: TestClient[Any, Any]) -> None:
    old = {"metadata": {"name": "p"}, "spec": {"guards": [{"name": "gone"}]}}
    finalizer_removed = {"metadata": {"name": "p", "finalizers": []}, "spec": {"guards": [{"name": "gone"}]}}
    review = _review(finalizer_removed, operation="UPDATE")
    review["request"]["oldObject"] = old
    assert (await _post(client, "/validate/policies", review))["allowed"] is True
    edited = {"metadata": {"name": "p"}, "spec": {"guards": [{"name": "gone"}, {"name": "new-ghost"}]}}
    review = _review(edited, operation="UPDATE")
    review["request"]["oldObject"] = old
    answer = await _post(client, "/validate/policies", review)
    assert answer["allowed"] is False
    assert "new-ghost" in answer["status"]["message"]
    assert "'gone'" not in answer["status"]["message"]

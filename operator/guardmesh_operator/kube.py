"""The one module that calls the Kubernetes API (besides kopf's own watches): reads and writes, nothing decided here.

The official client is synchronous; every call runs in a worker thread so the event loop (watches,
webhooks) never blocks on the network.
"""

import asyncio
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from guardmesh_operator.api import GROUP, VERSION

log = logging.getLogger("guardmesh.operator.kube")
T = TypeVar("T")


class KubeError(RuntimeError):
    """A failed API call: its HTTP status and the server's reason, without the client's internals."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status, self.reason = status, reason


class NamespaceTerminating(KubeError):
    """Nothing can be created in a namespace that is being deleted; there is nothing left to reconcile either."""


def _error(exc: ApiException) -> KubeError:
    try:
        body = json.loads(exc.body or "{}")
    except ValueError:
        body = {}
    causes = [c.get("reason") for c in (body.get("details") or {}).get("causes") or []]
    kind = NamespaceTerminating if "NamespaceTerminating" in causes else KubeError
    return kind(exc.status or 0, str(body.get("reason") or exc.reason), str(body.get("message") or exc.reason))


class Kube:
    """Typed-enough wrappers over the calls the operator makes."""

    def __init__(self, api_client: client.ApiClient | None = None) -> None:
        if api_client is None:
            try:
                config.load_incluster_config()  # type: ignore[no-untyped-call]
            except config.ConfigException:
                config.load_kube_config()  # type: ignore[no-untyped-call]
            api_client = client.ApiClient()
        self.api = api_client
        self.core = client.CoreV1Api(api_client)
        self.custom = client.CustomObjectsApi(api_client)
        self.networking = client.NetworkingV1Api(api_client)
        self.apps = client.AppsV1Api(api_client)

    def _plain(self, obj: Any) -> Any:
        """A client model as the plain JSON-shaped value the API returned."""
        return self.api.sanitize_for_serialization(obj)  # type: ignore[no-untyped-call]

    async def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(partial(fn, *args, **kwargs))
        except ApiException as exc:
            raise _error(exc) from None

    async def server_minor(self) -> int:
        """The API server's minor version (36 for 1.36.x)."""
        info = await self._call(client.VersionApi(self.api).get_code)
        return int("".join(ch for ch in info.minor if ch.isdigit()) or 0)

    async def list_custom(self, plural: str, namespace: str) -> list[dict[str, Any]]:
        """The namespace's objects of a kind; none when the kind is not installed (a CRD from a newer release)."""
        try:
            found = await self._call(self.custom.list_namespaced_custom_object, GROUP, VERSION, namespace, plural)
        except KubeError as exc:
            if exc.status == 404:
                return []
            raise
        items: list[dict[str, Any]] = found.get("items", [])
        return items

    async def get_custom(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = await self._call(
                self.custom.get_namespaced_custom_object, GROUP, VERSION, namespace, plural, name
            )
        except KubeError as exc:
            if exc.status == 404:
                return None
            raise
        return found

    async def patch_status(self, plural: str, namespace: str, name: str, status: Mapping[str, Any]) -> None:
        try:
            await self._call(
                self.custom.patch_namespaced_custom_object_status,
                GROUP,
                VERSION,
                namespace,
                plural,
                name,
                {"status": dict(status)},
            )
        except KubeError as exc:
            if exc.status != 404:  # deleted meanwhile: nothing to report on
                raise

    async def get_pod(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            pod = await self._call(self.core.read_namespaced_pod, name, namespace)
        except KubeError as exc:
            if exc.status == 404:
                return None
            raise
        found: dict[str, Any] = self._plain(pod)
        return found

    async def review_token(self, token: str, audiences: list[str]) -> dict[str, Any]:
        """The TokenReview status of a bearer token for these audiences (authenticated, user, audiences)."""
        body = client.V1TokenReview(spec=client.V1TokenReviewSpec(token=token, audiences=audiences))
        review = await self._call(client.AuthenticationV1Api(self.api).create_token_review, body)
        status: dict[str, Any] = self._plain(review).get("status") or {}
        return status

    async def list_pods(self, namespace: str) -> list[dict[str, Any]]:
        pods = await self._call(self.core.list_namespaced_pod, namespace)
        items: list[dict[str, Any]] = self._plain(pods).get("items", [])
        return items

    async def apply_configmap(self, namespace: str, body: dict[str, Any]) -> bool:
        """Create or replace a ConfigMap; False when it already held exactly this data and metadata."""
        name = body["metadata"]["name"]
        try:
            current = await self._call(self.core.read_namespaced_config_map, name, namespace)
        except KubeError as exc:
            if exc.status != 404:
                raise
            await self._call(self.core.create_namespaced_config_map, namespace, body)
            return True
        meta = current.metadata
        owners = [self._plain(o) for o in meta.owner_references or []]
        if (
            current.data == body.get("data")
            and (meta.annotations or {}) == body["metadata"].get("annotations", {})
            and owners == body["metadata"].get("ownerReferences", [])
        ):
            return False
        body = {**body, "metadata": {**body["metadata"], "resourceVersion": meta.resource_version}}
        await self._call(self.core.replace_namespaced_config_map, name, namespace, body)
        return True

    async def apply_network_policy(self, namespace: str, body: dict[str, Any]) -> None:
        name = body["metadata"]["name"]
        try:
            await self._call(self.networking.create_namespaced_network_policy, namespace, body)
        except KubeError as exc:
            if exc.status != 409:
                raise
            await self._call(self.networking.patch_namespaced_network_policy, name, namespace, body)

    async def apply_rbac(self, namespace: str, role: dict[str, Any], binding: dict[str, Any]) -> None:
        """Create or replace a Role and its RoleBinding."""
        rbac = client.RbacAuthorizationV1Api(self.api)
        for body, create, replace in (
            (role, rbac.create_namespaced_role, rbac.replace_namespaced_role),
            (binding, rbac.create_namespaced_role_binding, rbac.replace_namespaced_role_binding),
        ):
            try:
                await self._call(create, namespace, body)
            except KubeError as exc:
                if exc.status != 409:
                    raise
                await self._call(replace, body["metadata"]["name"], namespace, body)

    async def owner_of(self, namespace: str, kind: str, name: str) -> dict[str, Any] | None:
        """The controller ownerReference of a ReplicaSet (its Deployment), or None."""
        if kind != "ReplicaSet":
            return None
        try:
            rs = await self._call(self.apps.read_namespaced_replica_set, name, namespace)
        except KubeError as exc:
            if exc.status == 404:
                return None
            raise
        for ref in rs.metadata.owner_references or []:
            if ref.controller:
                owner: dict[str, Any] = self._plain(ref)
                return owner
        return None

    async def event(
        self, namespace: str, regarding: Mapping[str, Any], reason: str, message: str, type_: str = "Warning"
    ) -> None:
        """Record a core/v1 Event on any object (e.g. the ReplicaSet of a pod the webhook skipped)."""
        now = datetime.now(UTC)
        body = {
            "metadata": {"generateName": "guardmesh-", "namespace": namespace},
            "involvedObject": {**regarding, "namespace": namespace},
            "reason": reason,
            "message": message[:1024],
            "type": type_,
            "source": {"component": "guardmesh-operator"},
            "firstTimestamp": now.isoformat(),
            "lastTimestamp": now.isoformat(),
            "count": 1,
        }
        try:
            await self._call(self.core.create_namespaced_event, namespace, body)
        except KubeError as exc:
            log.warning("cannot record event %s on %s: %s", reason, regarding.get("name"), exc)

"""The operator as a subprocess against the real plane, with its webhooks registered at the API server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.e2e.operator.process import Operator, OperatorError, running_operator
from tests.support.cluster import Cluster

__all__ = ["Operator"]


@pytest.fixture(scope="package")
def operator(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    """CRDs applied, the operator running (webhooks on loopback HTTPS), webhook configurations registered."""
    try:
        work = tmp_path_factory.mktemp("operator")
        with running_operator(cluster, work, "--sidecar-follow-configmap", observe=True) as running:
            yield running
    except OperatorError as exc:
        pytest.fail(str(exc))


def make_namespace(cluster: Cluster, labels: dict[str, str]) -> Iterator[str]:
    name = f"gm-op-{uuid.uuid4().hex[:8]}"
    cluster.kubectl("create", "namespace", name)
    if labels:
        cluster.kubectl("label", "namespace", name, *(f"{k}={v}" for k, v in labels.items()))
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture(scope="module")
def namespace(cluster: Cluster, operator: Operator) -> Iterator[str]:
    """A namespace that enforces the restricted Pod Security Standard, so an injected pod proves it complies."""
    yield from make_namespace(cluster, {"pod-security.kubernetes.io/enforce": "restricted"})


@pytest.fixture(scope="module")
def plain_namespace(cluster: Cluster, operator: Operator) -> Iterator[str]:
    yield from make_namespace(cluster, {})

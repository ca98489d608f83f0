"""Real MCP servers shared by the end-to-end modules; each module gets its own instance."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import peers
from tests.support.cluster import Cluster, cluster_fixture


def _serve(transport: peers.Transport) -> Iterator[peers.ServerCommand]:
    server = peers.server_everything(transport)
    with peers.running(server.argv, port=server.port, env=server.env):
        yield server


@pytest.fixture(scope="module")
def everything() -> Iterator[peers.ServerCommand]:
    """npm server-everything over Streamable HTTP (`/mcp`)."""
    yield from _serve("streamableHttp")


@pytest.fixture(scope="module")
def everything_sse() -> Iterator[peers.ServerCommand]:
    """npm server-everything over the legacy HTTP+SSE transport (`/sse`)."""
    yield from _serve("sse")


@pytest.fixture(scope="module")
def everything_url(everything: peers.ServerCommand) -> str:
    assert everything.url is not None
    return everything.url


@pytest.fixture(scope="module")
def everything_sse_url(everything_sse: peers.ServerCommand) -> str:
    assert everything_sse.url is not None
    return everything_sse.url


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A real local Kubernetes control plane for the session (tests/support/cluster.py)."""
    yield from cluster_fixture(tmp_path_factory)

"""The chart's tests: rendering checks without a cluster, install/upgrade/uninstall on the real local plane."""

from __future__ import annotations

import pytest

from tests.support.cluster import cluster_fixture

cluster = pytest.fixture(scope="session")(cluster_fixture)

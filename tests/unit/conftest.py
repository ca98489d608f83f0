"""Fixtures of the in-process unit suite: telemetry without exporters, runtimes built from bundle files.

Factories take a bundle in its wire form (the camelCase dict an operator would write, or raw text),
so every test also exercises the loader the sidecar uses.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from guardmesh.runtime import Runtime
from guardmesh.telemetry.audit import AuditLog
from guardmesh.telemetry.metrics import Metrics
from guardmesh.telemetry.recorder import Telemetry


@pytest.fixture(autouse=True)
def _no_trace_export(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the developer's shell exports, unit tests never start an OTLP exporter."""
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def telemetry(metrics: Metrics) -> Telemetry:
    return Telemetry(metrics, AuditLog(None, metrics), None)


@pytest.fixture
def bundle_path(tmp_path: Path) -> Path:
    return tmp_path / "bundle.yaml"


@pytest.fixture
def write_bundle(bundle_path: Path) -> Callable[[dict[str, Any] | str], Path]:
    """Write a bundle (its camelCase dict, or raw YAML text) to `bundle_path` and return the path."""

    def write(bundle: dict[str, Any] | str) -> Path:
        bundle_path.write_bytes(bundle.encode() if isinstance(bundle, str) else orjson.dumps(bundle))
        return bundle_path

    return write


@pytest.fixture
def make_runtime(
    telemetry: Telemetry, write_bundle: Callable[[dict[str, Any] | str], Path]
) -> Callable[[dict[str, Any]], Runtime]:
    """A Runtime whose config file holds the given bundle, guarding the server id `test-server`."""

    def make(bundle: dict[str, Any]) -> Runtime:
        return Runtime(telemetry, "test-server", write_bundle(bundle))

    return make

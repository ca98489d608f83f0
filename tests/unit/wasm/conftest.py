"""Fixtures of the WebAssembly runtime tests: built guests, spec and pipeline factories."""

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from guardmesh.config.models import Bundle, SecurityGuardSpec
from guardmesh.guards.registry import GuardResources
from guardmesh.guards.wasm.guard import WasmGuard
from guardmesh.pipeline import Pipeline

REPO_ROOT = Path(__file__).resolve().parents[3]

SpecFactory = Callable[..., SecurityGuardSpec]


@pytest.fixture(scope="session")
def guests() -> Path:
    """Folder of the built Rust guests (hack/build-guards.sh builds them on a cold cache)."""
    result = subprocess.run(["bash", str(REPO_ROOT / "hack/build-guards.sh")], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"hack/build-guards.sh failed:\n{result.stderr[-4000:]}")
    return Path(result.stdout.split()[-1])


@pytest.fixture(scope="session")
def wat_dir() -> Path:
    """Folder of the guests written as WAT text."""
    return REPO_ROOT / "tests/guests"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh module and compiled-component cache per test."""
    path = tmp_path / "wasm-cache"
    monkeypatch.setenv("GUARDMESH_WASM_CACHE", str(path))
    return path


def _wasm_spec(path: Path, config: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    return {"type": "wasm", "wasm": {"url": path.as_uri(), "config": config or {}}, **fields}


@pytest.fixture
def wasm_spec() -> Callable[..., dict[str, Any]]:
    """`wasm_spec(path, config, **fields)`: a wasm SecurityGuard spec in wire form."""
    return _wasm_spec


@pytest.fixture
def guard(guests: Path, cache_dir: Path) -> Callable[..., WasmGuard]:
    def make(file: str, config: dict[str, Any] | None = None, **fields: Any) -> WasmGuard:
        spec = SecurityGuardSpec.model_validate(_wasm_spec(guests / file, config, **fields))
        return WasmGuard(spec, cache_dir=cache_dir)

    return make


def _pipeline(*guards: tuple[str, dict[str, Any]]) -> Pipeline:
    bundle = Bundle.model_validate({"guards": [{"name": name, "spec": spec} for name, spec in guards]})
    return Pipeline.from_bundle(bundle, GuardResources(), "srv")


@pytest.fixture
def pipeline(cache_dir: Path) -> Callable[..., Pipeline]:
    """`pipeline((name, spec), ...)`: a pipeline of named guards given as wire-form specs."""
    return _pipeline

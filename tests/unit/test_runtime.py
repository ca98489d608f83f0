"""Config reload: a good new bundle swaps the pipeline, a bad one keeps the old and says so."""

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from guardmesh.config import ConfigError, default_bundle
from guardmesh.runtime import Runtime
from guardmesh.telemetry.metrics import Metrics
from guardmesh.telemetry.recorder import Telemetry

WriteBundle = Callable[[dict[str, Any] | str], Path]


def bundle(*names: str) -> dict[str, Any]:
    return {
        "guards": [
            {"name": name, "spec": {"type": "native", "native": {"kind": "tool-access", "deny": [name]}}}
            for name in names
        ]
    }


def reloads(metrics: Metrics, result: str) -> float:
    return metrics.registry.get_sample_value("guardmesh_config_reloads_total", {"result": result}) or 0.0


def config_info(metrics: Metrics, digest: str) -> float | None:
    return metrics.registry.get_sample_value("guardmesh_config_info", {"hash": digest})


def error_of(runtime: Runtime) -> str | None:
    return runtime.config_error


def guard_names(runtime: Runtime) -> list[str]:
    return [g.name for g in runtime.pipeline.guards]


@pytest.fixture
def runtime(make_runtime: Callable[[dict[str, Any]], Runtime]) -> Runtime:
    return make_runtime(bundle("first"))


def test_without_a_file_the_built_in_bundle_is_in_force(telemetry: Telemetry, metrics: Metrics) -> None:
    runtime = Runtime(telemetry, "srv")
    assert guard_names(runtime) == [g.name for g in default_bundle().guards]
    assert runtime.config_hash == "builtin-default"
    assert config_info(metrics, "builtin-default") == 1
    assert not runtime.changed()
    assert runtime.pipeline.server_id == "srv"


def test_a_bad_file_at_start_is_a_config_error(telemetry: Telemetry, write_bundle: WriteBundle) -> None:
    with pytest.raises(ConfigError, match=r"bundle\.yaml: guards\.0\.spec"):
        Runtime(telemetry, "srv", write_bundle({"guards": [{"name": "x", "spec": {"type": "native"}}]}))


def test_a_missing_file_at_start_is_a_config_error(telemetry: Telemetry, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        Runtime(telemetry, "srv", tmp_path / "absent.yaml")


def test_a_changed_file_is_noticed_and_reloading_swaps_the_pipeline(
    runtime: Runtime, write_bundle: WriteBundle, metrics: Metrics
) -> None:
    old_pipeline, old_hash = runtime.pipeline, runtime.config_hash
    assert not runtime.changed()
    write_bundle(bundle("second", "third"))
    assert runtime.changed()
    assert runtime.reload()
    assert guard_names(runtime) == ["second", "third"]
    assert runtime.config_hash != old_hash
    assert runtime.config_error is None
    assert reloads(metrics, "ok") == 1
    assert config_info(metrics, old_hash) == 0
    assert config_info(metrics, runtime.config_hash) == 1
    assert [g.name for g in old_pipeline.guards] == ["first"], "a message in flight keeps the pipeline it took"
    assert not runtime.changed()


def test_rewriting_the_same_content_reloads_nothing(runtime: Runtime, write_bundle: WriteBundle) -> None:
    pipeline = runtime.pipeline
    write_bundle(bundle("first"))
    assert not runtime.reload()
    assert runtime.pipeline is pipeline


@pytest.mark.parametrize(
    ("text", "named"),
    [
        pytest.param("guards: [\n", "not valid YAML", id="yaml"),
        pytest.param('{"guards": [{"name": "a", "spec": {"type": "native", "timeoutMs": 5}}]}', "guards.0.spec",
                     id="schema"),
        pytest.param('{"guards": [{"name": "w", "spec": {"type": "wasm", "wasm": {"url": "file:///w.wasm"}}}]}',
                     "cannot read /w.wasm", id="unbuildable-guard"),
    ],
)  # fmt: skip
def test_a_bad_new_file_keeps_the_old_pipeline_and_reports_why(
    runtime: Runtime, write_bundle: WriteBundle, metrics: Metrics, text: str, named: str
) -> None:
    pipeline, digest = runtime.pipeline, runtime.config_hash
    write_bundle(text)
    assert not runtime.reload()
    assert runtime.pipeline is pipeline
    assert runtime.config_hash == digest
    assert runtime.config_error is not None
    assert named in runtime.config_error
    assert reloads(metrics, "error") == 1
    assert reloads(metrics, "ok") == 0


def test_fixing_the_file_clears_the_error(runtime: Runtime, write_bundle: WriteBundle, metrics: Metrics) -> None:
    write_bundle("guards: [\n")
    runtime.reload()
    assert error_of(runtime) is not None
    write_bundle(bundle("fixed"))
    assert runtime.reload()
    assert error_of(runtime) is None
    assert guard_names(runtime) == ["fixed"]
    assert (reloads(metrics, "error"), reloads(metrics, "ok")) == (1, 1)


def test_restoring_the_config_in_force_clears_the_error(runtime: Runtime, write_bundle: WriteBundle) -> None:
    pipeline = runtime.pipeline
    write_bundle("guards: [\n")
    runtime.reload()
    write_bundle(bundle("first"))
    assert not runtime.reload()
    assert runtime.config_error is None
    assert runtime.pipeline is pipeline


def test_a_vanished_file_is_an_error_counted_once_not_on_every_poll(
    runtime: Runtime, bundle_path: Path, metrics: Metrics
) -> None:
    bundle_path.unlink()
    for _ in range(3):
        if runtime.changed():
            runtime.reload()
    assert runtime.config_error is not None
    assert "cannot read" in runtime.config_error
    assert guard_names(runtime) == ["first"]
    assert reloads(metrics, "error") == 1


def test_a_file_that_comes_back_is_loaded(runtime: Runtime, write_bundle: WriteBundle, bundle_path: Path) -> None:
    bundle_path.unlink()
    runtime.reload()
    write_bundle(bundle("back"))
    assert runtime.changed()
    assert runtime.reload()
    assert runtime.config_error is None
    assert guard_names(runtime) == ["back"]


def test_a_configmap_style_symlink_swap_is_noticed(telemetry: Telemetry, tmp_path: Path) -> None:
    # kubelet writes a new timestamped directory and atomically repoints `..data` at it.
    first, second = tmp_path / "..2026_01", tmp_path / "..2026_02"
    first.mkdir()
    second.mkdir()
    (first / "bundle.yaml").write_bytes(b'{"guards": []}')
    (second / "bundle.yaml").write_bytes(b'{"guards": []}\n')
    (tmp_path / "..data").symlink_to(first.name)
    (tmp_path / "bundle.yaml").symlink_to("..data/bundle.yaml")
    runtime = Runtime(telemetry, "srv", tmp_path / "bundle.yaml")
    (tmp_path / "..data_tmp").symlink_to(second.name)
    (tmp_path / "..data_tmp").replace(tmp_path / "..data")
    assert runtime.changed()
    assert runtime.reload()


async def test_watching_reloads_the_file_when_it_changes(
    runtime: Runtime, write_bundle: WriteBundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    reloaded = asyncio.Event()
    reload = runtime.reload

    def reload_and_tell() -> bool:
        swapped = reload()
        reloaded.set()
        return swapped

    monkeypatch.setattr(runtime, "reload", reload_and_tell)
    async with runtime.watching(interval=0.01):
        write_bundle(bundle("watched", "too"))
        async with asyncio.timeout(5):
            await reloaded.wait()
    assert guard_names(runtime) == ["too", "watched"]
    assert runtime.config_error is None

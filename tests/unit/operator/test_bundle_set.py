"""The sidecar side of per-namespace bundles: a GuardBundleSet, pod labels from the downward API, selection, reload."""

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from guardmesh.config import ConfigError
from guardmesh.config.bundle_set import BundleSet, parse_config, parse_pod_labels
from guardmesh.runtime import Runtime
from guardmesh.telemetry.recorder import Telemetry


def _guard(name: str, kind: str = "rug-pull") -> dict[str, Any]:
    return {"name": name, "spec": {"type": "native", "native": {"kind": kind}}}


def _set(*entries: tuple[str, dict[str, str], list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "apiVersion": "guardmesh.dev/v1alpha1",
        "kind": "GuardBundleSet",
        "entries": [
            {"policy": p, "podSelector": {"matchLabels": sel}, "bundle": {"guards": guards}}
            for p, sel, guards in entries
        ],
    }


def test_downward_api_labels_are_parsed() -> None:
    text = 'app="weather"\npod-template-hash="5d9f8"\nguardmesh.dev/inject="enabled"\n'
    assert parse_pod_labels(text) == {"app": "weather", "pod-template-hash": "5d9f8", "guardmesh.dev/inject": "enabled"}


def test_a_malformed_labels_line_names_the_line() -> None:
    with pytest.raises(ConfigError, match=r"labels:2: expected key=\"value\""):
        parse_pod_labels('app="x"\nbroken\n', "labels")


def test_a_pod_enforces_every_entry_that_selects_it_first_policy_winning_a_name() -> None:
    bundle_set = BundleSet.model_validate(
        _set(
            ("a-policy", {"app": "weather"}, [_guard("pins"), _guard("pii", "pii")]),
            ("b-policy", {}, [_guard("pins", "secrets"), _guard("secrets", "secrets")]),
            ("c-policy", {"app": "other"}, [_guard("tools", "tool-access")]),
        )
    )
    bundle = bundle_set.select({"app": "weather", "tier": "x"})
    assert [(g.name, g.spec.kind) for g in bundle.guards] == [
        ("pins", "rug-pull"),
        ("pii", "pii"),
        ("secrets", "secrets"),
    ]
    assert [g.name for g in bundle_set.select({"app": "other"}).guards] == ["pins", "secrets", "tools"]


def test_a_pod_no_entry_selects_enforces_no_guards() -> None:
    bundle_set = BundleSet.model_validate(_set(("p", {"app": "weather"}, [_guard("pins")])))
    assert bundle_set.select({"app": "other"}).guards == ()


def test_a_set_without_labels_is_an_error_and_a_plain_bundle_still_loads() -> None:
    with pytest.raises(ConfigError, match="needs the pod's labels"):
        parse_config(orjson.dumps(_set()), "set.yaml")
    plain = parse_config(orjson.dumps({"guards": [_guard("pins")]}))
    assert [g.name for g in plain.guards] == ["pins"]


def test_a_bad_entry_names_the_field() -> None:
    bad = _set(("p", {}, [{"name": "x", "spec": {"type": "wasm"}}]))
    with pytest.raises(ConfigError, match=r"set.yaml: entries.0.bundle.guards.0.spec"):
        parse_config(orjson.dumps(bad), "set.yaml", {})


def test_the_runtime_selects_by_labels_and_reloads_when_they_change(
    telemetry: Telemetry, tmp_path: Path, write_bundle: Callable[[dict[str, Any] | str], Path]
) -> None:
    config = write_bundle(
        _set(("web", {"app": "web"}, [_guard("pins")]), ("api", {"app": "api"}, [_guard("secrets", "secrets")]))
    )
    labels = tmp_path / "labels"
    labels.write_text('app="web"\n')
    runtime = Runtime(telemetry, "test-server", config, labels)
    assert [g.name for g in runtime.bundle.guards] == ["pins"]
    first = runtime.config_hash
    labels.write_text('app="api"\nextra="1"\n')
    assert runtime.changed()
    assert runtime.reload()
    assert [g.name for g in runtime.bundle.guards] == ["secrets"]
    assert runtime.config_hash != first


def test_a_broken_labels_file_keeps_the_bundle_in_force(
    telemetry: Telemetry, tmp_path: Path, write_bundle: Callable[[dict[str, Any] | str], Path]
) -> None:
    config = write_bundle(_set(("web", {"app": "web"}, [_guard("pins")])))
    labels = tmp_path / "labels"
    labels.write_text('app="web"\n')
    runtime = Runtime(telemetry, "test-server", config, labels)
    labels.write_text("not a label line\n")
    assert not runtime.reload()
    assert runtime.config_error is not None
    assert "labels:1" in runtime.config_error
    assert [g.name for g in runtime.bundle.guards] == ["pins"]


def test_the_sidecar_takes_the_labels_file_from_a_flag_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from guardmesh.cli.sidecar import http_parser

    args = http_parser().parse_args(["--upstream", "http://127.0.0.1:1/mcp", "--pod-labels", "/etc/pod/labels"])
    assert args.pod_labels == Path("/etc/pod/labels")
    monkeypatch.setenv("GUARDMESH_POD_LABELS", "/from/env")
    assert http_parser().parse_args(["--upstream", "http://127.0.0.1:1/mcp"]).pod_labels == Path("/from/env")


class _LiveApi:
    def healthy(self) -> bool:
        return True


async def test_while_the_api_feeds_the_config_a_relabel_reselects_from_it_and_not_from_the_stale_file(
    telemetry: Telemetry, tmp_path: Path, write_bundle: Callable[[dict[str, Any] | str], Path]
) -> None:
    stale = _set(("web", {"app": "web"}, [_guard("old")]))
    config = write_bundle(stale)
    labels = tmp_path / "labels"
    labels.write_text('app="web"\n')
    runtime = Runtime(telemetry, "test-server", config, labels)
    runtime.api_source = _LiveApi()
    newer = _set(("web", {"app": "web"}, [_guard("pins")]), ("api", {"app": "api"}, [_guard("secrets", "secrets")]))
    assert runtime.apply(orjson.dumps(newer), "configmap ns/guardmesh-bundle")
    labels.write_text('app="api"\n')
    async with runtime.watching(interval=0.01):
        for _ in range(200):
            if [g.name for g in runtime.bundle.guards] == ["secrets"]:
                break
            await asyncio.sleep(0.01)
    assert [g.name for g in runtime.bundle.guards] == ["secrets"]  # from the API's set, not the file's

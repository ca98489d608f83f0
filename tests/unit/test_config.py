"""Config models and the bundle loader: what an operator may write, and how a mistake is reported."""

from pathlib import Path
from typing import Any

import pydantic
import pytest

from guardmesh.config import (
    Bundle,
    ConfigError,
    EnforcementAction,
    FailureMode,
    Phase,
    PiiSettings,
    RugPullSettings,
    SecurityGuardSpec,
    ToolAccessSettings,
    WasmGuardSpec,
    default_bundle,
    load_bundle,
    parse_bundle,
)

DIGEST = "ab" * 32


def native_spec(**extra: Any) -> dict[str, Any]:
    return {"type": "native", "native": {"kind": "tool-access"}, **extra}


# --- SecurityGuardSpec -------------------------------------------------------------------------


def test_a_native_guard_names_its_kind_and_gets_defaults() -> None:
    spec = SecurityGuardSpec.model_validate(native_spec())
    assert isinstance(spec.native, ToolAccessSettings)
    assert spec.kind == "tool-access"
    assert spec.runs_on == (Phase.REQUEST, Phase.RESPONSE)
    assert spec.failure_mode is FailureMode.FAIL_CLOSED
    assert spec.enforcement_action is EnforcementAction.ENFORCE


def test_a_wasm_guard_reports_its_kind_as_wasm() -> None:
    spec = SecurityGuardSpec.model_validate({"type": "wasm", "wasm": {"url": "file:///guards/a.wasm"}})
    assert spec.kind == "wasm"


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param({"type": "native"}, id="native-without-settings"),
        pytest.param(
            {"type": "native", "native": {"kind": "rug-pull"}, "wasm": {"url": "file:///a.wasm"}},
            id="native-with-wasm-too",
        ),
        pytest.param({"type": "wasm"}, id="wasm-without-source"),
        pytest.param(
            {"type": "wasm", "wasm": {"url": "file:///a.wasm"}, "native": {"kind": "rug-pull"}},
            id="wasm-with-native-too",
        ),
    ],
)
def test_a_guard_sets_exactly_the_implementation_its_type_names(spec: dict[str, Any]) -> None:
    with pytest.raises(pydantic.ValidationError, match=r"sets `(native|wasm)` and not"):
        SecurityGuardSpec.model_validate(spec)


def test_a_guard_runs_on_at_least_one_phase() -> None:
    with pytest.raises(pydantic.ValidationError, match="at least one phase"):
        SecurityGuardSpec.model_validate(native_spec(runsOn=[]))


@pytest.mark.parametrize("url", ["oci://registry.local/guards/pii:1", "https://example.com/pii.wasm"])
def test_a_remote_wasm_source_needs_a_sha256(url: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="sha256 is required"):
        WasmGuardSpec.model_validate({"url": url})
    assert WasmGuardSpec.model_validate({"url": url, "sha256": DIGEST}).sha256 == DIGEST


def test_a_local_wasm_file_needs_no_sha256() -> None:
    assert WasmGuardSpec.model_validate({"url": "file:///guards/pii.wasm"}).sha256 is None


@pytest.mark.parametrize("digest", ["AB" * 32, "ab" * 31, "zz" * 32, "sha256:" + "ab" * 32])
def test_a_sha256_is_64_lowercase_hex_digits(digest: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="sha256"):
        WasmGuardSpec.model_validate({"url": "file:///a.wasm", "sha256": digest})


@pytest.mark.parametrize("url", ["http://example.com/a.wasm", "/guards/a.wasm", "oci://"])
def test_a_wasm_source_uses_oci_https_or_file(url: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="url"):
        WasmGuardSpec.model_validate({"url": url, "sha256": DIGEST})


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param(native_spec(colour="red"), id="in-the-spec"),
        pytest.param({"type": "native", "native": {"kind": "tool-access", "alow": ["x"]}}, id="in-native-settings"),
        pytest.param(
            {"type": "wasm", "wasm": {"url": "file:///a.wasm", "limits": {"memoryMb": 4}}}, id="in-wasm-limits"
        ),
    ],
)
def test_unknown_keys_are_refused(spec: dict[str, Any]) -> None:
    with pytest.raises(pydantic.ValidationError, match="Extra inputs are not permitted"):
        SecurityGuardSpec.model_validate(spec)


def test_an_unknown_native_kind_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="'nope'"):
        SecurityGuardSpec.model_validate({"type": "native", "native": {"kind": "nope"}})


def test_fields_are_camel_case_on_the_wire() -> None:
    spec = SecurityGuardSpec.model_validate(
        native_spec(runsOn=["server-request"], timeoutMs=250, failureMode="FailOpen", enforcementAction="Audit")
    )
    assert spec.runs_on == (Phase.SERVER_REQUEST,)
    assert spec.timeout_ms == 250
    assert spec.failure_mode is FailureMode.FAIL_OPEN
    assert spec.enforcement_action is EnforcementAction.AUDIT
    wire = spec.model_dump(mode="json", by_alias=True)
    assert wire["timeoutMs"] == 250
    assert wire["runsOn"] == ["server-request"]
    assert "timeout_ms" not in wire


def test_rug_pull_settings_read_on_change_in_camel_case() -> None:
    settings = RugPullSettings.model_validate({"kind": "rug-pull", "onChange": "deny", "pins": {"t": DIGEST}})
    assert settings.on_change == "deny"
    assert settings.pins == {"t": DIGEST}


def test_specs_are_immutable() -> None:
    spec = SecurityGuardSpec.model_validate(native_spec())
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        spec.priority = 1


@pytest.mark.parametrize(("field", "value"), [("timeoutMs", 0), ("priority", -1), ("priority", 10_001)])
def test_numeric_settings_are_bounded(field: str, value: int) -> None:
    with pytest.raises(pydantic.ValidationError, match=field):
        SecurityGuardSpec.model_validate(native_spec(**{field: value}))


# --- Bundle ------------------------------------------------------------------------------------


def test_guard_names_are_unique_within_a_bundle() -> None:
    entry = {"name": "same", "spec": native_spec()}
    with pytest.raises(pydantic.ValidationError, match="unique"):
        Bundle.model_validate({"guards": [entry, entry]})


def test_a_bundle_of_another_api_version_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="apiVersion"):
        Bundle.model_validate({"apiVersion": "guardmesh.dev/v2"})


def test_the_default_bundle_enforces_the_attack_guards_and_only_audits_argument_checks() -> None:
    guards = {g.name: g.spec for g in default_bundle().guards}
    assert list(guards) == [
        "tool-access",
        "tool-poisoning",
        "server-spoofing",
        "rug-pull",
        "secrets",
        "pii",
        "prompt-injection",
    ]
    enforced = {name for name, spec in guards.items() if spec.enforcement_action is EnforcementAction.ENFORCE}
    assert enforced == set(guards) - {"tool-access"}
    assert all(spec.failure_mode is FailureMode.FAIL_CLOSED for spec in guards.values())
    rug_pull = guards["rug-pull"].native
    assert isinstance(rug_pull, RugPullSettings)
    assert rug_pull.on_change == "filter"
    pii = guards["pii"].native
    assert isinstance(pii, PiiSettings)
    assert {kind for kind, action in pii.actions.items() if action == "redact"} == {"card", "ssn", "national-id"}
    assert {action for kind, action in pii.actions.items() if action != "redact"} == {"audit"}
    assert PiiSettings().actions == pii.actions


def test_the_default_bundle_survives_a_round_trip_through_its_wire_form() -> None:
    bundle = default_bundle()
    assert Bundle.model_validate(bundle.model_dump(mode="json", by_alias=True)) == bundle


# --- loader ------------------------------------------------------------------------------------


def test_a_yaml_bundle_loads(tmp_path: Path) -> None:
    path = tmp_path / "bundle.yaml"
    path.write_text(
        "apiVersion: guardmesh.dev/v1alpha1\n"
        "kind: GuardBundle\n"
        "guards:\n"
        "  - name: tools\n"
        "    spec:\n"
        "      type: native\n"
        "      native: {kind: tool-access, deny: ['*delete*']}\n"
        "limits:\n"
        "  maxBodyBytes: 2048\n"
    )
    bundle = load_bundle(path)
    assert bundle.limits.max_body_bytes == 2048
    settings = bundle.guards[0].spec.native
    assert isinstance(settings, ToolAccessSettings)
    assert settings.deny == ("*delete*",)


def test_a_json_bundle_loads_as_yaml() -> None:
    bundle = parse_bundle(b'{"guards": [{"name": "a", "spec": {"type": "native", "native": {"kind": "rug-pull"}}}]}')
    assert bundle.guards[0].spec.kind == "rug-pull"


def test_a_loader_error_names_the_file_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("guards:\n  - name: a\n    spec: {type: native, native: {kind: tool-access}, timeoutMs: 0}\n")
    with pytest.raises(ConfigError) as caught:
        load_bundle(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "guards.0.spec.timeoutMs" in message


def test_a_loader_error_names_an_unknown_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("limits: {maxBodyByte: 2048}\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: limits\.maxBodyByte: Extra inputs"):
        load_bundle(path)


def test_a_missing_bundle_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(ConfigError, match=r"absent\.yaml: cannot read"):
        load_bundle(path)


def test_invalid_yaml_is_a_config_error_naming_the_source() -> None:
    with pytest.raises(ConfigError, match=r"^policy\.yaml: not valid YAML"):
        parse_bundle("guards: [\n", "policy.yaml")


@pytest.mark.parametrize(("text", "kind"), [("- a\n", "list"), ("just text\n", "str"), ("", "NoneType")])
def test_a_bundle_document_is_a_mapping(text: str, kind: str) -> None:
    with pytest.raises(ConfigError, match=f"a bundle is a mapping, got {kind}"):
        parse_bundle(text, "b.yaml")


def test_a_whole_bundle_error_is_reported_at_the_root() -> None:
    entry = "  - name: a\n    spec: {type: native, native: {kind: rug-pull}}\n"
    with pytest.raises(ConfigError, match=r"^b\.yaml: <root>: .*unique"):
        parse_bundle("guards:\n" + entry + entry, "b.yaml")

"""Specs checked beyond the schema, compiled into a namespace's bundle set, and their status."""

from typing import Any

import pytest

from guardmesh.config.bundle_set import parse_config
from guardmesh.config.models import EnforcementAction, LabelSelector
from guardmesh_operator.bundle import compile_namespace
from guardmesh_operator.status import guard_status, pod_counts, policy_status
from guardmesh_operator.validation import Invalid, parse_guard, parse_policy


def _problems(spec: dict[str, Any]) -> list[str]:
    with pytest.raises(Invalid) as info:
        parse_guard(spec)
    return info.value.problems


def test_an_unknown_setting_of_a_native_kind_is_named() -> None:
    assert _problems({"type": "native", "native": {"kind": "pii", "deny": ["x"]}}) == [
        "spec.native.deny: unknown setting: not a field of this guard kind"
    ]


def test_an_unknown_pii_kind_names_the_key() -> None:
    [problem] = _problems({"type": "native", "native": {"kind": "pii", "actions": {"emial": "deny"}}})
    assert problem.startswith("spec.native.actions.emial: Input should be 'email'")


def test_a_pattern_re2_cannot_run_is_refused_as_the_sidecar_would() -> None:
    schema = {"type": "object", "properties": {"path": {"type": "string", "pattern": r"^(a+)\1$"}}}
    [problem] = _problems({"type": "native", "native": {"kind": "tool-access", "argumentSchemas": {"fs_*": schema}}})
    assert problem.startswith("spec.native.argumentSchemas[fs_*].properties.path.pattern: RE2 cannot compile")
    assert "invalid escape sequence" in problem


def test_an_invalid_argument_schema_is_refused() -> None:
    schema = {"type": "objekt"}
    [problem] = _problems({"type": "native", "native": {"kind": "tool-access", "argumentSchemas": {"*": schema}}})
    assert problem.startswith("spec.native.argumentSchemas[*].type: not a valid JSON Schema")


def test_a_remote_wasm_guard_without_sha256_is_refused() -> None:
    assert _problems({"type": "wasm", "wasm": {"url": "oci://registry/guards/x:1"}}) == [
        "spec.wasm: sha256 is required for oci:// and https:// sources"
    ]


def test_a_valid_guard_parses() -> None:
    guard = parse_guard({"type": "native", "native": {"kind": "tool-access", "deny": ["*delete*"]}, "priority": 5})
    assert guard.kind == "tool-access"
    assert guard.priority == 5


def test_a_policy_naming_a_missing_guard_says_which_and_where() -> None:
    spec = {"guards": [{"name": "pins"}, {"name": "ghost"}]}
    with pytest.raises(Invalid) as info:
        parse_policy(spec, {"pins"}, "team-a")
    assert info.value.problems == ["spec.guards[1].name: SecurityGuard 'ghost' does not exist in namespace team-a"]
    assert parse_policy(spec).guards[1].name == "ghost"  # without the namespace's guards, only the shape is checked


def _compiled() -> Any:
    guards = {
        "pins": parse_guard({"type": "native", "native": {"kind": "rug-pull"}, "priority": 20}),
        "secrets": parse_guard({"type": "native", "native": {"kind": "secrets"}}),
    }
    policies = {
        "web": parse_policy(
            {
                "podSelector": {"matchLabels": {"app": "web"}},
                "guards": [{"name": "pins", "overrides": {"priority": 5}}, {"name": "ghost"}],
                "enforcementAction": "Audit",
            }
        ),
        "all": parse_policy({"guards": [{"name": "secrets"}], "trustedServers": [{"name": "github", "tools": ["x"]}]}),
    }
    return compile_namespace(guards, policies)


def test_policies_compile_to_entries_in_name_order_with_overrides_applied() -> None:
    compiled = _compiled()
    assert [e.policy for e in compiled.bundle_set.entries] == ["all", "web"]
    web = compiled.bundle_set.entries[1].bundle
    [pins] = web.guards
    assert pins.spec.priority == 5
    assert pins.spec.enforcement_action is EnforcementAction.AUDIT
    assert compiled.missing == {"web": ("ghost",)}


def test_the_compiled_text_is_what_the_sidecar_loads_for_a_pod() -> None:
    compiled = _compiled()
    bundle = parse_config(compiled.text, "bundle.yaml", {"app": "web"})
    assert [g.name for g in bundle.guards] == ["secrets", "pins"]
    assert [s.name for s in bundle.trusted_servers] == ["github"]
    assert [g.name for g in parse_config(compiled.text, "bundle.yaml", {"app": "db"}).guards] == ["secrets"]


def test_the_hash_follows_the_content_and_only_the_content() -> None:
    assert _compiled().hash == _compiled().hash
    guards = {"pins": parse_guard({"type": "native", "native": {"kind": "rug-pull"}})}
    one = compile_namespace(guards, {"p": parse_policy({"guards": [{"name": "pins"}]})})
    two = compile_namespace(guards, {"p": parse_policy({"guards": [{"name": "pins", "overrides": {"priority": 1}}]})})
    assert one.hash != two.hash
    assert len(one.hash) == 16


def _pod(labels: dict[str, str], injected: bool, deleting: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"labels": labels, "annotations": {"guardmesh.dev/status": "{}"} if injected else {}}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"metadata": meta}


def test_pods_are_counted_by_selector_and_sidecar() -> None:
    pods = [
        _pod({"app": "web"}, True),
        _pod({"app": "web"}, False),
        _pod({"app": "db"}, True),
        _pod({"app": "web"}, True, True),
    ]
    assert pod_counts(LabelSelector(match_labels={"app": "web"}), pods) == (2, 1)
    assert pod_counts(LabelSelector(), pods) == (3, 2)


def test_policy_conditions_carry_reasons_and_keep_their_transition_time() -> None:
    first = policy_status([], 3, None, ["ghost"], (2, 1), "abc")
    ready = {c.type: c for c in first.conditions}["Ready"]
    assert (ready.status, ready.reason) == ("False", "GuardsMissing")
    assert "ghost" in ready.message
    previous = [c.model_dump(by_alias=True) for c in first.conditions]
    previous[1]["lastTransitionTime"] = "2020-01-01T00:00:00Z"
    again = policy_status(previous, 4, None, ["ghost"], (2, 1), "abc")
    assert again.conditions[1].last_transition_time == "2020-01-01T00:00:00Z"
    fixed = policy_status(previous, 5, None, [], (2, 2), "abc")
    assert (fixed.conditions[1].status, fixed.conditions[1].reason) == ("True", "InBundle")
    assert fixed.conditions[1].last_transition_time != "2020-01-01T00:00:00Z"
    assert (fixed.observed_generation, fixed.selected_pods, fixed.injected_pods) == (5, 2, 2)


def test_an_invalid_guard_is_not_accepted() -> None:
    status = guard_status([], 1, "spec.native.deny: unknown setting", 0, True)
    assert [(c.type, c.status, c.reason) for c in status.conditions] == [
        ("Accepted", "False", "InvalidSpec"),
        ("Ready", "False", "InvalidSpec"),
    ]

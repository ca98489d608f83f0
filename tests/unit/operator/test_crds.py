"""The CRDs in crds/ are what the models generate, and their schemas are structural."""

from pathlib import Path
from typing import Any

import yaml

from guardmesh_operator import crds

_FORBIDDEN = {"$ref", "$defs", "const", "anyOf", "oneOf", "allOf", "propertyNames", "title", "discriminator"}


def _walk(node: Any, path: str = "") -> list[str]:
    """Paths of keywords a structural schema may not hold, and of nodes without a type."""
    problems: list[str] = []
    if isinstance(node, dict):
        problems += [f"{path}/{key}" for key in node if key in _FORBIDDEN]
        if node.get("additionalProperties") is False:
            problems.append(f"{path}/additionalProperties")
        if "default" in node and node["default"] is None:
            problems.append(f"{path}/default")
        for key in ("properties",):
            for name, sub in node.get(key, {}).items():
                if "type" not in sub and not sub.get("x-kubernetes-preserve-unknown-fields"):
                    problems.append(f"{path}/{name}: no type")
                problems += _walk(sub, f"{path}/{name}")
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                problems += _walk(node[key], f"{path}/{key}")
    return problems


def _schema(crd: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def test_the_committed_crds_are_what_the_models_generate() -> None:
    assert crds.stale() == [], "crds/ is stale: run `make crds`"


def test_a_changed_file_is_reported_stale(tmp_path: Path) -> None:
    assert crds.main(["--write", "--dir", str(tmp_path)]) == 0
    assert crds.stale(tmp_path) == []
    (tmp_path / "policies.yaml").write_text("# edited by hand\n")
    assert crds.stale(tmp_path) == ["policies.yaml"]
    assert crds.main(["--check", "--dir", str(tmp_path)]) == 1


def test_both_schemas_are_structural() -> None:
    for crd in (crds.security_guard_crd(), crds.policy_crd()):
        assert _walk(_schema(crd)) == []


def test_descriptions_come_from_the_field_docstrings() -> None:
    spec = _schema(crds.security_guard_crd())["properties"]["spec"]
    assert spec["properties"]["priority"]["description"] == "Lower runs first."
    assert spec["properties"]["wasm"]["properties"]["sha256"]["description"].startswith("Digest the module")


def test_only_free_form_fields_keep_unknown_fields() -> None:
    text = yaml.safe_dump(crds.security_guard_crd())
    kept = [line for line in text.splitlines() if "preserve-unknown-fields" in line]
    assert len(kept) == 2  # wasm.config and each tool-access argument schema
    wasm = _schema(crds.security_guard_crd())["properties"]["spec"]["properties"]["wasm"]
    assert wasm["properties"]["config"]["x-kubernetes-preserve-unknown-fields"] is True


def test_cel_rules_restate_the_model_validators() -> None:
    spec = _schema(crds.security_guard_crd())["properties"]["spec"]
    rules = [r["rule"] for r in spec["x-kubernetes-validations"]]
    assert any("has(self.native) && !has(self.wasm)" in r for r in rules)
    wasm_rules = [r["message"] for r in spec["properties"]["wasm"]["x-kubernetes-validations"]]
    assert wasm_rules == ["sha256 is required for oci:// and https:// sources"]
    native_rules = [r["message"] for r in spec["properties"]["native"]["x-kubernetes-validations"]]
    assert "pins is a setting of rug-pull only" in native_rules
    assert "action is not valid for this kind" in native_rules


def test_defaults_print_columns_short_names_and_status() -> None:
    guard, policy = crds.security_guard_crd(), crds.policy_crd()
    spec = _schema(guard)["properties"]["spec"]["properties"]
    assert spec["failureMode"]["default"] == "FailClosed"
    assert spec["runsOn"]["default"] == ["request", "response"]
    assert guard["spec"]["names"]["shortNames"] == ["sg", "sguard"]
    assert "gmpolicy" in policy["spec"]["names"]["shortNames"]
    for crd in (guard, policy):
        version = crd["spec"]["versions"][0]
        assert version["subresources"] == {"status": {}}
        columns = [c["name"] for c in version["additionalPrinterColumns"]]
        assert columns[-2:] == ["Ready", "Age"]
        assert crd["spec"]["scope"] == "Namespaced"
    status = _schema(policy)["properties"]["status"]["properties"]
    assert {"observedGeneration", "conditions", "selectedPods", "injectedPods"} <= set(status)
    guard_columns = [c["name"] for c in guard["spec"]["versions"][0]["additionalPrinterColumns"]]
    assert guard_columns[:3] == ["Type", "Kind", "Enforcement"]

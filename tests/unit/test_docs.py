"""Docs that must not drift: docs/crds.md is what hack/gen_crd_docs.py makes of the current models, and the
excerpts in docs/guards.md are the example files."""

import re
import sys
from pathlib import Path
from typing import Any

import yaml

from guardmesh.config.models import SecurityGuardSpec

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "hack"))
import gen_crd_docs  # noqa: E402


def test_the_crd_reference_is_up_to_date_with_the_models() -> None:
    assert gen_crd_docs.main(["--check"]) == 0, "run .venv/bin/python hack/gen_crd_docs.py --write"


def test_the_crd_reference_documents_every_native_kind_and_both_resources() -> None:
    text = gen_crd_docs.render()
    for heading in ("## SecurityGuard", "## Policy", "### `rate-limit`", "### `tool-poisoning`", "### `pii`"):
        assert heading in text
    assert "| `trustedServers` |" in text


def _excerpts() -> list[tuple[str, dict[str, Any]]]:
    """The YAML blocks of docs/guards.md that say which example file they come from."""
    text = (REPO / "docs" / "guards.md").read_text()
    blocks = re.findall(r"```yaml\n# (examples/guards/[\w-]+\.yaml)[^\n]*\n(.*?)```", text, re.S)
    return [(path, yaml.safe_load(body.split("\n---\n")[0])) for path, body in blocks]


def _subset(part: Any, whole: Any) -> bool:
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(k in whole and _subset(v, whole[k]) for k, v in part.items())
    return bool(part == whole)


def test_every_guard_kind_has_an_example_in_the_catalogue() -> None:
    paths = {path for path, _ in _excerpts()}
    assert paths == {f"examples/guards/{p.name}" for p in (REPO / "examples" / "guards").glob("*.yaml")}


def test_the_catalogue_excerpts_say_what_the_example_files_say() -> None:
    for path, excerpt in _excerpts():
        example = yaml.safe_load((REPO / path).read_text())
        spec = dict(excerpt["spec"])
        if spec.get("type") == "wasm":
            spec["wasm"] = {k: v for k, v in spec["wasm"].items() if k != "url"}  # shortened in the doc
        assert _subset(spec, example["spec"]), f"docs/guards.md excerpt of {path} differs from the file"
        SecurityGuardSpec.model_validate(example["spec"])

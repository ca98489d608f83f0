"""docs/crds.md is what hack/gen_crd_docs.py makes of the current models."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "hack"))
import gen_crd_docs


def test_the_crd_reference_is_up_to_date_with_the_models() -> None:
    assert gen_crd_docs.main(["--check"]) == 0, "run .venv/bin/python hack/gen_crd_docs.py --write"


def test_the_crd_reference_documents_every_native_kind_and_both_resources() -> None:
    text = gen_crd_docs.render()
    for heading in ("## SecurityGuard", "## Policy", "### `rate-limit`", "### `tool-poisoning`", "### `pii`"):
        assert heading in text
    assert "| `trustedServers` |" in text

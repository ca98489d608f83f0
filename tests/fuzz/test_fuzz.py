"""The fuzz targets in `make test`: a bounded, repeatable property run of each, and every kept corpus
input replayed. `make fuzz` (tests/fuzz/campaign.py) runs the same targets for 10^6 inputs under atheris.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.targets import TARGETS

CORPUS = Path(__file__).parent / "corpus"

EXAMPLES = {"request": 400, "response": 200, "sse": 400, "engine": 100}
"""Per target: a few seconds each here; the campaign goes further."""


def _property(target: Callable[[bytes], None], examples: int) -> Callable[[], None]:
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.binary(max_size=2048))
    def run(data: bytes) -> None:
        target(data)

    return run


@pytest.mark.parametrize("name", list(TARGETS))
def test_the_target_holds_for_generated_inputs(name: str) -> None:
    _property(TARGETS[name], EXAMPLES[name])()


@pytest.mark.parametrize("name", list(TARGETS))
def test_every_kept_corpus_input_still_holds(name: str) -> None:
    kept = sorted((CORPUS / name).iterdir())
    assert kept, f"no corpus kept for {name}: run `make fuzz`"
    for path in kept:
        try:
            TARGETS[name](path.read_bytes())
        except Exception as exc:
            raise AssertionError(f"{path.relative_to(CORPUS.parent)}: {exc}") from exc

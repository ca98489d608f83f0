"""gm-exam: the final exam's attacks and benign samples (see ../README.md). Seeded: same bytes on
every build."""

from __future__ import annotations

import random
from collections import Counter

from gm_corpora.messages import Record

from . import definitions, results
from .common import CORPUS

__all__ = ["CORPUS", "build"]
_SEED = 20261207


def build(stats: Counter[str]) -> list[Record]:
    rng = random.Random(_SEED)
    out = definitions.build(random.Random(rng.randrange(2**32)), stats) + results.build(
        random.Random(rng.randrange(2**32)), stats
    )
    ids = Counter(r["id"] for r in out)
    duplicates = [i for i, c in ids.items() if c > 1]
    if duplicates:
        raise ValueError(f"duplicate ids in {CORPUS}: {duplicates[:5]}")
    return out

"""The blind held-out set `gm-heldout`: attacks of every family and hard negatives, written by hand for
GuardMesh's evaluation without looking at any detector (see DETECTION-PLAN in the issue 10 notes).

Hand-written seeds (framings, goals, carriers, poisoned-tool sentences, translations in ten
languages) are combined by seeded generators and varied by robustness transforms; every sample
records its family, seed, carrier and transform in `source`. Same bytes on every build.
"""

from __future__ import annotations

from collections import Counter

from gm_corpora.messages import Record

from heldout import defs, results
from heldout.out import CORPUS, Out

__all__ = ["CORPUS", "build"]


def build(stats: Counter[str]) -> list[Record]:
    out = Out()
    defs.build(out)
    results.build(out)
    if out.repeats:
        stats["gm-heldout: repeated messages dropped"] += out.repeats
    return out.records

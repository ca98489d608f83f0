"""gm-train: detect's generated training and development samples (hack/detect/gm_train), in the shared
sample format. Built into the cache on first use (about a second), keyed by the generator's hash.

Figures on gm-train are never goals: its families are scored leave-one-family-out, with the learned
head refitted without the family (tests/quality/holdout.py)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import orjson

from tests.quality.corpora import Sample, _sample
from tests.support.peers import run_hack_script

CORPUS = "gm-train"


@functools.cache
def directory() -> Path:
    return run_hack_script("detect/gm-train.sh")


def samples() -> Iterator[Sample]:
    with (directory() / f"{CORPUS}.jsonl").open("rb") as f:
        for n, line in enumerate(f, start=1):
            try:
                yield _sample(orjson.loads(line))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{CORPUS}.jsonl line {n}: {exc}") from exc

"""Heads fitted without a source or a family: shared by the build step (out-of-fold thresholds) and the
held-out harness (LOSO and LOFO scoring). Each is cached on disk by what determines it: the fitting
code, the table, the head's kind and the ids of the samples it was fitted on."""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from guardmesh.engine import learned
from guardmesh.engine.learned import StaticModel
from tests.quality import learned_data as D
from tests.quality.corpora import Sample

SMALL_SOURCE = 150
"""Sources with fewer samples for a head are left out together (one fold), so each fold means something."""


def cache_dir() -> Path:
    return Path(os.environ.get("GUARDMESH_CACHE", Path.home() / ".cache" / "guardmesh")) / "detect" / "folds"


@functools.cache
def _code() -> bytes:
    parts = [inspect.getsource(f) for f in (D.fit, D.featurise, D.head_of, D.units, D._weights, D.source_of)]
    constants = (D.HIDDEN, D.EPOCHS, D.MAX_WINDOWS, D.SEED, D.RESULT_ATTACKS, D.BLIND)
    return "".join(parts).encode() + repr(constants).encode() + Path(learned.__file__).read_bytes()


def fold_params(model: StaticModel, features: D.Features, kind: str, keep: Callable[[Sample], bool]) -> D.Params:
    """The head of `kind` fitted on the samples `keep` selects (cached)."""
    train = features.subset(keep)
    digest = hashlib.sha256(_code() + str(model.meta.get("model_sha256", "")).encode() + kind.encode())
    for s in train.samples:
        digest.update(s.id.encode())
    path = cache_dir() / f"{kind}-{digest.hexdigest()[:16]}.npz"
    if path.is_file():
        with np.load(path) as data:
            return D.Params(data["w1"], data["b1"], data["w2"], float(data["b2"]))
    params = D.fit(train)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    arrays: dict[str, Any] = {"w1": params.w1, "b1": params.b1, "w2": params.w2, "b2": np.float32(params.b2)}
    np.savez(tmp, **arrays)
    tmp.replace(path)
    return params


def _from_sources(names: frozenset[str], sample: Sample) -> bool:
    return D.source_of(sample) in names


def loso_groups(features: D.Features) -> dict[str, Callable[[Sample], bool]]:
    """Fold name -> which samples it leaves out. Small sources share one fold."""
    sizes: dict[str, int] = {}
    for s in features.samples:
        sizes[D.source_of(s)] = sizes.get(D.source_of(s), 0) + 1
    small = {name for name, n in sizes.items() if n < SMALL_SOURCE}
    folds: dict[str, Callable[[Sample], bool]] = {
        name: functools.partial(_from_sources, frozenset({name})) for name in sizes if name not in small
    }
    if small:
        name = "small public corpora (" + ", ".join(sorted(small)) + ")"
        folds[name] = functools.partial(_from_sources, frozenset(small))
    return folds


def _not(leaves: Callable[[Sample], bool], sample: Sample) -> bool:
    return not leaves(sample)


def _benign_of(leaves: Callable[[Sample], bool], sample: Sample) -> bool:
    return leaves(sample) and sample.label == "benign"


def out_of_fold_benign(model: StaticModel, features: D.Features, kind: str) -> D.Floats:
    """Every benign sample's score by the head fitted without its source (leave-one-source-out)."""
    scores: list[D.Floats] = []
    for leaves in loso_groups(features).values():
        params = fold_params(model, features, kind, functools.partial(_not, leaves))
        tested = features.subset(functools.partial(_benign_of, leaves))
        if tested.samples:
            scores.append(D.sample_scores(params, tested))
    return np.concatenate(scores) if scores else np.zeros(0, dtype=np.float32)

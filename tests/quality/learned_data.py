"""The learned tier's training data and fitting, shared by its build step (hack/detect/train.py) and by
the quality harness, which refits the heads without a source or a family to score what was left out.

A sample becomes the texts the shipped guards would score (guardmesh.engine.learned's units of the
extracted message), each text its windows' vectors; a sample's score is its highest window's, and the
head is fitted on that (multiple-instance: a long benign carrier with one injected sentence is an
attack through that sentence's windows only). Fitting is seeded, full-batch and deterministic.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from guardmesh.engine import extract
from guardmesh.engine.learned import HEADS, StaticModel, definition_units, result_units
from tests.quality import corpora, gm_train
from tests.quality.corpora import Sample

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int64]

BLIND = "gm-heldout"
"""The blind set: never in any training pool."""
SENSITIVITY_FPR = {"low": 0.005, "medium": 0.01, "high": 0.03}
"""The head's own false-positive rate on out-of-fold (leave-one-source-out) benign samples at each
sensitivity's threshold."""
RESULT_ATTACKS = ("prompt-injection", "tool-poisoning", "context-exfiltration", "agent-manipulation")
SEED = 7
HIDDEN = 32
EPOCHS = 200
MAX_WINDOWS = 12
"""Windows per sample used in fitting (the first ones: 12 cover ~150 tokens); scoring uses them all."""


def training_pool() -> list[Sample]:
    """Every sample the learned tier may learn from: the public corpora and gm-train, never gm-heldout."""
    names = [c for c in corpora.ALL_CORPORA if c != BLIND]
    return [s for name in names for s in corpora.samples(name)] + list(gm_train.samples())


def head_of(sample: Sample) -> str | None:
    """Which head a sample trains or tests: `definition`, `result`, or None (not the learned tier's)."""
    if sample.corpus == BLIND:
        return None
    category = sample.category or ""
    if category.startswith(("pii/", "secrets/", "injection/")):
        return None
    if sample.location == "tool-definition" and sample.method.endswith("/list"):
        return "definition"
    if sample.location in ("result", "prompt", "resource") and not sample.method.endswith("/list"):
        # ATR files many texts that only describe a risky agent (autonomy, abuse, escalation) under attacks;
        # the head learns instructions aimed at the model, so those stay out of its training and tests.
        if sample.label == "attack" and not category.startswith(RESULT_ATTACKS):
            return None
        return "result"
    return None


def source_of(sample: Sample) -> str:
    """The source left out together in leave-one-source-out: the corpus, with gm-train's real documentation
    apart from its generated texts."""
    if sample.corpus == "gm-train":
        return "gm-train/docs" if sample.source.get("kind") == "docs" else "gm-train/generated"
    return sample.corpus


def units(sample: Sample, kind: str) -> list[str]:
    text = extract(sample.message, sample.method)
    if kind == "definition":
        return list(definition_units(text).values())
    return [t for _, t in result_units(text)]


@dataclass(slots=True)
class Features:
    """Every window of every sample of one head, grouped by sample (rows of one sample are contiguous)."""

    samples: list[Sample]
    windows: Floats
    group: Ints
    """The sample index of each window row."""
    y: Floats

    def subset(self, keep: Callable[[Sample], bool]) -> Features:
        chosen = [i for i, s in enumerate(self.samples) if keep(s)]
        mask = np.isin(self.group, chosen)
        remap = np.full(len(self.samples), -1, dtype=np.int64)
        remap[chosen] = np.arange(len(chosen))
        return Features([self.samples[i] for i in chosen], self.windows[mask], remap[self.group[mask]], self.y[chosen])


def featurise(model: StaticModel, pool: Iterable[Sample], kind: str) -> Features:
    chosen: list[Sample] = []
    rows: list[Floats] = []
    groups: list[Ints] = []
    for sample in pool:
        if head_of(sample) != kind:
            continue
        windows = [model.windows(t) for t in units(sample, kind)]
        windows = [w for w in windows if len(w)]
        if not windows:
            continue
        stacked = np.concatenate(windows)[:MAX_WINDOWS]
        groups.append(np.full(len(stacked), len(chosen), dtype=np.int64))
        rows.append(stacked)
        chosen.append(sample)
    y = np.array([s.label == "attack" for s in chosen], dtype=np.float32)
    return Features(chosen, np.concatenate(rows), np.concatenate(groups), y)


@dataclass(frozen=True, slots=True)
class Params:
    w1: Floats
    b1: Floats
    w2: Floats
    b2: float


def _window_logits(p: Params, x: Floats) -> tuple[Floats, Floats]:
    hidden = np.maximum(x @ p.w1 + p.b1, 0.0)
    return hidden, hidden @ p.w2 + p.b2


def sample_scores(p: Params, f: Features) -> Floats:
    """Each sample's score: the sigmoid of its highest window's logit."""
    _, z = _window_logits(p, f.windows)
    top = np.full(len(f.samples), -np.inf, dtype=np.float32)
    np.maximum.at(top, f.group, z)
    out: Floats = (1.0 / (1.0 + np.exp(-top))).astype(np.float32)
    return out


def fit(f: Features, seed: int = SEED, epochs: int = EPOCHS, hidden: int = HIDDEN) -> Params:
    """A one-hidden-layer head on the max-window logit, logistic loss with both classes weighted equally
    (and, within a class, each corpus equally, so the generated set does not drown the public ones), Adam."""
    rng = np.random.default_rng(seed)
    d = f.windows.shape[1]
    w1 = (rng.standard_normal((d, hidden)) / np.sqrt(d)).astype(np.float32)
    b1 = np.zeros(hidden, dtype=np.float32)
    w2 = (rng.standard_normal(hidden) / np.sqrt(hidden)).astype(np.float32)
    b2 = np.zeros(1, dtype=np.float32)
    weights = _weights(f)
    order = np.lexsort((np.arange(len(f.group)), f.group))
    x, group = f.windows[order], f.group[order]
    params = [w1, b1, w2, b2]
    m = [np.zeros_like(q) for q in params]
    v = [np.zeros_like(q) for q in params]
    lr, beta1, beta2, decay = 0.02, 0.9, 0.999, 1e-4
    for step in range(1, epochs + 1):
        h = np.maximum(x @ w1 + b1, 0.0)
        z = h @ w2 + b2[0]
        # The highest window of each sample: sort by (group, -z) and take each group's first row.
        best = np.lexsort((-z, group))
        firsts = best[np.r_[0, np.flatnonzero(np.diff(group[best])) + 1]]
        zs = z[firsts]
        p = 1.0 / (1.0 + np.exp(-zs))
        dz = ((p - f.y) * weights).astype(np.float32)
        hs, xs = h[firsts], x[firsts]
        g_w2 = hs.T @ dz + decay * w2
        g_b2 = np.array([dz.sum()], dtype=np.float32)
        dh = np.outer(dz, w2) * (hs > 0)
        g_w1 = xs.T @ dh + decay * w1
        g_b1 = dh.sum(axis=0)
        for i, g in enumerate((g_w1, g_b1, g_w2, g_b2)):
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            params[i] -= lr * (m[i] / (1 - beta1**step)) / (np.sqrt(v[i] / (1 - beta2**step)) + 1e-8)
    return Params(w1, b1, w2, float(b2[0]))


def _weights(f: Features) -> Floats:
    w = np.zeros(len(f.samples), dtype=np.float32)
    for label in (0.0, 1.0):
        idx = np.flatnonzero(f.y == label)
        corpora = [f.samples[i].corpus for i in idx]
        names = sorted(set(corpora))
        for name in names:
            members = idx[[c == name for c in corpora]]
            w[members] = 0.5 / len(names) / len(members)
    return w


def thresholds(out_of_fold_benign: Floats) -> dict[str, float]:
    """Each sensitivity's threshold: the score that flags its target share of benign samples scored by heads
    fitted without their source (leave-one-source-out), so the rate holds for text of a kind never seen."""
    return {
        level: max(0.5, float(np.quantile(out_of_fold_benign, 1.0 - fpr))) for level, fpr in SENSITIVITY_FPR.items()
    }


def save(path: Any, heads: dict[str, Params], cuts: dict[str, dict[str, float]]) -> None:
    arrays: dict[str, Any] = {}
    for kind in HEADS:
        p = heads[kind]
        arrays |= {f"{kind}.w1": p.w1, f"{kind}.b1": p.b1, f"{kind}.w2": p.w2, f"{kind}.b2": np.float32(p.b2)}
    np.savez(path, thresholds=np.array(json.dumps(cuts, sort_keys=True)), **arrays)

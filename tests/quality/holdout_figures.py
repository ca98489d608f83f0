"""Figures of the held-out evaluation (tests/quality/holdout.py): recall per family, source, location,
transform and language, each beside the false-positive rate on held-out benign samples of the same goal.
Only aggregates: nothing here returns a gm-heldout sample or its text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.quality.holdout import CONFIGS, Holdout, Verdict, goal_of
from tests.quality.learned_data import source_of

GOALS = ("tool-poisoning", "injection")
GOAL_RECALL = 0.90
GOAL_FPR = 0.02
Metrics = dict[str, float | int | None]


def metrics(attacks: list[Verdict], benign: list[Verdict]) -> Metrics:
    tp = sum(v.flagged for v in attacks)
    fp = sum(v.flagged for v in benign)
    return {
        "attacks": len(attacks),
        "tp": tp,
        "recall": tp / len(attacks) if attacks else None,
        "benign": len(benign),
        "fp": fp,
        "fpr": fp / len(benign) if benign else None,
    }


def _split(verdicts: list[Verdict], goal: str) -> tuple[list[Verdict], list[Verdict]]:
    mine = [v for v in verdicts if goal_of(v.sample) == goal]
    return [v for v in mine if v.sample.label == "attack"], [v for v in mine if v.sample.label == "benign"]


def _by(attacks: list[Verdict], benign: list[Verdict], key: Callable[[Verdict], str | None]) -> dict[str, Metrics]:
    groups: dict[str, list[Verdict]] = {}
    for v in attacks:
        k = key(v)
        if k is not None:
            groups.setdefault(k, []).append(v)
    return {k: metrics(vs, benign) for k, vs in sorted(groups.items())}


def transform(v: Verdict) -> str:
    return str(v.sample.source.get("transform") or "none")


def language(v: Verdict) -> str:
    t = transform(v)
    return t.removeprefix("lang:") if t.startswith("lang:") else "en"


def summary(h: Holdout) -> dict[str, Any]:
    out: dict[str, Any] = {"folds": h.folds, "configs": {}}
    for config in CONFIGS:
        blind = h.verdicts[("blind", config)]
        loso = h.verdicts[("loso", config)]
        lofo = h.verdicts[("lofo", config)]
        conf: dict[str, Any] = {}
        for goal in GOALS:
            b_att, b_ben = _split(blind, goal)
            l_att, l_ben = _split(loso, goal)
            f_att, _ = _split(lofo, goal)
            families = _by(f_att, l_ben, lambda v: v.sample.family)
            conf[goal] = {
                "blind": metrics(b_att, b_ben),
                "loso": metrics(l_att, l_ben),
                "lofo": metrics(f_att, l_ben),
                "lofo_min_family_recall": min((m["recall"] or 0.0 for m in families.values()), default=None),
                "blind_by_family": _by(b_att, b_ben, lambda v: v.sample.family),
                "blind_by_location": _by(b_att, b_ben, lambda v: v.sample.location),
                "blind_by_transform": _by(b_att, b_ben, transform),
                "blind_by_language": _by(b_att, b_ben, language),
                "blind_benign_by_kind": {
                    k: metrics([], [v for v in b_ben if str(v.sample.source.get("kind") or "other") == k])
                    for k in sorted({str(v.sample.source.get("kind") or "other") for v in b_ben})
                },
                "lofo_by_family": families,
                "lofo_by_transform": _by(f_att, l_ben, transform),
                "loso_by_source": {
                    src: metrics(
                        [v for v in l_att if source_of(v.sample) == src],
                        [v for v in l_ben if source_of(v.sample) == src],
                    )
                    for src in sorted({source_of(v.sample) for v in l_att + l_ben})
                },
                "real_servers_flagged": sorted(
                    v.sample.id for v in l_ben if v.sample.corpus.startswith("mcp-servers") and v.flagged
                ),
            }
        out["configs"][config] = conf
    return out


def goal_met(fig: Metrics) -> bool:
    recall, fpr = fig["recall"], fig["fpr"]
    return recall is not None and fpr is not None and recall >= GOAL_RECALL and fpr <= GOAL_FPR


def exam_summary(verdicts: dict[str, list[Verdict]]) -> dict[str, Any]:
    """Aggregates of the final exam per config and goal (holdout.exam): the blind set's breakdowns, and the
    real-server definitions flagged (ids of real servers' items only: never a written sample's)."""
    out: dict[str, Any] = {}
    for config, vs in verdicts.items():
        conf: dict[str, Any] = {}
        for goal in GOALS:
            att, ben = _split(vs, goal)
            written = [v for v in ben if not v.sample.corpus.startswith("mcp-servers")]
            real = [v for v in ben if v.sample.corpus.startswith("mcp-servers")]
            conf[goal] = {
                "exam": metrics(att, written),
                "by_family": _by(att, written, lambda v: v.sample.family),
                "by_location": _by(att, written, lambda v: v.sample.location),
                "by_transform": _by(att, written, transform),
                "by_language": _by(att, written, language),
                "benign_by_kind": {
                    k: metrics([], [v for v in written if str(v.sample.source.get("kind") or "other") == k])
                    for k in sorted({str(v.sample.source.get("kind") or "other") for v in written})
                },
                "real_servers": metrics([], real),
                "real_servers_flagged": sorted(v.sample.id for v in real if v.flagged),
            }
        out[config] = conf
    return out

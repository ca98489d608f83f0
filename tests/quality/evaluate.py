"""The quality harness: each native content guard against the labelled corpora.

Every relevant sample goes through a ``Pipeline`` holding only the guard under test, built afresh
with fresh ``GuardResources`` (so tool-poisoning's memory of flagged tools never leaks between
samples). A detection is any verdict but allow (deny, modify or audit). ``hack/quality/evaluate.py``
(``make quality``) writes the full report; ``tests/quality/test_quality_floor.py`` pins the figures.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from guardmesh.config import (
    Bundle,
    BundleGuard,
    GuardType,
    PiiSettings,
    PromptInjectionSettings,
    SecretsSettings,
    SecurityGuardSpec,
    ToolPoisoningSettings,
)
from guardmesh.guards.api import Decision, GuardContext
from guardmesh.guards.registry import GuardResources
from guardmesh.pipeline import Pipeline
from guardmesh.protocol.jsonrpc import Direction, classify
from tests.quality import secrets_synthetic
from tests.quality.corpora import Sample, samples

SERVER = "quality"
DEV_PERCENT = 70
"""Share of samples in the dev split; the rest are held out (never studied when writing rules)."""
SPLITS = ("dev", "held-out")
_RULE = re.compile(r"([a-z][a-z0-9_-]*(?:\.[a-z0-9_-]+)+) at ")


def split_of(sample: Sample) -> str:
    """``dev`` or ``held-out``, fixed by the sample's id (sha256), so the split never drifts.

    Rules are studied and tuned on dev samples only; held-out figures show whether they generalise."""
    bucket = int.from_bytes(hashlib.sha256(sample.id.encode()).digest()[:8], "big") % 100
    return "dev" if bucket < DEV_PERCENT else "held-out"


@dataclass(frozen=True, slots=True)
class GuardSetup:
    name: str
    settings: Callable[[], Any]
    selects: Callable[[Sample], bool]
    """Which samples the guard is evaluated on."""
    goal: str
    """The issue's goal for this guard, in words."""
    headline: Callable[[Sample], bool]
    """The attack samples the goal's recall is about (benign samples in scope all count)."""


def _tp_scope(s: Sample) -> bool:
    return s.location in ("tool-definition", "prompt", "resource") and s.corpus != secrets_synthetic.CORPUS


def _pi_scope(s: Sample) -> bool:
    # Personal data in results is the pii guard's, not an injection; its benign sentences stay in.
    pii = (s.category or "").startswith("pii/")
    return s.location in ("result", "prompt") and s.corpus != secrets_synthetic.CORPUS and not pii


def _pii_scope(s: Sample) -> bool:
    if s.corpus == secrets_synthetic.CORPUS:
        return False
    if s.label == "attack":
        return (s.category or "").startswith("pii/")
    return s.location in ("argument", "result")


def _secrets_scope(s: Sample) -> bool:
    # The synthetic set, plus every real benign argument and result as hard negatives.
    return s.corpus == secrets_synthetic.CORPUS or (s.label == "benign" and s.location in ("argument", "result"))


GUARDS: tuple[GuardSetup, ...] = (
    GuardSetup(
        "tool-poisoning",
        ToolPoisoningSettings,
        _tp_scope,
        "recall >= 0.95 on tool-poisoning in tool definitions; no real server's definition flagged",
        lambda s: s.category == "tool-poisoning" and s.location == "tool-definition",
    ),
    GuardSetup(
        "prompt-injection",
        PromptInjectionSettings,
        _pi_scope,
        "recall >= 0.90 on prompt injection in results at FPR <= 0.02",
        lambda s: s.location == "result" and (s.category or "").startswith("prompt-injection"),
    ),
    GuardSetup("pii", PiiSettings, _pii_scope, "F1 >= 0.95", lambda s: True),
    GuardSetup("secrets", SecretsSettings, _secrets_scope, "F1 >= 0.95 (synthetic set)", lambda s: True),
)


@dataclass(slots=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, attack: bool, flagged: bool) -> None:
        if attack:
            if flagged:
                self.tp += 1
            else:
                self.fn += 1
        elif flagged:
            self.fp += 1
        else:
            self.tn += 1

    def metrics(self) -> dict[str, float | int | None]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else None
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else None
        fpr = self.fp / (self.fp + self.tn) if self.fp + self.tn else None
        f1 = 2 * precision * recall / (precision + recall) if precision and recall else None
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "precision": precision,
            "recall": recall,
            "fpr": fpr,
            "f1": f1,
        }


@dataclass(frozen=True, slots=True)
class Result:
    sample: Sample
    decision: Decision
    rules: tuple[str, ...]

    @property
    def flagged(self) -> bool:
        return self.decision is not Decision.ALLOW


@dataclass(slots=True)
class GuardReport:
    guard: GuardSetup
    results: list[Result] = field(default_factory=list)
    seconds: float = 0.0

    def counts(self, attacks: Callable[[Sample], bool] = lambda s: True, split: str | None = None) -> Counts:
        """Attacks selected by ``attacks`` against every benign sample in scope (of ``split`` only, if given)."""
        c = Counts()
        for r in self.results:
            if split is not None and split_of(r.sample) != split:
                continue
            if r.sample.label == "benign" or attacks(r.sample):
                c.add(r.sample.label == "attack", r.flagged)
        return c

    def by(self, key: Callable[[Sample], str]) -> dict[str, Counts]:
        groups = sorted({key(r.sample) for r in self.results if r.sample.label == "attack"})
        return {g: self.counts(lambda s, g=g: key(s) == g) for g in groups}  # type: ignore[misc]

    def benign_by_corpus(self) -> dict[str, Counts]:
        out: dict[str, Counts] = {}
        for r in self.results:
            if r.sample.label == "benign":
                out.setdefault(r.sample.corpus, Counts()).add(False, r.flagged)
        return dict(sorted(out.items()))

    def fp_rules(self) -> Counter[str]:
        return Counter(rule for r in self.results if r.sample.label == "benign" and r.flagged for rule in r.rules)

    def fn_categories(self) -> Counter[str]:
        return Counter(r.sample.category or "" for r in self.results if r.sample.label == "attack" and not r.flagged)

    def flagged_real(self) -> list[Result]:
        return [r for r in self.results if r.sample.corpus == "mcp-servers" and r.flagged]

    def dev_misses(self, headline_only: bool = True) -> list[Result]:
        """Dev-split attacks the guard missed: the only misses to study when writing rules."""
        return [
            r
            for r in self.results
            if r.sample.label == "attack"
            and not r.flagged
            and split_of(r.sample) == "dev"
            and (not headline_only or self.guard.headline(r.sample))
        ]

    def dev_false_positives(self) -> list[Result]:
        """Dev-split benign samples the guard flagged."""
        return [r for r in self.results if r.sample.label == "benign" and r.flagged and split_of(r.sample) == "dev"]


def bundle(settings: Any) -> Bundle:
    spec = SecurityGuardSpec(type=GuardType.NATIVE, native=settings)
    return Bundle(guards=(BundleGuard(name=settings.kind, spec=spec),))


async def _evaluate_one(b: Bundle, sample: Sample) -> Result:
    pipeline = Pipeline.from_bundle(b, GuardResources(), SERVER)
    to_server = sample.direction == "client-to-server"
    message = classify(sample.message, Direction.TO_SERVER if to_server else Direction.TO_CLIENT)
    if not to_server:
        message.method = sample.method
    outcome = await pipeline.run(message, GuardContext(SERVER))
    decision = Decision.ALLOW
    rules: list[str] = []
    for evaluation in outcome.evaluations:
        if evaluation.decision is not Decision.ALLOW:
            decision = evaluation.decision
            rules.extend(_RULE.findall(evaluation.reason))
    return Result(sample, decision, tuple(dict.fromkeys(rules)))


async def evaluate_guard(setup: GuardSetup, pool: Iterable[Sample]) -> GuardReport:
    report = GuardReport(setup)
    b = bundle(setup.settings())
    start = time.perf_counter()
    for sample in pool:
        if setup.selects(sample):
            report.results.append(await _evaluate_one(b, sample))
    report.seconds = time.perf_counter() - start
    return report


def all_samples() -> list[Sample]:
    """Every corpus sample and the synthetic secrets set."""
    return [*samples(), *secrets_synthetic.samples()]


def subset(pool: list[Sample], every: int) -> list[Sample]:
    """A deterministic subset: every ``every``-th sample of each corpus, label and location."""
    seen: Counter[tuple[str, str, str]] = Counter()
    out = []
    for s in pool:
        key = (s.corpus, s.label, s.location)
        if seen[key] % every == 0 or s.corpus in ("mcp-servers", secrets_synthetic.CORPUS):
            out.append(s)
        seen[key] += 1
    return out


def evaluate(pool: list[Sample]) -> list[GuardReport]:
    async def run() -> list[GuardReport]:
        return [await evaluate_guard(g, pool) for g in GUARDS]

    return asyncio.run(run())


def summary(reports: list[GuardReport]) -> dict[str, Any]:
    """Figures per guard, category, location and benign corpus, as written to results.json."""
    out: dict[str, Any] = {}
    for rep in reports:
        samples_n = len(rep.results)
        out[rep.guard.name] = {
            "goal": rep.guard.goal,
            "samples": samples_n,
            "seconds": rep.seconds,
            "us_per_sample": rep.seconds / samples_n * 1e6 if samples_n else None,
            "overall": rep.counts().metrics(),
            "headline": rep.counts(rep.guard.headline).metrics(),
            "splits": {
                split: {
                    "overall": rep.counts(split=split).metrics(),
                    "headline": rep.counts(rep.guard.headline, split=split).metrics(),
                }
                for split in SPLITS
            },
            "by_category": {k: v.metrics() for k, v in rep.by(lambda s: s.category or "").items()},
            "by_location": {k: v.metrics() for k, v in rep.by(lambda s: s.location).items()},
            "benign_by_corpus": {k: v.metrics() for k, v in rep.benign_by_corpus().items()},
            "top_fp_rules": rep.fp_rules().most_common(10),
            "top_fn_categories": rep.fn_categories().most_common(10),
            "flagged_real_servers": [
                {"id": r.sample.id, "decision": r.decision.value, "rules": list(r.rules)} for r in rep.flagged_real()
            ],
        }
    return out

"""Held-out evaluation of the detection goals of issue 10 (tool poisoning in definitions, injection in
results), as the shipped guards run them, on data nothing was fitted to:

- blind: gm-heldout (written by someone who never saw the detectors), scored by the shipped model;
- LOSO: each source left out of the learned heads' fit, then scored (its attacks and its benign);
- LOFO: each attack family left out of the fit (every source's samples of it), then its attacks scored.

Two configurations are judged: `default` (the default bundle's tool-poisoning, server-spoofing and
prompt-injection guards: rules and the contextual layer) and `learned` (the same with the learned tier
on). Rules and the contextual layer are not refitted per fold (nothing learns in them), so under LOSO
and LOFO only the learned heads change; false-positive rates are always on benign samples the scoring
head never saw (LOSO's), per location. Fold heads are cached on disk by what they were fitted on.

Only aggregate figures on gm-heldout leave this module (per family, location, transform, language).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guardmesh.config import Bundle, BundleGuard, default_bundle
from guardmesh.config.models import TrustedServer
from guardmesh.engine.learned import HEADS, Head, Provider, StaticModel, load_model, with_heads
from guardmesh.guards.api import Decision, GuardContext
from guardmesh.guards.registry import GuardResources
from guardmesh.pipeline import Pipeline
from guardmesh.protocol.jsonrpc import Direction, classify
from tests.quality import corpora
from tests.quality.learned_data import BLIND, Params, featurise, head_of, training_pool
from tests.quality.learned_folds import fold_params, loso_groups
from tests.support.peers import run_hack_script

SERVER = "quality"
GOAL_KINDS = ("tool-poisoning", "server-spoofing", "prompt-injection")
CONFIGS = ("default", "learned")
SMALL_SOURCE = 150
"""Sources with fewer samples for a head are left out together (one fold), so each fold means something."""


@functools.cache
def model_dir() -> Path:
    """The learned model built by hack/detect/model.sh (cached; about two minutes cold)."""
    return run_hack_script("detect/model.sh")


def shipped_model() -> StaticModel:
    return load_model(model_dir())


def goal_bundle(config: str, sensitivity: str = "medium", trusted: tuple[TrustedServer, ...] = ()) -> Bundle:
    """The default bundle's guards for the goals, with their default settings (and the learned tier on
    for `learned`, at `sensitivity`)."""
    guards = []
    for entry in default_bundle().guards:
        native = entry.spec.native
        if native is None or native.kind not in GOAL_KINDS:
            continue
        if native.kind in ("tool-poisoning", "prompt-injection"):
            native = native.model_copy(update={"learned": config == "learned", "sensitivity": sensitivity})
        guards.append(BundleGuard(name=entry.name, spec=entry.spec.model_copy(update={"native": native})))
    return Bundle(guards=tuple(guards), trusted_servers=trusted)


def context_servers(sample: corpora.Sample) -> tuple[TrustedServer, ...]:
    """A sample's `source.context_tools` (other servers' tools the agent also has) as a trusted server."""
    tools = sample.source.get("context_tools") or ()
    names = tuple(t["name"] if isinstance(t, dict) else str(t) for t in tools if t)
    return (TrustedServer(name="other-server", tools=names),) if names else ()


def goal_of(sample: corpora.Sample) -> str | None:
    """`tool-poisoning` (definitions), `injection` (results, resources, prompts) or None."""
    if sample.location == "tool-definition" and sample.method.endswith("/list"):
        return "tool-poisoning"
    if sample.location in ("result", "resource", "prompt") and not sample.method.endswith("/list"):
        category = sample.category or ""
        if sample.label == "attack":
            # Injections reach the model in results; the public corpora's direct prompts (jailbreaks typed
            # by a user) are another problem, unless a family says they are one of issue 10's framings.
            if not category.startswith(("prompt-injection", "tool-poisoning")):
                return None
            if sample.location == "prompt" and not sample.family:
                return None
        return "injection"
    return None


@dataclass(frozen=True, slots=True)
class Verdict:
    sample: corpora.Sample
    flagged: bool
    reasons: tuple[str, ...]


async def _run(bundles: dict[Any, Bundle], sample: corpora.Sample, provider: Provider) -> Verdict:
    trusted = context_servers(sample)
    key = trusted
    bundle = bundles.get(key)
    if bundle is None:
        base = bundles[()]
        bundle = bundles[key] = base.model_copy(update={"trusted_servers": trusted})
    resources = GuardResources(learned=provider)
    pipeline = Pipeline.from_bundle(bundle, resources, SERVER)
    message = classify(sample.message, Direction.TO_CLIENT)
    message.method = sample.method
    outcome = await pipeline.run(message, GuardContext(SERVER))
    reasons = tuple(e.reason for e in outcome.evaluations if e.decision is not Decision.ALLOW)
    return Verdict(sample, bool(reasons), reasons)


def run(pool: Iterable[corpora.Sample], config: str, provider: Provider, sensitivity: str = "medium") -> list[Verdict]:
    bundles: dict[Any, Bundle] = {(): goal_bundle(config, sensitivity)}

    async def go() -> list[Verdict]:
        return [await _run(bundles, s, provider) for s in pool]

    return asyncio.run(go())


# --- fold heads ----------------------------------------------------------------------------------
def _fold_model(model: StaticModel, kind: str, params: Params) -> StaticModel:
    """The shipped model with one head refitted; it keeps the shipped head's thresholds (operating points
    are the config under test; refitting them per fold would need a fold inside each fold)."""
    heads = dict(model.heads)
    heads[kind] = Head(params.w1, params.b1, params.w2, params.b2, model.heads[kind].threshold)
    return with_heads(model, heads)


def _not(keep: Callable[[corpora.Sample], bool], sample: corpora.Sample) -> bool:
    return not keep(sample)


def _other_family(family: str, sample: corpora.Sample) -> bool:
    return sample.family != family


@dataclass(slots=True)
class Holdout:
    """Every verdict of every protocol: (protocol, config) -> verdicts; protocol is `blind`, `loso`, `lofo`."""

    verdicts: dict[tuple[str, str], list[Verdict]] = field(default_factory=dict)
    folds: dict[str, list[str]] = field(default_factory=dict)
    """Per head, the LOSO folds and LOFO families fitted."""


@functools.cache
def evaluate(sensitivity: str = "medium") -> Holdout:
    model = shipped_model()
    pool = training_pool()
    out = Holdout()
    blind = [s for s in corpora.samples(BLIND) if goal_of(s)]
    shipped = Provider(model)
    for config in CONFIGS:
        out.verdicts[("blind", config)] = run(blind, config, shipped, sensitivity)
    in_scope = [s for s in pool if goal_of(s)]
    out.verdicts[("loso", "default")] = run(in_scope, "default", shipped, sensitivity)
    out.verdicts[("lofo", "default")] = [v for v in out.verdicts[("loso", "default")] if v.sample.family]
    loso: list[Verdict] = []
    lofo: list[Verdict] = []
    for kind in HEADS:
        features = featurise(model, pool, kind)
        mine = [s for s in in_scope if head_of(s) == kind]
        folds = loso_groups(features)
        out.folds[kind] = list(folds)
        for _, leaves in folds.items():
            params = fold_params(model, features, kind, functools.partial(_not, leaves))
            tested = [s for s in mine if leaves(s)]
            loso += run(tested, "learned", Provider(_fold_model(model, kind, params)), sensitivity)
        families = sorted({s.family for s in features.samples if s.family})
        out.folds[kind] += families
        for family in families:
            params = fold_params(model, features, kind, functools.partial(_other_family, family))
            tested = [s for s in mine if s.family == family and s.label == "attack"]
            lofo += run(tested, "learned", Provider(_fold_model(model, kind, params)), sensitivity)
    # Samples outside both heads' pools (none expected) keep the default verdicts' coverage honest.
    out.verdicts[("loso", "learned")] = loso
    out.verdicts[("lofo", "learned")] = lofo
    return out


def exam(sensitivity: str = "medium") -> dict[str, list[Verdict]]:
    """The final exam (corpora.EXAM_CORPORA), scored like the blind set by the shipped configs and model:
    config -> verdicts. Only `hack/quality/evaluate.py --exam` calls this (the lead, once); nothing that
    tunes a detector may, and only aggregates of it are ever written."""
    shipped = Provider(shipped_model())
    pool = [s for name in corpora.EXAM_CORPORA for s in corpora.samples(name) if goal_of(s)]
    return {config: run(pool, config, shipped, sensitivity) for config in CONFIGS}

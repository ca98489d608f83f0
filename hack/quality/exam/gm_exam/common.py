"""Shared helpers of the exam's generators: slot filling, transforms by weight, sample records."""

from __future__ import annotations

import random
from typing import Any

from gm_corpora.messages import Location, Record, sample

from . import transforms

CORPUS = "gm-exam"


class Slots(dict[str, str]):
    """format_map source that leaves unknown slots as they are."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, slots: dict[str, str]) -> str:
    return template.format_map(Slots(slots))


def weighted(rng: random.Random, table: tuple[tuple[str | None, float], ...]) -> str | None:
    names = [n for n, _ in table]
    return rng.choices(names, weights=[w for _, w in table], k=1)[0]


def apply(name: str | None, text: str, rng: random.Random) -> str:
    """The text under transform `name` (None: unchanged)."""
    if name is None:
        return text
    if name == "typo":
        return transforms.typo(text, rng)
    if name == "paraphrase":
        return transforms.paraphrase(text, rng)
    if name == "padding":
        return transforms.padding(text, rng)
    return transforms.ENCODINGS[name](text, rng)


def record(
    id_: str,
    label: str,
    category: str | None,
    location: Location,
    message: dict[str, Any],
    method: str,
    source: dict[str, Any],
    family: str | None,
) -> Record:
    out = sample(id_, CORPUS, label, category, location, message, method=method, source=source)  # type: ignore[arg-type]
    out["family"] = family
    return out

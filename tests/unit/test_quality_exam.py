"""The final exam's switch (`make quality EXAM=1`): aggregates and the page section, on made-up verdicts.

The exam corpora themselves are never read here (only the lead scores them, once)."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.quality import corpora
from tests.quality.holdout import Verdict
from tests.quality.holdout_figures import exam_summary

REPO = Path(__file__).resolve().parents[2]


def _evaluate_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("quality_evaluate", REPO / "hack/quality/evaluate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("quality_evaluate", module)
    spec.loader.exec_module(module)
    return module


def _sample(i: int, corpus: str, label: str, location: str, family: str | None = None, **source: Any) -> Any:
    method = "tools/list" if location == "tool-definition" else "tools/call"
    return corpora.Sample(
        id=f"{corpus}/{i}",
        corpus=corpus,
        label=label,  # type: ignore[arg-type]
        category=None if label == "benign" else "prompt-injection/indirect",
        location=location,  # type: ignore[arg-type]
        direction="server-to-client",
        method=method,
        message={"jsonrpc": "2.0", "id": 1, "result": {}},
        spans=(),
        source=source,
        family=family,
    )


def _verdicts() -> list[Verdict]:
    out = [
        Verdict(_sample(i, "gm-exam", "attack", "result", "pi-todo-note"), i % 4 != 0, ())
        for i in range(8)  # 6 of 8 caught
    ]
    out += [
        Verdict(_sample(10 + i, "gm-exam", "benign", "result", kind="hard-negative"), i == 0, ()) for i in range(10)
    ]
    out += [Verdict(_sample(30 + i, "mcp-servers-exam", "benign", "tool-definition"), i == 1, ()) for i in range(5)]
    return out


def test_exam_corpora_are_outside_every_development_run() -> None:
    assert set(corpora.EXAM_CORPORA).isdisjoint(corpora.ALL_CORPORA)


def test_exam_figures_count_written_benign_and_real_servers_apart() -> None:
    summary = exam_summary({"default": _verdicts()})
    inj = summary["default"]["injection"]
    assert inj["exam"]["recall"] == 0.75
    assert inj["exam"]["fpr"] == 0.1
    assert inj["by_family"]["pi-todo-note"]["tp"] == 6
    assert inj["benign_by_kind"]["hard-negative"]["fp"] == 1
    tp = summary["default"]["tool-poisoning"]
    assert tp["real_servers"]["benign"] == 5
    assert tp["real_servers_flagged"] == ["mcp-servers-exam/31"]
    # Written samples are never named, however they were judged.
    assert not any("gm-exam/" in i for c in summary["default"].values() for i in c["real_servers_flagged"])


def test_the_exam_section_is_rendered_only_when_the_exam_was_taken() -> None:
    evaluate = _evaluate_module()
    exam = {"date": "2026-12-07", "commit": "abc1234", "sensitivity": "medium"}
    lines = evaluate.render_exam({**exam, "configs": exam_summary({"default": _verdicts()})})
    text = "\n".join(lines)
    assert "## Final exam (issue 10)" in text
    assert "| default | injection | 8 | 0.750 | 10 | 0.100 |" in text
    assert "`mcp-servers-exam/31`" in text
    assert "gm-exam/" not in text

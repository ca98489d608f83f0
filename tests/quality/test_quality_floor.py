"""The guards' measured quality can only go up: the figures reached are pinned as floors.

Runs the same evaluation as `make quality` (tests/quality/evaluate.py) over every sample; about
four seconds. When a change raises a figure, raise its floor here (reached - 0.005 for recall and
F1, reached + 0.005 for the false-positive rate).
"""

import pytest

from tests.quality.evaluate import GuardReport, all_samples, evaluate

# guard: (set, minimum recall, maximum false-positive rate, minimum F1), reached on all samples.
FLOORS: dict[str, list[tuple[str, float, float, float]]] = {
    "tool-poisoning": [("overall", 0.042, 0.008, 0.085), ("headline", 0.905, 0.008, 0.917)],
    "prompt-injection": [("overall", 0.299, 0.020, 0.458), ("headline", 0.696, 0.020, 0.804)],
    "pii": [("overall", 0.995, 0.018, 0.987)],
    "secrets": [("overall", 0.995, 0.007, 0.976)],
}
# The same on the held-out split only (never studied when writing rules; see split_of).
HELD_OUT_FLOORS: dict[str, list[tuple[str, float, float, float]]] = {
    "tool-poisoning": [("overall", 0.024, 0.007, 0.051), ("headline", 0.606, 0.007, 0.728)],
    "prompt-injection": [("overall", 0.295, 0.022, 0.453), ("headline", 0.669, 0.022, 0.785)],
    "pii": [("overall", 0.995, 0.018, 0.988)],
    "secrets": [("overall", 0.995, 0.007, 0.972)],
}
# Real MCP servers' tools, prompts and resources flagged by any guard (goal: none).
MAX_FLAGGED_REAL = 0


@pytest.fixture(scope="module")
def reports() -> dict[str, GuardReport]:
    return {r.guard.name: r for r in evaluate(all_samples())}


@pytest.mark.parametrize(("guard", "split"), [(g, s) for g in sorted(FLOORS) for s in (None, "held-out")])
def test_figures_do_not_fall_below_their_floors(reports: dict[str, GuardReport], guard: str, split: str | None) -> None:
    report = reports[guard]
    floors = FLOORS if split is None else HELD_OUT_FLOORS
    for which, min_recall, max_fpr, min_f1 in floors[guard]:
        attacks = (lambda s: True) if which == "overall" else report.guard.headline
        counts = report.counts(attacks, split=split)
        m = counts.metrics()
        recall, fpr, f1 = m["recall"], m["fpr"], m["f1"]
        assert recall is not None, (which, m)
        assert fpr is not None, (which, m)
        assert f1 is not None, (which, m)
        assert recall >= min_recall, f"{guard} {which} recall {recall:.4f} < floor {min_recall}"
        assert fpr <= max_fpr, f"{guard} {which} false-positive rate {fpr:.4f} > ceiling {max_fpr}"
        assert f1 >= min_f1, f"{guard} {which} F1 {f1:.4f} < floor {min_f1}"


def test_no_more_real_server_definitions_are_flagged(reports: dict[str, GuardReport]) -> None:
    flagged = [(r.sample.id, r.rules) for rep in reports.values() for r in rep.flagged_real()]
    assert len(flagged) <= MAX_FLAGGED_REAL, flagged


def test_every_guard_saw_attacks_benign_samples_and_real_servers_where_expected(
    reports: dict[str, GuardReport],
) -> None:
    for name, report in reports.items():
        c = report.counts()
        assert c.tp + c.fn > 0, name
        assert c.fp + c.tn > 0, name
    assert any(r.sample.corpus == "mcp-servers" for r in reports["tool-poisoning"].results)

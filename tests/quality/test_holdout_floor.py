"""Issue 10's goals on held-out data only (tests/quality/holdout.py), pinned as floors that can fail.

The blind set (gm-heldout), leave-one-source-out and leave-one-family-out figures of the default config
and of the config with the learned tier: recall can only go up and the false-positive rate down. When a
change raises a figure, move its floor (reached - 0.01 for recall, reached + 0.005 for FPR). The first
run fits the fold heads (minutes, cached under ~/.cache/guardmesh/detect/folds); later runs reuse them.
"""

from typing import Any

import pytest

from tests.quality import holdout, holdout_figures

# (config, goal, protocol): (minimum recall, maximum false-positive rate)
FLOORS: dict[tuple[str, str, str], tuple[float, float]] = {}
# Families whose held-out recall must not fall below (config, protocol, family) -> minimum recall.
FAMILY_FLOORS: dict[tuple[str, str, str], float] = {}
MAX_REAL_SERVERS_FLAGGED = 0


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    return holdout_figures.summary(holdout.evaluate())


@pytest.mark.parametrize("key", sorted(FLOORS))
def test_held_out_goal_figures_do_not_fall(figures: dict[str, Any], key: tuple[str, str, str]) -> None:
    config, goal, protocol = key
    m = figures["configs"][config][goal][protocol]
    min_recall, max_fpr = FLOORS[key]
    assert m["recall"] is not None, (key, m)
    assert m["fpr"] is not None, (key, m)
    assert m["recall"] >= min_recall, (key, m)
    assert m["fpr"] <= max_fpr, (key, m)


@pytest.mark.parametrize("key", sorted(FAMILY_FLOORS))
def test_held_out_family_recall_does_not_fall(figures: dict[str, Any], key: tuple[str, str, str]) -> None:
    config, protocol, family = key
    goal = "tool-poisoning" if family.startswith("tp-") else "injection"
    m = figures["configs"][config][goal][f"{protocol}_by_family"][family]
    assert m["recall"] is not None, (key, m)
    assert m["recall"] >= FAMILY_FLOORS[key], (key, m)


def test_no_real_server_definition_is_flagged_by_either_config(figures: dict[str, Any]) -> None:
    for config, conf in figures["configs"].items():
        flagged = conf["tool-poisoning"]["real_servers_flagged"] + conf["injection"]["real_servers_flagged"]
        assert len(flagged) <= MAX_REAL_SERVERS_FLAGGED, (config, flagged)


def test_every_family_was_held_out_and_every_protocol_saw_benign_text(figures: dict[str, Any]) -> None:
    for config, conf in figures["configs"].items():
        for goal in holdout_figures.GOALS:
            for protocol in ("blind", "lofo", "loso"):
                assert conf[goal][protocol]["attacks"] > 0, (config, goal, protocol)
                assert conf[goal][protocol]["benign"] > 0, (config, goal, protocol)
    learned = figures["configs"]["learned"]
    held = set(learned["tool-poisoning"]["lofo_by_family"]) | set(learned["injection"]["lofo_by_family"])
    from tests.quality.corpora import FAMILIES

    assert held == set(FAMILIES)

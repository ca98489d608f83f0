"""Issue 10's goals on held-out data only (tests/quality/holdout.py), pinned as floors that can fail.

The blind set (gm-heldout), leave-one-source-out and leave-one-family-out figures of the default config
and of the config with the learned tier: recall can only go up and the false-positive rate down. When a
change raises a figure, move its floor (reached - 0.01 for recall, reached + 0.005 for FPR). The first
run fits the fold heads (minutes, cached under ~/.cache/guardmesh/detect/folds); later runs reuse them.
"""

from typing import Any

import pytest

from tests.quality import holdout, holdout_figures

# Cold, the model build and the fold heads take tens of minutes (cached in ~/.cache/guardmesh/detect after).
pytestmark = pytest.mark.timeout(3600)

# (config, goal, protocol): (minimum recall, maximum false-positive rate)
FLOORS: dict[tuple[str, str, str], tuple[float, float]] = {
    ("default", "injection", "blind"): (0.402, 0.072),
    ("default", "injection", "lofo"): (0.543, 0.02),
    ("default", "injection", "loso"): (0.552, 0.02),
    ("default", "tool-poisoning", "blind"): (0.513, 0.06),
    ("default", "tool-poisoning", "lofo"): (0.781, 0.015),
    ("default", "tool-poisoning", "loso"): (0.783, 0.015),
    ("learned", "injection", "blind"): (0.425, 0.072),
    ("learned", "injection", "lofo"): (0.561, 0.03),
    ("learned", "injection", "loso"): (0.57, 0.03),
    ("learned", "tool-poisoning", "blind"): (0.53, 0.06),
    ("learned", "tool-poisoning", "lofo"): (0.784, 0.025),
    ("learned", "tool-poisoning", "loso"): (0.783, 0.025),
}
# Families whose held-out recall must not fall below (config, protocol, family) -> minimum recall.
FAMILY_FLOORS: dict[tuple[str, str, str], float] = {
    ("default", "blind", "pi-classic-override"): 0.272,
    ("default", "blind", "pi-encoded"): 0.384,
    ("default", "blind", "pi-exfil-link"): 0.378,
    ("default", "blind", "pi-fake-boundary"): 0.607,
    ("default", "blind", "pi-hidden-comment"): 0.831,
    ("default", "blind", "pi-misspelt-override"): 0.337,
    ("default", "blind", "pi-multilingual"): 0.193,
    ("default", "blind", "pi-role-marker"): 0.531,
    ("default", "blind", "pi-todo-note"): 0.337,
    ("default", "blind", "pi-user-signed-message"): 0.295,
    ("default", "blind", "tp-concealment"): 0.337,
    ("default", "blind", "tp-cross-server-reference"): 0.467,
    ("default", "blind", "tp-exfil-params"): 0.298,
    ("default", "blind", "tp-function-overlap"): 0.99,
    ("default", "blind", "tp-hidden-instruction"): 0.586,
    ("default", "blind", "tp-preference-manipulation"): 0.354,
    ("default", "blind", "tp-tool-shadowing"): 0.628,
    ("default", "lofo", "pi-classic-override"): 0.537,
    ("default", "lofo", "pi-encoded"): 0.495,
    ("default", "lofo", "pi-exfil-link"): 0.656,
    ("default", "lofo", "pi-fake-boundary"): 0.779,
    ("default", "lofo", "pi-hidden-comment"): 0.96,
    ("default", "lofo", "pi-misspelt-override"): 0.99,
    ("default", "lofo", "pi-multilingual"): 0.377,
    ("default", "lofo", "pi-role-marker"): 0.269,
    ("default", "lofo", "pi-todo-note"): 0.408,
    ("default", "lofo", "pi-user-signed-message"): 0.313,
    ("default", "lofo", "tp-concealment"): 0.881,
    ("default", "lofo", "tp-cross-server-reference"): 0.698,
    ("default", "lofo", "tp-exfil-params"): 0.773,
    ("default", "lofo", "tp-function-overlap"): 0.477,
    ("default", "lofo", "tp-hidden-instruction"): 0.865,
    ("default", "lofo", "tp-preference-manipulation"): 0.94,
    ("default", "lofo", "tp-tool-shadowing"): 0.835,
    ("learned", "blind", "pi-classic-override"): 0.301,
    ("learned", "blind", "pi-encoded"): 0.401,
    ("learned", "blind", "pi-exfil-link"): 0.378,
    ("learned", "blind", "pi-fake-boundary"): 0.613,
    ("learned", "blind", "pi-hidden-comment"): 0.842,
    ("learned", "blind", "pi-misspelt-override"): 0.36,
    ("learned", "blind", "pi-multilingual"): 0.229,
    ("learned", "blind", "pi-role-marker"): 0.56,
    ("learned", "blind", "pi-todo-note"): 0.378,
    ("learned", "blind", "pi-user-signed-message"): 0.337,
    ("learned", "blind", "tp-concealment"): 0.337,
    ("learned", "blind", "tp-cross-server-reference"): 0.473,
    ("learned", "blind", "tp-exfil-params"): 0.317,
    ("learned", "blind", "tp-function-overlap"): 0.99,
    ("learned", "blind", "tp-hidden-instruction"): 0.59,
    ("learned", "blind", "tp-preference-manipulation"): 0.441,
    ("learned", "blind", "tp-tool-shadowing"): 0.628,
    ("learned", "lofo", "pi-classic-override"): 0.565,
    ("learned", "lofo", "pi-encoded"): 0.51,
    ("learned", "lofo", "pi-exfil-link"): 0.656,
    ("learned", "lofo", "pi-fake-boundary"): 0.783,
    ("learned", "lofo", "pi-hidden-comment"): 0.96,
    ("learned", "lofo", "pi-misspelt-override"): 0.99,
    ("learned", "lofo", "pi-multilingual"): 0.406,
    ("learned", "lofo", "pi-role-marker"): 0.348,
    ("learned", "lofo", "pi-todo-note"): 0.427,
    ("learned", "lofo", "pi-user-signed-message"): 0.319,
    ("learned", "lofo", "tp-concealment"): 0.885,
    ("learned", "lofo", "tp-cross-server-reference"): 0.698,
    ("learned", "lofo", "tp-exfil-params"): 0.773,
    ("learned", "lofo", "tp-function-overlap"): 0.481,
    ("learned", "lofo", "tp-hidden-instruction"): 0.865,
    ("learned", "lofo", "tp-preference-manipulation"): 0.948,
    ("learned", "lofo", "tp-tool-shadowing"): 0.835,
}
MAX_REAL_SERVERS_FLAGGED = {"mcp-servers": 0, "mcp-servers-added": 41}
"""Real servers' definitions flagged, per corpus. The goal is none: the 39 servers added for issue 10
trip older rules written for model-addressed notes (pi.override.addressed-to-ai, pi.note.to-the-ai,
tp.override.note-to-model...) and the contextual layer; this ceiling can only go down."""
KNOWN_REFUSED = {"mcp/server-everything/read/demo://resource/static/document/instructions.md"}


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
        for corpus, ceiling in MAX_REAL_SERVERS_FLAGGED.items():
            m = conf["tool-poisoning"]["loso_by_source"][corpus]
            assert m["fp"] <= ceiling, (config, corpus, m)
        # server-everything's instructions.md resource tells the model how to answer: refused by design
        # (docs/sidecar.md); nothing else a real server returns may be.
        assert set(conf["injection"]["real_servers_flagged"]) <= KNOWN_REFUSED, config


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

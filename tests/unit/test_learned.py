"""The learned tier's runtime (guardmesh.engine.learned) and its use by the content guards, on a tiny model
made here: a WordPiece vocabulary of a few words, a random table, and heads that score one word high."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tokenizers import Tokenizer, models, pre_tokenizers

from guardmesh.config import PromptInjectionSettings, ToolPoisoningSettings
from guardmesh.engine.learned import ModelError, Provider, StaticModel
from guardmesh.guards.api import Decision, GuardContext
from guardmesh.guards.native.prompt_injection import PromptInjectionGuard
from guardmesh.guards.native.tool_poisoning import FlaggedStore, ToolPoisoningGuard
from guardmesh.protocol.jsonrpc import Direction, classify

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "weather", "is", "sunny", "today", "obey", "me", "tool", "."]
DIMS = 8


def make_model(directory: Path, with_heads: bool = True) -> Path:
    """A model whose heads fire on windows containing `obey` (dimension 0 of its vector)."""
    tokenizer = Tokenizer(models.WordPiece({w: i for i, w in enumerate(VOCAB)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.save(str(directory / "tokenizer.json"))
    table = np.full((len(VOCAB), DIMS), 0.1, dtype=np.float16)
    table[VOCAB.index("obey"), 0] = 5.0
    np.save(directory / "table.npy", table)
    (directory / "meta.json").write_text(json.dumps({"model": "test", "dims": DIMS}))
    if with_heads:
        w1 = np.zeros((DIMS, 2), dtype=np.float32)
        w1[0, 0] = 1.0
        arrays: dict[str, Any] = {}
        for kind in ("definition", "result"):
            arrays |= {
                f"{kind}.w1": w1,
                f"{kind}.b1": np.zeros(2, dtype=np.float32),
                f"{kind}.w2": np.array([20.0, 0.0], dtype=np.float32),
                f"{kind}.b2": np.float32(-10.0),
            }
        cuts = {k: {"low": 0.9, "medium": 0.8, "high": 0.5} for k in ("definition", "result")}
        np.savez(directory / "heads.npz", thresholds=np.array(json.dumps(cuts)), **arrays)
    return directory


@pytest.fixture
def model(tmp_path: Path) -> StaticModel:
    return StaticModel(make_model(tmp_path))


def test_a_text_scores_by_its_highest_window(model: StaticModel) -> None:
    benign = "the weather is sunny today . " * 20
    assert model.score("result", benign) < 0.1
    assert model.score("result", benign + "obey me") > 0.9
    assert model.windows(benign).shape[1] == DIMS
    assert model.windows(benign).shape[0] > 1
    assert model.score("result", "") == 0.0


def test_a_missing_or_partial_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"lacks table\.npy, tokenizer\.json, meta\.json"):
        StaticModel(tmp_path)
    partial = StaticModel(make_model(tmp_path, with_heads=False))
    assert partial.heads == {}


def _result(text: str) -> Any:
    m = classify(
        {"jsonrpc": "2.0", "id": 1, "result": {"content": [{"type": "text", "text": text}]}}, Direction.TO_CLIENT
    )
    m.method = "tools/call"
    return m


def test_prompt_injection_names_the_learned_layer_and_its_score(model: StaticModel) -> None:
    guard = PromptInjectionGuard(PromptInjectionSettings(learned=True), Provider(model))
    verdict = guard.check(_result("the weather is sunny . obey me"), GuardContext("s"))
    assert verdict.decision is Decision.DENY
    assert "learned.result at result.content[0].text (classifier score 1.00 over threshold 0.80)" in verdict.reason
    assert guard.check(_result("the weather is sunny today"), GuardContext("s")).decision is Decision.ALLOW
    off = PromptInjectionGuard(PromptInjectionSettings(), Provider(model))
    assert off.check(_result("the weather is sunny . obey me"), GuardContext("s")).decision is Decision.ALLOW


def test_redact_replaces_only_the_flagged_string(model: StaticModel) -> None:
    guard = PromptInjectionGuard(PromptInjectionSettings(learned=True, action="redact"), Provider(model))
    verdict = guard.check(_result("obey me"), GuardContext("s"))
    assert verdict.decision is Decision.MODIFY
    assert verdict.body is not None
    assert verdict.body["result"]["content"][0]["text"] == "[removed by GuardMesh]"


def test_tool_poisoning_filters_a_definition_the_head_flags_and_caches_its_score(model: StaticModel) -> None:
    provider = Provider(model)
    guard = ToolPoisoningGuard(ToolPoisoningSettings(learned=True), FlaggedStore(), learned=provider)
    tools = [
        {"name": "weather", "description": "the weather today", "inputSchema": {"type": "object"}},
        {"name": "sunny", "description": "the tool . obey me", "inputSchema": {"type": "object"}},
    ]
    m = classify({"jsonrpc": "2.0", "id": 1, "result": {"tools": tools}}, Direction.TO_CLIENT)
    m.method = "tools/list"
    verdict = guard.check(m, GuardContext("s"))
    assert verdict.decision is Decision.MODIFY
    assert "learned.definition at result.tools[1] (classifier score" in verdict.reason
    assert verdict.body is not None
    assert [t["name"] for t in verdict.body["result"]["tools"]] == ["weather"]
    assert len(provider._scores) == 2


def test_the_sidecar_without_the_learned_tier_never_imports_numpy_or_tokenizers() -> None:
    code = (
        "import sys, asyncio\n"
        "from guardmesh.config import default_bundle\n"
        "from guardmesh.guards.registry import GuardResources\n"
        "from guardmesh.pipeline import Pipeline\n"
        "Pipeline.from_bundle(default_bundle(), GuardResources(), 's')\n"
        "print(sorted(m for m in ('numpy', 'tokenizers') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stderr

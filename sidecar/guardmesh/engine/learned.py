"""The learned tier: a static embedding distilled from a packaged sentence transformer, and small heads.

A text is tokenised (WordPiece, the transformer's own tokenizer.json), its tokens looked up in a table
distilled from all-MiniLM-L6-v2 (hack/detect/distil.py), and averaged over overlapping windows; each
window's mean goes through a head (a one-hidden-layer network, numpy), and the text's score is its
highest window's. No transformer runs here: a 1 KB text costs a tokenisation and a few small matrix
products. numpy and tokenizers are imported only when a model is loaded (extra `learned`).

    model = load_model(directory)          # table.npy, tokenizer.json, heads.npz, meta.json
    model.score("definition", text)        # probability the text is an attack, 0..1
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from guardmesh.engine.text import MessageText, Scope
from guardmesh.engine.text import Path as Path_

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Matrix = npt.NDArray[np.float32]

HEADS: Final = ("definition", "result")
"""A head per kind of text: tool definitions (one tool's name, description and parameters) and results."""
WINDOW: Final = 24
"""Tokens per window (about a sentence); a text shorter than that is one window. Measured against 48
tokens: the head fitted on 24-token windows separates 0.97 of definition attacks at 1% of benign flagged
(fitted), 0.71 with 48, where one injected sentence is averaged with as much carrier text."""
STRIDE: Final = 12
MAX_TOKENS: Final = 4096
"""A longer text is scored on its first MAX_TOKENS tokens (bounded cost; hostile payloads sit anywhere
but a 16 KB result is still covered)."""
ENV_DIR: Final = "GUARDMESH_LEARNED_MODEL"
"""Overrides where the model is read from (default: the build step's output in the cache)."""


class ModelError(Exception):
    """The learned model is missing, incomplete or does not match this code."""


@dataclass(frozen=True, slots=True)
class Head:
    """score(x) = sigmoid(w2 . relu(W1 x + b1) + b2), x the L2-normalised window mean."""

    w1: Matrix
    b1: Matrix
    w2: Matrix
    b2: float
    threshold: dict[str, float]
    """The score over which a text is flagged, per sensitivity (low, medium, high)."""


class StaticModel:
    """Thread-safe after construction; `score` allocates only per call."""

    def __init__(self, directory: Path) -> None:
        try:
            import numpy as np
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelError("the learned tier needs the `learned` extra (numpy, tokenizers)") from exc
        self._np = np
        files = {name: directory / name for name in ("table.npy", "tokenizer.json", "heads.npz", "meta.json")}
        # Without heads.npz the model embeds but cannot score (the build step fits the heads on it).
        missing = [name for name, path in files.items() if not path.is_file() and name != "heads.npz"]
        if missing:
            raise ModelError(f"learned model in {directory} lacks {', '.join(missing)} (run hack/detect/model.sh)")
        self.directory = directory
        self.meta: dict[str, Any] = json.loads(files["meta.json"].read_text())
        tokenizer = Tokenizer.from_file(str(files["tokenizer.json"]))
        tokenizer.no_padding()
        tokenizer.no_truncation()
        self._tokenizer = tokenizer
        # float32: the gather and mean are twice as fast as on float16, for 15 MB more (256 x 30,522).
        self._table: Matrix = np.load(files["table.npy"]).astype(np.float32)
        self.heads: dict[str, Head] = {}
        if files["heads.npz"].is_file():
            self.heads = self._heads(files["heads.npz"])
        self._lock = threading.Lock()

    def _heads(self, path: Path) -> dict[str, Head]:
        np = self._np
        with np.load(path) as data:
            thresholds = json.loads(str(data["thresholds"]))
            return {
                kind: Head(
                    data[f"{kind}.w1"].astype(np.float32),
                    data[f"{kind}.b1"].astype(np.float32),
                    data[f"{kind}.w2"].astype(np.float32),
                    float(data[f"{kind}.b2"]),
                    {k: float(v) for k, v in thresholds[kind].items()},
                )
                for kind in HEADS
            }

    def ids(self, text: str) -> list[int]:
        ids: list[int] = self._tokenizer.encode(text, add_special_tokens=False).ids
        return ids[:MAX_TOKENS]

    def windows(self, text: str) -> Matrix:
        """The L2-normalised mean embedding of each window of the text (one row per window)."""
        np = self._np
        ids = self.ids(text)
        if not ids:
            empty: Matrix = np.zeros((0, self._table.shape[1]), dtype=np.float32)
            return empty
        vectors = self._table[np.asarray(ids)]
        if len(ids) <= WINDOW:
            sums = vectors.sum(axis=0, keepdims=True)
        else:
            # Windows of two consecutive STRIDE-token blocks: one reduceat pass (~50 µs for 1 KB; a cumsum
            # along the tokens took ~400 µs here). The last window may be shorter. Scale does not matter:
            # every window is L2-normalised.
            blocks = np.add.reduceat(vectors, np.arange(0, len(ids), STRIDE), axis=0)
            sums = blocks[:-1] + blocks[1:]
        means = sums
        norms = np.linalg.norm(means, axis=1, keepdims=True)
        out: Matrix = means / np.maximum(norms, 1e-6)
        return out

    def window_scores(self, kind: str, windows: Matrix) -> Matrix:
        np = self._np
        head = self.heads[kind]
        hidden = np.maximum(windows @ head.w1 + head.b1, 0.0)
        logits = hidden @ head.w2 + head.b2
        out: Matrix = 1.0 / (1.0 + np.exp(-logits))
        return out

    def score(self, kind: str, text: str) -> float:
        """The probability that `text` (a tool definition or a result) is an attack: its highest window's."""
        windows = self.windows(text)
        if not len(windows):
            return 0.0
        return float(self.window_scores(kind, windows).max())

    def scores(self, kind: str, texts: Sequence[str]) -> list[float]:
        return [self.score(kind, t) for t in texts]


def default_model_dir() -> Path:
    """Where the build step (hack/detect/model.sh) leaves the model: `$GUARDMESH_LEARNED_MODEL`, else the
    newest complete `learned-*` directory in the GuardMesh cache."""
    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env)
    cache = Path(os.environ.get("GUARDMESH_CACHE", Path.home() / ".cache" / "guardmesh")) / "detect"
    found = sorted((p for p in cache.glob("learned-*") if (p / ".complete").is_file()), key=lambda p: p.stat().st_mtime)
    if not found:
        raise ModelError(f"no learned model under {cache}: run hack/detect/model.sh (or set {ENV_DIR})")
    return found[-1]


@functools.cache
def load_model(directory: Path | None = None) -> StaticModel:
    """The model in `directory` (default: `default_model_dir()`), loaded once per process."""
    return StaticModel(directory or default_model_dir())


def content_key(text: str) -> bytes:
    """The cache key of a definition's text: its sha256."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def definition_units(text: MessageText) -> dict[Path_, str]:
    """One text per listed tool, prompt or resource (its name, description and parameter texts joined, as
    normalised), keyed by the item's path (`("result", "tools", 3)`); server instructions are their own."""
    out: dict[Path_, list[str]] = {}
    for segment in text.in_scope(Scope.TOOL_DEFINITION):
        path = segment.path
        key = path[:3] if len(path) >= 3 and isinstance(path[2], int) else path[:2]
        out.setdefault(key, []).append(segment.text)
    return {key: "\n".join(parts) for key, parts in out.items()}


def result_units(text: MessageText) -> list[tuple[Path_, str]]:
    """Each string that reaches the model as content (decoded fragments included), with its path."""
    return [(segment.path, segment.text) for segment in text.in_scope(Scope.RESULT)]


class Provider:
    """The learned model for guards that enable it: loaded on first use (never for bundles without it),
    or set explicitly (the quality harness hands in heads refitted without a source or family).
    Definition scores are cached by content hash, so a listing seen before costs nothing."""

    def __init__(self, model: StaticModel | None = None, cache_size: int = 4096) -> None:
        self._model = model
        self._lock = threading.Lock()
        self._scores: dict[tuple[str, bytes], float] = {}
        self._cache_size = cache_size

    def model(self) -> StaticModel:
        with self._lock:
            if self._model is None:
                self._model = load_model()
            return self._model

    def score(self, kind: str, text: str, cached: bool = False) -> float:
        if not cached:
            return self.model().score(kind, text)
        key = (kind, content_key(text))
        found = self._scores.get(key)
        if found is None:
            found = self.model().score(kind, text)
            with self._lock:
                if len(self._scores) >= self._cache_size:
                    self._scores.pop(next(iter(self._scores)))
                self._scores[key] = found
        return found


def with_heads(model: StaticModel, heads: dict[str, Head]) -> StaticModel:
    """The same table and tokenizer with other heads (the quality harness's refitted ones)."""
    clone = object.__new__(StaticModel)
    for name in ("_np", "directory", "meta", "_tokenizer", "_table", "_lock"):
        setattr(clone, name, getattr(model, name))
    clone.heads = heads
    return clone

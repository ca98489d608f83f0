"""Fit the learned tier's heads on every corpus but the blind set, and write them beside the table.

Run by hack/detect/model.sh in the project venv (numpy):

    python hack/detect/train.py --static DIR --out DIR

Writes `heads.npz` (weights, and each sensitivity's threshold from out-of-fold benign scores) and
`meta.json` (the table's meta, plus the training counts per source and the thresholds). Seeded and
deterministic.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from guardmesh.engine.learned import HEADS, StaticModel  # noqa: E402
from tests.quality.learned_data import featurise, fit, save, source_of, thresholds, training_pool  # noqa: E402
from tests.quality.learned_folds import out_of_fold_benign  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--static", type=Path, required=True, help="the distilled table (distil.py's output)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    model = StaticModel(args.static)
    pool = training_pool()
    heads = {}
    cuts = {}
    counts: dict[str, dict[str, int]] = {}
    for kind in HEADS:
        start = time.perf_counter()
        features = featurise(model, pool, kind)
        params = fit(features)
        heads[kind] = params
        # Thresholds from heads fitted without each source (cached, shared with the quality harness's LOSO).
        cuts[kind] = thresholds(out_of_fold_benign(model, features, kind))
        counts[kind] = dict(sorted(Counter(f"{source_of(s)}/{s.label}" for s in features.samples).items()))
        print(
            f"{kind}: {len(features.samples)} samples in {time.perf_counter() - start:.0f} s, {cuts[kind]}",
            file=sys.stderr,
        )
    save(args.out / "heads.npz", heads, cuts)
    meta = json.loads((args.static / "meta.json").read_text())
    meta |= {"thresholds": cuts, "trained_on": counts}
    (args.out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

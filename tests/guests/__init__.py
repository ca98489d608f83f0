"""WebAssembly guests for tests: built by hack/build-guards.sh (cached outside the repo) or written as WAT."""

import functools
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]


@functools.cache
def built() -> Path:
    """The folder holding `pattern-guard.wasm`, `hostile-guest.wasm` and `marshal-bench-guest.wasm`."""
    result = subprocess.run(["bash", str(REPO_ROOT / "hack/build-guards.sh")], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"hack/build-guards.sh failed:\n{result.stderr[-4000:]}")
    return Path(result.stdout.split()[-1])

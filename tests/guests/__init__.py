"""WebAssembly guests for tests: built by hack/build-guards.sh (cached outside the repo) or written as WAT."""

import functools
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]


@functools.cache
def built() -> Path:
    """The folder holding `pattern-guard.wasm`, `hostile-guest.wasm` and `marshal-bench-guest.wasm`."""
    result = subprocess.run(
        ["bash", str(REPO_ROOT / "hack/build-guards.sh")], check=True, capture_output=True, text=True
    )
    return Path(result.stdout.split()[-1])


def wat(name: str) -> str:
    """The WAT text of `tests/guests/<name>.wat`."""
    return (HERE / f"{name}.wat").read_text()

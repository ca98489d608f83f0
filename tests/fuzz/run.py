"""One fuzz target under atheris (libFuzzer, coverage-guided over GuardMesh's own code).

    python -m tests.fuzz.run TARGET [libFuzzer flags] [CORPUS_DIR ...]

A broken property (oracles.Unguarded) or any other exception stops the run with a crash file; an
input slower than `-timeout` is a hang. tests/fuzz/campaign.py runs every target (`make fuzz`).
"""

import sys

import atheris  # type: ignore[import-untyped]  # ships no type information


def main() -> None:
    target = sys.argv[1]
    # Coverage guides the search over the parser, the classifier, the relay and the input mapping;
    # the engine and guards run uninstrumented (instrumenting them cost 3-4x the inputs per second).
    with atheris.instrument_imports(include=["guardmesh.protocol", "guardmesh.transports", "tests.fuzz.inputs"]):
        from tests.fuzz.targets import TARGETS

    atheris.Setup([sys.argv[0], *sys.argv[2:]], TARGETS[target])
    atheris.Fuzz()


if __name__ == "__main__":
    main()

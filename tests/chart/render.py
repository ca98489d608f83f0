"""Render the chart with the real helm (built by hack/cluster) and read the objects back."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tests.support.peers import REPO_ROOT

CHART = REPO_ROOT / "charts" / "guardmesh"
VALUES_FILES = sorted((CHART / "ci").glob("*.yaml"))
LOCAL_VALUES = CHART / "values-local.yaml"
RELEASE, NAMESPACE = "gm", "guardmesh-system"
Obj = dict[str, Any]


class HelmError(RuntimeError):
    """helm failed; the message carries its stderr."""


@cache
def helm_binary() -> Path:
    """helm 4 from hack/cluster's cache (built from its Go module on a fresh machine)."""
    out = subprocess.run([str(REPO_ROOT / "hack" / "cluster"), "build"], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise HelmError(f"hack/cluster build failed:\n{out.stderr}")
    return Path(out.stdout.strip()) / "helm"


def helm(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> str:
    proc = subprocess.run(
        [str(helm_binary()), *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise HelmError(f"helm {' '.join(args[:2])} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


def values_args(files: Sequence[Path] = (), sets: Sequence[str] = ()) -> list[str]:
    return [*(a for f in files for a in ("-f", str(f))), *(a for s in sets for a in ("--set", s))]


def render(*files: Path, sets: Sequence[str] = (), namespace: str = NAMESPACE) -> list[Obj]:
    """`helm template` of the chart; every object, in order."""
    text = helm("template", RELEASE, str(CHART), "-n", namespace, *values_args(files, sets))
    return [doc for doc in yaml.safe_load_all(text) if doc]


def find(objs: Sequence[Obj], kind: str, name: str | None = None) -> Obj:
    """The one object of `kind` (and `name`); fails the test when there is not exactly one."""
    found = [o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def kinds(objs: Sequence[Obj]) -> set[str]:
    return {o["kind"] for o in objs}

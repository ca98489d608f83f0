"""The images the chart references. No Docker engine runs here, so the Dockerfiles are parsed and what they
install is installed the same way (uv from the lock file, production dependencies only) into a temporary
environment, where the sidecar's entry point must start and the Hyperscan pre-compile step must work."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.chart.render import CHART
from tests.support.peers import REPO_ROOT

DOCKERFILES = {"sidecar": REPO_ROOT / "sidecar" / "Dockerfile", "operator": REPO_ROOT / "operator" / "Dockerfile"}
BUILD_TOOLS = re.compile(r"\b(apt-get|apk|gcc|g\+\+|make|build-essential|cargo|rustc)\b")


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)


def _stages(path: Path) -> tuple[dict[str, str], list[Stage]]:
    """ARG defaults before the first FROM, and each stage's instructions (continuation lines joined)."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        op, _, rest = line.partition(" ")
        op = op.upper()
        if op == "ARG" and not stages and "=" in rest:
            key, _, value = rest.partition("=")
            args[key] = value
        elif op == "FROM":
            parts = rest.split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: args[m[1]], parts[0])
            stages.append(Stage(base, parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None))
        else:
            stages[-1].instructions.append((op, rest))
    return args, stages


@pytest.mark.parametrize("image", sorted(DOCKERFILES))
def test_the_dockerfile_is_multi_stage_on_a_pinned_slim_python_and_runs_as_non_root(image: str) -> None:
    _, stages = _stages(DOCKERFILES[image])
    assert len(stages) >= 2
    for stage in stages:
        assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+|python@sha256:[0-9a-f]{64}", stage.base), stage.base
    final = stages[-1]
    users = [rest for op, rest in final.instructions if op == "USER"]
    assert users
    assert users[-1].split(":")[0] not in ("root", "0")
    assert int(users[-1].split(":")[0]) >= 1000
    assert not any(op == "RUN" for op, _ in final.instructions), "the final stage only copies the built environment"
    copied = [rest for op, rest in final.instructions if op == "COPY"]
    assert copied == ["--from=build /opt/guardmesh /opt/guardmesh"]
    assert not any(BUILD_TOOLS.search(rest) for stage in stages for op, rest in stage.instructions if op == "RUN")


def test_the_sidecar_image_precompiles_the_engine_into_its_cache_dir_and_runs_the_sidecar() -> None:
    _, stages = _stages(DOCKERFILES["sidecar"])
    build, final = stages[0], stages[-1]
    runs = " ".join(rest for op, rest in build.instructions if op == "RUN")
    assert "guardmesh check </dev/null" in runs
    envs = " ".join(rest for op, rest in final.instructions if op == "ENV")
    assert "GUARDMESH_CACHE_DIR=/opt/guardmesh/cache" in envs
    assert ("ENTRYPOINT", '["guardmesh-sidecar"]') in final.instructions


def test_the_images_use_the_projects_uv_and_the_charts_image_names() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    uv_version = re.search(r"^UV_VERSION := (\S+)", makefile, re.MULTILINE)
    assert uv_version is not None
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for image, path in DOCKERFILES.items():
        assert f"pip install uv=={uv_version[1]}" in path.read_text()
        assert values[image if image == "sidecar" else "operator"]["image"]["repository"] == f"guardmesh/{image}"
        assert f"-t guardmesh/{image}:" in path.read_text()


def _uv() -> Path:
    cache = Path(os.environ.get("GUARDMESH_CACHE", Path.home() / ".cache" / "guardmesh"))
    version = re.search(r"^UV_VERSION := (\S+)", (REPO_ROOT / "Makefile").read_text(), re.MULTILINE)
    assert version is not None
    uv = cache / "tools" / f"uv-{version[1]}" / "bin" / "uv"
    assert uv.exists(), f"{uv} missing: run `make python`"
    return uv


def test_what_the_sidecar_image_installs_starts_and_precompiles_without_dev_packages(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    env = {
        **os.environ,
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_LINK_MODE": "copy",
        "GUARDMESH_CACHE_DIR": str(tmp_path / "cache"),
    }
    env.pop("VIRTUAL_ENV", None)
    sync = [str(_uv()), "sync", "-q", "--frozen", "--no-dev", "--no-editable", "--python", "python3.11"]
    # Dependencies as wheels only (no compiler in the build stage), then the project itself.
    subprocess.run([*sync, "--no-install-project", "--no-build"], cwd=REPO_ROOT, env=env, check=True, timeout=600)
    subprocess.run(sync, cwd=REPO_ROOT, env=env, check=True, timeout=600)
    # Run outside the checkout, so only the installed packages are importable.
    subprocess.run([str(venv / "bin" / "guardmesh-sidecar"), "--help"], cwd=tmp_path, env=env, check=True)
    subprocess.run(
        [str(venv / "bin" / "guardmesh"), "check"], cwd=tmp_path, env=env, check=True, stdin=subprocess.DEVNULL
    )
    assert list((tmp_path / "cache" / "engine").glob("hyperscan-*.db"))
    probe = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import kopf"], cwd=tmp_path, env=env, capture_output=True, check=False
    )
    assert probe.returncode != 0, "the sidecar image must not carry the operator's dependencies"


def test_kind_up_stops_with_a_clear_message_when_no_docker_engine_answers(tmp_path: Path) -> None:
    # A socket nobody listens on: the docker CLI (if installed) fails for real, as on a machine without an engine.
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock", "GUARDMESH_CACHE": str(tmp_path)}
    proc = subprocess.run(
        [str(REPO_ROOT / "hack" / "kind-up.sh")], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 1
    assert "[kind-up] error:" in proc.stderr
    assert "Docker engine" in proc.stderr
    assert "make demo" in proc.stderr
    assert not list(tmp_path.glob("kind-*")), "nothing is built or created without an engine"

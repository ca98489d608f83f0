"""A real Kubernetes control plane for tests (``hack/cluster``): etcd, kube-apiserver,
kube-controller-manager, kube-scheduler and KWOK nodes on loopback.

Use the session fixture ``cluster`` (registered in ``tests/e2e/conftest.py``; another conftest can
register it with ``cluster = pytest.fixture(scope="session")(cluster_fixture)``)::

    def test_something(cluster: Cluster) -> None:
        cluster.kubectl("create", "namespace", "demo")
        pods = cluster.kubectl_json("get", "pods", "-n", "demo")

``cluster.env()`` gives an environment (KUBECONFIG, PATH with kubectl and helm) for subprocesses such
as the operator. The plane is private to the test session (a temporary dir, stopped at the end and by
a watchdog if the session is killed; the component logs stay under pytest's basetemp in
``cluster0/logs``). With ``GUARDMESH_KUBECONFIG`` set, the plane that kubeconfig
points at is reused instead and left running (start one with ``hack/cluster up`` and
``eval "$(hack/cluster env)"``).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.support.peers import REPO_ROOT

__all__ = [
    "HACK_CLUSTER",
    "Cluster",
    "ClusterError",
    "PodsCluster",
    "cluster_fixture",
    "running_cluster",
    "running_pods_cluster",
    "wait_until",
]

HACK_CLUSTER = REPO_ROOT / "hack" / "cluster"
KUBECTL = REPO_ROOT / ".venv" / "bin" / "kubectl"
T = TypeVar("T")


class ClusterError(RuntimeError):
    """A kubectl or hack/cluster call failed; the message carries its stderr."""


@dataclass(frozen=True)
class Cluster:
    """A running plane: its kubeconfig, API server URL and the dir with helm and the server binaries."""

    kubeconfig: Path
    server: str
    bin_dir: Path | None

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """os.environ plus KUBECONFIG and a PATH that has kubectl (and helm when built)."""
        env = dict(os.environ)
        dirs = [str(KUBECTL.parent), *([str(self.bin_dir)] if self.bin_dir else [])]
        env["PATH"] = os.pathsep.join([*dirs, env.get("PATH", "")])
        env["KUBECONFIG"] = str(self.kubeconfig)
        env.update(extra or {})
        return env

    def kubectl(self, *args: str, stdin: str | None = None, check: bool = True, timeout: float = 60) -> str:
        """Run kubectl against this plane; return stdout, raise ClusterError on failure when check."""
        proc = subprocess.run(
            [str(KUBECTL), f"--kubeconfig={self.kubeconfig}", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            raise ClusterError(f"kubectl {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc.stdout

    def kubectl_json(self, *args: str) -> Any:
        """kubectl with ``-o json``, parsed."""
        return json.loads(self.kubectl(*args, "-o", "json"))

    def apply(self, manifest: Mapping[str, Any] | str) -> str:
        """``kubectl apply -f -`` of a manifest (a dict or YAML/JSON text)."""
        text = manifest if isinstance(manifest, str) else json.dumps(manifest)
        return self.kubectl("apply", "-f", "-", stdin=text)


def wait_until(what: str, probe: Callable[[], T | None], timeout: float = 60, interval: float = 0.25) -> T:
    """Poll probe until it returns something truthy; fail with `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def _hack(*args: str) -> str:
    proc = subprocess.run([str(HACK_CLUSTER), *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ClusterError(f"hack/cluster {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr.strip()}")
    return proc.stdout.strip()


def _from_kubeconfig(kubeconfig: Path) -> Cluster:
    probe = Cluster(kubeconfig, "", None)
    server = probe.kubectl("config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}")
    return Cluster(kubeconfig, server.strip(), Path(_hack("build", "--check")))


@contextlib.contextmanager
def running_cluster(state_dir: Path | None = None) -> Iterator[Cluster]:
    """Reuse GUARDMESH_KUBECONFIG's plane, or start a private one (in state_dir or a temp dir) and stop it."""
    given = os.environ.get("GUARDMESH_KUBECONFIG")
    if given:
        yield _from_kubeconfig(Path(given))
        return
    # A cold build takes far longer than a test may: fail with the step to run instead of timing out.
    _hack("build", "--check")
    with contextlib.ExitStack() as stack:
        if state_dir is None:
            state_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="guardmesh-cluster-")))
        kubeconfig = Path(_hack("up", "--dir", str(state_dir), "--owner-pid", str(os.getpid())))
        try:
            state = json.loads((state_dir / "state.json").read_text())
            yield Cluster(kubeconfig, state["server"], Path(state["bin"]))
        finally:
            _hack("down", "--dir", str(state_dir))


def cluster_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Body of the session fixture ``cluster``; pytest keeps the dir (and the component logs) after the run."""
    with running_cluster(tmp_path_factory.mktemp("cluster")) as cluster:
        yield cluster


@dataclass(frozen=True)
class PodsCluster(Cluster):
    """A plane with a real node (`hack/cluster up --pods`) and the images built here, imported into its containerd."""

    state_dir: Path
    images: dict[str, str]
    """`hack/cluster images --examples`: operator, sidecar, mcp-python, evil-weather, server-everything, otelcol."""

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads((self.state_dir / "state.json").read_text())
        return state

    def ctr(self, *args: str) -> str:
        """`ctr` against the node's containerd, in the CRI's namespace."""
        sock = self.state()["pods"]["containerd"]
        proc = subprocess.run(
            ["ctr", f"--address={sock}", "--namespace=k8s.io", *args], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise ClusterError(f"ctr {' '.join(args)} failed: {proc.stderr.strip()}")
        return proc.stdout


def _images(state_dir: Path) -> dict[str, str]:
    out = _hack("images", "--examples", "--dir", str(state_dir))
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


@contextlib.contextmanager
def running_pods_cluster(state_dir: Path) -> Iterator[PodsCluster]:
    """A plane with a real node, its images imported; GUARDMESH_PODS_DIR reuses a running `up --pods` dir."""
    given = os.environ.get("GUARDMESH_PODS_DIR")
    if given:
        state_dir = Path(given)
    else:
        _hack("build", "--check", "--pods")
    with contextlib.ExitStack() as stack:
        if not given:
            kubeconfig = Path(_hack("up", "--pods", "--dir", str(state_dir), "--owner-pid", str(os.getpid())))
            stack.callback(_hack, "down", "--dir", str(state_dir))
        else:
            kubeconfig = state_dir / "kubeconfig"
        state = json.loads((state_dir / "state.json").read_text())
        yield PodsCluster(kubeconfig, state["server"], Path(state["bin"]), state_dir, _images(state_dir))

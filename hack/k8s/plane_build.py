"""Build the control plane's binaries from their Go modules (hack/k8s/<name>/go.mod), cached by version."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULES = ROOT / "hack" / "k8s"
CACHE = Path(os.environ.get("GUARDMESH_CACHE", str(Path.home() / ".cache" / "guardmesh")))


def _pinned(wrapper: str, module: str) -> str:
    """The version a wrapper module's go.mod requires: go.mod is the one place versions are pinned."""
    text = (MODULES / wrapper / "go.mod").read_text()
    found = re.search(rf"^\s*(?:require\s+)?{re.escape(module)}\s+(v\S+)", text, re.MULTILINE)
    if found is None:
        raise SystemExit(f"hack/k8s/{wrapper}/go.mod does not require {module}")
    return found.group(1)


KUBERNETES = _pinned("kubernetes", "k8s.io/kubernetes")
ETCD = _pinned("etcd", "go.etcd.io/etcd/server/v3")
KWOK = _pinned("kwok", "sigs.k8s.io/kwok")
HELM = _pinned("helm", "helm.sh/helm/v4")
KUBE_ROUTER = _pinned("kube-router", "github.com/cloudnativelabs/kube-router/v2")
COREDNS = _pinned("coredns", "github.com/coredns/coredns")
PAUSE_TAG = "3.10.2"
"""Version stamped into the pause binary, built from the Kubernetes module's build/pause/linux/pause.c."""

# Order matters for `down`: stop clients before the API server, and the API server before etcd.
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
BINARIES = (*COMPONENTS, "helm")
# KWOK takes its node and pod lifecycles as Stage objects; these are upstream defaults read from its module.
# The "fast" pod stages (no simulated delays) also run native sidecars: init containers with restartPolicy Always.
KWOK_STAGES = (
    "kustomize/stage/node/fast/node-initialize.yaml",
    "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "kustomize/stage/pod/fast/pod-ready.yaml",
    "kustomize/stage/pod/fast/pod-complete.yaml",
    "kustomize/stage/pod/fast/pod-delete.yaml",
)


class PlaneError(Exception):
    """A step failed; the message says which and why."""


def log(msg: str) -> None:
    """Progress on stderr; stdout carries only results (paths, env lines)."""
    print(f"[cluster] {msg}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive file lock (parallel builds or two `up`s on one dir)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _ldflags(module: str) -> str:
    flags = ["-s", "-w"]
    if module == "kubernetes":
        # Without these the binaries report v0.0.0-master; clients and tests read the server version.
        for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
            flags += [f"-X={pkg}.gitVersion={KUBERNETES}", f"-X={pkg}.gitMajor=1"]
            flags += [f"-X={pkg}.gitMinor={KUBERNETES.split('.')[1]}", f"-X={pkg}.gitTreeState=clean"]
    elif module == "kube-router":
        flags += [f"-X=github.com/cloudnativelabs/kube-router/v2/pkg/version.Version={KUBE_ROUTER}"]
    elif module == "helm":
        flags += [f"-X=helm.sh/helm/v4/internal/version.version={HELM}"]
    return " ".join(flags)


# module dir -> (package, output name)
BUILDS: dict[str, tuple[tuple[str, str], ...]] = {
    "etcd": (("go.etcd.io/etcd/server/v3", "etcd"),),
    "kwok": (("sigs.k8s.io/kwok/cmd/kwok", "kwok"),),
    "helm": (("helm.sh/helm/v4/cmd/helm", "helm"),),
    "kubernetes": (
        ("k8s.io/kubernetes/cmd/kube-apiserver", "kube-apiserver"),
        ("k8s.io/kubernetes/cmd/kube-controller-manager", "kube-controller-manager"),
        ("k8s.io/kubernetes/cmd/kube-scheduler", "kube-scheduler"),
    ),
}


# The node of `hack/cluster up --pods`: kubelet and kube-proxy from the same wrapper module as the control plane,
# kube-router (its NetworkPolicy firewall only), and the pause binary of every pod sandbox (a static C program).
NODE_BUILDS: dict[str, tuple[tuple[str, str], ...]] = {
    "kubernetes": (
        ("k8s.io/kubernetes/cmd/kubelet", "kubelet"),
        ("k8s.io/kubernetes/cmd/kube-proxy", "kube-proxy"),
    ),
    "kube-router": (("github.com/cloudnativelabs/kube-router/v2/cmd/kube-router", "kube-router"),),
}
NODE_BINARIES = ("kubelet", "kube-proxy", "kube-router", "pause")


def versions_key() -> str:
    """Cache key: the pinned versions plus a hash of the wrapper modules and build flags."""
    digest = hashlib.sha256()
    for module in sorted(BUILDS):
        for name in ("go.mod", "go.sum"):
            digest.update((MODULES / module / name).read_bytes())
        digest.update(_ldflags(module).encode())
    return f"k8s-{KUBERNETES}-etcd-{ETCD}-kwok-{KWOK}-helm-{HELM}-{digest.hexdigest()[:10]}"


def node_key() -> str:
    """Cache key of the node binaries: their pinned versions, wrapper modules and build flags."""
    digest = hashlib.sha256()
    for module in sorted(NODE_BUILDS):
        for name in ("go.mod", "go.sum"):
            digest.update((MODULES / module / name).read_bytes())
        digest.update(_ldflags(module).encode())
    digest.update(PAUSE_TAG.encode())
    return f"node-k8s-{KUBERNETES}-kube-router-{KUBE_ROUTER}-pause-{PAUSE_TAG}-{digest.hexdigest()[:10]}"


def home() -> Path:
    return CACHE / "k8s" / versions_key()


def node_bin_dir() -> Path:
    return CACHE / "k8s" / node_key() / "bin"


def node_built() -> bool:
    return all((node_bin_dir() / name).is_file() for name in NODE_BINARIES)


def bin_dir() -> Path:
    return home() / "bin"


def stages_file() -> Path:
    return home() / f"kwok-stages-{hashlib.sha256(repr(KWOK_STAGES).encode()).hexdigest()[:8]}.yaml"


def built() -> bool:
    """Every binary and the KWOK stages are in the cache."""
    return all((bin_dir() / name).is_file() for name in BINARIES) and stages_file().is_file()


def _go() -> str:
    go = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").is_file() else None)
    if go is None:
        raise PlaneError("go not found on PATH nor in /usr/local/go/bin (need Go >= 1.26)")
    return go


def _go_build(
    go: str,
    module: str,
    out: Path,
    builds: dict[str, tuple[tuple[str, str], ...]] = BUILDS,
    env: dict[str, str] | None = None,
) -> None:
    """Build a wrapper module's missing binaries in one `go build` (packages share one compile)."""
    todo = [(pkg, name) for pkg, name in builds[module] if not (out / name).is_file()]
    if not todo:
        return
    start = time.monotonic()
    log(f"go build {' '.join(pkg for pkg, _ in todo)}")
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        # One package: -o names the file (etcd's package path ends in /v3); several: -o is a directory.
        target = Path(tmp) / todo[0][1] if len(todo) == 1 else Path(tmp + "/")
        cmd = [go, "build", "-mod=readonly", "-p", "2", "-trimpath", f"-ldflags={_ldflags(module)}", "-o", str(target)]
        proc = subprocess.run(
            [*cmd, *(pkg for pkg, _ in todo)],
            cwd=MODULES / module,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
        )
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr[-6000:])
            raise PlaneError(f"go build in hack/k8s/{module} failed")
        for _, name in todo:
            (Path(tmp) / name).replace(out / name)
    log(f"built {', '.join(name for _, name in todo)} in {time.monotonic() - start:.0f}s")


def _module_source(go: str, wrapper: str, module: str) -> Path:
    """A module's source dir in the Go module cache (fetched again if the cache was cleaned)."""
    proc = subprocess.run(
        [go, "mod", "download", "-json", module],
        cwd=MODULES / wrapper,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return Path(json.loads(proc.stdout)["Dir"])
    except (ValueError, KeyError) as err:
        raise PlaneError(f"cannot fetch {module}: {proc.stderr.strip() or err}") from err


def _write_stages(go: str) -> None:
    """Concatenate KWOK's default stages from its module source."""
    src = _module_source(go, "kwok", f"sigs.k8s.io/kwok@{KWOK}")
    docs = [(src / rel).read_text().strip() for rel in KWOK_STAGES]
    tmp = stages_file().with_suffix(".tmp")
    tmp.write_text("\n---\n".join(docs) + "\n")
    tmp.replace(stages_file())


def build() -> Path:
    """Build every binary once per versions key; a warm cache returns at once."""
    if built():
        return bin_dir()
    with locked(CACHE / ".locks" / "k8s-build.lock"):
        if built():
            return bin_dir()
        go = _go()
        out = bin_dir()
        out.mkdir(parents=True, exist_ok=True)
        missing = [name for name in BINARIES if not (out / name).is_file()]
        if missing:
            start = time.monotonic()
            log(f"building {', '.join(missing)} into {out} (cold: 15-30 min on 2 cores)")
            for module in ("etcd", "kwok", "helm", "kubernetes"):
                _go_build(go, module, out)
            took = time.monotonic() - start
            log(f"build done in {took:.0f}s")
            with (home() / "build-times.txt").open("a") as fh:
                fh.write(f"{dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} {took:.0f}s\n")
        _write_stages(go)
    return bin_dir()


def _build_pause(go: str, out: Path) -> None:
    """The sandbox's pause process from the Kubernetes module's own C source, linked statically (no image pull)."""
    source = _module_source(go, "kubernetes", f"k8s.io/kubernetes@{KUBERNETES}") / "build/pause/linux/pause.c"
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise PlaneError("a C compiler (cc) is needed for the pause binary: apt-get install gcc libc6-dev")
    tmp = out / "pause.tmp"
    cmd = [cc, "-Os", "-Wall", "-Werror", "-static", f"-DVERSION=v{PAUSE_TAG}-guardmesh", "-o", str(tmp), str(source)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise PlaneError(f"compiling pause.c failed: {proc.stderr.strip()[-2000:]}")
    tmp.replace(out / "pause")


def build_node() -> Path:
    """kubelet, kube-proxy, kube-router and pause, once per node key; a warm cache returns at once."""
    if node_built():
        return node_bin_dir()
    with locked(CACHE / ".locks" / "k8s-node-build.lock"):
        if node_built():
            return node_bin_dir()
        go = _go()
        out = node_bin_dir()
        out.mkdir(parents=True, exist_ok=True)
        start = time.monotonic()
        log(f"building the node binaries into {out} (cold: ~10 min on 2 cores after the control plane)")
        for module in NODE_BUILDS:
            _go_build(go, module, out, NODE_BUILDS)
        if not (out / "pause").is_file():
            _build_pause(go, out)
        took = time.monotonic() - start
        log(f"node build done in {took:.0f}s")
        with (out.parent / "build-times.txt").open("a") as fh:
            fh.write(f"{dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} {took:.0f}s\n")
    return node_bin_dir()


# The cluster DNS of `hack/cluster up --pods`: CoreDNS from hack/k8s/coredns (a main.go importing the plugins its
# Corefile uses), static (CGO off) since its image holds the binary alone.
DNS_BUILDS: dict[str, tuple[tuple[str, str], ...]] = {"coredns": (("guardmesh.dev/hack/k8s/coredns", "coredns"),)}
DNS_ENV = {"CGO_ENABLED": "0"}


def dns_key() -> str:
    """Cache key of CoreDNS: its pinned version, the wrapper module (plugins included) and the build flags."""
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum", "main.go"):
        digest.update((MODULES / "coredns" / name).read_bytes())
    digest.update((_ldflags("coredns") + repr(sorted(DNS_ENV.items()))).encode())
    return f"coredns-{COREDNS}-{digest.hexdigest()[:10]}"


def dns_bin() -> Path:
    return CACHE / "k8s" / dns_key() / "bin" / "coredns"


def build_dns() -> Path:
    """The CoreDNS binary, once per key; a warm cache returns at once."""
    if dns_bin().is_file():
        return dns_bin()
    with locked(CACHE / ".locks" / "k8s-dns-build.lock"):
        if dns_bin().is_file():
            return dns_bin()
        out = dns_bin().parent
        out.mkdir(parents=True, exist_ok=True)
        start = time.monotonic()
        log(f"building CoreDNS {COREDNS} into {out} (cold: ~4 min on 2 cores)")
        _go_build(_go(), "coredns", out, DNS_BUILDS, DNS_ENV)
        took = time.monotonic() - start
        with (out.parent / "build-times.txt").open("a") as fh:
            fh.write(f"{dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} {took:.0f}s\n")
    return dns_bin()

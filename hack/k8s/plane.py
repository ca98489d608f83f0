"""A real local Kubernetes control plane on loopback: build its binaries, start, stop, print its env.

Run through `hack/cluster`; `hack/cluster --help` lists the subcommands.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import plane_dns
import plane_images
import plane_node
from plane_build import (
    CACHE,
    COMPONENTS,
    ROOT,
    PlaneError,
    bin_dir,
    build,
    build_dns,
    build_node,
    built,
    dns_bin,
    locked,
    log,
    node_built,
    stages_file,
)
from plane_node import NODE_NAME, Net
from plane_pki import SERVICE_CIDR, make_pki

DEFAULT_DIR = CACHE / "cluster" / "default"
KWOK_ANNOTATION = "kwok.x-k8s.io/node"
POD_CIDR = "10.244.0.0/16"
ISSUER = "https://kubernetes.default.svc.cluster.local"
UP_TIMEOUT = 120.0
NODE_COMPONENTS = ("containerd", "kubelet", "kube-proxy", "kube-router")
PODS_COMPONENTS = (*COMPONENTS[:-1], *NODE_COMPONENTS)
"""`up --pods`: the control plane without KWOK, then the node (stopped in reverse order)."""


# --- processes -----------------------------------------------------------------------------------


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (held open together so they differ)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _component_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in {"http_proxy", "https_proxy", "all_proxy"}}
    # The API server calls webhooks on loopback; a proxy from the environment must never sit in between.
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


def commands(d: Path, bins: Path, ports: dict[str, int], net: Net | None = None) -> dict[str, list[str]]:
    """The control plane's command lines; with net, set up for a real node in that slot instead of KWOK."""
    argv = _control_plane(d, bins, ports, net)
    if net is None:
        return argv
    del argv["kwok"]
    api = argv["kube-apiserver"]
    api[api.index("--bind-address=127.0.0.1")] = f"--bind-address={net.host_ip}"
    api[api.index("--advertise-address=127.0.0.1")] = f"--advertise-address={net.host_ip}"
    api[api.index(f"--service-cluster-ip-range={SERVICE_CIDR}")] = f"--service-cluster-ip-range={net.service_cidr}"
    # The `kubernetes` Service now has a real endpoint (the host end of the node's link) for in-cluster clients.
    api.remove("--endpoint-reconciler-type=none")
    pki = d / "pki"
    api += [
        f"--kubelet-client-certificate={pki / 'apiserver-kubelet-client.crt'}",
        f"--kubelet-client-key={pki / 'apiserver-kubelet-client.key'}",
        "--kubelet-preferred-address-types=InternalIP",
    ]
    kcm = argv["kube-controller-manager"]
    kcm[kcm.index(f"--service-cluster-ip-range={SERVICE_CIDR}")] = f"--service-cluster-ip-range={net.service_cidr}"
    kcm += ["--allocate-node-cidrs=true", f"--cluster-cidr={net.pod_cidr}", "--node-cidr-mask-size=24"]
    return argv


def _control_plane(d: Path, bins: Path, ports: dict[str, int], net: Net | None) -> dict[str, list[str]]:
    pki = d / "pki"
    etcd_url = f"http://127.0.0.1:{ports['etcd']}"
    peer_url = f"http://127.0.0.1:{ports['etcd-peer']}"

    def kc(ident: str) -> list[str]:
        path = str(pki / f"{ident}.kubeconfig")
        return [f"--kubeconfig={path}", f"--authentication-kubeconfig={path}", f"--authorization-kubeconfig={path}"]

    return {
        "etcd": [
            str(bins / "etcd"),
            "--name=guardmesh",
            f"--data-dir={d / 'etcd'}",
            f"--listen-client-urls={etcd_url}",
            f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=guardmesh={peer_url}",
            # A throwaway test store: skipping fsync makes writes cheap on a shared disk.
            "--unsafe-no-fsync=true",
            "--log-level=warn",
        ],
        "kube-apiserver": [
            str(bins / "kube-apiserver"),
            f"--etcd-servers={etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={ports['kube-apiserver']}",
            f"--cert-dir={d / 'run'}",
            f"--tls-cert-file={pki / 'apiserver.crt'}",
            f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={pki / 'ca.crt'}",
            f"--service-account-issuer={ISSUER}",
            f"--service-account-key-file={pki / 'sa.pub'}",
            f"--service-account-signing-key-file={pki / 'sa.key'}",
            "--authorization-mode=Node,RBAC",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--allow-privileged=true",
            # The `kubernetes` Service would point at 127.0.0.1, which Endpoints reject; nothing here needs it.
            "--endpoint-reconciler-type=none",
            "--profiling=false",
        ],
        "kube-controller-manager": [
            str(bins / "kube-controller-manager"),
            *kc("kube-controller-manager"),
            "--bind-address=127.0.0.1",
            f"--secure-port={ports['kube-controller-manager']}",
            f"--cert-dir={d / 'run'}",
            "--leader-elect=false",
            "--use-service-account-credentials=false",
            f"--service-account-private-key-file={pki / 'sa.key'}",
            f"--root-ca-file={pki / 'ca.crt'}",
            f"--cluster-signing-cert-file={pki / 'ca.crt'}",
            f"--cluster-signing-key-file={pki / 'ca.key'}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--profiling=false",
        ],
        "kube-scheduler": [
            str(bins / "kube-scheduler"),
            *kc("kube-scheduler"),
            "--bind-address=127.0.0.1",
            f"--secure-port={ports['kube-scheduler']}",
            f"--cert-dir={d / 'run'}",
            "--leader-elect=false",
            "--profiling=false",
        ],
        "kwok": [
            str(bins / "kwok"),
            f"--kubeconfig={pki / 'kwok.kubeconfig'}",
            f"--config={stages_file()}",
            "--manage-all-nodes=false",
            f"--manage-nodes-with-annotation-selector={KWOK_ANNOTATION}=fake",
            f"--cidr={POD_CIDR}",
            "--node-ip=127.0.0.1",
            "--node-lease-duration-seconds=40",
            f"--server-address=127.0.0.1:{ports.get('kwok', 0)}",
        ],
    }


def pid_alive(pid: int, binary: str) -> bool:
    """True if pid is a live process of `binary` (guards against a recycled pid)."""
    # /proc/PID/exe rather than cmdline: cmdline reads empty for a moment while a large binary loads.
    try:
        exe = os.readlink(f"/proc/{pid}/exe").removesuffix(" (deleted)")
    except OSError:
        return False  # gone, or a zombie
    # A node component is started through nsenter, which then becomes the component.
    return exe in (os.path.realpath(binary), os.path.realpath(shutil.which("nsenter") or "/usr/bin/nsenter"))


def program(argv: list[str]) -> str:
    """The program a command line runs (past `nsenter ... --`)."""
    return argv[argv.index("--") + 1] if argv and Path(argv[0]).name == "nsenter" else (argv or [""])[0]


def start(d: Path, name: str, argv: list[str], env: dict[str, str]) -> int:
    logs = d / "logs"
    with (logs / f"{name}.log").open("wb") as out:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    (d / "pids" / f"{name}.pid").write_text(f"{proc.pid}\n")
    return proc.pid


# --- talking to the plane ------------------------------------------------------------------------


class Api:
    """Minimal HTTPS client for the API server with the admin certificate."""

    def __init__(self, server: str, pki: Path) -> None:
        self.server = server
        self.ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        self.ctx.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.server + path, data=data, method=method)  # noqa: S310 (https only)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=5) as resp:  # noqa: S310
                raw = resp.read()
                status = resp.status
        except urllib.error.HTTPError as err:
            raw, status = err.read(), err.code
        except (OSError, urllib.error.URLError) as err:
            return 0, str(err)  # not listening yet, or went away
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")


def _healthy(url: str) -> bool:
    """GET a /healthz on a component's self-signed port."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the controllers' serving certs are throwaway self-signed ones
    try:
        with urllib.request.urlopen(url, context=ctx, timeout=2) as resp:  # noqa: S310
            return bool(resp.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def node_manifest(name: str) -> dict[str, Any]:
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "type": "kwok",
    }
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels, "annotations": {KWOK_ANNOTATION: "fake"}},
    }


# --- state ---------------------------------------------------------------------------------------


def state_path(d: Path) -> Path:
    return d / "state.json"


def read_state(d: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(state_path(d).read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def components(state: dict[str, Any] | None) -> tuple[str, ...]:
    return tuple((state or {}).get("components") or COMPONENTS)


def running(d: Path) -> list[str]:
    """Names of this dir's components whose pid still runs their binary."""
    state = read_state(d) or {}
    alive = []
    for name in components(state):
        pid_file = d / "pids" / f"{name}.pid"
        try:
            pid = int(pid_file.read_text())
        except (OSError, ValueError):
            continue
        if pid_alive(pid, program(state.get("argv", {}).get(name, [""]))):
            alive.append(name)
    return alive


class ComponentExited(PlaneError):
    """A component died while the plane was starting (e.g. another process took its port first)."""


class Waiter:
    """Polls a condition, failing early (with the log tail) if a component died."""

    def __init__(self, d: Path, pids: dict[str, int], argv: dict[str, list[str]], timeout: float) -> None:
        self.d, self.pids, self.argv = d, pids, argv
        self.t0 = time.monotonic()
        self.deadline = self.t0 + timeout

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def check_alive(self) -> None:
        for name, pid in self.pids.items():
            if not pid_alive(pid, program(self.argv[name])):
                tail = (self.d / "logs" / f"{name}.log").read_text(errors="replace").splitlines()[-25:]
                raise ComponentExited(f"{name} exited during start-up; last lines of its log:\n" + "\n".join(tail))

    def until(self, what: str, probe: Any) -> Any:
        while True:
            self.check_alive()
            result = probe()
            if result:
                return result
            if time.monotonic() > self.deadline:
                raise PlaneError(f"timed out waiting for {what}; logs in {self.d / 'logs'}")
            time.sleep(0.2)


def up(d: Path, nodes: int, owner_pid: int | None, pods: bool = False) -> dict[str, Any]:
    """Start the plane in d (or report the one running there) and return its state."""
    bins = build()
    if pods:
        plane_node.check_host()
        build_node()
        build_dns()
        plane_images.pause_image()
        plane_images.coredns_image()
    d = d.resolve()
    with locked(d / ".lock"):
        state = read_state(d)
        if state and set(running(d)) == set(components(state)) and bool(state.get("pods")) == pods:
            log(f"already running: {state['server']}")
            return state
        if state:
            log("stopping a partly running plane left in this dir")
            _stop(d)
        t0 = time.monotonic()
        start = _start_pods if pods else _start
        try:
            state = start(d, bins, nodes)
        except ComponentExited as err:
            # Free ports are picked, released, then bound by the component: another process can win that race.
            log(f"{err}\n[cluster] retrying once with new ports")
            state = start(d, bins, nodes)
        if owner_pid:
            _spawn_watchdog(d, owner_pid)
        log(f"ready in {time.monotonic() - t0:.1f}s: {state['server']} (kubeconfig {d / 'kubeconfig'})")
        return state


def _start(d: Path, bins: Path, nodes: int) -> dict[str, Any]:
    """Fresh state, certificates and ports; start every component and wait until the plane is usable."""
    for sub in ("etcd", "pki", "pids", "run", "logs"):
        shutil.rmtree(d / sub, ignore_errors=True)
        (d / sub).mkdir(parents=True)
    (d / "etcd").chmod(0o700)
    names = ["etcd", "etcd-peer", *COMPONENTS[1:]]
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    server = f"https://127.0.0.1:{ports['kube-apiserver']}"
    make_pki(d / "pki", server)
    shutil.copyfile(d / "pki" / "admin.kubeconfig", d / "kubeconfig")
    (d / "kubeconfig").chmod(0o600)
    argv = commands(d, bins, ports)
    state = {"server": server, "ports": ports, "kubeconfig": str(d / "kubeconfig"), "bin": str(bins), "argv": argv}
    state_path(d).write_text(json.dumps(state, indent=2) + "\n")
    env = _component_env()
    # etcd, the API server and KWOK start together (the API server retries etcd, KWOK the API server).
    # The controller manager and scheduler exit if RBAC is not bootstrapped yet: they start after /readyz.
    early = ("etcd", "kube-apiserver", "kwok")
    pids = {name: start(d, name, argv[name], env) for name in early}
    log(f"started {', '.join(f'{n}[{pids[n]}]' for n in early)}; logs in {d / 'logs'}")
    wait = Waiter(d, pids, argv, UP_TIMEOUT)
    try:
        api = Api(server, d / "pki")
        wait.until("the API server to be ready", lambda: api.call("GET", "/readyz")[0] == 200)
        log(f"API server ready ({wait.elapsed():.1f}s)")
        for name in ("kube-controller-manager", "kube-scheduler"):
            pids[name] = start(d, name, argv[name], env)
        _converge(api, wait, ports, nodes)
    except BaseException:
        _stop(d)
        raise
    return state


def _start_pods(d: Path, bins: Path, nodes: int) -> dict[str, Any]:
    """The control plane on the host end of a new node slot, then containerd, kubelet, kube-proxy and kube-router."""
    if nodes != 1:
        raise PlaneError("--pods runs exactly one node")
    for sub in ("etcd", "pki", "pids", "run", "logs", "node"):
        shutil.rmtree(d / sub, ignore_errors=True)
        (d / sub).mkdir(parents=True)
    (d / "etcd").chmod(0o700)
    net = plane_node.allocate()
    names = ["etcd", "etcd-peer", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    server = f"https://{net.host_ip}:{ports['kube-apiserver']}"
    state: dict[str, Any] = {
        "server": server,
        "ports": ports,
        "kubeconfig": str(d / "kubeconfig"),
        "bin": str(bins),
        "node_bin": str(build_node()),
        "components": list(PODS_COMPONENTS),
        "pods": {
            "slot": net.slot,
            "netns": net.netns,
            "node": NODE_NAME,
            "node_ip": net.node_ip,
            "pod_cidr": net.pod_cidr,
            "service_cidr": net.service_cidr,
            "containerd": str(net.containerd_sock),
        },
        "argv": {},
    }
    state_path(d).write_text(json.dumps(state, indent=2) + "\n")  # written first: `down` undoes the slot
    try:
        make_pki(d / "pki", server, net.service_cidr, [net.host_ip, "127.0.0.1"], (NODE_NAME, net.node_ip))
        shutil.copyfile(d / "pki" / "admin.kubeconfig", d / "kubeconfig")
        (d / "kubeconfig").chmod(0o600)
        dns_ref, dns_image = plane_images.coredns_image()
        files = plane_node.write_configs(d, net, server, plane_images.PAUSE_REF, plane_dns.cluster_ip(net.service_cidr))
        argv = {**commands(d, bins, ports, net), **plane_node.commands(d, net, Path(state["node_bin"]), files)}
        state["argv"] = argv
        state_path(d).write_text(json.dumps(state, indent=2) + "\n")
        env = _component_env()
        env["NO_PROXY"] = env["no_proxy"] = (
            f"127.0.0.1,localhost,{net.host_ip},{net.node_ip},{net.pod_cidr},{net.service_cidr}"
        )
        plane_node.record_sysctls()
        pids = {name: start(d, name, argv[name], env) for name in ("etcd", "kube-apiserver", "containerd")}
        wait = Waiter(d, pids, argv, UP_TIMEOUT)
        api = Api(server, d / "pki")
        sock = Path(state["pods"]["containerd"])
        wait.until("containerd's socket", sock.exists)
        for archive in (plane_images.pause_image(), dns_image):
            plane_images.import_into(sock, archive)
        wait.until("the API server to be ready", lambda: api.call("GET", "/readyz")[0] == 200)
        log(f"API server ready ({wait.elapsed():.1f}s)")
        plane_dns.deploy(api.call, net.service_cidr, dns_ref)
        plane_node.make_cgroups(net)
        for name in ("kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy"):
            pids[name] = start(d, name, argv[name], env)
        wait.until(f"node {NODE_NAME} to be Ready (kubelet, containerd, CNI)", lambda: _node_ready(api))
        log(f"node {NODE_NAME} Ready at {net.node_ip} ({wait.elapsed():.1f}s)")
        # kube-router looks its node up once at start and exits if the kubelet has not registered it yet.
        pids["kube-router"] = start(d, "kube-router", argv["kube-router"], env)
        _converge_pods(api, wait, ports, net)
    except BaseException:
        _stop(d)
        raise
    return state


def _node_ready(api: Api) -> bool:
    status, body = api.call("GET", f"/api/v1/nodes/{NODE_NAME}")
    conds = body.get("status", {}).get("conditions", []) if status == 200 else []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)


def _converge_pods(api: Api, wait: Waiter, ports: dict[str, int], net: Net) -> None:
    for name, url in (
        ("kube-proxy", f"http://{net.node_ip}:10256/healthz"),
        ("kube-router", f"http://{net.node_ip}:20244/healthz"),
        ("kube-controller-manager", f"https://127.0.0.1:{ports['kube-controller-manager']}/healthz"),
        ("kube-scheduler", f"https://127.0.0.1:{ports['kube-scheduler']}/healthz"),
    ):
        wait.until(f"{name} healthz", lambda url=url: _healthy(url))
    wait.until(
        "the default ServiceAccount",
        lambda: api.call("GET", "/api/v1/namespaces/default/serviceaccounts/default")[0] == 200,
    )
    log(f"kube-proxy, kube-router and the controllers healthy ({wait.elapsed():.1f}s)")
    wait.until("the cluster DNS (CoreDNS behind kube-dns) to be ready", lambda: plane_dns.ready(api.call))
    log(f"cluster DNS ready at {plane_dns.cluster_ip(net.service_cidr)} ({wait.elapsed():.1f}s)")


def _converge(api: Api, wait: Waiter, ports: dict[str, int], nodes: int) -> None:
    """Create the KWOK nodes and wait until they are Ready and the controllers are healthy."""
    names = [f"kwok-node-{i}" for i in range(nodes)]
    for name in names:
        status, body = api.call("POST", "/api/v1/nodes", node_manifest(name))
        if status not in (201, 409):
            raise PlaneError(f"creating node {name} failed: {status} {body}")

    def nodes_ready() -> bool:
        for name in names:
            status, body = api.call("GET", f"/api/v1/nodes/{name}")
            conds = body.get("status", {}).get("conditions", []) if status == 200 else []
            if not any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds):
                return False
        return True

    wait.until("the KWOK nodes to be Ready", nodes_ready)
    log(f"nodes Ready: {', '.join(names)} ({wait.elapsed():.1f}s)")
    for name in ("kube-controller-manager", "kube-scheduler"):
        wait.until(f"{name} healthz", lambda name=name: _healthy(f"https://127.0.0.1:{ports[name]}/healthz"))
    # Pods are rejected until the service-account controller has made the namespace's default account.
    wait.until(
        "the default ServiceAccount",
        lambda: api.call("GET", "/api/v1/namespaces/default/serviceaccounts/default")[0] == 200,
    )
    log(f"controller-manager and scheduler healthy ({wait.elapsed():.1f}s)")


def _stop(d: Path) -> None:
    """SIGTERM each component (process group) newest first, SIGKILL after a grace period; then undo the node."""
    state = read_state(d) or {}
    net = Net(state["pods"]["slot"]) if state.get("pods") else None
    for name in reversed(components(state)):
        if name == "containerd" and net is not None:
            plane_node.kill_containers(d, net)  # the kubelet is stopped; nothing restarts them now
        _stop_component(d, state, name)
    if net is not None:
        plane_node.kill_containers(d, net)
        unmounted = plane_node.unmount_under(d)
        plane_node.remove_cgroups(net)
        plane_node.delete_netns(net)
        plane_node.restore_sysctls()
        log(f"node removed: {unmounted} mounts, cgroups {net.cgroup}, network namespace {net.netns}")


def _stop_component(d: Path, state: dict[str, Any], name: str) -> None:
    pid_file = d / "pids" / f"{name}.pid"
    try:
        pid = int(pid_file.read_text())
    except (OSError, ValueError):
        return
    binary = program(state.get("argv", {}).get(name, [""]))
    if pid_alive(pid, binary):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while pid_alive(pid, binary) and time.monotonic() < deadline:
            time.sleep(0.05)
        if pid_alive(pid, binary):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)


def down(d: Path) -> None:
    """Stop what `up` started in d and remove its state; logs stay for a post-mortem."""
    d = d.resolve()
    if not state_path(d).exists() and not (d / "pids").exists():
        log(f"nothing to stop in {d}")
        return
    with locked(d / ".lock"):
        _stop(d)
        # node/: containerd's images and snapshots (gigabytes), the kubelet's pod dirs; all unmounted by _stop.
        for sub in ("etcd", "pki", "pids", "run", "node"):
            shutil.rmtree(d / sub, ignore_errors=True)
        for name in ("state.json", "kubeconfig"):
            (d / name).unlink(missing_ok=True)
    log(f"stopped; logs kept in {d / 'logs'}")


def _spawn_watchdog(d: Path, owner_pid: int) -> None:
    """Stop the plane when owner_pid exits, so a killed test run leaves no processes behind."""
    argv = [sys.executable, str(Path(__file__).resolve()), "watch", "--dir", str(d), "--owner-pid", str(owner_pid)]
    with (d / "logs" / "watchdog.log").open("wb") as out:
        subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def watch(d: Path, owner_pid: int) -> None:
    state = read_state(d)
    while state is not None and read_state(d) == state:
        try:
            os.kill(owner_pid, 0)
        except ProcessLookupError:
            log(f"owner {owner_pid} is gone; stopping the plane")
            down(d)
            return
        except PermissionError:
            pass
        time.sleep(1)


def _script_output(script: str) -> Path:
    """The path a hack/ build script prints last (it builds or finds what it names, cached)."""
    proc = subprocess.run(["bash", str(ROOT / "hack" / script)], capture_output=True, text=True, check=False)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise PlaneError(f"hack/{script} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return Path(lines[-1])


def images(d: Path, examples: bool, build_only: bool = False) -> list[str]:
    """Build (cached by source hash) and import into the node's containerd: `name=<image ref>` per image."""
    d = d.resolve()
    state = read_state(d)
    if not build_only and (state is None or not state.get("pods")):
        raise PlaneError(f"no --pods plane in {d}; run `hack/cluster up --pods --dir {d}` first")
    with locked(CACHE / ".locks" / "images-build.lock"):  # two test sessions build each image once
        built = {
            "operator": plane_images.dockerfile_image("operator"),
            "sidecar": plane_images.dockerfile_image("sidecar"),
        }
        if examples:
            node_modules = _script_output("install-peers.sh") / "node_modules"
            built["mcp-python"] = plane_images.mcp_python_image()
            built["evil-weather"] = plane_images.evil_weather_image()
            built["server-everything"] = plane_images.everything_image(node_modules)
            built["otelcol"] = plane_images.collector_image(_script_output("build-otelcol.sh"))
    if build_only or state is None:
        return [f"{name}={ref}" for name, (ref, _) in built.items()]
    sock = Path(state["pods"]["containerd"])
    done = d / "node" / "imported.txt"
    imported = set(done.read_text().split()) if done.exists() else set()
    todo = [(ref, archive) for ref, archive in built.values() if archive.name not in imported]

    def one(ref: str, archive: Path) -> None:
        t0 = time.monotonic()
        plane_images.import_into(sock, archive)
        log(f"imported {ref} ({time.monotonic() - t0:.1f}s)")

    # Imports overlap well (reading, hashing, unpacking): three at a time take about half as long as in a row.
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        for future in [pool.submit(one, ref, archive) for ref, archive in todo]:
            future.result()
    with done.open("a") as fh:
        fh.writelines(archive.name + "\n" for _, archive in todo)
    return [f"{name}={ref}" for name, (ref, _) in built.items()]


def env_lines(d: Path) -> list[str]:
    d = d.resolve()
    state = read_state(d)
    if state is None:
        raise PlaneError(f"no plane in {d}; run `hack/cluster up --dir {d}` first")
    path = f"{state['bin']}:{ROOT / '.venv' / 'bin'}"
    return [f"export KUBECONFIG={state['kubeconfig']}", f'export PATH="{path}:$PATH"']


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hack/cluster", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_build = sub.add_parser("build", help="build the binaries (once per pinned versions); prints the bin dir")
    p_build.add_argument("--check", action="store_true", help="only check: exit 3 if a build is still needed")
    p_build.add_argument("--pods", action="store_true", help="the node binaries of `up --pods` too")
    p_up = sub.add_parser("up", help="start the plane and wait until it is ready; prints the kubeconfig path")
    p_up.add_argument("--nodes", type=int, default=1, help="number of KWOK nodes (default 1)")
    p_up.add_argument("--owner-pid", type=int, help="stop the plane when this process exits")
    p_up.add_argument(
        "--pods",
        action="store_true",
        help="a real node instead of KWOK: containerd, kubelet, kube-proxy, kube-router (root, Debian packages)",
    )
    p_images = sub.add_parser(
        "images", help="build the operator and sidecar images, import them into the --pods node, print name=ref"
    )
    p_images.add_argument(
        "--examples", action="store_true", help="also server-everything, evil-weather, mcp-python and otelcol"
    )
    p_images.add_argument("--build-only", action="store_true", help="build (or find) them; import nothing")
    p_down = sub.add_parser("down", help="stop the plane and remove its state")
    p_env = sub.add_parser("env", help="print shell exports for KUBECONFIG and PATH")
    p_watch = sub.add_parser("watch", help="(internal) stop the plane in --dir once --owner-pid exits")
    p_watch.add_argument("--owner-pid", type=int, required=True)
    for p in (p_up, p_down, p_env, p_watch, p_images):
        p.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"state dir (default {DEFAULT_DIR})")
    args = parser.parse_args(argv)
    try:
        if args.cmd == "build" and args.check:
            if not built() or (args.pods and not (node_built() and dns_bin().is_file())):
                log("not built yet: run `make cluster-bins` or `hack/cluster build` (cold: ~25 min on 2 cores)")
                return 3
            print(bin_dir())
        elif args.cmd == "build":
            print(build())
            if args.pods:
                build_node()
                build_dns()
        elif args.cmd == "up":
            if args.nodes < 1:
                raise PlaneError("--nodes must be at least 1")
            print(up(args.dir, args.nodes, args.owner_pid, args.pods)["kubeconfig"])
        elif args.cmd == "images":
            print("\n".join(images(args.dir, args.examples, args.build_only)))
        elif args.cmd == "down":
            down(args.dir)
        elif args.cmd == "env":
            print("\n".join(env_lines(args.dir)))
        else:
            watch(args.dir.resolve(), args.owner_pid)
    except PlaneError as err:
        log(f"error: {err}")
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

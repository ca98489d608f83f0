"""The real node of `hack/cluster up --pods`: containerd + runc, kubelet, kube-proxy and kube-router.

Everything of one node lives in its own network namespace `gm-pods-<slot>`, joined to the host by a veth pair
(host 10.250.<slot>.1, node 10.250.<slot>.2), so the CNI bridge, the pods' routes, and the iptables and ipset rules
of kube-proxy and kube-router never touch the host's tables; deleting the namespace removes them all. The host
routes the slot's pod and Service ranges into it, which is how the API server reaches webhooks behind a Service
and the kubelet by its InternalIP. The node has no default route: pods reach nothing outside this machine.

What the node cannot keep to itself, `down` undoes: mounts (all under the state dir), the cgroups under
`/guardmesh-<slot>` in each v1 hierarchy, leftover container processes, and the kernel settings the kubelet
changes at start (recorded before the first node of the machine starts, restored when the last one stops).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plane_build import CACHE, PlaneError, locked, log

NETNS_PREFIX = "gm-pods-"
MAX_SLOTS = 32
NODE_NAME = "pods-node"
CGROUP_ROOT = Path("/sys/fs/cgroup")
CNI_BIN = Path("/usr/lib/cni")
# Debian packages the node needs, by the command each one brings (hack/install-apt.sh installs them).
HOST_TOOLS = {
    "containerd": "containerd",
    "runc": "runc",
    "ctr": "containerd",
    "iptables": "iptables",
    "ipset": "ipset",
    "nsenter": "util-linux",
    "ip": "iproute2",
}
# The kubelet sets these at start (there is no mode that leaves them alone); they are machine-wide.
KUBELET_SYSCTLS = (
    "vm/overcommit_memory",
    "vm/panic_on_oom",
    "kernel/panic",
    "kernel/panic_on_oops",
    "kernel/keys/root_maxkeys",
    "kernel/keys/root_maxbytes",
)
# Each kubelet, kube-proxy, containerd and controller manager holds several inotify instances, and every plane on
# this machine runs as root: the default 128 per user ran out with three nodes and a few test planes ("too many
# open files" from kube-proxy). A node raises it to this while it runs (as kind's documentation advises too).
INOTIFY_INSTANCES = ("fs/inotify/max_user_instances", 1024)
SYSCTL_RECORD = CACHE / "pods" / "sysctls-before.json"


@dataclass(frozen=True)
class Net:
    """The addresses of one slot."""

    slot: int

    @property
    def netns(self) -> str:
        return f"{NETNS_PREFIX}{self.slot}"

    @property
    def host_if(self) -> str:
        return f"gmh{self.slot}"

    @property
    def host_ip(self) -> str:
        return f"10.250.{self.slot}.1"

    @property
    def node_ip(self) -> str:
        return f"10.250.{self.slot}.2"

    @property
    def pod_cidr(self) -> str:
        return f"10.{200 + self.slot}.0.0/16"

    @property
    def node_pod_cidr(self) -> str:
        """The node's share of the pod range (the controller manager allocates the first /24 to the only node)."""
        return f"10.{200 + self.slot}.0.0/24"

    @property
    def service_cidr(self) -> str:
        return f"10.{100 + self.slot}.0.0/16"

    @property
    def cgroup(self) -> str:
        return f"/guardmesh-{self.slot}"

    @property
    def run_dir(self) -> Path:
        """containerd's sockets: a unix socket path must stay under 104 bytes, which a test's temp dir is not."""
        return Path("/run") / self.netns

    @property
    def containerd_sock(self) -> Path:
        return self.run_dir / "containerd.sock"


def _run(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise PlaneError(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc


def check_host() -> None:
    """Fail early, with the step to run, when this machine cannot run a node."""
    if os.geteuid() != 0:
        raise PlaneError("--pods needs root: it creates a network namespace, mounts and cgroups")
    missing = sorted({pkg for tool, pkg in HOST_TOOLS.items() if shutil.which(tool) is None})
    missing += [] if (CNI_BIN / "bridge").is_file() else ["containernetworking-plugins"]
    if missing:
        raise PlaneError(f"missing Debian packages {' '.join(missing)}: run `make apt` (hack/install-apt.sh)")
    if not (CGROUP_ROOT / "memory").is_dir() and not (CGROUP_ROOT / "cgroup.controllers").exists():
        raise PlaneError(f"no cgroup hierarchy found under {CGROUP_ROOT}")


def _netns_list() -> set[str]:
    out = _run("ip", "netns", "list", check=False).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def allocate() -> Net:
    """The lowest free slot; the namespace made here is the claim."""
    with locked(CACHE / ".locks" / "pods-slots.lock"):
        taken = _netns_list()
        for slot in range(MAX_SLOTS):
            net = Net(slot)
            if net.netns not in taken:
                _make_netns(net)
                return net
    raise PlaneError(f"all {MAX_SLOTS} node slots are taken (ip netns list)")


def _make_netns(net: Net) -> None:
    _run("ip", "netns", "add", net.netns)
    try:
        _run("ip", "link", "add", net.host_if, "type", "veth", "peer", "name", "eth0", "netns", net.netns)
        _run("ip", "addr", "add", f"{net.host_ip}/30", "dev", net.host_if)
        _run("ip", "link", "set", net.host_if, "up")
        inside = ("ip", "-n", net.netns)
        _run(*inside, "addr", "add", f"{net.node_ip}/30", "dev", "eth0")
        _run(*inside, "link", "set", "eth0", "up")
        _run(*inside, "link", "set", "lo", "up")
        for cidr in (net.pod_cidr, net.service_cidr):
            _run("ip", "route", "add", cidr, "via", net.node_ip, "dev", net.host_if)
        # Per network namespace: the node routes between its bridge and its link to the host.
        _run("nsenter", f"--net=/run/netns/{net.netns}", "sysctl", "-qw", "net.ipv4.ip_forward=1")
    except PlaneError:
        _run("ip", "netns", "del", net.netns, check=False)
        raise


def in_node(net: Net, argv: list[str]) -> list[str]:
    """argv run inside the node's network namespace (and the host's mount namespace, which kubelet and runc share)."""
    return ["nsenter", f"--net=/run/netns/{net.netns}", "--", *argv]


# --- configuration files -------------------------------------------------------------------------


def write_configs(d: Path, net: Net, server: str, pause_ref: str, cluster_dns: str) -> dict[str, Path]:
    """containerd, CNI, kubelet and kube-proxy configuration under d/node."""
    node = d / "node"
    for sub in ("containerd", "cni/net.d", "cni/ipam", "kubelet", "pod-logs"):
        (node / sub).mkdir(parents=True, exist_ok=True)
    pki = d / "pki"
    files = {
        "containerd": node / "containerd.toml",
        "cni": node / "cni" / "net.d" / "10-guardmesh.conflist",
        "kubelet": node / "kubelet.yaml",
        "kube-proxy": node / "kube-proxy.yaml",
    }
    sock = net.containerd_sock
    net.run_dir.mkdir(parents=True, exist_ok=True)
    files["containerd"].write_text(
        f"""version = 2
root = "{node / "containerd" / "root"}"
state = "{node / "containerd" / "state"}"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "{sock}"

[ttrpc]
  address = "{sock}.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "{node / "containerd" / "opt"}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{pause_ref}"
  # Root here lacks CAP_SYS_RESOURCE: no process may get a lower OOM score than containerd's own.
  restrict_oom_score_adj = true
  # Pod network namespaces are mounted under the state dir, so `down` finds every mount in one tree.
  netns_mounts_under_state_dir = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "{shutil.which("runc") or "runc"}"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{CNI_BIN}"
    conf_dir = "{node / "cni" / "net.d"}"
"""
    )
    cni = {
        "cniVersion": "0.4.0",
        "name": "guardmesh",
        "plugins": [
            {
                "type": "bridge",
                "bridge": "cni0",
                "isGateway": True,
                "ipMasq": True,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{"subnet": net.node_pod_cidr}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                    "dataDir": str(node / "cni" / "ipam"),
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }
    files["cni"].write_text(json.dumps(cni, indent=2) + "\n")
    kubelet: dict[str, Any] = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        # This machine has cgroup v1 (hybrid) and no systemd; kubelet 1.35+ refuses v1 unless told otherwise.
        "failCgroupV1": False,
        "cgroupDriver": "cgroupfs",
        "cgroupRoot": net.cgroup,
        "containerRuntimeEndpoint": f"unix://{sock}",
        "address": net.node_ip,
        "port": 10250,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": 10248,
        "tlsCertFile": str(pki / "kubelet-serving.crt"),
        "tlsPrivateKeyFile": str(pki / "kubelet-serving.key"),
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True},
            "x509": {"clientCAFile": str(pki / "ca.crt")},
        },
        "authorization": {"mode": "Webhook"},
        # The kube-dns Service (CoreDNS, hack/k8s/plane_dns.py): every ClusterFirst pod's nameserver.
        "clusterDNS": [cluster_dns],
        "clusterDomain": "cluster.local",
        "resolvConf": str(node / "resolv.conf"),
        "podLogsDir": str(node / "pod-logs"),
        "failSwapOn": False,
        "serializeImagePulls": False,
        # A shared test machine: evict only when it is really full; never garbage-collect the images built here.
        "evictionHard": {"memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%"},
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "syncFrequency": "10s",
        "nodeStatusUpdateFrequency": "5s",
        "shutdownGracePeriod": "0s",
        "enableControllerAttachDetach": True,
        "maxPods": 60,
    }
    files["kubelet"].write_text(json.dumps(kubelet, indent=2) + "\n")
    # The node's own resolver, which pods with dnsPolicy Default (CoreDNS itself) get: none, since the node has no
    # route out of this machine. Cluster names are CoreDNS's.
    (node / "resolv.conf").write_text("# no upstream resolver: the node reaches nothing outside this machine\n")
    proxy = {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "clientConnection": {"kubeconfig": str(pki / "kube-proxy.kubeconfig")},
        "mode": "iptables",
        "clusterCIDR": net.pod_cidr,
        "hostnameOverride": NODE_NAME,
        "bindAddress": net.node_ip,
        "healthzBindAddress": f"{net.node_ip}:10256",
        "metricsBindAddress": "127.0.0.1:10249",
        # Zeros: leave the conntrack sysctls alone (they are machine-wide).
        "conntrack": {"maxPerCore": 0, "min": 0, "tcpEstablishedTimeout": "0s", "tcpCloseWaitTimeout": "0s"},
        "oomScoreAdj": 0,
        "iptables": {"syncPeriod": "30s", "minSyncPeriod": "0s"},
    }
    files["kube-proxy"].write_text(json.dumps(proxy, indent=2) + "\n")
    return files


def commands(d: Path, net: Net, bins: Path, files: dict[str, Path]) -> dict[str, list[str]]:
    pki = d / "pki"
    node = d / "node"
    return {
        "containerd": in_node(net, [shutil.which("containerd") or "containerd", "--config", str(files["containerd"])]),
        "kubelet": in_node(
            net,
            [
                str(bins / "kubelet"),
                f"--config={files['kubelet']}",
                f"--kubeconfig={pki / 'kubelet.kubeconfig'}",
                f"--root-dir={node / 'kubelet'}",
                f"--cert-dir={node / 'kubelet' / 'pki'}",
                f"--hostname-override={NODE_NAME}",
                f"--node-ip={net.node_ip}",
                "--node-labels=guardmesh.dev/node=pods",
                # Root here lacks CAP_SYS_RESOURCE, so the default -999 cannot be set.
                "--oom-score-adj=0",
                "--v=1",
            ],
        ),
        "kube-proxy": in_node(net, [str(bins / "kube-proxy"), f"--config={files['kube-proxy']}", "--v=1"]),
        "kube-router": in_node(
            net,
            [
                str(bins / "kube-router"),
                f"--kubeconfig={pki / 'kube-router.kubeconfig'}",
                "--run-firewall=true",
                "--run-router=false",
                "--run-service-proxy=false",
                "--enable-cni=false",
                f"--hostname-override={NODE_NAME}",
                "--health-port=20244",
                "--metrics-port=0",
                "--iptables-sync-period=30s",
                "--v=1",
            ],
        ),
    }


# --- kernel settings the kubelet changes ---------------------------------------------------------


def record_sysctls() -> None:
    """Remember the machine's values before the first node of the machine starts; raise the inotify limit."""
    with locked(CACHE / ".locks" / "pods-sysctls.lock"):
        if SYSCTL_RECORD.exists():
            return
        keys = (*KUBELET_SYSCTLS, INOTIFY_INSTANCES[0])
        values = {key: (Path("/proc/sys") / key).read_text().strip() for key in keys}
        SYSCTL_RECORD.parent.mkdir(parents=True, exist_ok=True)
        SYSCTL_RECORD.write_text(json.dumps(values, indent=2) + "\n")
        key, wanted = INOTIFY_INSTANCES
        if int(values[key]) < wanted:
            (Path("/proc/sys") / key).write_text(f"{wanted}\n")


def restore_sysctls() -> None:
    """Put back what the kubelet changed, once no node of this machine runs any more."""
    with locked(CACHE / ".locks" / "pods-sysctls.lock"):
        if any(name.startswith(NETNS_PREFIX) for name in _netns_list()) or not SYSCTL_RECORD.exists():
            return
        values: dict[str, str] = json.loads(SYSCTL_RECORD.read_text())
        for key, value in values.items():
            with contextlib.suppress(OSError):
                (Path("/proc/sys") / key).write_text(value + "\n")
        SYSCTL_RECORD.unlink()
        log("restored the kernel settings the node had changed: " + ", ".join(f"{k}={v}" for k, v in values.items()))


# --- tearing down ----------------------------------------------------------------------------------


def _cgroup_dirs(net: Net) -> list[Path]:
    """The node's cgroup directories in every hierarchy, deepest first. os.walk, not Path.rglob: runc removes a
    container's cgroups while its processes are killed, and rglob raises on a directory that vanished mid-walk."""
    found: list[Path] = []
    for hierarchy in CGROUP_ROOT.iterdir():
        for top, _, _ in os.walk(hierarchy / net.cgroup.lstrip("/")):
            found.append(Path(top))
    return sorted(found, key=lambda p: len(p.parts), reverse=True)


def _pids_in_cgroups(net: Net) -> set[int]:
    pids: set[int] = set()
    for cgroup in _cgroup_dirs(net):
        with contextlib.suppress(OSError, ValueError):
            pids.update(int(p) for p in (cgroup / "cgroup.procs").read_text().split())
    return pids


def _shim_pids(net: Net) -> set[int]:
    """containerd-shim processes of this node's containerd (they name its socket on their command line)."""
    sock = str(net.containerd_sock).encode()
    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            cmdline = (proc / "cmdline").read_bytes()
            if b"containerd-shim" in cmdline and sock in cmdline:
                found.add(int(proc.name))
    return found


def kill_containers(d: Path, net: Net) -> None:
    """SIGKILL every process left in the node's cgroups and every shim of its containerd."""
    for _ in range(20):
        pids = _pids_in_cgroups(net) | _shim_pids(net)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)
    log(f"warning: processes still in {net.cgroup} after SIGKILL: {sorted(_pids_in_cgroups(net))}")


_MNT_DETACH = 2


def unmount_under(d: Path) -> int:
    """Lazily unmount every mount point under d, deepest first; the number unmounted."""
    libc = ctypes.CDLL(None, use_errno=True)
    prefix = str(d.resolve()) + "/"
    count = 0
    for _ in range(5):
        points = []
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            point = line.split()[4].replace("\\040", " ")
            if point.startswith(prefix):
                points.append(point)
        if not points:
            break
        for point in sorted(points, key=len, reverse=True):
            if libc.umount2(point.encode(), _MNT_DETACH) == 0:
                count += 1
    return count


def make_cgroups(net: Net) -> None:
    """The kubelet's --cgroup-root must exist in every hierarchy before it starts."""
    for hierarchy in CGROUP_ROOT.iterdir():
        base = hierarchy / net.cgroup.lstrip("/")
        if not hierarchy.is_dir() or base.is_dir():
            continue
        base.mkdir()
        if (hierarchy / "cpuset.cpus").exists():  # a new cpuset has no CPUs or memory nodes until given its parent's
            for name in ("cpuset.cpus", "cpuset.mems"):
                (base / name).write_text((hierarchy / name).read_text())


def remove_cgroups(net: Net) -> None:
    for cgroup in _cgroup_dirs(net):
        with contextlib.suppress(OSError):
            cgroup.rmdir()


def delete_netns(net: Net) -> None:
    """Deleting the namespace removes the veth pair, the host routes through it and every rule inside."""
    _run("ip", "netns", "del", net.netns, check=False)
    _run("ip", "link", "del", net.host_if, check=False)
    shutil.rmtree(net.run_dir, ignore_errors=True)

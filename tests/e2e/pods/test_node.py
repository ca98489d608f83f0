"""The real node of `hack/cluster up --pods` itself: what runs, and that `down` leaves nothing behind."""

from __future__ import annotations

import ipaddress
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.pods.conftest import probe
from tests.support.cluster import HACK_CLUSTER, Cluster, PodsCluster, wait_until

pytestmark = pytest.mark.e2e


def _hack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HACK_CLUSTER), *args], capture_output=True, text=True, timeout=600, check=False)


def test_the_node_runs_kubelet_and_containerd_in_its_own_network_namespace(pods: PodsCluster) -> None:
    state = pods.state()["pods"]
    (node,) = pods.kubectl_json("get", "nodes")["items"]
    info = node["status"]["nodeInfo"]
    assert info["kubeletVersion"] == "v1.36.3"
    assert info["containerRuntimeVersion"].startswith("containerd://1.")
    addresses = {a["type"]: a["address"] for a in node["status"]["addresses"]}
    assert addresses["InternalIP"] == state["node_ip"]
    assert node["spec"]["podCIDR"] == state["pod_cidr"].replace(".0.0/16", ".0.0/24")
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert state["netns"] in netns
    # kube-proxy's and kube-router's rules are inside the node's namespace, not in the host's tables.
    inside = subprocess.run(
        ["ip", "netns", "exec", state["netns"], "iptables-save"], capture_output=True, text=True, check=True
    ).stdout
    assert "KUBE-SERVICES" in inside
    assert "KUBE-ROUTER" in inside
    host = subprocess.run(["iptables-save"], capture_output=True, text=True, check=True).stdout
    assert f"{state['netns']}" not in host
    assert state["service_cidr"].split("/")[0] not in host


def test_service_names_resolve_in_pods(pods: PodsCluster, app_namespace: str) -> None:
    """CoreDNS behind the kube-dns Service, whose address the kubelet gives every pod as its nameserver."""
    dns_ip = str(ipaddress.ip_network(pods.state()["pods"]["service_cidr"])[10])
    assert pods.kubectl_json("get", "service", "kube-dns", "-n", "kube-system")["spec"]["clusterIP"] == dns_ip
    resolv = pods.kubectl("exec", "-n", app_namespace, "client", "--", "cat", "/etc/resolv.conf").splitlines()
    assert f"nameserver {dns_ip}" in resolv
    assert f"search {app_namespace}.svc.cluster.local svc.cluster.local cluster.local" in resolv
    api = pods.kubectl("get", "service", "kubernetes", "-n", "default", "-o", "jsonpath={.spec.clusterIP}")
    server = pods.kubectl("get", "service", "everything", "-n", app_namespace, "-o", "jsonpath={.spec.clusterIP}")
    for name, address in (
        ("kubernetes.default.svc", api),  # where a pod's clients find the API server's keys
        ("everything", server),  # a Service of the pod's own namespace, through the search list
        (f"everything.{app_namespace}.svc.cluster.local", server),
    ):
        assert probe(pods, "resolve", name) == {"addresses": [address]}, name
    # No upstream: the node reaches nothing outside this machine, and other names fail at once.
    assert "error" in probe(pods, "resolve", "example.com")
    (coredns,) = pods.kubectl_json("get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-dns")["items"]
    assert coredns["spec"]["containers"][0]["image"].startswith("localhost/guardmesh/coredns:v1.15.0-")
    assert coredns["spec"]["securityContext"]["runAsUser"] == 65532
    assert coredns["status"]["containerStatuses"][0]["restartCount"] == 0


def _mounts_under(path: Path) -> list[str]:
    prefix = str(path.resolve()) + "/"
    lines = Path("/proc/self/mountinfo").read_text().splitlines()
    return [line.split()[4] for line in lines if line.split()[4].startswith(prefix)]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_up_pods_runs_a_container_and_down_undoes_everything(tmp_path: Path) -> None:
    """A second node on its own slot: a pod of the pause image runs; `down` removes processes, containers,
    mounts, cgroups, the network namespace and its host routes."""
    d = tmp_path / "node"
    up = _hack("up", "--pods", "--dir", str(d))
    assert up.returncode == 0, up.stderr[-4000:]
    state: dict[str, Any] = json.loads((d / "state.json").read_text())
    try:
        plane = Cluster(Path(up.stdout.strip()), state["server"], Path(state["bin"]))
        pause = "localhost/guardmesh/pause:3.10.2"
        plane.apply(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "sleeper", "namespace": "default"},
                "spec": {"containers": [{"name": "pause", "image": pause, "imagePullPolicy": "Never"}]},
            }
        )

        def running() -> dict[str, Any] | None:
            pod: dict[str, Any] = plane.kubectl_json("get", "pod", "sleeper", "-n", "default")
            return pod if pod["status"].get("phase") == "Running" else None

        pod = wait_until("the pause pod to run", running, timeout=120, interval=1)
        assert pod["status"]["podIP"].startswith(state["pods"]["pod_cidr"].split(".0.0/")[0])
        pids = [int(p.read_text()) for p in (d / "pids").glob("*.pid")]
        assert len(pids) == 8
        # The second node has its own cluster DNS, on its own Service range.
        dns = plane.kubectl("get", "service", "kube-dns", "-n", "kube-system", "-o", "jsonpath={.spec.clusterIP}")
        assert dns == str(ipaddress.ip_network(state["pods"]["service_cidr"])[10])
        cgroup = Path("/sys/fs/cgroup/memory") / f"guardmesh-{state['pods']['slot']}"
        assert any(cgroup.rglob("cgroup.procs"))
        assert _mounts_under(d)
    finally:
        down = _hack("down", "--dir", str(d))
    assert down.returncode == 0, down.stderr[-4000:]
    assert not any(_alive(pid) for pid in pids)
    assert _mounts_under(d) == []
    assert not cgroup.exists()
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert state["pods"]["netns"] not in netns
    routes = subprocess.run(["ip", "route"], capture_output=True, text=True, check=True).stdout
    assert state["pods"]["pod_cidr"] not in routes
    for trace in (str(d), state["pods"]["containerd"]):  # containerd's shims name its socket
        left = subprocess.run(["pgrep", "-af", trace], capture_output=True, text=True, check=False).stdout
        assert left.strip() == "", left
    assert not Path(state["pods"]["containerd"]).parent.exists()

"""The local control plane (hack/cluster) does what the operator's tests rely on."""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import ipaddress
import json
import ssl
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.cluster import HACK_CLUSTER, Cluster, wait_until

pytestmark = pytest.mark.e2e

KWOK_ANNOTATION = "kwok.x-k8s.io/node"
MUTATED_LABEL = "webhook.test.guardmesh.dev/mutated"


@pytest.fixture(scope="module")
def namespace(cluster: Cluster) -> Iterator[str]:
    name = f"gm-cluster-{uuid.uuid4().hex[:8]}"
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false")


def _jwt_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def test_server_is_kubernetes_1_36(cluster: Cluster) -> None:
    version = json.loads(cluster.kubectl("version", "-o", "json"))["serverVersion"]
    assert version["gitVersion"].startswith("v1.36."), version
    assert (version["major"], version["minor"]) == ("1", "36")
    assert cluster.server.startswith("https://127.0.0.1:")


def test_nodes_are_kwok_and_ready(cluster: Cluster) -> None:
    nodes = cluster.kubectl_json("get", "nodes")["items"]
    assert nodes, "no nodes"
    for node in nodes:
        assert node["metadata"]["annotations"].get(KWOK_ANNOTATION) == "fake"
        ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
        assert [c["status"] for c in ready] == ["True"], node["status"]["conditions"]


def test_deployment_yields_running_pods_on_kwok_nodes(cluster: Cluster, namespace: str) -> None:
    labels = {"app": "probe"}
    cluster.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "probe", "namespace": namespace},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    # KWOK never pulls images; the name only has to be valid.
                    "spec": {"containers": [{"name": "main", "image": "registry.invalid/guardmesh/probe:1"}]},
                },
            },
        }
    )

    def running_pods() -> list[dict[str, Any]] | None:
        pods: list[dict[str, Any]] = cluster.kubectl_json("get", "pods", "-n", namespace, "-l", "app=probe")["items"]
        up = [p for p in pods if p["status"].get("phase") == "Running"]
        return up if len(up) == 2 else None

    pods = wait_until("2 Running pods of the Deployment", running_pods)
    kwok_nodes = {
        n["metadata"]["name"]
        for n in cluster.kubectl_json("get", "nodes")["items"]
        if n["metadata"]["annotations"].get(KWOK_ANNOTATION) == "fake"
    }
    pod_net = ipaddress.ip_network("10.244.0.0/16")
    for pod in pods:
        assert pod["spec"]["nodeName"] in kwok_nodes
        assert ipaddress.ip_address(pod["status"]["podIP"]) in pod_net
        owner = pod["metadata"]["ownerReferences"][0]
        assert owner["kind"] == "ReplicaSet"
        assert owner["name"].startswith("probe-")
    # The service-account admission plugin mounted a projected token, so the account existed.
    volumes = pods[0]["spec"]["volumes"]
    assert any(v["name"].startswith("kube-api-access-") for v in volumes), volumes

    def ready_deployment() -> dict[str, Any] | None:
        deployment: dict[str, Any] = cluster.kubectl_json("get", "deployment", "probe", "-n", namespace)
        return deployment if deployment["status"].get("readyReplicas") == 2 else None

    assert wait_until("the Deployment to count 2 ready replicas", ready_deployment)["status"]["replicas"] == 2


def test_service_account_tokens(cluster: Cluster, namespace: str) -> None:
    wait_until(
        "the default ServiceAccount of the namespace",
        lambda: cluster.kubectl("get", "serviceaccount", "default", "-n", namespace, check=False),
    )
    # TokenRequest: signed by the API server's service-account key.
    token = cluster.kubectl("create", "token", "default", "-n", namespace).strip()
    assert _jwt_claims(token)["sub"] == f"system:serviceaccount:{namespace}:default"
    # A legacy token Secret is filled in by the controller manager's token controller.
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/service-account-token",
            "metadata": {
                "name": "default-token",
                "namespace": namespace,
                "annotations": {"kubernetes.io/service-account.name": "default"},
            },
        }
    )
    data = wait_until(
        "the token controller to fill the Secret",
        lambda: cluster.kubectl_json("get", "secret", "default-token", "-n", namespace).get("data", {}).get("token"),
    )
    claims = _jwt_claims(base64.b64decode(data).decode())
    assert claims["sub"] == f"system:serviceaccount:{namespace}:default"
    root_ca = cluster.kubectl_json("get", "configmap", "kube-root-ca.crt", "-n", namespace)
    assert "BEGIN CERTIFICATE" in root_ca["data"]["ca.crt"]


# --- a mutating webhook served by this process on loopback --------------------------------------


def _self_signed(tmp: Path) -> tuple[Path, Path, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "guardmesh-test-webhook")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp / "tls.crt").write_bytes(cert_pem)
    (tmp / "tls.key").write_bytes(key_pem)
    return tmp / "tls.crt", tmp / "tls.key", cert_pem


class _Webhook(http.server.BaseHTTPRequestHandler):
    """Answers AdmissionReviews with a patch that adds MUTATED_LABEL, and records each review."""

    reviews: list[dict[str, Any]]

    def do_POST(self) -> None:
        review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.reviews.append(review)
        patch = [{"op": "add", "path": "/metadata/labels", "value": {MUTATED_LABEL: "true"}}]
        body = json.dumps(
            {
                "apiVersion": "admission.k8s.io/v1",
                "kind": "AdmissionReview",
                "response": {
                    "uid": review["request"]["uid"],
                    "allowed": True,
                    "patchType": "JSONPatch",
                    "patch": base64.b64encode(json.dumps(patch).encode()).decode(),
                },
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_api_server_calls_a_loopback_https_webhook(cluster: Cluster, namespace: str, tmp_path: Path) -> None:
    cert, key, ca_pem = _self_signed(tmp_path)
    reviews: list[dict[str, Any]] = []
    handler = type("Handler", (_Webhook,), {"reviews": reviews})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    config_name = f"{namespace}-probe"
    try:
        cluster.apply(
            {
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "MutatingWebhookConfiguration",
                "metadata": {"name": config_name},
                "webhooks": [
                    {
                        "name": "probe.test.guardmesh.dev",
                        "clientConfig": {
                            "url": f"https://127.0.0.1:{server.server_address[1]}/mutate",
                            "caBundle": base64.b64encode(ca_pem).decode(),
                        },
                        "rules": [
                            {
                                "apiGroups": [""],
                                "apiVersions": ["v1"],
                                "operations": ["CREATE"],
                                "resources": ["configmaps"],
                            }
                        ],
                        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
                        "sideEffects": "None",
                        "admissionReviewVersions": ["v1"],
                        "failurePolicy": "Fail",
                        "timeoutSeconds": 10,
                    }
                ],
            }
        )
        attempts = iter(range(1_000))

        def mutated_configmap() -> dict[str, Any] | None:
            # The API server picks up a new webhook configuration asynchronously: create until one is mutated.
            name = f"probe-{next(attempts)}"
            cluster.kubectl("create", "configmap", name, "-n", namespace, "--from-literal=k=v")
            cm: dict[str, Any] = cluster.kubectl_json("get", "configmap", name, "-n", namespace)
            return cm if cm["metadata"].get("labels", {}).get(MUTATED_LABEL) == "true" else None

        cm = wait_until("the API server to call the webhook", mutated_configmap)
    finally:
        cluster.kubectl("delete", "mutatingwebhookconfiguration", config_name, "--ignore-not-found")
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    request = next(r["request"] for r in reviews if r["request"]["name"] == cm["metadata"]["name"])
    assert request["kind"] == {"group": "", "version": "v1", "kind": "ConfigMap"}
    assert request["namespace"] == namespace
    assert request["operation"] == "CREATE"
    assert "system:masters" in request["userInfo"]["groups"]


def test_pod_with_a_native_sidecar_runs(cluster: Cluster, namespace: str) -> None:
    """The injected sidecar is an init container with restartPolicy Always; KWOK must report it running."""
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "sidecar-probe", "namespace": namespace},
            "spec": {
                "initContainers": [
                    {"name": "guard", "image": "registry.invalid/guardmesh/sidecar:1", "restartPolicy": "Always"}
                ],
                "containers": [{"name": "main", "image": "registry.invalid/guardmesh/probe:1"}],
            },
        }
    )

    def running() -> dict[str, Any] | None:
        pod: dict[str, Any] = cluster.kubectl_json("get", "pod", "sidecar-probe", "-n", namespace)
        return pod if pod["status"].get("phase") == "Running" else None

    status = wait_until("the pod with a native sidecar to run", running)["status"]
    (sidecar,) = status["initContainerStatuses"]
    assert sidecar["name"] == "guard"
    assert sidecar["started"] is True
    assert "running" in sidecar["state"]


def _hack_cluster(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HACK_CLUSTER), *args], capture_output=True, text=True, timeout=300, check=False)


def test_hack_cluster_up_env_down(tmp_path: Path) -> None:
    """The CLI on its own plane: up (two nodes), up again is a no-op, env, down stops every process."""
    d = str(tmp_path / "plane")
    first = _hack_cluster("up", "--dir", d, "--nodes", "2")
    assert first.returncode == 0, first.stderr
    try:
        kubeconfig = Path(first.stdout.strip())
        assert kubeconfig == tmp_path / "plane" / "kubeconfig"
        state = json.loads((tmp_path / "plane" / "state.json").read_text())
        pids = [int(p.read_text()) for p in (tmp_path / "plane" / "pids").glob("*.pid")]
        assert len(pids) == 5
        again = _hack_cluster("up", "--dir", d)
        assert again.returncode == 0, again.stderr
        assert "already running" in again.stderr
        env = _hack_cluster("env", "--dir", d).stdout
        assert f"export KUBECONFIG={kubeconfig}" in env
        assert state["bin"] in env
        plane = Cluster(kubeconfig, state["server"], Path(state["bin"]))
        nodes = plane.kubectl_json("get", "nodes")["items"]
        assert sorted(n["metadata"]["name"] for n in nodes) == ["kwok-node-0", "kwok-node-1"]
    finally:
        down = _hack_cluster("down", "--dir", d)
    assert down.returncode == 0, down.stderr
    assert not (tmp_path / "plane" / "state.json").exists()
    assert not any(_is_running(pid) for pid in pids)
    gone = _hack_cluster("env", "--dir", d)
    assert gone.returncode == 1
    assert "no plane in" in gone.stderr


def _is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_helm_from_the_plane_bin_dir_talks_to_it(cluster: Cluster) -> None:
    assert cluster.bin_dir is not None
    helm = str(cluster.bin_dir / "helm")
    env = cluster.env()
    version = subprocess.run([helm, "version", "--short"], capture_output=True, text=True, env=env, check=True)
    assert version.stdout.startswith("v4.")
    releases = subprocess.run([helm, "list", "-A", "-o", "json"], capture_output=True, text=True, env=env, check=False)
    assert releases.returncode == 0, releases.stderr
    assert isinstance(json.loads(releases.stdout), list)

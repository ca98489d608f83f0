"""`make demo` in real pods: a one-node cluster (`hack/cluster up --pods`), the images built here, GuardMesh by
`helm install`, the examples' servers and collector as Deployments.

The MCP client runs on this machine and reaches each server through its Service's ClusterIP (the host routes the
node's Service range into it); each sidecar's audit lines are read from its container log; the collector pod's
spans file is read from its emptyDir on the node. The WASM pattern guard is published to an OCI registry (Debian's
docker-registry, TLS with a certificate of the cluster's CA) on the host end of the node's link, and pulled by the
sidecars by digest, as in a real cluster.
"""

import contextlib
import datetime as dt
import hashlib
import ipaddress
import json
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import oras.client  # type: ignore[import-untyped]
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from guardmesh_operator.certs import ServingCert
from tests.support.cluster import PodsCluster, running_pods_cluster, wait_until
from tests.support.peers import REPO_ROOT, free_port, running
from tests.support.registry import WASM_LAYER, registry_binary
from tests.support.workloads import EXAMPLES, as_stream, collector, example_servers

CHART = REPO_ROOT / "charts" / "guardmesh"
RELEASE_NS = "guardmesh-system"


def start(stack: ExitStack, work: Path) -> PodsCluster:
    """The plane with a real node and every image imported; ClusterError when the runtime cannot start."""
    return stack.enter_context(running_pods_cluster(work / "plane"))


def apply_collector(cluster: PodsCluster, namespace: str) -> str:
    """examples/telemetry's collector as a pod; its Service's ClusterIP (no DNS runs on this node)."""
    config = EXAMPLES / "telemetry" / "collector-config.yaml"
    text = cluster.kubectl(
        "create",
        "configmap",
        "otel-collector",
        f"--from-file=config.yaml={config}",
        "-n",
        namespace,
        "--dry-run=client",
        "-o",
        "yaml",
    )
    cluster.kubectl("apply", "-n", namespace, "-f", "-", stdin=text)
    cluster.kubectl("apply", "-n", namespace, "-f", "-", stdin=as_stream(collector(cluster.images)))
    ip = cluster.kubectl("get", "service", "otel-collector", "-n", namespace, "-o", "jsonpath={.spec.clusterIP}")
    return ip.strip()


def helm_install(cluster: PodsCluster, collector_ip: str) -> None:
    """README's `helm install`, with the images built here and the sidecars' traces sent to the collector pod."""
    sets = {}
    for name in ("operator", "sidecar"):
        repository, tag = cluster.images[name].rsplit(":", 1)
        sets[f"{name}.image.repository"], sets[f"{name}.image.tag"] = repository, tag
    sets |= {
        "sidecar.env.OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{collector_ip}:4317",
        "sidecar.env.OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "sidecar.env.OTEL_BSP_SCHEDULE_DELAY": "200",
        # The registry's certificate is signed by the cluster's CA, which every pod's service-account mount has.
        "sidecar.env.SSL_CERT_FILE": "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
    }
    argv = [
        "helm",
        "install",
        "guardmesh",
        str(CHART),
        "-n",
        RELEASE_NS,
        "--create-namespace",
        "--wait",
        "--timeout=5m",
    ]
    argv += [f"--set-string={key}={value}" for key, value in sets.items()]
    proc = subprocess.run(argv, env=cluster.env(), capture_output=True, text=True, check=False, timeout=400)
    if proc.returncode != 0:
        raise RuntimeError(f"helm install failed: {proc.stderr.strip()[-2000:]}")


@contextlib.contextmanager
def wasm_registry(cluster: PodsCluster, work: Path, module: Path) -> Iterator[str]:
    """docker-registry on the host end of the node's link, TLS by the cluster's CA, with the module pushed;
    yields the guard's `oci://` URL."""
    state = cluster.state()
    host = state["server"].split("//", 1)[1].rsplit(":", 1)[0]
    pki = cluster.state_dir / "pki"
    certs = _serving_cert(pki, work / "registry", host)
    port = free_port()
    config = {
        "version": 0.1,
        "log": {"level": "warn", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(work / "registry" / "storage")}},
        "http": {"addr": f"{host}:{port}", "tls": {"certificate": str(certs.cert), "key": str(certs.key)}},
    }
    config_file = work / "registry" / "config.yml"
    config_file.write_text(json.dumps(config))
    argv = [str(registry_binary()), "serve", str(config_file)]
    with running(argv, port=port, host=host, env={"OTEL_TRACES_EXPORTER": "none"}):
        client = oras.client.OrasClient(hostname=f"{host}:{port}", tls_verify=str(pki / "ca.crt"))
        target = f"{host}:{port}/guards/pattern-guard:demo"
        client.push(target=target, files=[f"{module}:{WASM_LAYER}"], disable_path_validation=True, quiet=True)
        yield f"oci://{target}"


def _serving_cert(pki: Path, directory: Path, ip: str) -> ServingCert:
    """A serving certificate for `ip`, issued by the plane's CA (which every pod trusts through its token mount)."""
    ca_cert = x509.load_pem_x509_certificate((pki / "ca.crt").read_bytes())
    ca_key = serialization.load_pem_private_key((pki / "ca.key").read_bytes(), None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise RuntimeError("the plane's CA key is not an EC key")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "guardmesh-demo-registry")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pkcs8 = serialization.PrivateFormat.PKCS8
    private = key.private_bytes(serialization.Encoding.PEM, pkcs8, serialization.NoEncryption())
    (directory / "tls.key").write_bytes(private)
    return ServingCert(ca=pki / "ca.crt", cert=directory / "tls.crt", key=directory / "tls.key")


def apply_examples(cluster: PodsCluster, namespace: str, wasm_url: str, module: Path) -> list[str]:
    """examples/ guards, policies and servers (the servers with the images built here)."""
    documents, applied = [], []
    for folder in ("guards", "policies"):
        for path in sorted((EXAMPLES / folder).glob("*.yaml")):
            doc = yaml.safe_load(path.read_text())
            if path.name == "wasm-pattern-guard.yaml":
                doc["spec"]["wasm"]["url"] = wasm_url
                doc["spec"]["wasm"]["sha256"] = hashlib.sha256(module.read_bytes()).hexdigest()
            documents.append(doc)
            applied.append(str(path.relative_to(REPO_ROOT)))
    documents += example_servers(cluster.images, opted_in=True)
    applied += [f"examples/mcp-servers/{n}.yaml (image built here)" for n in ("everything", "evil-weather")]
    cluster.kubectl("apply", "-n", namespace, "-f", "-", stdin=as_stream(documents))
    return applied


def ready_pod(cluster: PodsCluster, namespace: str, app: str, timeout: float = 240) -> dict[str, Any]:
    """The app's one pod once it is Ready with its sidecar (2/2)."""

    def probe() -> dict[str, Any] | None:
        items: list[dict[str, Any]] = cluster.kubectl_json("get", "pods", "-n", namespace, "-l", f"app={app}")["items"]
        live = [p for p in items if "deletionTimestamp" not in p["metadata"]]
        ready = [
            p
            for p in live
            if any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))
            and "guardmesh.dev/status" in p["metadata"].get("annotations", {})
        ]
        return ready[0] if len(live) == 1 and ready else None

    return wait_until(f"the {app} pod to be Ready with its sidecar", probe, timeout=timeout, interval=1)


def service_url(cluster: PodsCluster, namespace: str, name: str) -> str:
    ip = cluster.kubectl("get", "service", name, "-n", namespace, "-o", "jsonpath={.spec.clusterIP}").strip()
    return f"http://{ip}:80/mcp"


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "demo", "version": "0"}},
}


def wait_serving(url: str, timeout: float = 90) -> None:
    """Until the server behind the sidecar answers an initialize: a pod is Ready once its sidecar is, and the
    example servers declare no readiness probe of their own, so the first seconds answer 502."""

    def answers() -> bool:
        request = urllib.request.Request(  # noqa: S310 (an http URL of this cluster)
            url,
            data=json.dumps(INITIALIZE).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream"},
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    wait_until(f"{url} to answer", answers, timeout=timeout, interval=1)


@contextlib.contextmanager
def audit_log(cluster: PodsCluster, namespace: str, pod: str, path: Path) -> Iterator[Path]:
    """The sidecar's audit lines (JSON, on its stdout) copied from its container log into `path` as they come."""
    proc = subprocess.Popen(
        ["kubectl", "logs", "-f", "-n", namespace, pod, "-c", "guardmesh-sidecar"],
        env=cluster.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )

    def copy() -> None:
        assert proc.stdout is not None
        with path.open("ab") as out:
            for line in proc.stdout:
                with contextlib.suppress(ValueError):
                    if isinstance(entry := json.loads(line), dict) and "guard" in entry and "decision" in entry:
                        out.write(line)
                        out.flush()

    thread = threading.Thread(target=copy, daemon=True)
    thread.start()
    try:
        yield path
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        thread.join(timeout=5)


def collector_spans_file(cluster: PodsCluster, namespace: str) -> Path:
    """The collector pod's spans file, in its emptyDir under the kubelet's root dir on the node."""
    pod = ready_pod_plain(cluster, namespace, "otel-collector")
    volumes = cluster.state_dir / "node" / "kubelet" / "pods" / str(pod["metadata"]["uid"]) / "volumes"
    path: Path = volumes / "kubernetes.io~empty-dir" / "spans" / "spans.jsonl"
    return path


def ready_pod_plain(cluster: PodsCluster, namespace: str, app: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        items: list[dict[str, Any]] = cluster.kubectl_json("get", "pods", "-n", namespace, "-l", f"app={app}")["items"]
        ready = [
            p
            for p in items
            if any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))
        ]
        return ready[0] if ready else None

    return wait_until(f"the {app} pod to be Ready", probe, timeout=180, interval=1)

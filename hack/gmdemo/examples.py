"""Apply examples/ to a namespace and read back what the operator made of it."""

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from tests.support.cluster import Cluster, wait_until
from tests.support.peers import REPO_ROOT

EXAMPLES = REPO_ROOT / "examples"
WASM_GUARD = EXAMPLES / "guards" / "wasm-pattern-guard.yaml"
SERVERS = ("everything", "evil-weather")
"""The example MCP server Deployments, by their `app` label."""


def wasm_guard_for(module: Path) -> str:
    """The WASM guard example pointing at a locally built module, pinned by its sha256."""
    manifest: dict[str, Any] = yaml.safe_load(WASM_GUARD.read_text())
    manifest["spec"]["wasm"]["url"] = module.resolve().as_uri()
    manifest["spec"]["wasm"]["sha256"] = hashlib.sha256(module.read_bytes()).hexdigest()
    return json.dumps(manifest)


def _configmap(cluster: Cluster, namespace: str, name: str, key: str, source: Path) -> None:
    text = cluster.kubectl(
        "create", "configmap", name, f"--from-file={key}={source}", "-n", namespace, "--dry-run=client", "-o", "yaml"
    )
    cluster.kubectl("apply", "-n", namespace, "-f", "-", stdin=text)


def apply_examples(cluster: Cluster, namespace: str, pattern_guard: Path | None = None) -> list[str]:
    """Every manifest under examples/ (guards, policies, servers, collector) into a new `namespace` that enforces
    the restricted Pod Security Standard; the files applied."""
    cluster.kubectl("create", "namespace", namespace)
    # The examples and the injected sidecar meet the restricted Pod Security Standard; enforce it to prove it.
    cluster.kubectl("label", "namespace", namespace, "pod-security.kubernetes.io/enforce=restricted")
    _configmap(
        cluster, namespace, "evil-weather-source", "malicious_server.py", EXAMPLES / "servers" / "malicious_server.py"
    )
    _configmap(cluster, namespace, "otel-collector", "config.yaml", EXAMPLES / "telemetry" / "collector-config.yaml")
    applied, documents = [], []
    for folder in ("guards", "policies", "mcp-servers", "telemetry"):
        for path in sorted((EXAMPLES / folder).glob("*.yaml")):
            if path.name == "collector-config.yaml":
                continue  # a collector config, not a manifest: it went into the ConfigMap above
            documents.append(
                wasm_guard_for(pattern_guard) if path == WASM_GUARD and pattern_guard else path.read_text()
            )
            applied.append(str(path.relative_to(REPO_ROOT)))
    # One kubectl call for all of them: each call costs a process start and a discovery round trip.
    cluster.kubectl("apply", "-n", namespace, "-f", "-", stdin="\n---\n".join(documents))
    return applied


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any]:
    return next((c for c in (obj.get("status") or {}).get("conditions", []) if c["type"] == type_), {})


def wait_ready(cluster: Cluster, namespace: str, plural: str, count: int, timeout: float = 60) -> list[dict[str, Any]]:
    """The `count` resources of a kind once every one has condition Ready=True for its current generation."""

    def ready() -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = cluster.kubectl_json("get", plural, "-n", namespace)["items"]
        ok = len(items) == count and all(
            condition(o, "Ready").get("status") == "True"
            and (o.get("status") or {}).get("observedGeneration") == o["metadata"]["generation"]
            for o in items
        )
        return items if ok else None

    return wait_until(f"{count} {plural} Ready in {namespace}", ready, timeout=timeout)


def rendered_bundle(cluster: Cluster, namespace: str, policies: list[dict[str, Any]]) -> str:
    """The ConfigMap `guardmesh-bundle` once its hash is the one the Policies report."""
    hashes = {p["status"].get("bundleHash") for p in policies}

    def current() -> str | None:
        found = cluster.kubectl(
            "get", "configmap", "guardmesh-bundle", "-n", namespace, "-o", "json", "--ignore-not-found"
        )
        if not found.strip():
            return None
        configmap: dict[str, Any] = json.loads(found)
        if configmap["metadata"].get("annotations", {}).get("guardmesh.dev/bundle-hash") not in hashes:
            return None
        text: str = configmap["data"]["bundle.yaml"]
        return text

    return wait_until(f"the guardmesh-bundle ConfigMap in {namespace}", current, timeout=60)


def injected_pod(cluster: Cluster, namespace: str, app: str, timeout: float = 90) -> dict[str, Any]:
    """A pod of the Deployment labelled `app` that the webhook injected the sidecar into."""

    def find() -> dict[str, Any] | None:
        pods: list[dict[str, Any]] = cluster.kubectl_json("get", "pods", "-n", namespace, "-l", f"app={app}")["items"]
        return next((p for p in pods if "guardmesh.dev/status" in p["metadata"].get("annotations", {})), None)

    return wait_until(f"an injected {app} pod", find, timeout=timeout)


def sidecar_container(pod: dict[str, Any]) -> dict[str, Any]:
    spec = pod["spec"]
    containers = [*spec.get("initContainers", []), *spec["containers"]]
    found: dict[str, Any] = next(c for c in containers if c["name"] == "guardmesh-sidecar")
    return found


def downward_labels(pod: dict[str, Any]) -> str:
    """The pod's labels as the downward API writes them: `key="value"` per line, sorted."""
    labels: dict[str, str] = pod["metadata"].get("labels", {})
    return "".join(f"{key}={json.dumps(value)}\n" for key, value in sorted(labels.items()))

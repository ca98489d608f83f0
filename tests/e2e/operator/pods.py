"""Pods of an MCP server for the operator's end-to-end tests, and what a local sidecar needs to stand in
for the one the webhook injected (KWOK runs no containers)."""

import base64
import json
from pathlib import Path
from typing import Any

from tests.support.cluster import Cluster


def server_container(image: str, port: int) -> dict[str, Any]:
    """The server's container: its port named `mcp`, and a security context the `restricted` standard admits."""
    return {
        "name": "server",
        "image": image,
        "ports": [{"name": "mcp", "containerPort": port}],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "runAsNonRoot": True,
            "runAsUser": 1000,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }


def labels_file(labels: dict[str, str]) -> str:
    """Pod labels in the downward API's format: `key="value"` lines, sorted."""
    return "".join(f"{key}={json.dumps(value)}\n" for key, value in sorted(labels.items()))


def api_access(cluster: Cluster, namespace: str, directory: Path, account: str = "default") -> list[str]:
    """Sidecar flags to reach the plane's API server as a service account of the namespace."""
    config = json.loads(cluster.kubectl("config", "view", "--raw", "-o", "json"))
    ca = directory / "ca.crt"
    ca.write_bytes(base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"]))
    token = directory / "token"
    token.write_text(cluster.kubectl("create", "token", account, "-n", namespace).strip())
    host_port = cluster.server.removeprefix("https://")
    return ["--kube-api", host_port, "--kube-token-file", str(token), "--kube-ca-file", str(ca)]


def sidecar_args(pod: dict[str, Any]) -> dict[str, str]:
    """The injected sidecar's `--name=value` arguments."""
    [sidecar] = [c for c in pod["spec"].get("initContainers", []) if c["name"] == "guardmesh-sidecar"]
    return dict(a.removeprefix("--").split("=", 1) for a in sidecar["args"])

"""The examples' workloads (examples/mcp-servers, examples/telemetry) as they run on the real node of
`hack/cluster up --pods`: the same manifests with the images built here (`hack/cluster images --examples`), since
no registry and no network are reachable from those pods, so nothing can be pulled or installed at start."""

from __future__ import annotations

import copy
import json
from typing import Any

import yaml

from tests.support.peers import REPO_ROOT

EXAMPLES = REPO_ROOT / "examples"
INJECT = "guardmesh.dev/inject"


def example_servers(images: dict[str, str], *, opted_in: bool) -> list[dict[str, Any]]:
    """everything and evil-weather (Deployments and Services); with opted_in False, without the inject label."""
    docs = []
    for name, ref, args in (
        ("everything", images["server-everything"], ["streamableHttp"]),
        ("evil-weather", images["evil-weather"], ["--host", "127.0.0.1", "--port", "3003"]),
    ):
        for doc in yaml.safe_load_all((EXAMPLES / "mcp-servers" / f"{name}.yaml").read_text()):
            if doc["kind"] == "Deployment":
                if not opted_in:
                    doc["spec"]["template"]["metadata"]["labels"].pop(INJECT)
                pod = doc["spec"]["template"]["spec"]
                container = pod["containers"][0]
                container["image"], container["args"] = ref, args
                container.pop("command")
                container.pop("volumeMounts", None)  # the server's source is in its image, not a ConfigMap
                pod.pop("volumes", None)
            docs.append(doc)
    return docs


def renamed(deployment: dict[str, Any], name: str) -> dict[str, Any]:
    """The same Deployment under another name and app label, never opted in."""
    doc = copy.deepcopy(deployment)
    doc["metadata"] = {"name": name, "labels": {"app": name}}
    doc["spec"]["selector"]["matchLabels"] = {"app": name}
    doc["spec"]["template"]["metadata"]["labels"] = {"app": name}
    return doc


def collector(images: dict[str, str]) -> list[dict[str, Any]]:
    """examples/telemetry/collector.yaml (Deployment and Service) with the collector built by `make otelcol`."""
    docs = list(yaml.safe_load_all((EXAMPLES / "telemetry" / "collector.yaml").read_text()))
    for doc in docs:
        if doc["kind"] == "Deployment":
            doc["spec"]["template"]["spec"]["containers"][0]["image"] = images["otelcol"]
    return docs


def as_stream(docs: list[dict[str, Any]]) -> str:
    """One `kubectl apply -f -` input."""
    return "\n---\n".join(json.dumps(d) for d in docs)

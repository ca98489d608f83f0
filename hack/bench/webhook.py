"""Benchmark the operator on the local plane: admission latency of the injection webhook, and policy propagation.

    .venv/bin/python hack/bench/webhook.py [--rate 10] [--seconds 30] [--changes 20] [--out bench-results/operator]

Admission: pods are created at a steady rate, alternating opted-in pods (the API server calls the webhook)
and pods that do not opt in (no call), in one run. Per kind we time `create pod` at the client (end to
end, through the real API server); the webhook's own handling time comes from the operator's histogram
and the API server's view of each call from its `apiserver_admission_webhook_admission_duration_seconds`.
Histogram quantiles are interpolated within buckets, as Prometheus's histogram_quantile does.

Propagation: a guard is changed `--changes` times through the API client; we time the patch -> the
bundle ConfigMap updated (seen by a watch), the file changed -> a real sidecar reporting the new config
hash, and the patch -> a second sidecar that follows the ConfigMap through the API (the operator runs
with --sidecar-follow-configmap and grants the namespace's accounts read access). The kubelet's own
volume sync (up to about a minute on a real node) is not part of it: KWOK runs no kubelet, so the
files are written by tests/e2e/operator/kubelet.py.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kubernetes import client, config
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.operator.kubelet import ConfigMapMirror
from tests.e2e.operator.process import running_operator
from tests.support.cluster import Cluster, running_cluster, wait_until
from tests.support.peers import REPO_ROOT
from tests.support.sidecar import running_sidecar

EXAMPLES = REPO_ROOT / "examples" / "operator"
Buckets = dict[float, float]


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def histogram(text: str, name: str, match: Callable[[dict[str, str]], bool]) -> Buckets:
    """Cumulative bucket counts (upper bound -> count) of one histogram, summed over matching label sets."""
    out: Buckets = {}
    for family in text_string_to_metric_families(text):
        if family.name != name:
            continue
        for sample in family.samples:
            if sample.name.endswith("_bucket") and match(sample.labels):
                bound = float(sample.labels["le"])
                out[bound] = out.get(bound, 0.0) + sample.value
    return out


def quantile(before: Buckets, after: Buckets, q: float) -> float | None:
    """histogram_quantile over the observations made between two scrapes."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    if not counts or counts[-1] <= 0:
        return None
    rank = q * counts[-1]
    lower, below = 0.0, 0.0
    for bound, count in zip(bounds, counts, strict=True):
        if count >= rank:
            if math.isinf(bound):
                return lower
            return lower + (bound - lower) * (rank - below) / max(count - below, 1e-12)
        lower, below = bound, count
    return lower


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


def _pod(index: int, opted_in: bool) -> dict[str, Any]:
    labels = {"app": "bench", "guardmesh.dev/inject": "enabled"} if opted_in else {"app": "bench"}
    container = {"name": "server", "image": "example/mcp:1", "ports": [{"name": "mcp", "containerPort": 3000}]}
    return {"metadata": {"name": f"p{index}", "labels": labels}, "spec": {"containers": [container]}}


def admission(
    cluster: Cluster, operator_metrics: Callable[[], str], webhook: str, rate: float, seconds: float
) -> dict[str, Any]:
    api = client.CoreV1Api(config.new_client_from_config(config_file=str(cluster.kubeconfig)))  # type: ignore[no-untyped-call]
    namespace = f"bench-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", namespace)
    times: dict[bool, list[float]] = {True: [], False: []}
    lock = threading.Lock()

    def create(index: int, opted_in: bool) -> None:
        start = time.perf_counter()
        body: Any = _pod(index, opted_in)  # the client accepts the plain JSON shape too
        api.create_namespaced_pod(namespace, body)
        elapsed = time.perf_counter() - start
        with lock:
            times[opted_in].append(elapsed)

    def apiserver() -> str:
        return cluster.kubectl("get", "--raw", "/metrics", timeout=60)

    ours = "guardmesh_operator_admission_duration_seconds"
    theirs = "apiserver_admission_webhook_admission_duration_seconds"
    before_ours = histogram(operator_metrics(), ours, lambda labels: labels.get("webhook") == "pods")
    before_theirs = histogram(apiserver(), theirs, lambda labels: labels.get("name") == webhook)
    total = int(rate * seconds)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = []
        for index in range(total):
            delay = started + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(create, index, index % 2 == 0))
        for future in futures:
            future.result()
    after_ours = histogram(operator_metrics(), ours, lambda labels: labels.get("webhook") == "pods")
    after_theirs = histogram(apiserver(), theirs, lambda labels: labels.get("name") == webhook)
    cluster.kubectl("delete", "namespace", namespace, "--wait=false")
    result: dict[str, Any] = {"rate_per_second": rate, "pods": total}
    for opted_in, label in ((True, "with_webhook"), (False, "without_webhook")):
        samples = times[opted_in]
        result[label] = {
            "pods": len(samples),
            "create_p50_ms": _ms(percentile(samples, 0.5)),
            "create_p99_ms": _ms(percentile(samples, 0.99)),
            "create_mean_ms": _ms(statistics.fmean(samples)),
        }
    result["webhook_server_side"] = {
        "p50_ms": _ms(quantile(before_ours, after_ours, 0.5)),
        "p99_ms": _ms(quantile(before_ours, after_ours, 0.99)),
        "reviews": after_ours.get(math.inf, 0) - before_ours.get(math.inf, 0),
        "over_10ms": (after_ours.get(math.inf, 0) - before_ours.get(math.inf, 0))
        - (after_ours.get(0.01, 0) - before_ours.get(0.01, 0)),
        "machine_load_1min": os.getloadavg()[0],
    }
    result["webhook_seen_by_apiserver"] = {
        "p50_ms": _ms(quantile(before_theirs, after_theirs, 0.5)),
        "p99_ms": _ms(quantile(before_theirs, after_theirs, 0.99)),
        "calls": after_theirs.get(math.inf, 0) - before_theirs.get(math.inf, 0),
    }
    return result


def _readyz(admin: str) -> dict[str, Any]:
    with urllib.request.urlopen(admin + "/readyz", timeout=5) as response:  # noqa: S310 - http URL
        state: dict[str, Any] = json.loads(response.read())
    return state


def _api_access(cluster: Cluster, namespace: str, directory: Path) -> list[str]:
    """Sidecar flags to reach the API server as the namespace's `default` service account."""
    kubeconfig = json.loads(cluster.kubectl("config", "view", "--raw", "-o", "json"))
    ca = directory / "ca.crt"
    ca.write_bytes(base64.b64decode(kubeconfig["clusters"][0]["cluster"]["certificate-authority-data"]))
    token = directory / "token"
    token.write_text(cluster.kubectl("create", "token", "default", "-n", namespace).strip())
    address = cluster.server.removeprefix("https://")
    return ["--kube-api", address, "--kube-token-file", str(token), "--kube-ca-file", str(ca)]


def propagation(cluster: Cluster, changes: int, work: Path) -> dict[str, Any]:
    namespace = f"bench-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", namespace)
    cluster.kubectl("apply", "-n", namespace, "-f", str(EXAMPLES / "guards.yaml"), "-f", str(EXAMPLES / "policy.yaml"))

    def hash_now() -> str | None:
        found = cluster.kubectl("get", "cm", "guardmesh-bundle", "-n", namespace, "-o", "json", "--ignore-not-found")
        if not found.strip() or "policy: everything" not in found:
            return None
        value: str = json.loads(found)["metadata"]["annotations"]["guardmesh.dev/bundle-hash"]
        return value

    wait_until("the first bundle", hash_now, timeout=60)
    # The API client rather than kubectl, so the figures leave out a CLI's start-up (about 0.1 s here).
    custom = client.CustomObjectsApi(config.new_client_from_config(config_file=str(cluster.kubeconfig)))  # type: ignore[no-untyped-call]
    writes: list[float] = []
    labels = work / "labels"
    labels.write_text('app="everything"\n')
    stale = work / "stale.yaml"  # what a volume holds before the kubelet's sync: here, nothing
    stale.write_text("apiVersion: guardmesh.dev/v1alpha1\nkind: GuardBundleSet\nentries: []\n")
    to_configmap: list[float] = []
    to_sidecar: list[float] = []
    via_api: list[float] = []
    follow = [f"--config-configmap={namespace}/guardmesh-bundle/bundle.yaml", *_api_access(cluster, namespace, work)]
    with (
        ConfigMapMirror(
            cluster.kubeconfig, namespace, "guardmesh-bundle", work / "bundle", lambda _, t: writes.append(t)
        ) as mirror,
    ):
        mirror.written.wait(30)
        extra = ["--pod-labels", str(labels)]
        with (
            running_sidecar(
                "http://127.0.0.1:9/mcp", config=work / "bundle" / "bundle.yaml", extra_args=extra
            ) as by_file,
            running_sidecar("http://127.0.0.1:9/mcp", config=stale, extra_args=[*extra, *follow]) as by_api,
        ):
            wait_until("the API sidecar", lambda: _readyz(by_api.admin)["configSource"] == "api", timeout=30)
            for change in range(changes):
                before = {name: _readyz(s.admin)["configHash"] for name, s in (("file", by_file), ("api", by_api))}
                before_writes = len(writes)
                patch = {"spec": {"native": {"deny": ["*delete*", "get-env", f"tool-{change}"]}}}
                start = time.monotonic()
                custom.patch_namespaced_custom_object(
                    "guardmesh.dev", "v1alpha1", namespace, "securityguards", "no-dangerous-tools", patch
                )
                seen: dict[str, float] = {}
                deadline = start + 60
                while len(seen) < 2 and time.monotonic() < deadline:
                    for name, sidecar in (("file", by_file), ("api", by_api)):
                        if name not in seen and _readyz(sidecar.admin)["configHash"] != before[name]:
                            seen[name] = time.monotonic()
                    time.sleep(0.005)
                if len(seen) < 2 or len(writes) <= before_writes:
                    raise TimeoutError(f"change {change}: a sidecar never reloaded ({sorted(seen)})")
                written = writes[before_writes]
                to_configmap.append(written - start)
                to_sidecar.append(seen["file"] - written)
                via_api.append(seen["api"] - start)
    cluster.kubectl("delete", "namespace", namespace, "--wait=false")
    total = [a + b for a, b in zip(to_configmap, to_sidecar, strict=True)]
    return {
        "changes": changes,
        "apply_to_configmap": {
            "p50_ms": _ms(percentile(to_configmap, 0.5)),
            "p99_ms": _ms(percentile(to_configmap, 0.99)),
        },
        "file_to_sidecar_reload": {
            "p50_ms": _ms(percentile(to_sidecar, 0.5)),
            "p99_ms": _ms(percentile(to_sidecar, 0.99)),
        },
        "apply_to_enforced_without_kubelet_sync": {
            "p50_ms": _ms(percentile(total, 0.5)),
            "p99_ms": _ms(percentile(total, 0.99)),
        },
        "apply_to_enforced_following_the_api": {
            "p50_ms": _ms(percentile(via_api, 0.5)),
            "p99_ms": _ms(percentile(via_api, 0.99)),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=10.0, help="pods created per second (half opted in)")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--changes", type=int, default=20, help="guard changes timed for propagation")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench-results" / "operator")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="guardmesh-bench-op-") as tmp,
        running_cluster(Path(tmp) / "plane") as cluster,
    ):
        work = Path(tmp)
        with running_operator(cluster, work, "--sidecar-follow-configmap") as operator:
            results = {
                "admission": admission(
                    cluster, operator.metrics, "label.inject.guardmesh.dev", args.rate, args.seconds
                ),
                "propagation": propagation(cluster, args.changes, work),
            }
    text = json.dumps(results, indent=2)
    (args.out / "results.json").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""GuardMesh in real pods: README's "Protect your own MCP server", step by step, on a one-node cluster with a real
kubelet, containerd + runc, kube-proxy (iptables) and kube-router (NetworkPolicy), with the images built here.

The tests share one release (the package's `release` fixture) and run in file order: install, opt in, traffic,
failures, upgrades, uninstall. The other modules of this package (test_baselines.py, test_identity.py) sort before
this one and run on the same release before it is upgraded, broken and uninstalled here.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from tests.e2e.pods.conftest import (
    APP_NS,
    CHART,
    RELEASE_NS,
    helm,
    image,
    operator_pods,
    operator_ready,
    probe,
    ready_pods,
    service_url,
)
from tests.support.cluster import ClusterError, PodsCluster, wait_until
from tests.support.workloads import EXAMPLES

pytestmark = pytest.mark.e2e

SIDECAR = "guardmesh-sidecar"
GUARD_DENIED = -32050


def _operator_log(pods: PodsCluster, pod: dict[str, Any]) -> str:
    return pods.kubectl("logs", "-n", RELEASE_NS, pod["metadata"]["name"], "--all-containers", check=False)


def _opt_in(pods: PodsCluster, deployment: str) -> None:
    """README step 3, then the rollout that replaces the unguarded pod."""
    patch = {"spec": {"template": {"metadata": {"labels": {"guardmesh.dev/inject": "enabled"}}}}}
    pods.kubectl("patch", "deployment", deployment, "-n", APP_NS, "--type", "merge", "-p", json.dumps(patch))
    pods.kubectl("rollout", "status", f"deployment/{deployment}", "-n", APP_NS, "--timeout=180s", timeout=200)


def _sidecar(pod: dict[str, Any]) -> dict[str, Any]:
    spec = pod["spec"]
    found: dict[str, Any] = next(
        c for c in [*spec.get("initContainers", []), *spec["containers"]] if c["name"] == SIDECAR
    )
    return found


def _labelled_pod(name: str, image_ref: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "probe-pod", "guardmesh.dev/inject": "enabled"}},
        "spec": {
            "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
            "terminationGracePeriodSeconds": 1,
            "containers": [
                {
                    "name": "server",
                    "image": image_ref,
                    "args": ["streamableHttp"],
                    "env": [{"name": "PORT", "value": "3001"}, {"name": "HOME", "value": "/tmp"}],
                    "ports": [{"name": "mcp", "containerPort": 3001}],
                    "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                }
            ],
        },
    }


def test_helm_install_alone_runs_the_operator_as_a_pod(pods: PodsCluster, release: dict[str, Any]) -> None:
    pod = pods.kubectl_json("get", "pod", release["metadata"]["name"], "-n", RELEASE_NS)
    (status,) = pod["status"]["containerStatuses"]
    assert status["ready"] is True
    assert status["restartCount"] == 0, _operator_log(pods, pod)
    assert status["imageID"], status
    assert pod["spec"]["containers"][0]["image"] == pods.images["operator"]
    assert pod["spec"]["securityContext"]["runAsUser"] == 65532
    assert pod["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
    log = _operator_log(pods, pod)
    assert "Traceback" not in log, log[-4000:]
    # The operator issued the webhook certificate and put its CA into the webhook configurations itself.
    hook = pods.kubectl_json("get", "mutatingwebhookconfiguration", "guardmesh-inject")
    assert all(w["clientConfig"].get("caBundle") for w in hook["webhooks"]), hook
    assert all(w["clientConfig"]["service"]["namespace"] == RELEASE_NS for w in hook["webhooks"])
    guards = pods.kubectl_json("get", "securityguards", "-n", APP_NS)["items"]

    def policy_ready() -> bool:
        policy = pods.kubectl_json("get", "policy", "baseline", "-n", APP_NS)
        return any(
            c["type"] == "Ready" and c["status"] == "True" for c in policy.get("status", {}).get("conditions", [])
        )

    wait_until("the baseline Policy to be Ready", policy_ready, timeout=60)
    assert len(guards) == len(list((EXAMPLES / "guards").glob("*.yaml")))


def test_labelled_servers_come_up_2_of_2_with_the_native_sidecar(pods: PodsCluster, release: dict[str, Any]) -> None:
    for name in ("everything", "evil-weather"):
        _opt_in(pods, name)
    for name in ("everything", "evil-weather"):
        (pod,) = ready_pods(pods, name)
        assert "guardmesh.dev/status" in pod["metadata"]["annotations"]
        (sidecar,) = pod["spec"]["initContainers"]
        assert sidecar["name"] == SIDECAR
        assert sidecar["restartPolicy"] == "Always"
        assert sidecar["image"] == pods.images["sidecar"]
        (init,) = pod["status"]["initContainerStatuses"]
        (server,) = pod["status"]["containerStatuses"]
        assert (init["ready"], init["started"], "running" in init["state"]) == (True, True, True), init
        assert (server["ready"], "running" in server["state"]) == (True, True), server
        printed = pods.kubectl("get", "pod", pod["metadata"]["name"], "-n", APP_NS, "--no-headers")
        assert printed.split()[1] == "2/2", printed


def test_a_client_pod_reaches_each_server_through_its_service_and_the_guards_act(
    pods: PodsCluster, release: dict[str, Any]
) -> None:
    everything, evil = service_url(pods, "everything"), service_url(pods, "evil-weather")
    echoed = probe(pods, "call", everything, "echo", json.dumps({"message": "hello from a pod"}))
    assert "hello from a pod" in echoed["text"], echoed
    listed = probe(pods, "tools", evil)["tools"]
    assert "get_forecast" in listed
    assert "add_numbers" not in listed, "tool-poisoning did not filter the poisoned tool"
    assert "create_issues" not in listed, "server-spoofing did not filter the imitation of github's create_issue"
    leaked = probe(pods, "call", evil, "lookup_customer", json.dumps({"name": "Jane"}))
    assert "Jane Roe" in leaked["text"], leaked
    assert "AKIAQ4ZB7XJ2KMPL3RTE" not in leaked["text"], leaked
    assert "4111 1111 1111 1111" not in leaked["text"], leaked
    refused = probe(pods, "call", evil, "get_news", json.dumps({"city": "Paris"}))
    assert refused.get("error", {}).get("code") == GUARD_DENIED, refused


def _pod_ip(pods: PodsCluster, app: str) -> str:
    (pod,) = ready_pods(pods, app)
    ip: str = pod["status"]["podIP"]
    return ip


def test_network_policy_lets_other_pods_reach_only_the_sidecar_port(pods: PodsCluster, release: dict[str, Any]) -> None:
    """kube-router enforces the operator's NetworkPolicy: the server's own port is closed to other pods."""
    plain = _pod_ip(pods, "everything-plain")
    assert probe(pods, "tcp", plain, "3001")["open"] is True, "the control server is not reachable at all"
    guarded = _pod_ip(pods, "everything")
    policies = pods.kubectl_json("get", "networkpolicies", "-n", APP_NS)["items"]
    assert policies, "the operator made no NetworkPolicy"

    def closed() -> dict[str, Any] | None:
        direct = probe(pods, "tcp", guarded, "3001")
        return direct if direct["open"] is False else None

    wait_until("the server's own port to be closed to other pods", closed, timeout=90, interval=2)
    assert probe(pods, "tcp", guarded, "15080")["open"] is True


def test_a_restarted_sidecar_serves_again_and_the_server_stays_closed(
    pods: PodsCluster, release: dict[str, Any]
) -> None:
    (pod,) = ready_pods(pods, "everything")
    name = pod["metadata"]["name"]
    before = pod["status"]["initContainerStatuses"][0]["restartCount"]
    pods.kubectl(
        "exec", "-n", APP_NS, name, "-c", SIDECAR, "--", "python", "-c", "import os, signal; os.kill(1, signal.SIGTERM)"
    )

    def restarted() -> dict[str, Any] | None:
        (now,) = ready_pods(pods, "everything")
        status = now["status"]["initContainerStatuses"][0]
        return now if status["restartCount"] > before and status["ready"] else None

    after = wait_until("the sidecar to restart and be ready", restarted, timeout=120, interval=1)
    assert after["metadata"]["name"] == name
    echoed = probe(pods, "call", service_url(pods, "everything"), "echo", json.dumps({"message": "again"}))
    assert "again" in echoed["text"], echoed
    assert probe(pods, "tcp", after["status"]["podIP"], "3001")["open"] is False


def test_a_recreated_pod_gets_the_same_injection(pods: PodsCluster, release: dict[str, Any]) -> None:
    (old,) = ready_pods(pods, "evil-weather")
    pods.kubectl("delete", "pod", old["metadata"]["name"], "-n", APP_NS, "--wait=false")

    def replaced() -> list[dict[str, Any]] | None:
        (new,) = ready_pods(pods, "evil-weather")
        return [new] if new["metadata"]["name"] != old["metadata"]["name"] else None

    (new,) = wait_until("a new evil-weather pod", replaced, timeout=180, interval=1)
    assert (
        new["metadata"]["annotations"]["guardmesh.dev/status"] == old["metadata"]["annotations"]["guardmesh.dev/status"]
    )
    # Only the service-account token volume's generated name differs between two pods of one template.
    assert _normalised(_sidecar(new)) == _normalised(_sidecar(old))


def _normalised(container: dict[str, Any]) -> str:
    return re.sub(r"kube-api-access-[a-z0-9]+", "kube-api-access", json.dumps(container, sort_keys=True))


def _create(pods: PodsCluster, name: str) -> tuple[bool, str]:
    """Create a labelled pod; (admitted, the API server's refusal)."""
    manifest = _labelled_pod(name, pods.images["server-everything"])
    manifest["metadata"]["namespace"] = APP_NS
    try:
        pods.apply(manifest)
    except ClusterError as exc:
        return False, str(exc)
    return True, ""


def _scale_operator(pods: PodsCluster, replicas: int) -> None:
    pods.kubectl("scale", "deployment", "guardmesh-operator", "-n", RELEASE_NS, f"--replicas={replicas}")
    if replicas == 0:
        wait_until("the operator pod to be gone", lambda: not operator_pods(pods), timeout=120, interval=1)
        # The Service's endpoints follow the pod; give kube-proxy and the API server's resolver that moment.
        wait_until(
            "no webhook endpoints",
            lambda: (
                not pods.kubectl(
                    "get", "endpointslices", "-n", RELEASE_NS, "-o", "jsonpath={.items[*].endpoints[*].addresses}"
                ).strip()
            ),
            timeout=60,
        )
    else:
        operator_ready(pods)


def test_failure_policy_is_honoured_while_the_operator_is_down(pods: PodsCluster, release: dict[str, Any]) -> None:
    # Fail (the default): with no operator, an opted-in pod is refused rather than run unguarded.
    _scale_operator(pods, 0)
    created, why = _create(pods, "while-down-fail")
    assert not created, "a labelled pod was admitted without the webhook under failurePolicy Fail"
    assert "guardmesh" in why, why
    assert "webhook" in why, why
    # Ignore: the pod is admitted, without a sidecar.
    helm(
        pods,
        "upgrade",
        "guardmesh",
        str(CHART),
        "-n",
        RELEASE_NS,
        "--reuse-values",
        "--set=webhook.failurePolicy=Ignore",
        "--wait",
        "--timeout=5m",
    )
    _scale_operator(pods, 0)
    created, why = _create(pods, "while-down-ignore")
    assert created, why
    pod = pods.kubectl_json("get", "pod", "while-down-ignore", "-n", APP_NS)
    assert "guardmesh.dev/status" not in pod["metadata"].get("annotations", {})
    assert [c["name"] for c in pod["spec"]["containers"]] == ["server"]
    assert not pod["spec"].get("initContainers")
    pods.kubectl("delete", "pod", "while-down-ignore", "-n", APP_NS, "--wait=false")
    helm(
        pods,
        "upgrade",
        "guardmesh",
        str(CHART),
        "-n",
        RELEASE_NS,
        "--reuse-values",
        "--set=webhook.failurePolicy=Fail",
        "--wait",
        "--timeout=5m",
    )
    operator_ready(pods)


def test_pods_created_while_the_operator_crashes_are_injected_or_refused(
    pods: PodsCluster, release: dict[str, Any]
) -> None:
    """Under failurePolicy Fail, no opted-in pod created around an operator crash runs without its sidecar."""
    operator = operator_ready(pods)
    pods.kubectl("delete", "pod", operator["metadata"]["name"], "-n", RELEASE_NS, "--grace-period=0", "--force")
    outcomes = []
    for i in range(6):
        outcomes.append(_create(pods, f"around-crash-{i}"))
        time.sleep(2)
    new = operator_ready(pods)
    assert new["metadata"]["name"] != operator["metadata"]["name"]
    admitted = [f"around-crash-{i}" for i, (ok, _) in enumerate(outcomes) if ok]
    for name in admitted:
        pod = pods.kubectl_json("get", "pod", name, "-n", APP_NS)
        assert _sidecar(pod)["image"] == pods.images["sidecar"], f"{name} was admitted without the sidecar"
    refused = [why for ok, why in outcomes if not ok]
    assert all("webhook" in why for why in refused), refused
    created, why = _create(pods, "after-crash")
    assert created, why
    pods.kubectl("delete", "pods", "-n", APP_NS, "-l", "app=probe-pod", "--wait=false")


def test_helm_upgrade_with_new_images_rolls_the_operator(pods: PodsCluster, release: dict[str, Any]) -> None:
    old = operator_ready(pods)
    refs = {}
    for name in ("operator", "sidecar"):
        repository, tag = image(pods, name)
        refs[name] = f"{repository}:{tag}-next"
        pods.ctr("images", "tag", "--force", f"docker.io/{pods.images[name]}", f"docker.io/{refs[name]}")
    helm(
        pods,
        "upgrade",
        "guardmesh",
        str(CHART),
        "-n",
        RELEASE_NS,
        "--reuse-values",
        f"--set=operator.image.tag={refs['operator'].rsplit(':', 1)[1]}",
        f"--set=sidecar.image.tag={refs['sidecar'].rsplit(':', 1)[1]}",
        "--wait",
        "--timeout=5m",
    )
    new = operator_ready(pods)
    assert new["metadata"]["name"] != old["metadata"]["name"]
    assert new["spec"]["containers"][0]["image"] == refs["operator"]
    pods.kubectl("rollout", "restart", "deployment/everything", "-n", APP_NS)
    wait_until(
        "an everything pod with the new sidecar image",
        lambda: _sidecar(ready_pods(pods, "everything")[0])["image"] == refs["sidecar"],
        timeout=180,
        interval=2,
    )


def test_the_classic_sidecar_mode_on_a_real_pod(pods: PodsCluster, release: dict[str, Any]) -> None:
    helm(
        pods,
        "upgrade",
        "guardmesh",
        str(CHART),
        "-n",
        RELEASE_NS,
        "--reuse-values",
        "--set=sidecar.nativeSidecars=false",
        "--wait",
        "--timeout=5m",
    )
    operator_ready(pods)
    pods.kubectl("rollout", "restart", "deployment/everything", "-n", APP_NS)

    def classic() -> dict[str, Any] | None:
        (pod,) = ready_pods(pods, "everything")
        names = [c["name"] for c in pod["spec"]["containers"]]
        return pod if SIDECAR in names and not pod["spec"].get("initContainers") else None

    pod = wait_until("an everything pod with a regular sidecar container", classic, timeout=180, interval=2)
    assert all(s["ready"] for s in pod["status"]["containerStatuses"]), pod["status"]
    echoed = probe(pods, "call", service_url(pods, "everything"), "echo", json.dumps({"message": "classic"}))
    assert "classic" in echoed["text"], echoed
    refused = probe(pods, "call", service_url(pods, "everything"), "get-env", "{}")
    assert "error" in refused or "text" in refused


def test_helm_uninstall_leaves_only_the_kept_crds(pods: PodsCluster, release: dict[str, Any]) -> None:
    helm(pods, "uninstall", "guardmesh", "-n", RELEASE_NS, "--wait", "--timeout=5m")
    selector = "app.kubernetes.io/instance=guardmesh"
    for kind in ("deployments,services,serviceaccounts,configmaps,poddisruptionbudgets", "roles,rolebindings"):
        left = pods.kubectl_json("get", kind, "-n", RELEASE_NS, "-l", selector)["items"]
        assert left == [], [o["metadata"]["name"] for o in left]
    for kind in (
        "clusterroles",
        "clusterrolebindings",
        "mutatingwebhookconfigurations",
        "validatingwebhookconfigurations",
    ):
        left = pods.kubectl_json("get", kind, "-l", selector)["items"]
        assert left == [], [o["metadata"]["name"] for o in left]
    wait_until("the operator pod to go", lambda: not operator_pods(pods), timeout=120, interval=1)
    crds = {c["metadata"]["name"] for c in pods.kubectl_json("get", "crds")["items"]}
    assert {"securityguards.guardmesh.dev", "policies.guardmesh.dev"} <= crds

"""The cluster DNS of `hack/cluster up --pods`: CoreDNS as a pod in kube-system behind the usual `kube-dns` Service.

The kubelet hands the Service's fixed ClusterIP (`.10` of the slot's Service range) to every pod as its nameserver,
so Service names resolve in pods as on any cluster (`guardmesh-webhook.guardmesh-system.svc`,
`kubernetes.default.svc`). CoreDNS answers for the cluster's zones only: the node has no route out of this machine,
so there is no upstream to forward other names to, and they are refused at once rather than timed out.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from plane_build import PlaneError

NAMESPACE = "kube-system"
NAME = "coredns"
SERVICE = "kube-dns"
LABELS = {"k8s-app": "kube-dns"}
CLUSTER_DOMAIN = "cluster.local"
ZONES = (CLUSTER_DOMAIN, "in-addr.arpa", "ip6.arpa")
READY_PORT, HEALTH_PORT, METRICS_PORT = 8181, 8080, 9153
COREFILE = f"""{" ".join(f"{zone}:53" for zone in ZONES)} {{
    errors
    health :{HEALTH_PORT} {{
        lameduck 2s
    }}
    ready :{READY_PORT}
    kubernetes {" ".join(ZONES)} {{
        ttl 30
    }}
    prometheus :{METRICS_PORT}
    cache 30
    loadbalance
    reload
}}
"""

Call = Callable[[str, str, dict[str, Any] | None], tuple[int, Any]]
"""(method, path, body) -> (status, parsed body): plane.Api.call."""


def cluster_ip(service_cidr: str) -> str:
    """The kube-dns Service's address: the tenth of the Service range, as kubeadm picks it."""
    return str(ipaddress.ip_network(service_cidr)[10])


def manifests(service_cidr: str, image: str) -> list[tuple[str, dict[str, Any]]]:
    """(collection path, object) for each object of the cluster DNS, in the order they are created."""
    core, rbac = f"/api/v1/namespaces/{NAMESPACE}", "/apis/rbac.authorization.k8s.io/v1"
    meta = {"name": NAME, "namespace": NAMESPACE, "labels": LABELS}
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "system:coredns", "labels": LABELS},
        "rules": [
            {"apiGroups": [""], "resources": ["services", "namespaces"], "verbs": ["list", "watch"]},
            {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["list", "watch"]},
        ],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "system:coredns", "labels": LABELS},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:coredns"},
        "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}],
    }
    probe = {"periodSeconds": 2, "timeoutSeconds": 1}
    container = {
        "name": "coredns",
        "image": image,
        "imagePullPolicy": "Never",
        "args": ["-conf", "/etc/coredns/Corefile"],
        "ports": [
            {"name": "dns", "containerPort": 53, "protocol": "UDP"},
            {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
            {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"},
        ],
        "readinessProbe": {"httpGet": {"path": "/ready", "port": READY_PORT}, **probe},
        "livenessProbe": {"httpGet": {"path": "/health", "port": HEALTH_PORT}, **probe, "failureThreshold": 5},
        "resources": {"requests": {"cpu": "20m", "memory": "32Mi"}, "limits": {"memory": "170Mi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
        },
        "volumeMounts": [{"name": "config", "mountPath": "/etc/coredns", "readOnly": True}],
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": LABELS},
            "template": {
                "metadata": {"labels": LABELS},
                "spec": {
                    "serviceAccountName": NAME,
                    "priorityClassName": "system-cluster-critical",
                    "dnsPolicy": "Default",  # its own queries never go to itself
                    "terminationGracePeriodSeconds": 5,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 65532,
                        "runAsGroup": 65532,
                        "seccompProfile": {"type": "RuntimeDefault"},
                        # Port 53 without root or NET_BIND_SERVICE: a safe sysctl, within the pod's own network.
                        "sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "53"}],
                    },
                    "containers": [container],
                    "volumes": [{"name": "config", "configMap": {"name": NAME}}],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": SERVICE, "namespace": NAMESPACE, "labels": LABELS},
        "spec": {
            "selector": LABELS,
            "clusterIP": cluster_ip(service_cidr),
            "ports": [
                {"name": "dns", "port": 53, "targetPort": "dns", "protocol": "UDP"},
                {"name": "dns-tcp", "port": 53, "targetPort": "dns-tcp", "protocol": "TCP"},
                {"name": "metrics", "port": METRICS_PORT, "targetPort": "metrics", "protocol": "TCP"},
            ],
        },
    }
    return [
        (f"{core}/serviceaccounts", {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}),
        (f"{rbac}/clusterroles", role),
        (f"{rbac}/clusterrolebindings", binding),
        (
            f"{core}/configmaps",
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"Corefile": COREFILE}},
        ),
        (f"{core}/services", service),
        (f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments", deployment),
    ]


def deploy(call: Call, service_cidr: str, image: str) -> None:
    """Create every object (those that exist already are left as they are)."""
    for path, obj in manifests(service_cidr, image):
        status, body = call("POST", path, obj)
        if status not in (201, 409):
            raise PlaneError(f"creating {obj['kind']} {obj['metadata']['name']} failed: {status} {body}")


def ready(call: Call) -> bool:
    """A CoreDNS pod is Ready (its kubernetes plugin has synced) and the Service has it as an endpoint."""
    slices = f"/apis/discovery.k8s.io/v1/namespaces/{NAMESPACE}/endpointslices"
    status, body = call("GET", f"{slices}?labelSelector=kubernetes.io/service-name={SERVICE}", None)
    if status != 200:
        return False
    return any(
        (endpoint.get("conditions") or {}).get("ready")
        for item in body.get("items", [])
        for endpoint in item.get("endpoints") or []
    )

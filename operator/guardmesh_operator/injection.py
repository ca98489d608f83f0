"""Sidecar injection, pure: a pod in, a decision out (inject with a JSON Patch, skip, or reject).

Idempotent in the way Istio's injector is: whatever an earlier injection added (recorded in the
`guardmesh.dev/status` annotation) is removed first, then the pod is injected again.
"""

import copy
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import jsonpatch

from guardmesh_operator.annotations import BadAnnotations, PodOptions, pod_options
from guardmesh_operator.api import (
    BUNDLE_CONFIGMAP,
    BUNDLE_KEY,
    INJECT,
    NAMESPACE_INJECTION,
    OBSERVER_AUDIENCE,
    PORT,
    STATUS,
    WORKLOAD,
)

Pod = dict[str, Any]
SIDECAR = "guardmesh-sidecar"
BUNDLE_VOLUME = "guardmesh-bundle"
LABELS_VOLUME = "guardmesh-pod"
CACHE_VOLUME = "guardmesh-cache"
"""A writable emptyDir for downloaded and compiled WebAssembly guards: the sidecar's root filesystem is read-only."""
CACHE_DIR = "/var/cache/guardmesh"
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
OBSERVER_VOLUME = "guardmesh-observer-token"
"""A projected service-account token for the operator's report endpoint, mounted in the sidecar only."""
OBSERVER_DIR = "/var/run/secrets/guardmesh.dev/observer"
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


@dataclass(frozen=True)
class InjectorSettings:
    """How the webhook builds sidecars; the chart sets these."""

    image: str = "guardmesh/sidecar:0.1.0"
    """Image of the sidecar."""
    version: str = "0.1.0"
    """GuardMesh version recorded in each pod's status annotation."""
    native_sidecars: bool = True
    """Inject an init container with restartPolicy Always (Kubernetes 1.29+), else a regular container."""
    listen_port: int = 15080
    """First port tried for the sidecar's MCP listener (the next free one is used if the pod has it)."""
    admin_port: int = 15090
    """First port tried for /metrics, /healthz and /readyz."""
    cpu: str = "50m"
    memory: str = "64Mi"
    cpu_limit: str | None = None
    """No CPU limit by default: throttling a proxy adds latency to every request."""
    memory_limit: str = "256Mi"
    log_level: str = "info"
    run_as_user: int = 65532
    follow_configmap: bool = False
    """Have the sidecar also watch the bundle ConfigMap through the API (about a second, rather than the
    kubelet's volume sync); the operator then grants the namespace's service accounts read access to it."""
    observer_token: bool = False
    """Give the sidecar a pod-bound token (audience `guardmesh.dev/observer`) to report the tool definitions
    it sees to the operator, for ToolBaselines."""
    system_namespaces: frozenset[str] = frozenset({"kube-system", "kube-public", "kube-node-lease"})
    env: tuple[tuple[str, str], ...] = ()
    """Extra environment of every sidecar (the chart's sidecar.env), e.g. where the OpenTelemetry exporter sends."""


@dataclass(frozen=True)
class Decision:
    """What the webhook answers for one pod."""

    action: Literal["inject", "skip", "reject"]
    reason: str
    pod: Pod | None = None
    """The pod as injected (or as cleaned of an earlier injection when skipped)."""
    patch: list[dict[str, Any]] = field(default_factory=list)
    """JSON Patch from the pod received to `pod`."""


@dataclass(frozen=True)
class Injected:
    """The record in `guardmesh.dev/status`: enough to remove the injection exactly."""

    version: str
    native: bool
    container: str
    server_container: str
    port_name: str
    server_port: int
    server_port_named: bool
    listen_port: int
    admin_port: int
    probes: list[str]
    volumes: list[str]
    config_hash: str
    bundle: str = BUNDLE_CONFIGMAP


def _opted(pod: Pod, namespace_labels: dict[str, str]) -> tuple[bool | None, str | None]:
    """(True in, False out, None not asked) and a problem with the opt-in values themselves."""
    meta = pod.get("metadata", {})
    annotation = (meta.get("annotations") or {}).get(INJECT)
    label = (meta.get("labels") or {}).get(INJECT)
    if annotation is not None and annotation not in ("true", "false"):
        return None, f'{INJECT}: annotation "{annotation}" is neither "true" nor "false"'
    if label is not None and label not in ("enabled", "disabled"):
        return None, f'{INJECT}: label "{label}" is neither "enabled" nor "disabled"'
    if annotation == "false" or label == "disabled":
        return False, None
    if annotation == "true" or label == "enabled" or namespace_labels.get(NAMESPACE_INJECTION) == "enabled":
        return True, None
    return None, None


def review(
    pod: Pod, namespace: str, namespace_labels: dict[str, str] | None = None, settings: InjectorSettings | None = None
) -> Decision:
    """Decide and build the injection of one pod at admission."""
    settings = settings or InjectorSettings()
    clean = uninject(pod)
    opted, problem = _opted(clean, namespace_labels or {})
    if problem is not None:
        return Decision("reject", problem)
    if opted is False:
        return _skip("opted out", pod, clean)
    if opted is None:
        return _skip("not opted in", pod, clean)
    if namespace in settings.system_namespaces:
        return _skip(f"namespace {namespace} is a system namespace", pod, clean)
    if clean.get("spec", {}).get("hostNetwork"):
        return _skip(
            "hostNetwork pods share the node's ports, so the sidecar cannot take over the MCP port", pod, clean
        )
    try:
        options = pod_options(clean.get("metadata", {}).get("annotations") or {})
        injected = inject(clean, namespace, options, settings)
    except BadAnnotations as exc:
        return Decision("reject", str(exc))
    return Decision("inject", "injected", injected, jsonpatch.make_patch(pod, injected).patch)


def _skip(reason: str, pod: Pod, clean: Pod) -> Decision:
    return Decision("skip", reason, clean, jsonpatch.make_patch(pod, clean).patch if clean != pod else [])


def _server_port(pod: Pod, options: PodOptions) -> tuple[dict[str, Any], dict[str, Any]]:
    """The container and port of the MCP server, as the annotation (or the default name `mcp`) says."""
    wanted = "mcp" if options.port is None else options.port
    for container in pod.get("spec", {}).get("containers", []):
        for port in container.get("ports") or []:
            if port.get("protocol", "TCP") == "TCP" and wanted in (port.get("name"), port.get("containerPort")):
                return container, port
    if options.port is None:
        raise BadAnnotations([f'{PORT}: not set, and no container has a TCP port named "mcp"; name the port or set it'])
    kind = "number" if isinstance(wanted, int) else "name"
    raise BadAnnotations([f'{PORT}: no container has a TCP port with the {kind} "{wanted}"'])


def _free(pod: Pod, first: int, taken: set[int]) -> int:
    used = taken | {
        p.get("containerPort")
        for c in pod.get("spec", {}).get("containers", []) + pod.get("spec", {}).get("initContainers", [])
        for p in c.get("ports") or []
    }
    port = first
    while port in used:
        port += 1
    return port


def workload(pod: Pod) -> str:
    """The pod's workload as a label value: its Deployment (a ReplicaSet less its template hash), its
    controller, or its own (generate)name."""
    meta = pod.get("metadata", {})
    name = ""
    for owner in meta.get("ownerReferences") or []:
        if owner.get("controller"):
            name = owner.get("name", "")
            template = (meta.get("labels") or {}).get("pod-template-hash")
            if owner.get("kind") == "ReplicaSet" and template and name.endswith(f"-{template}"):
                name = name[: -len(template) - 1]
            break
    name = name or meta.get("name") or meta.get("generateName", "").rstrip("-") or "pod"
    if len(name) > 63:
        name = f"{name[:46]}-{hashlib.sha256(name.encode()).hexdigest()[:16]}"
    return re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", name) or "pod"


def _settings_hash(settings: InjectorSettings, options: PodOptions) -> str:
    fields = asdict(settings) | {"system_namespaces": sorted(settings.system_namespaces)}
    if not settings.env:
        del fields["env"]  # pods injected before sidecar.env existed keep their hash
    text = json.dumps([fields, asdict(options)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def inject(pod: Pod, namespace: str, options: PodOptions, settings: InjectorSettings) -> Pod:
    """The pod with the sidecar, volumes, port take-over, workload label and status annotation."""
    out = copy.deepcopy(pod)
    spec = out.setdefault("spec", {})
    server, port = _server_port(out, options)
    listen = _free(out, settings.listen_port, set())
    admin = _free(out, settings.admin_port, {listen})
    original_name = port.get("name")
    port_name = original_name or "mcp"
    taken = {p.get("name") for c in spec.get("containers", []) for p in c.get("ports") or []} - {original_name}
    if port_name in taken:
        raise BadAnnotations([f'{PORT}: the server port has no name and "{port_name}" is used by another port'])
    probes = []
    if original_name:
        # The name now belongs to the sidecar; the server's own probes must keep reaching the server.
        port.pop("name")
        for probe_field in _PROBES:
            handler = server.get(probe_field) or {}
            for kind in ("httpGet", "tcpSocket", "grpc"):
                if (handler.get(kind) or {}).get("port") == original_name:
                    handler[kind]["port"] = port["containerPort"]
                    probes.append(probe_field)
    meta = out.setdefault("metadata", {})
    work = workload(out)
    record = Injected(
        version=settings.version,
        native=settings.native_sidecars,
        container=SIDECAR,
        server_container=server.get("name", ""),
        port_name=port_name,
        server_port=port["containerPort"],
        server_port_named=bool(original_name),
        listen_port=listen,
        admin_port=admin,
        probes=probes,
        volumes=[BUNDLE_VOLUME, LABELS_VOLUME, CACHE_VOLUME, *([OBSERVER_VOLUME] if settings.observer_token else [])],
        config_hash=_settings_hash(settings, options),
    )
    sidecar = _container(record, namespace, work, options, settings, _token_mount(server))
    if settings.native_sidecars:
        spec.setdefault("initContainers", []).append(sidecar)
    else:
        spec.setdefault("containers", []).append(sidecar)
    spec.setdefault("volumes", []).extend(
        [
            {"name": BUNDLE_VOLUME, "configMap": {"name": BUNDLE_CONFIGMAP}},
            {
                "name": LABELS_VOLUME,
                "downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]},
            },
            {"name": CACHE_VOLUME, "emptyDir": {"sizeLimit": "256Mi"}},
        ]
    )
    if settings.observer_token:
        token = {"audience": OBSERVER_AUDIENCE, "expirationSeconds": 3600, "path": "token"}
        spec["volumes"].append({"name": OBSERVER_VOLUME, "projected": {"sources": [{"serviceAccountToken": token}]}})
    meta.setdefault("labels", {})[WORKLOAD] = work
    meta.setdefault("annotations", {})[STATUS] = json.dumps(asdict(record), separators=(",", ":"))
    return out


def _container(
    record: Injected,
    namespace: str,
    work: str,
    options: PodOptions,
    settings: InjectorSettings,
    token: dict[str, Any] | None = None,
) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "requests": {"cpu": options.cpu or settings.cpu, "memory": options.memory or settings.memory},
        "limits": {"memory": options.memory_limit or settings.memory_limit},
    }
    if options.cpu_limit or settings.cpu_limit:
        resources["limits"]["cpu"] = options.cpu_limit or settings.cpu_limit

    def probe(path: str) -> dict[str, Any]:
        return {"httpGet": {"path": path, "port": record.admin_port}}

    container: dict[str, Any] = {
        "name": SIDECAR,
        "image": settings.image,
        "command": ["guardmesh-sidecar"],
        "args": [
            f"--listen=0.0.0.0:{record.listen_port}",
            f"--upstream=http://127.0.0.1:{record.server_port}{options.path}",
            f"--admin-listen=0.0.0.0:{record.admin_port}",
            f"--config=/etc/guardmesh/bundle/{BUNDLE_KEY}",
            "--pod-labels=/etc/guardmesh/pod/labels",
            f"--server-id={namespace}/{work}",
            f"--log-level={options.log_level or settings.log_level}",
        ],
        "env": [
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "OTEL_SERVICE_NAME", "value": work},
            {"name": "OTEL_RESOURCE_ATTRIBUTES", "value": f"k8s.namespace.name={namespace},k8s.pod.name=$(POD_NAME)"},
            {"name": "GUARDMESH_WASM_CACHE", "value": f"{CACHE_DIR}/wasm"},
            *({"name": name, "value": value} for name, value in settings.env),
        ],
        "ports": [
            {"name": record.port_name, "containerPort": record.listen_port, "protocol": "TCP"},
            {"name": "guardmesh-admin", "containerPort": record.admin_port, "protocol": "TCP"},
        ],
        "startupProbe": {**probe("/readyz"), "periodSeconds": 1, "failureThreshold": 120},
        "readinessProbe": {**probe("/readyz"), "periodSeconds": 5},
        "livenessProbe": {**probe("/healthz"), "periodSeconds": 10, "failureThreshold": 3},
        "resources": resources,
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": settings.run_as_user,
            "runAsGroup": settings.run_as_user,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [
            {"name": BUNDLE_VOLUME, "mountPath": "/etc/guardmesh/bundle", "readOnly": True},
            {"name": LABELS_VOLUME, "mountPath": "/etc/guardmesh/pod", "readOnly": True},
            {"name": CACHE_VOLUME, "mountPath": CACHE_DIR},
        ],
    }
    if settings.follow_configmap:
        container["args"].append(f"--config-configmap={namespace}/{BUNDLE_CONFIGMAP}/{BUNDLE_KEY}")
        # The service-account admission plugin mounts the token before webhooks run, so into the pod's own
        # containers only: the sidecar borrows the server's mount (absent when the pod opts out of a token).
        if token is not None:
            container["volumeMounts"].append(dict(token))
    if settings.observer_token:
        container["args"].append(f"--report-token={OBSERVER_DIR}/token")
        container["volumeMounts"].append({"name": OBSERVER_VOLUME, "mountPath": OBSERVER_DIR, "readOnly": True})
    if record.native:
        container["restartPolicy"] = "Always"
    return container


def _token_mount(server: dict[str, Any]) -> dict[str, Any] | None:
    for mount in server.get("volumeMounts") or []:
        if mount.get("mountPath") == SERVICE_ACCOUNT_DIR:
            return {"name": mount["name"], "mountPath": SERVICE_ACCOUNT_DIR, "readOnly": True}
    return None


def uninject(pod: Pod) -> Pod:
    """The pod without anything an earlier injection added; the pod itself if it carries none."""
    annotations = pod.get("metadata", {}).get("annotations") or {}
    if STATUS not in annotations:
        return pod
    out = copy.deepcopy(pod)
    try:
        record = json.loads(annotations[STATUS])
        container_name, volumes = record["container"], set(record["volumes"])
    except (ValueError, KeyError, TypeError):
        record, container_name, volumes = {}, SIDECAR, {BUNDLE_VOLUME, LABELS_VOLUME, CACHE_VOLUME}
    spec = out.get("spec", {})
    for key in ("initContainers", "containers"):
        if key in spec:
            spec[key] = [c for c in spec[key] if c.get("name") != container_name]
            if not spec[key] and key == "initContainers":
                del spec[key]
    if "volumes" in spec:
        spec["volumes"] = [v for v in spec["volumes"] if v.get("name") not in volumes]
        if not spec["volumes"]:
            del spec["volumes"]
    _restore_server(spec, record)
    meta = out["metadata"]
    meta["annotations"].pop(STATUS, None)
    if not meta["annotations"]:
        del meta["annotations"]
    if WORKLOAD in (meta.get("labels") or {}):
        del meta["labels"][WORKLOAD]
        if not meta["labels"]:
            del meta["labels"]
    return out


def _restore_server(spec: dict[str, Any], record: dict[str, Any]) -> None:
    if not record.get("server_port_named"):
        return
    for container in spec.get("containers", []):
        if container.get("name") != record.get("server_container"):
            continue
        for port in container.get("ports") or []:
            if port.get("containerPort") == record.get("server_port") and "name" not in port:
                port["name"] = record["port_name"]
        for probe_field in record.get("probes", []):
            for kind in ("httpGet", "tcpSocket", "grpc"):
                handler = (container.get(probe_field) or {}).get(kind)
                if handler and handler.get("port") == record.get("server_port"):
                    handler["port"] = record["port_name"]

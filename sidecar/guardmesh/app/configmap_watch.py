"""Follow the bundle ConfigMap through the Kubernetes API, so a policy change is enforced about a second
after the operator writes it, instead of at the kubelet's next sync of the mounted volume (a minute or
more). The mounted file stays the fallback: it is used at start and whenever the API cannot be reached.

One thread per sidecar: get the ConfigMap, then watch it from that resourceVersion; every new content is
handed to the event loop, which puts it in force like a changed file. The pod's own service-account
token authenticates (re-read at every connection, as projected tokens rotate); the operator grants it
get/list/watch on this one ConfigMap. Written on the standard library: one GET and one streamed watch
do not justify a Kubernetes client in the sidecar's image and memory.
"""

import http.client
import json
import logging
import os
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("guardmesh.config")

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
WATCH_SECONDS = 240
"""Length of one watch request; the API server closes it then and the watch starts again."""
MAX_BACKOFF = 30.0
HEALTHY_FOR = 2 * WATCH_SECONDS
"""A watch that delivered or was accepted this recently counts as the live source of the config."""
MAX_EVENT_BYTES = 16 * 1024 * 1024


class WatchError(Exception):
    """The API refused or failed; the message says which call and why (never the token)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ConfigMapRef:
    namespace: str
    name: str
    key: str

    @classmethod
    def parse(cls, text: str, default_key: str = "bundle.yaml") -> "ConfigMapRef":
        """`NAMESPACE/NAME` or `NAMESPACE/NAME/KEY`."""
        parts = text.split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise ValueError(f"expected NAMESPACE/NAME[/KEY], got {text!r}")
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else default_key)


@dataclass(frozen=True)
class ApiAccess:
    """Where the API server is and how to prove who we are: in-cluster defaults, each one overridable."""

    host: str
    port: int
    token_file: Path
    ca_file: Path

    @classmethod
    def in_cluster(cls, token_file: Path | None = None, ca_file: Path | None = None) -> "ApiAccess":
        host = os.environ.get("KUBERNETES_SERVICE_HOST")
        port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        if not host:
            raise ValueError("KUBERNETES_SERVICE_HOST is not set: not in a pod, and no API server given")
        return cls(
            host,
            int(port),
            token_file or SERVICE_ACCOUNT / "token",
            ca_file or SERVICE_ACCOUNT / "ca.crt",
        )


class ConfigMapWatch:
    """Feeds `deliver` with the ConfigMap key's content whenever it changes; see the module docstring."""

    def __init__(
        self,
        ref: ConfigMapRef,
        access: ApiAccess,
        deliver: Callable[[bytes], object],
        report: Callable[[str | None], object],
    ) -> None:
        self.ref = ref
        self.access = access
        self._deliver = deliver
        self._report = report
        """Called with a problem to show in readiness, or None once the API answers again."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="guardmesh-configmap-watch", daemon=True)
        self._last_ok = 0.0
        self._connection: http.client.HTTPSConnection | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        connection = self._connection
        if connection is not None and connection.sock is not None:
            connection.sock.close()  # ends a watch blocked in a read
        self._thread.join(timeout=5)

    def healthy(self) -> bool:
        return self._last_ok > 0 and time.monotonic() - self._last_ok < HEALTHY_FOR

    def _run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            try:
                version = self._get()
                backoff = 1.0
                while not self._stop.is_set():
                    version = self._watch(version)
            except (WatchError, OSError, http.client.HTTPException) as exc:  # a stream cut mid-watch, too
                if self._stop.is_set():
                    return
                self._last_ok = 0.0
                problem = f"cannot follow ConfigMap {self.ref.namespace}/{self.ref.name}: {exc}"
                self._report(problem)
                log.warning("%s; retrying in %.0f s (the mounted file stays in force)", problem, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)

    def _get(self) -> str:
        path = f"/api/v1/namespaces/{_q(self.ref.namespace)}/configmaps/{_q(self.ref.name)}"
        response = self._request(path, timeout=10)
        body = _json(response.read(MAX_EVENT_BYTES + 1), path)
        self._ok()
        self._take(body)
        return str(body.get("metadata", {}).get("resourceVersion", ""))

    def _watch(self, version: str) -> str:
        """One watch request; returns the resourceVersion to go on from."""
        query = urllib.parse.urlencode(
            {
                "fieldSelector": f"metadata.name={self.ref.name}",
                "watch": "1",
                "resourceVersion": version,
                "allowWatchBookmarks": "true",
                "timeoutSeconds": str(WATCH_SECONDS),
            }
        )
        path = f"/api/v1/namespaces/{_q(self.ref.namespace)}/configmaps?{query}"
        response = self._request(path, timeout=WATCH_SECONDS + 30)
        self._ok()
        while True:
            line = response.readline(MAX_EVENT_BYTES + 1)
            if not line:
                return version  # the server ended this watch; start the next one
            event = _json(line, path)
            kind, obj = event.get("type"), event.get("object") or {}
            if kind == "ERROR":
                code = obj.get("code", 0)
                if code == 410:  # our resourceVersion is too old: get the object again
                    return self._get()
                raise WatchError(f"watch error {code}: {obj.get('message', '')}", code)
            version = str(obj.get("metadata", {}).get("resourceVersion", version))
            self._ok()
            if kind in ("ADDED", "MODIFIED"):
                self._take(obj)
            elif kind == "DELETED":
                log.warning("ConfigMap %s/%s deleted; keeping the config in force", self.ref.namespace, self.ref.name)

    def _take(self, configmap: dict[str, Any]) -> None:
        text = (configmap.get("data") or {}).get(self.ref.key)
        if not isinstance(text, str):
            self._report(f"ConfigMap {self.ref.namespace}/{self.ref.name} has no key {self.ref.key!r}")
            return
        self._deliver(text.encode())

    def _ok(self) -> None:
        if not self._last_ok:
            self._report(None)
        self._last_ok = time.monotonic()

    def _request(self, path: str, timeout: float) -> http.client.HTTPResponse:
        access = self.access
        try:
            token = access.token_file.read_text().strip()
            context = ssl.create_default_context(cafile=str(access.ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise WatchError(f"cannot read the service-account credentials: {exc}") from None
        connection = http.client.HTTPSConnection(access.host, access.port, timeout=timeout, context=context)
        self._connection = connection
        try:
            connection.request("GET", path, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise WatchError(f"API server {access.host}:{access.port} unreachable: {exc}") from None
        if response.status != 200:
            detail = response.read(2048).decode("utf-8", "replace")
            connection.close()
            message = _status_message(detail) or response.reason
            raise WatchError(f"GET {path.split('?')[0]}: {response.status} {message}", response.status)
        return response


def _q(part: str) -> str:
    return urllib.parse.quote(part, safe="")


def _json(raw: bytes, where: str) -> dict[str, Any]:
    if len(raw) > MAX_EVENT_BYTES:
        raise WatchError(f"{where.split('?')[0]}: answer larger than {MAX_EVENT_BYTES} bytes")
    try:
        value = json.loads(raw)
    except ValueError:
        raise WatchError(f"{where.split('?')[0]}: answer is not JSON") from None
    if not isinstance(value, dict):
        raise WatchError(f"{where.split('?')[0]}: answer is not a JSON object")
    return value


def _status_message(detail: str) -> str:
    try:
        value = json.loads(detail)
    except ValueError:
        return ""
    return str(value.get("message", "")) if isinstance(value, dict) else ""

"""Admin endpoints on their own port: /metrics, /healthz, /readyz."""

from typing import Protocol

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from guardmesh.runtime import Runtime
from guardmesh.transports.h1 import Request, Response

_JSON = [("Content-Type", "application/json")]

STALL_SECONDS = 10.0
"""The proxy's event loop silent this long fails /healthz, so a wedged sidecar is restarted."""


class Beating(Protocol):
    def stalled_for(self) -> float:
        """Seconds since the proxy's event loop last ran."""
        ...


class Admin:
    def __init__(self, runtime: Runtime, heartbeat: "Beating | None" = None) -> None:
        self.runtime = runtime
        self.heartbeat = heartbeat
        """The proxy's event loop, when it runs elsewhere (app/admin_thread.py): /healthz reports it stalled."""

    async def handle(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return Response(405, [("Allow", "GET, HEAD")], b"")
        if request.path == "/metrics":
            body = generate_latest(self.runtime.telemetry.metrics.registry)
            return Response(200, [("Content-Type", CONTENT_TYPE_LATEST)], body)
        if request.path == "/healthz":
            stalled = self.heartbeat.stalled_for() if self.heartbeat is not None else 0.0
            if stalled > STALL_SECONDS:
                return Response(503, _JSON, orjson.dumps({"status": "stalled", "stalledSeconds": round(stalled, 1)}))
            return Response(200, _JSON, b'{"status":"ok"}')
        if request.path == "/readyz":
            return Response(200, _JSON, orjson.dumps(self.readiness()))
        return Response(404, _JSON, b'{"error":"not found"}')

    def readiness(self) -> dict[str, object]:
        """Ready while a config is in force. A bad reload is reported here but keeps the pod serving with
        the previous config, since the same bad ConfigMap would otherwise take every replica out at once."""
        runtime = self.runtime
        return {
            "status": "degraded" if runtime.config_error else "ready",
            "configHash": runtime.config_hash,
            "guards": [g.name for g in runtime.pipeline.guards],
            "configError": runtime.config_error,
            "configSource": _source(runtime),
            "apiError": runtime.api_error,
            "reportError": runtime.report_error,
            "authentication": runtime.authenticator.status() if runtime.authenticator is not None else None,
        }


def _source(runtime: Runtime) -> str:
    """Where the config in force comes from: the Kubernetes API, the mounted file, or the built-in default."""
    if runtime.config_from_api:
        return "api"
    return "file" if runtime.config_path is not None else "built-in"

"""Admin endpoints on their own port: /metrics, /healthz, /readyz."""

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from guardmesh.runtime import Runtime

RUNTIME = web.AppKey("runtime", Runtime)


async def metrics(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    body = generate_latest(runtime.telemetry.metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready while a config is in force. A bad reload is reported here but keeps the pod serving with
    the previous config, since the same bad ConfigMap would otherwise take every replica out at once."""
    runtime = request.app[RUNTIME]
    return web.json_response(
        {
            "status": "degraded" if runtime.config_error else "ready",
            "configHash": runtime.config_hash,
            "guards": [g.name for g in runtime.pipeline.guards],
            "configError": runtime.config_error,
        }
    )


def admin_app(runtime: Runtime) -> web.Application:
    app = web.Application()
    app[RUNTIME] = runtime
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app

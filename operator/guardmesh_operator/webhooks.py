"""The admission webhooks over HTTPS: mutate pods (inject), validate SecurityGuards and Policies.

An aiohttp server of our own rather than kopf's: the chart owns the webhook configurations, the patch
is an exact JSON Patch, and the handling time of every review is measured here (`/metrics`).
"""

import asyncio
import base64
import logging
import ssl
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import jsonpatch
import orjson
import uvloop
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from guardmesh_operator.api import NAMESPACE_INJECTION
from guardmesh_operator.baselines import parse_baseline, stamp
from guardmesh_operator.injection import InjectorSettings, review
from guardmesh_operator.status import now
from guardmesh_operator.validation import Invalid, parse_guard, parse_policy

log = logging.getLogger("guardmesh.operator.webhooks")

GuardExists = Callable[[str, str], Awaitable[bool]]
OnSkip = Callable[[str, dict[str, Any], str], None]
Observe = Callable[[str, Any], Awaitable[tuple[int, str]]]
"""(bearer token, report body) -> (HTTP status, message): the controller's handling of a sidecar's report."""
MAX_REPORT_BYTES = 4 * 1024 * 1024
# Skips worth telling the workload's owner about: the pod asked for the sidecar and did not get it.
_TOLD = ("hostNetwork", "system namespace")


class AdmissionMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.seconds = Histogram(
            "guardmesh_operator_admission_duration_seconds",
            "Time to answer one AdmissionReview, from request body read to response built.",
            ["webhook", "result"],
            registry=self.registry,
            buckets=(0.0002, 0.0004, 0.0006, 0.0008, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.1, 1.0),
        )
        self.bad = Counter(
            "guardmesh_operator_admission_bad_requests_total",
            "Requests that were not AdmissionReviews.",
            ["webhook"],
            registry=self.registry,
        )
        self.reports = Counter(
            "guardmesh_operator_tool_reports_total",
            "Reports of tool definitions from sidecars, by HTTP status answered.",
            ["code"],
            registry=self.registry,
        )


def _response(uid: str, allowed: bool, message: str = "", patch: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"uid": uid, "allowed": allowed}
    if not allowed:
        response["status"] = {"code": 403, "reason": "Forbidden", "message": message}
    if patch:
        response["patchType"] = "JSONPatch"
        response["patch"] = base64.b64encode(orjson.dumps(patch)).decode()
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}


class Webhooks:
    """The aiohttp application; `guard_exists` answers reference checks, `on_skip` records skipped pods."""

    def __init__(
        self,
        injector: InjectorSettings,
        guard_exists: GuardExists,
        on_skip: OnSkip | None = None,
        observe: Observe | None = None,
    ) -> None:
        self.injector = injector
        self.guard_exists = guard_exists
        self.on_skip = on_skip
        self.observe = observe
        self.metrics = AdmissionMetrics()
        self.app = web.Application(client_max_size=8 * 1024 * 1024)
        self.app.router.add_post("/mutate/pods", self._handler("pods", self.mutate_pod))
        self.app.router.add_post("/mutate/pods/namespace", self._handler("pods-namespace", self.mutate_pod_namespace))
        self.app.router.add_post("/validate/securityguards", self._handler("securityguards", self.validate_guard))
        self.app.router.add_post("/validate/policies", self._handler("policies", self.validate_policy))
        self.app.router.add_post("/mutate/toolbaselines", self._handler("toolbaselines", self.mutate_baseline))
        self.app.router.add_post("/observe", self._observe)
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/metrics", self._metrics)

    def _handler(
        self, name: str, decide: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            raw = await request.read()
            start = time.perf_counter()
            try:
                review_in = orjson.loads(raw)
                admission = review_in["request"]
                uid = str(admission["uid"])
            except (orjson.JSONDecodeError, KeyError, TypeError):
                self.metrics.bad.labels(name).inc()
                log.warning("%s: not an AdmissionReview (%d bytes)", name, len(raw))
                return web.json_response({"error": "expected an admission.k8s.io/v1 AdmissionReview"}, status=400)
            try:
                out = await decide(admission)
            except Exception:
                # Never crash on one bad review: refuse it and let failurePolicy and the log tell the rest.
                log.exception("%s: review %s failed", name, uid)
                out = {"allowed": False, "message": "internal error in the GuardMesh webhook; see its log"}
            body = _response(uid, out["allowed"], out.get("message", ""), out.get("patch"))
            result = "allowed" if out["allowed"] else "denied"
            self.metrics.seconds.labels(name, result).observe(time.perf_counter() - start)
            return web.Response(body=orjson.dumps(body), content_type="application/json")

        return handle

    async def mutate_pod(
        self, admission: dict[str, Any], namespace_labels: dict[str, str] | None = None
    ) -> dict[str, Any]:
        pod = admission.get("object") or {}
        namespace = admission.get("namespace") or pod.get("metadata", {}).get("namespace", "")
        decision = review(pod, namespace, namespace_labels or {}, self.injector)
        if decision.action == "reject":
            log.info("pod %s/%s rejected: %s", namespace, _pod_name(pod), decision.reason)
            return {"allowed": False, "message": f"GuardMesh sidecar injection: {decision.reason}"}
        if decision.action == "skip" and any(t in decision.reason for t in _TOLD):
            log.info("pod %s/%s skipped: %s", namespace, _pod_name(pod), decision.reason)
            if self.on_skip is not None and not admission.get("dryRun"):
                self.on_skip(namespace, pod, decision.reason)
        return {"allowed": True, "patch": decision.patch}

    async def mutate_pod_namespace(self, admission: dict[str, Any]) -> dict[str, Any]:
        """Called through the webhook whose namespaceSelector matched the namespace's opt-in label."""
        return await self.mutate_pod(admission, {NAMESPACE_INJECTION: "enabled"})

    async def validate_guard(self, admission: dict[str, Any]) -> dict[str, Any]:
        if admission.get("operation") == "DELETE" or _spec_unchanged(admission):
            return {"allowed": True}
        obj = admission.get("object") or {}
        try:
            parse_guard(obj.get("spec") or {})
        except Invalid as exc:
            return {"allowed": False, "message": f"SecurityGuard {_name(obj)}: {exc}"}
        return {"allowed": True}

    async def validate_policy(self, admission: dict[str, Any]) -> dict[str, Any]:
        if admission.get("operation") == "DELETE" or _spec_unchanged(admission):
            return {"allowed": True}
        obj = admission.get("object") or {}
        namespace = admission.get("namespace") or ""
        try:
            policy = parse_policy(obj.get("spec") or {})
        except Invalid as exc:
            return {"allowed": False, "message": f"Policy {_name(obj)}: {exc}"}
        # Only references this request adds must exist: a guard deleted later is reported in the Policy's
        # status, and must not block edits (or the removal of finalizers) of the Policies that name it.
        old = {ref.get("name") for ref in ((admission.get("oldObject") or {}).get("spec") or {}).get("guards") or []}
        existing = {
            ref.name for ref in policy.guards if ref.name in old or await self.guard_exists(namespace, ref.name)
        }
        try:
            parse_policy(obj.get("spec") or {}, existing, namespace)
        except Invalid as exc:
            return {"allowed": False, "message": f"Policy {_name(obj)}: {exc}"}
        return {"allowed": True}

    async def mutate_baseline(self, admission: dict[str, Any]) -> dict[str, Any]:
        """Refuse an invalid ToolBaseline; stamp each newly approved tool with the requesting user and the time."""
        if admission.get("operation") == "DELETE" or _spec_unchanged(admission):
            return {"allowed": True}
        obj = admission.get("object") or {}
        spec = obj.get("spec") or {}
        old_spec = (admission.get("oldObject") or {}).get("spec") or {}
        user = str((admission.get("userInfo") or {}).get("username") or "unknown")
        stamped = stamp(old_spec, spec, user, now())
        try:
            parse_baseline(stamped)
        except Invalid as exc:
            return {"allowed": False, "message": f"ToolBaseline {_name(obj)}: {exc}"}
        return {"allowed": True, "patch": jsonpatch.make_patch(obj, {**obj, "spec": stamped}).patch}

    async def _observe(self, request: web.Request) -> web.Response:
        """A sidecar reports the tool definitions it saw (see guardmesh_operator.observers for who may)."""
        code, message = await self._report(request)
        self.metrics.reports.labels(str(code)).inc()
        headers = {"WWW-Authenticate": 'Bearer realm="guardmesh"'} if code == 401 else None
        return web.json_response({"message": message}, status=code, headers=headers)

    async def _report(self, request: web.Request) -> tuple[int, str]:
        if self.observe is None:
            return 404, "this operator takes no reports"
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return 401, "a bearer token (the pod's guardmesh.dev/observer token) is required"
        if (request.content_length or 0) > MAX_REPORT_BYTES:
            return 413, f"a report is at most {MAX_REPORT_BYTES} bytes"
        raw = await request.content.read(MAX_REPORT_BYTES + 1)
        if len(raw) > MAX_REPORT_BYTES:
            return 413, f"a report is at most {MAX_REPORT_BYTES} bytes"
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return 400, "a report is a JSON object"
        try:
            return await self.observe(token.strip(), body)
        except Exception:
            log.exception("a report failed")
            return 500, "internal error in the GuardMesh operator; see its log"

    async def _healthz(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _metrics(self, _: web.Request) -> web.Response:
        return web.Response(body=generate_latest(self.metrics.registry), content_type="text/plain")

    async def start(self, host: str, port: int, tls: ssl.SSLContext | None) -> web.AppRunner:
        """Serve until the returned runner is cleaned up."""
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, port, ssl_context=tls, backlog=512).start()
        log.info("webhooks listening on %s://%s:%d", "https" if tls else "http", host, port)
        return runner


class ServerThread:
    """The webhooks on an event loop of their own, so admission never queues behind the operator's watches
    and handlers: the API server waits on every pod creation while a review is pending."""

    def __init__(self, hooks: Webhooks, host: str, port: int, tls: ssl.SSLContext | None) -> None:
        self.hooks, self.host, self.port, self.tls = hooks, host, port, tls
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="guardmesh-webhooks", daemon=True)

    def start(self, timeout: float = 30) -> None:
        """Start serving; raises what kept the server from listening."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the webhook server did not start")
        if self._error is not None:
            raise self._error

    def stop(self, timeout: float = 30) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)

    def _main(self) -> None:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(self._serve())

    async def _serve(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        try:
            app_runner = await self.hooks.start(self.host, self.port, self.tls)
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await app_runner.cleanup()


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


def _spec_unchanged(admission: dict[str, Any]) -> bool:
    """An UPDATE that leaves the spec alone (status, labels, finalizers) is never refused for its spec."""
    old = admission.get("oldObject")
    return (
        admission.get("operation") == "UPDATE"
        and old is not None
        and old.get("spec") == (admission.get("object") or {}).get("spec")
    )


def _name(obj: dict[str, Any]) -> str:
    return str(obj.get("metadata", {}).get("name", "<unnamed>"))


def _pod_name(pod: dict[str, Any]) -> str:
    meta = pod.get("metadata", {})
    return str(meta.get("name") or f"{meta.get('generateName', '')}*")

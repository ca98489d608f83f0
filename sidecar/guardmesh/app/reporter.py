"""Report the tool definitions this sidecar sees to the operator, for the server's ToolBaseline.

Only when the bundle has a baseline for this server and names the operator's endpoint. The sidecar never
writes to the Kubernetes API: it posts what it saw (new or changed definitions only) to the operator,
authenticated by a projected service-account token that names its pod; the operator checks that the pod
belongs to the workload and records the definitions in the ToolBaseline's status. A failed report is
kept and sent again with backoff; the request path never waits on it.
"""

import asyncio
import contextlib
import http.client
import json
import logging
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

from guardmesh.config.baseline import Reporting
from guardmesh.guards.native.rug_pull import Observation
from guardmesh.runtime import Runtime

log = logging.getLogger("guardmesh.report")

INTERVAL = 1.0
"""Seconds between looks for new definitions; the operator accepts one report per second per pod."""
MAX_BACKOFF = 30.0
TIMEOUT = 10.0


class ReportFailed(Exception):
    """The operator did not record a report; `retry_after` says how long to wait before sending it again."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Reporter:
    """Sends the runtime's unreported observations of its own server while `running()` is open."""

    def __init__(self, runtime: Runtime, token_file: Path) -> None:
        self.runtime = runtime
        self.token_file = token_file
        self._backoff = INTERVAL
        self._active = False
        """Whether the bundle asked for reports last time we looked."""

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        task = asyncio.get_running_loop().create_task(self._loop())
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            delay = await self.step()
            await asyncio.sleep(delay)

    async def step(self) -> float:
        """Send what is new, if anything; returns how long to wait before the next step."""
        runtime = self.runtime
        server = runtime.pipeline.server_id
        target = runtime.bundle.reporting
        wanted = target is not None and server in runtime.bundle.baselines
        store = runtime.resources.pins
        if wanted and not self._active:
            # A baseline appeared (or the endpoint did): what was seen before counts as new to it.
            store.requeue(server, store.all_seen(server))
        self._active = wanted
        if not wanted or target is None:
            return INTERVAL
        observations = store.take_unreported(server)
        if not observations:
            return INTERVAL
        try:
            await asyncio.to_thread(self._post, target, server, observations)
        except ReportFailed as exc:
            store.requeue(server, observations)
            runtime.report_error = str(exc)
            runtime.telemetry.metrics.tool_reports.labels("error").inc()
            self._backoff = min(max(self._backoff * 2, exc.retry_after), MAX_BACKOFF)
            log.warning("tool definitions not reported, retrying in %.0f s: %s", self._backoff, exc)
            return self._backoff
        runtime.report_error = None
        runtime.telemetry.metrics.tool_reports.labels("ok").inc()
        self._backoff = INTERVAL
        log.info("reported %d tool definitions of %s", len(observations), server)
        return INTERVAL

    def _post(self, target: Reporting, server: str, observations: list[Observation]) -> None:
        try:
            token = self.token_file.read_text().strip()
        except OSError as exc:
            raise ReportFailed(f"cannot read the report token {self.token_file}: {exc.strerror}", MAX_BACKOFF) from None
        url = urlsplit(target.url)
        context = ssl.create_default_context(cadata=target.ca_bundle or None)
        body = json.dumps({"server": server, "tools": [dict(o.definition) for o in observations]}).encode()
        connection = http.client.HTTPSConnection(url.hostname or "", url.port or 443, timeout=TIMEOUT, context=context)
        try:
            connection.request(
                "POST",
                url.path or "/",
                body,
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            response = connection.getresponse()
            detail = response.read(4096).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            raise ReportFailed(f"operator at {url.hostname}:{url.port or 443} unreachable: {exc}", INTERVAL) from None
        finally:
            connection.close()
        if response.status != 200:
            retry = INTERVAL if response.status in (429, 503) else MAX_BACKOFF / 2
            raise ReportFailed(f"operator answered {response.status}: {_message(detail)}", retry)


def _message(detail: str) -> str:
    try:
        value = json.loads(detail)
    except ValueError:
        return detail[:200]
    return str(value.get("message", ""))[:200] if isinstance(value, dict) else detail[:200]

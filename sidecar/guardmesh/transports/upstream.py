"""The protected server's side of the HTTP proxy: send a request, read an answer, and the errors of both."""

import asyncio
import contextlib
from typing import Any

import orjson

from guardmesh.protocol import errors
from guardmesh.runtime import Runtime
from guardmesh.transports.admission import LARGE_MESSAGE, Budget, Overloaded, TooCostly
from guardmesh.transports.auth_gate import upstream_headers
from guardmesh.transports.caller import Caller
from guardmesh.transports.h1 import Request, Response, TooLarge, UpstreamBroken, UpstreamPool, UpstreamResponse
from guardmesh.transports.http import forward_headers, response_headers
from guardmesh.transports.sessions import Session


class UpstreamFailed(Exception):
    """The server could not be reached, did not answer in time, or answered what cannot be relayed;
    the client gets `status` with a JSON-RPC error of `code`."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


class Upstream:
    def __init__(self, runtime: Runtime, pool: UpstreamPool, reading: Budget | None = None) -> None:
        self.runtime = runtime
        self.pool = pool
        self.reading = reading
        """Room for large answers' bytes while they are read (transports/admission.py)."""
        self._background: set[asyncio.Task[None]] = set()
        """Requests of the sidecar's own on their way; kept so they are not collected mid-flight."""

    def end_session(self, session: Session) -> None:
        """End on the server a session the sidecar forgot or refused (DELETE, best effort, in the background)."""
        task = asyncio.get_running_loop().create_task(self._delete(session))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _delete(self, session: Session) -> None:
        limits = self.runtime.limits
        headers = [("Mcp-Session-Id", session.id)]
        if session.protocol_version:
            headers.append(("MCP-Protocol-Version", session.protocol_version))
        with contextlib.suppress(UpstreamBroken, TimeoutError, TooLarge):
            async with asyncio.timeout(limits.upstream_timeout_seconds):
                resp = await self.pool.request("DELETE", session.path, headers)
                try:
                    await resp.read(limits.max_body_bytes)
                finally:
                    resp.close()

    async def send(self, request: Request, body: bytes | None, caller: Caller | None = None) -> UpstreamResponse:
        """Start the upstream request; 502 when the server cannot be reached, 504 when it does not answer."""
        headers = forward_headers(request.headers.items())
        authenticator = self.runtime.authenticator
        if authenticator is not None:
            headers = upstream_headers(headers, authenticator, caller.identity if caller is not None else None)
        try:
            return await self.pool.request(
                request.method,
                request.raw_path,
                headers,
                body,
                answer_within=self.runtime.limits.upstream_timeout_seconds,
            )
        except TimeoutError:
            raise UpstreamFailed(504, errors.UPSTREAM_TIMEOUT, "Upstream MCP server did not answer in time") from None
        except UpstreamBroken as exc:
            raise UpstreamFailed(502, errors.UPSTREAM_UNAVAILABLE, f"Upstream MCP server unreachable: {exc}") from None

    async def read(self, upstream: UpstreamResponse, key: str = "") -> bytes:
        """The whole body of an answer, bounded by `limits.maxBodyBytes` and, once its head has come, by
        `limits.upstreamTimeoutSeconds`; a large one (or one of unknown size) is read with room taken in
        the reading budget for client `key`."""
        limits = self.runtime.limits
        limit = limits.max_body_bytes
        declared = upstream.content_length
        grant = None
        try:
            if self.reading is not None and not upstream.complete and (declared is None or declared >= LARGE_MESSAGE):
                grant = await self.reading.take(key, min(declared or limit, limit))
            if upstream.complete:
                return await upstream.read(limit)
            async with asyncio.timeout(limits.upstream_timeout_seconds):
                return await upstream.read(limit)
        except Overloaded as exc:
            raise UpstreamFailed(503, errors.OVERLOADED, f"Sidecar overloaded: {exc}; retry later") from None
        except TooCostly as exc:
            raise UpstreamFailed(502, errors.TOO_LARGE, f"Upstream answer too large: {exc}") from None
        except TimeoutError:
            raise UpstreamFailed(504, errors.UPSTREAM_TIMEOUT, "Upstream MCP server stalled in its answer") from None
        except TooLarge:
            raise UpstreamFailed(502, errors.TOO_LARGE, f"Upstream response exceeds {limit} bytes") from None
        except UpstreamBroken as exc:
            raise UpstreamFailed(502, errors.UPSTREAM_UNAVAILABLE, f"Upstream broke off: {exc}") from None
        finally:
            if grant is not None:
                grant.release()

    async def whole(self, upstream: UpstreamResponse, key: str = "") -> Response:
        """Relay an answer that needs no inspection, read whole (bounded)."""
        try:
            payload = await self.read(upstream, key)
        finally:
            upstream.close()
        return Response(upstream.status, response_headers(upstream.headers.items()), payload)

    async def post(self, path: str, headers: list[tuple[str, str]], message: dict[str, Any]) -> None:
        """Send the server a message of the sidecar's own (a refusal of its request); failures are ignored,
        as the server's request then times out on its side like any unanswered one."""
        headers = [("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"), *headers]
        limits = self.runtime.limits
        with contextlib.suppress(UpstreamBroken, TimeoutError, TooLarge):
            async with asyncio.timeout(limits.upstream_timeout_seconds):
                resp = await self.pool.request("POST", path, headers, orjson.dumps(message))
                try:
                    await resp.read(limits.max_body_bytes)
                finally:
                    resp.close()

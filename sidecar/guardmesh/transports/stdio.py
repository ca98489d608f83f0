"""stdio: run a local MCP server as a child process and guard the newline-delimited JSON-RPC between
our own stdin/stdout (the client) and the child's (the server). The child's stderr is passed through."""

import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

import orjson

from guardmesh.guards.api import GuardContext
from guardmesh.protocol import errors
from guardmesh.protocol.errors import error_bytes
from guardmesh.runtime import Runtime
from guardmesh.telemetry.setup import telemetry_from_env
from guardmesh.transports.admission import Overloaded, TooCostly
from guardmesh.transports.relay import Exchange, Relay
from guardmesh.transports.sessions import Session

log = logging.getLogger("guardmesh.stdio")


class _Lines:
    """Newline-delimited messages from a stream, each at most `limit` bytes; longer lines are skipped."""

    def __init__(self, reader: asyncio.StreamReader, limit: int) -> None:
        self._reader = reader
        self._limit = limit

    async def next(self) -> bytes | None:
        """The next line without its newline; None at end of stream; b"" for an over-long line."""
        try:
            line = await self._reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            return exc.partial or None
        except asyncio.LimitOverrunError as exc:
            await self._skip(exc.consumed)
            return b""
        return line.rstrip(b"\r\n") if len(line) <= self._limit + 1 else b""

    async def _skip(self, consumed: int) -> None:
        while True:
            await self._reader.readexactly(consumed)
            try:
                await self._reader.readuntil(b"\n")
                return
            except asyncio.LimitOverrunError as exc:
                consumed = exc.consumed
            except asyncio.IncompleteReadError:
                return


async def _stdio_streams(limit: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=limit + 1)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, sys.stdout)
    writer = asyncio.StreamWriter(transport, protocol, None, loop)
    return reader, writer


async def _write(writer: asyncio.StreamWriter, payload: bytes) -> None:
    writer.write(payload + b"\n")
    await writer.drain()


async def run_stdio(command: list[str], config: Path | None, audit_log: str | None, server_id: str | None) -> int:
    """Run the server and relay until the client closes stdin or the server exits; returns its exit code."""
    async with telemetry_from_env(audit_log, "pipe") as telemetry:
        runtime = Runtime(telemetry, server_id or " ".join(command), config)
        limit = runtime.limits.max_body_bytes
        relay = Relay(runtime)
        try:
            child = await asyncio.create_subprocess_exec(
                *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=limit + 1
            )
        except OSError as exc:
            log.error("cannot start %s: %s", command[0], exc)
            return 127
        child_in, child_out = child.stdin, child.stdout
        if child_in is None or child_out is None:
            raise RuntimeError("the child's stdin and stdout were requested as pipes")
        client_in, client_out = await _stdio_streams(limit)
        session = Session("stdio")
        exchange = Exchange(GuardContext(runtime.pipeline.server_id), session)

        async def client_to_server() -> None:
            lines = _Lines(client_in, limit)
            while (line := await lines.next()) is not None:
                if not line.strip():
                    if line == b"":
                        telemetry.rejected("too-large")
                        await _write(client_out, error_bytes(None, errors.TOO_LARGE, f"Message exceeds {limit} bytes"))
                    continue
                result = await relay.from_client(line, exchange)
                for reply in result.replies:
                    if reply.get("id") is not None or result.rejected:
                        await _write(client_out, orjson.dumps(reply))
                if result.forward is not None:
                    await _write(child_in, result.forward)

        async def server_to_client() -> None:
            lines = _Lines(child_out, limit)
            while (line := await lines.next()) is not None:
                if not line.strip():
                    continue
                try:
                    inspected = await relay.from_server(line, exchange)
                except (Overloaded, TooCostly) as exc:
                    telemetry.rejected("upstream-uninspectable", str(exc))
                    log.warning("dropped a server message that could not be inspected: %s", exc)
                    continue
                for error in inspected.to_server:
                    await _write(child_in, orjson.dumps(error))
                if inspected.invalid is not None:
                    log.warning("dropped a server message that is not valid JSON-RPC: %s", inspected.invalid)
                    if inspected.forward is not None:
                        await _write(client_out, inspected.forward)
                    continue
                exchange.learn_version(inspected.messages)
                if inspected.forward is not None:
                    await _write(client_out, inspected.forward)

        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        async with runtime.watching():
            tasks = {
                asyncio.create_task(client_to_server(), name="client"),
                asyncio.create_task(server_to_client(), name="server"),
                asyncio.create_task(stop.wait(), name="signal"),
            }
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finished = done.pop().get_name()
            if finished == "client":
                # The client is gone: let the server see end of input and finish what it was writing.
                child_in.close()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(5):
                        await asyncio.gather(*(t for t in tasks if t.get_name() == "server"))
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if child.returncode is None:
            child.terminate()
            try:
                async with asyncio.timeout(5):
                    await child.wait()
            except TimeoutError:
                child.kill()
                await child.wait()
        return child.returncode or 0

"""SIGTERM ends the sidecar within its grace period, whatever its peers do, and the audit log is flushed.

The upstream here is a socket that answers `413` to a request's head and then reads nothing more
(as a server refusing a large body early may): the sidecar's connection to it keeps unsent bytes, and
a graceful close of it would wait for them forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.adversarial.conftest import GUARDS
from tests.adversarial.raw import Streamable, call
from tests.support.sidecar import running_sidecar, write_bundle

pytestmark = pytest.mark.e2e

GRACE = 3.0


@contextlib.contextmanager
def deaf_upstream() -> Iterator[str]:
    """A server that reads a request's head, answers 413 and never reads again."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    kept: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            kept.append(conn)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(1)
                if not chunk:
                    break
                head += chunk
            conn.sendall(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/mcp"
    finally:
        stop.set()
        thread.join()
        for conn in kept:
            conn.close()
        listener.close()


async def test_sigterm_with_unsent_bytes_to_a_deaf_upstream_exits_within_the_grace_and_flushes_the_audit(
    tmp_path: Path,
) -> None:
    config = write_bundle(tmp_path / "bundle.json", GUARDS)
    audit = tmp_path / "audit.jsonl"
    with (
        deaf_upstream() as upstream,
        running_sidecar(
            upstream, config=config, audit_log=audit, extra_args=["--shutdown-grace", str(GRACE)]
        ) as sidecar,
    ):
        client = Streamable(sidecar.url)
        denied = await client.post(orjson.dumps(call(1, "get-env")))
        assert denied.status == 200
        big = orjson.dumps(call(2, "echo", {"message": "x" * (3 * 1024 * 1024)}))
        answers = await asyncio.gather(*(client.post(big) for _ in range(4)))
        assert {a.status for a in answers} == {413}
        started = time.monotonic()
        code = sidecar.terminate(timeout=GRACE + 10)
        took = time.monotonic() - started
        log = sidecar.log()
    assert code == 0, f"the sidecar did not exit by itself within {GRACE + 10} s of SIGTERM:\n{log[-3000:]}"
    assert took < GRACE + 10
    records = [r for r in map(orjson.loads, audit.read_bytes().splitlines()) if r.get("target") == "get-env"]
    assert records, "the audit record of the denied call was not flushed"

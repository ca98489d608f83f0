"""Chaos: the protected server is killed and started again while clients keep calling through the sidecar.

Documented behaviour (docs/operations.md, failure modes): while the server is down every request gets
a `502` with `-32052` at once (nothing hangs, the sidecar stays up and healthy); once it is back, new
sessions work and calls succeed again. Against the real npm server-everything, killed with SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from guardmesh.protocol import errors
from tests.adversarial.conftest import GUARDS
from tests.adversarial.raw import SessionRefused, Streamable, call
from tests.support import peers
from tests.support.sidecar import running_sidecar, write_bundle

pytestmark = pytest.mark.e2e

CLIENTS = 8
RECOVERED = 20
"""Successful calls after the restart that show the service is back."""


class Phase:
    def __init__(self) -> None:
        self.name = "up"
        self.recovered = asyncio.Event()
        """Set once enough calls succeeded after the restart."""


@contextlib.contextmanager
def everything(port: int) -> Iterator[peers.PeerProcess]:
    server = peers.server_everything("streamableHttp", port)
    with peers.running(server.argv, port=port, env=server.env) as proc:
        yield proc


async def client(url: str, phase: Phase, stop: asyncio.Event, seen: Counter[tuple[str, str]], n: int) -> None:
    """Call echo over and over, opening a new session whenever the old one is gone; count what came back."""
    session: Streamable | None = None
    id_ = 0
    while not stop.is_set():
        id_ += 1
        try:
            if session is None:
                session = await Streamable(url).open()
            response = await session.post(orjson.dumps(call(id_, "echo", {"message": f"{n}-{id_}"})))
        except SessionRefused as exc:
            seen[(phase.name, f"initialize {exc.response.status}")] += 1
            await asyncio.sleep(0.05)
            continue
        if response.status == 200:
            answer = response.json()
            message = answer[-1] if isinstance(answer, list) else answer
            assert message.get("id") == id_, f"an answer for another request: {message}"
            seen[(phase.name, "ok" if "result" in message else f"error {message['error']['code']}")] += 1
            if seen[("back", "ok")] >= RECOVERED:
                phase.recovered.set()
        else:
            body = response.json() if response.body else {}
            code = body.get("error", {}).get("code") if isinstance(body, dict) else None
            seen[(phase.name, f"{response.status} {code}")] += 1
            if response.status in (400, 404):
                session = None  # the server forgot the session: start another, as SDK clients do
        await asyncio.sleep(0.02)


def healthy(admin: str) -> bool:
    with urllib.request.urlopen(admin + "/healthz", timeout=10) as response:
        return bool(response.status == 200)


async def test_a_server_killed_and_restarted_under_load_is_answered_for_and_comes_back(tmp_path: Path) -> None:
    port = peers.free_port()
    config = write_bundle(tmp_path / "bundle.json", GUARDS)
    phase, stop, seen = Phase(), asyncio.Event(), Counter[tuple[str, str]]()
    with everything(port) as first, running_sidecar(f"http://127.0.0.1:{port}/mcp", config=config) as sidecar:
        clients = [asyncio.ensure_future(client(sidecar.url, phase, stop, seen, n)) for n in range(CLIENTS)]
        await asyncio.sleep(3)
        phase.name = "down"
        first.proc.kill()
        first.proc.wait()
        await asyncio.sleep(3)
        phase.name = "restarting"
        with everything(port):
            phase.name = "back"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(phase.recovered.wait(), 60)
            stop.set()
            await asyncio.wait_for(asyncio.gather(*clients), 60)
            assert healthy(sidecar.admin)
    by_phase: dict[str, Counter[str]] = {}
    for (name, outcome), count in seen.items():
        by_phase.setdefault(name, Counter())[outcome] += count
    assert by_phase["up"]["ok"] > 0, by_phase
    down = by_phase["down"]
    assert down, "no request was made while the server was down"
    unavailable = f"502 {errors.UPSTREAM_UNAVAILABLE}"
    assert set(down) <= {unavailable, "initialize 502", "ok", "400 -32000", "404 -32001"}, down
    assert down[unavailable] + down["initialize 502"] > 0, down
    assert by_phase["back"]["ok"] >= RECOVERED, by_phase

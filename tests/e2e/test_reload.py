"""Changing the bundle file under load swaps the guards without dropping a request in flight."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from mcp.client import Client
from mcp.shared.exceptions import MCPError

from tests.support.sidecar import Sidecar, running_sidecar, write_bundle

pytestmark = pytest.mark.e2e


def deny(*tools: str) -> list[dict[str, object]]:
    native = {"kind": "tool-access", "deny": list(tools)}
    return [{"name": "access", "spec": {"type": "native", "native": native, "runsOn": ["request", "response"]}}]


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return write_bundle(tmp_path / "bundle.json", deny("get-env"))


@pytest.fixture
def sidecar(everything_url: str, bundle: Path) -> Iterator[Sidecar]:
    with running_sidecar(everything_url, config=bundle) as sidecar:
        yield sidecar


def ready(sidecar: Sidecar) -> dict[str, object]:
    state: dict[str, object] = json.loads(sidecar.get_admin("/readyz"))
    return state


def wait_for(sidecar: Sidecar, predicate: Callable[[dict[str, object]], bool]) -> dict[str, object]:
    """The /readyz state once `predicate` holds (or after 5 s, for the assertion to show)."""
    deadline = time.monotonic() + 5.0
    while True:
        state = ready(sidecar)
        if predicate(state) or time.monotonic() > deadline:
            return state
        time.sleep(0.05)


async def denied(client: Client, tool: str, arguments: dict[str, object]) -> bool:
    """Whether a guard refused the call (-32050); any other error fails the test."""
    try:
        await client.call_tool(tool, arguments)
    except MCPError as exc:
        code = exc.error.code
    else:
        return False
    if code != -32050:
        pytest.fail(f"expected a guard's refusal (-32050), got {code}")
    return True


async def test_reloads_under_load_drop_no_request_and_take_effect(sidecar: Sidecar, bundle: Path) -> None:
    async with Client(sidecar.url, mode="legacy") as client:
        assert await denied(client, "get-env", {})
        stop = asyncio.Event()
        answered = 0

        async def hammer() -> None:
            nonlocal answered
            while not stop.is_set():
                result = await client.call_tool("echo", {"message": "still here"})
                assert result.content[0].text == "Echo: still here"  # type: ignore[union-attr]
                answered += 1

        workers = [asyncio.create_task(hammer()) for _ in range(8)]
        for round_ in range(6):
            await asyncio.sleep(0.25)
            write_bundle(bundle, deny("get-env", f"not-a-tool-{round_}"))
        write_bundle(bundle, deny("get-sum"))
        await asyncio.sleep(1.0)
        stop.set()
        await asyncio.gather(*workers)

        assert answered > 50, "the load never got going"
        assert await denied(client, "get-sum", {"a": 1, "b": 2})
        assert not await denied(client, "get-env", {})
    metrics = sidecar.get_admin("/metrics")
    reloads = next(
        line for line in metrics.splitlines() if line.startswith('guardmesh_config_reloads_total{result="ok"}')
    )
    assert float(reloads.split()[-1]) >= 2
    assert ready(sidecar)["configError"] is None


async def test_a_bad_bundle_keeps_the_previous_guards_and_shows_in_readiness(sidecar: Sidecar, bundle: Path) -> None:
    bundle.write_text("guards: [{name: broken, spec: {type: native, native: {kind: no-such-kind}}}]")
    state = await asyncio.to_thread(wait_for, sidecar, lambda s: s["configError"] is not None)
    assert state["status"] == "degraded"
    assert "guards.0.spec.native" in str(state["configError"]), state["configError"]
    async with Client(sidecar.url, mode="legacy") as client:
        assert await denied(client, "get-env", {}), "the previous guards must stay in force"
    metrics = sidecar.get_admin("/metrics")
    assert 'guardmesh_config_reloads_total{result="error"}' in metrics

    write_bundle(bundle, deny("echo"))
    state = await asyncio.to_thread(wait_for, sidecar, lambda s: s["configError"] is None)
    assert state["status"] == "ready"
    async with Client(sidecar.url, mode="legacy") as client:
        assert await denied(client, "echo", {"message": "x"})

"""Bounded and fair resources: the default body limit, messages too costly to inspect, shedding under
load, and health and small requests answered while large messages are inspected.

The memory and latency figures under load are a benchmark (hack/bench/overload.py, docs/operations.md),
not asserted here; these tests assert what happens, in which order.
"""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import Iterator

import orjson
import pytest

from guardmesh.protocol import errors
from tests.adversarial.conftest import Guarded, guarded_server
from tests.adversarial.raw import RawResponse, Streamable, call

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guarded]:
    """The Python SDK server behind a sidecar with the default limits."""
    yield from guarded_server("sdk-streamable", tmp_path_factory.mktemp("resources"))


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guarded]:
    """The same with one inspection at a time and a short queue, so large messages are shed quickly."""
    limits = {"maxConcurrentInspections": 1, "inspectionQueueSeconds": 0.5}
    yield from guarded_server("sdk-streamable", tmp_path_factory.mktemp("tight"), limits=limits)


def echo(id_: int, text: str) -> bytes:
    return orjson.dumps(call(id_, "echo", {"message": text}))


def sized(id_: int, size: int, char: str = "a") -> bytes:
    """An echo call whose body is exactly `size` bytes."""
    base = len(echo(id_, ""))
    width = len(char.encode())
    body = echo(id_, char * ((size - base) // width))
    return body + b" " * (size - len(body))


def health(guarded: Guarded) -> int:
    with urllib.request.urlopen(guarded.sidecar.admin + "/healthz", timeout=30) as response:
        status: int = response.status
    return status


async def test_the_default_body_limit_is_the_mcp_sdks_4_mib(sdk: Guarded) -> None:
    client = await Streamable(sdk.url).open()
    over = await client.post(sized(1, 4 * MIB + 1))
    assert over.status == 413
    assert over.json()["error"]["code"] == errors.TOO_LARGE
    at = await client.post(sized(2, 4 * MIB - 64))
    assert at.status == 200, at.body[:300]


async def test_a_message_too_costly_to_inspect_is_refused_before_the_server(sdk: Guarded) -> None:
    values = {f"k{i}": i for i in range(250_000)}
    client = await Streamable(sdk.url).open()
    response = await client.post(orjson.dumps(call(3, "echo", {"message": "x", **values})))
    assert response.status == 413
    assert "too large to inspect" in response.json()["error"]["message"]


async def test_health_and_small_requests_are_answered_while_large_messages_are_inspected(sdk: Guarded) -> None:
    """Each large body of zero-width characters takes the guards a good fraction of a second; six of
    them are queued. Health and a small call from another client come back before they are all done."""
    heavy = Streamable(sdk.url)
    await heavy.open()
    other = await Streamable(sdk.url, source="127.0.0.3").open()
    large = [asyncio.ensure_future(heavy.post(sized(10 + n, 4 * MIB - 64, "\u200b"))) for n in range(6)]
    await asyncio.sleep(0.2)
    loop = asyncio.get_running_loop()
    assert await loop.run_in_executor(None, health, sdk) == 200
    small = await other.post(echo(20, "small and quick"))
    assert small.status == 200
    assert not all(task.done() for task in large), "the small call waited for the large ones"
    answers: list[RawResponse] = await asyncio.gather(*large)
    assert {a.status for a in answers} <= {200, 503}


async def test_large_messages_past_the_capacity_are_shed_with_503_and_retry_after(tight: Guarded) -> None:
    client = await Streamable(tight.url).open()
    answers = await asyncio.gather(*(client.post(sized(30 + n, 4 * MIB - 64, "\u200b")) for n in range(6)))
    shed = [a for a in answers if a.status == 503]
    assert shed, [a.status for a in answers]
    assert {a.json()["error"]["code"] for a in shed} == {errors.OVERLOADED}
    assert all(a.header("retry-after") for a in shed)
    assert any(a.status == 200 for a in answers), "nothing got through at all"
    small = await client.post(echo(40, "still serving"))
    assert small.status == 200

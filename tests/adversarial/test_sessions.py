"""Session admission: a flood of cheap `initialize` requests cannot push other clients' live sessions
out of the sidecar's table (they would get 404 while the server still knows them).

Clients are told apart by address: each plays from its own loopback address (127.0.0.2, ...).
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest

from guardmesh.protocol import errors
from tests.adversarial.conftest import Guarded, guarded_server
from tests.adversarial.raw import SessionRefused, Streamable, call

pytestmark = pytest.mark.e2e

MAX_SESSIONS = 12
PER_CLIENT = 5


@pytest.fixture(scope="module")
def small_table(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guarded]:
    limits = {"maxSessions": MAX_SESSIONS, "maxSessionsPerClient": PER_CLIENT}
    yield from guarded_server("everything-streamable", tmp_path_factory.mktemp("sessions"), limits=limits)


async def echo(client: Streamable, id_: int) -> int:
    response = await client.post(orjson.dumps(call(id_, "echo", {"message": "still here"})))
    return response.status


async def test_a_flood_of_initialize_requests_evicts_only_the_flooders_own_sessions(small_table: Guarded) -> None:
    victim = await Streamable(small_table.url, source="127.0.0.2").open()
    assert await echo(victim, 1) == 200
    flood = [await Streamable(small_table.url, source="127.0.0.3").open() for _ in range(3 * MAX_SESSIONS)]
    assert await echo(victim, 2) == 200, "the victim's live session was evicted"
    assert await echo(flood[-1], 3) == 200
    oldest = await flood[0].post(orjson.dumps(call(4, "echo", {"message": "x"})))
    assert oldest.status == 404, "the flooder's own oldest session made room for its newest"
    assert oldest.json()["error"]["code"] == errors.SESSION_NOT_FOUND


async def test_a_full_table_refuses_new_sessions_and_keeps_the_live_ones(small_table: Guarded) -> None:
    clients = [f"127.0.0.{n}" for n in range(10, 30)]
    opened: list[Streamable] = []
    refused: list[SessionRefused] = []
    for source in clients:
        try:
            opened.append(await Streamable(small_table.url, source=source).open())
        except SessionRefused as exc:
            refused.append(exc)
    assert refused, "the table never filled up"
    assert {r.response.status for r in refused} == {503}
    assert {r.response.json()["error"]["code"] for r in refused} == {errors.OVERLOADED}
    for n, client in enumerate(opened):
        assert await echo(client, 10 + n) == 200, f"{client.source}'s live session was evicted"

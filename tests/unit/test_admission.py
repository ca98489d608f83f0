"""Budgets for large messages (transports/admission.py): bounded, fair between clients, never stuck."""

import asyncio

import pytest

from guardmesh.transports.admission import LARGE_MESSAGE, Budget, Overloaded, TooCostly, inspection_cost


def budget(capacity: int = 10, wait: float = 5.0) -> Budget:
    return Budget("test", lambda: capacity, lambda: wait)


async def test_a_grant_fits_at_once_and_comes_back_on_release() -> None:
    b = budget()
    grant = await b.take("a", 4)
    assert b.used == 4
    grant.release()
    grant.release()
    assert b.used == 0


async def test_more_than_the_whole_budget_is_too_costly() -> None:
    with pytest.raises(TooCostly):
        await budget(capacity=10).take("a", 11)


async def test_a_client_alone_may_use_it_all_but_only_half_while_holding_some() -> None:
    b = budget(capacity=10)
    first = await b.take("a", 8)
    assert b.used == 8, "a client holding nothing may take more than half"
    waiting = asyncio.ensure_future(b.take("a", 2))
    await asyncio.sleep(0)
    assert not waiting.done(), "but not go past half while holding some"
    first.release()
    (await waiting).release()


async def test_waiters_are_served_client_after_client() -> None:
    b = budget(capacity=2)
    held = await b.take("flood", 2)
    order: list[str] = []

    async def want(key: str) -> None:
        grant = await b.take(key, 2)
        order.append(key)
        await asyncio.sleep(0)
        grant.release()

    tasks = [asyncio.ensure_future(want("flood")) for _ in range(3)]
    await asyncio.sleep(0)
    tasks.append(asyncio.ensure_future(want("other")))
    await asyncio.sleep(0)
    held.release()
    await asyncio.gather(*tasks)
    assert order.index("other") <= 1, f"the other client waited behind the whole flood: {order}"


async def test_a_wait_past_the_deadline_is_overloaded_and_leaves_nothing_behind() -> None:
    b = budget(capacity=2, wait=0.01)
    held = await b.take("a", 2)
    with pytest.raises(Overloaded):
        await b.take("b", 1)
    assert b.waiting == 0
    held.release()
    assert b.used == 0


async def test_a_cancelled_waiter_hands_its_room_on() -> None:
    b = budget(capacity=2)
    held = await b.take("a", 2)
    cancelled = asyncio.ensure_future(b.take("b", 2))
    later = asyncio.ensure_future(b.take("c", 2))
    await asyncio.sleep(0)
    cancelled.cancel()
    held.release()
    grant = await asyncio.wait_for(later, 1)
    assert b.used == 2
    grant.release()
    assert b.used == 0


def test_the_cost_of_a_message_grows_with_its_values_and_its_non_ascii_text() -> None:
    plain = b'{"text":"' + b"a" * LARGE_MESSAGE + b'"}'
    wide = b'{"text":"' + "\u200b".encode() * (LARGE_MESSAGE // 3) + b'"}'
    many = b"[" + b"1," * (LARGE_MESSAGE // 2) + b"1]"
    assert inspection_cost(plain) < inspection_cost(wide) < inspection_cost(many)

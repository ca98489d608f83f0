"""Session admission (transports/sessions.py): nobody's live session makes room for another client's."""

import pytest

from guardmesh.config import Limits
from guardmesh.transports.sessions import Session, SessionsFull, SessionTable


def table(max_sessions: int = 4, per_client: int = 2, idle: float = 60.0) -> SessionTable:
    limits = Limits(max_sessions=max_sessions, max_sessions_per_client=per_client, session_idle_seconds=idle)
    return SessionTable(lambda: limits)


def test_a_client_over_its_quota_gives_up_its_own_least_recently_used_session() -> None:
    sessions = table()
    a1, a2, b1 = Session("a1", owner="a"), Session("a2", owner="a"), Session("b1", owner="b")
    for s in (a1, a2, b1):
        assert sessions.admit(s) == []
    sessions.get("a1")  # a1 used again: a2 is now a's least recently used
    assert sessions.admit(Session("a3", owner="a")) == [a2]
    assert sessions.get("a2") is None
    assert sessions.get("b1") is b1


def test_a_session_in_use_is_not_given_up_even_by_its_own_client() -> None:
    sessions = table(per_client=1)
    a1 = Session("a1", owner="a")
    sessions.admit(a1)
    with a1.in_use(), pytest.raises(SessionsFull):
        sessions.admit(Session("a2", owner="a"))


def test_a_full_table_forgets_only_a_session_idle_long_enough_and_else_refuses() -> None:
    sessions = table(max_sessions=2, per_client=2, idle=60.0)
    old, recent = Session("old", owner="a"), Session("recent", owner="b")
    sessions.admit(old)
    sessions.admit(recent)
    with pytest.raises(SessionsFull):
        sessions.admit(Session("new", owner="c"))
    old.last_used -= 61
    assert sessions.admit(Session("new", owner="c")) == [old]
    assert len(sessions) == 2


def test_an_idle_session_with_an_open_stream_is_not_idle() -> None:
    sessions = table(max_sessions=1, idle=60.0)
    streaming = Session("s", owner="a")
    sessions.admit(streaming)
    streaming.in_flight = 1
    streaming.last_used -= 3600
    with pytest.raises(SessionsFull):
        sessions.admit(Session("new", owner="b"))


def test_sessions_that_live_as_long_as_a_stream_are_refused_past_the_quota_rather_than_evicted() -> None:
    sessions = table(per_client=1)
    sessions.admit(Session("first", owner="a"), evict_own=False)
    with pytest.raises(SessionsFull):
        sessions.admit(Session("second", owner="a"), evict_own=False)

"""Server-sent events framing: whole events out of arbitrary chunks, exact bytes kept, size bounded."""

import itertools

import pytest

from guardmesh.protocol.sse import SseDecoder, SseEvent, SseTooLarge, format_event, parse_event

ENDINGS = {"lf": "\n", "crlf": "\r\n", "cr": "\r"}


def stream(eol: str) -> bytes:
    """A priming event, a keep-alive comment, a message with a multi-line payload, and a plain message."""
    lines = [
        ["id: prime-1", "data:"],
        [": keep-alive"],
        ["event: message", "id: 7", 'data: {"jsonrpc":"2.0",', 'data: "id":1,"result":{}}'],
        ['data: {"jsonrpc":"2.0","method":"notifications/progress"}'],
    ]
    return "".join(eol.join(event) + eol + eol for event in lines).encode()


def decode_in_chunks(data: bytes, cuts: list[int], limit: int = 1 << 20) -> tuple[list[SseEvent], bytes]:
    decoder = SseDecoder(limit)
    events: list[SseEvent] = []
    bounds = [0, *cuts, len(data)]
    for start, end in itertools.pairwise(bounds):
        events.extend(decoder.feed(data[start:end]))
    return events, decoder.pending


@pytest.mark.parametrize("eol", ENDINGS.values(), ids=ENDINGS.keys())
def test_every_line_ending_yields_the_same_events(eol: str) -> None:
    events, pending = decode_in_chunks(stream(eol), [])
    assert pending == b""
    assert [(e.event, e.id, e.data) for e in events] == [
        (None, "prime-1", ""),
        (None, None, None),
        ("message", "7", '{"jsonrpc":"2.0",\n"id":1,"result":{}}'),
        (None, None, '{"jsonrpc":"2.0","method":"notifications/progress"}'),
    ]


@pytest.mark.parametrize("eol", ENDINGS.values(), ids=ENDINGS.keys())
def test_events_split_at_any_byte_come_out_whole_and_exact(eol: str) -> None:
    data = stream(eol)
    whole, _ = decode_in_chunks(data, [])
    for cut in range(1, len(data)):
        events, pending = decode_in_chunks(data, [cut])
        assert [e.raw for e in events] == [e.raw for e in whole], f"split at byte {cut}"
        assert [e.data for e in events] == [e.data for e in whole], f"split at byte {cut}"
        assert pending == b""


@pytest.mark.parametrize("eol", ENDINGS.values(), ids=ENDINGS.keys())
def test_events_fed_one_byte_at_a_time_reassemble_the_stream(eol: str) -> None:
    data = stream(eol)
    events, pending = decode_in_chunks(data, list(range(1, len(data))))
    assert b"".join(e.raw for e in events) + pending == data
    assert len(events) == 4


def test_a_crlf_terminator_split_in_its_middle_ends_the_event_once() -> None:
    decoder = SseDecoder(1024)
    assert list(decoder.feed(b"data: a\r\n\r")) == []
    events = list(decoder.feed(b"\ndata: b\r\n\r\n"))
    assert [e.raw for e in events] == [b"data: a\r\n\r\n", b"data: b\r\n\r\n"]


def test_an_unfinished_event_waits_and_stays_pending() -> None:
    decoder = SseDecoder(1024)
    assert list(decoder.feed(b"data: partial\n")) == []
    assert decoder.pending == b"data: partial\n"


def test_a_keep_alive_comment_keeps_its_exact_bytes_and_carries_no_message() -> None:
    raw = b":\r\n\r\n"
    (event,) = SseDecoder(1024).feed(raw)
    assert event.raw == raw
    assert event.data is None
    assert not event.carries_message


@pytest.mark.parametrize(
    ("raw", "carries"),
    [
        (b'data: {"id":1}\n\n', True),
        (b'event: message\ndata: {"id":1}\n\n', True),
        (b"event: endpoint\ndata: /messages?sessionId=1\n\n", False),
        (b"id: 1\ndata:\n\n", False),
        (b"data:   \n\n", False),
        (b"retry: 1000\n\n", False),
    ],
)
def test_only_message_events_with_data_carry_a_message(raw: bytes, carries: bool) -> None:
    assert parse_event(raw).carries_message is carries


def test_field_values_lose_exactly_one_leading_space() -> None:
    event = parse_event(b"data:x\ndata:  y\nid:  3\nretry: 500\nunknown: z\n\n")
    assert event.data == "x\n y"
    assert event.id == " 3"
    assert event.retry == "500"


def test_a_data_line_without_a_colon_is_an_empty_line_of_data() -> None:
    assert parse_event(b"data\ndata: a\n\n").data == "\na"


def test_an_event_of_exactly_the_limit_is_accepted() -> None:
    raw = b"data: " + b"x" * 10 + b"\n\n"
    (event,) = SseDecoder(len(raw)).feed(raw)
    assert event.raw == raw


def test_an_unfinished_event_past_the_limit_is_refused() -> None:
    decoder = SseDecoder(64)
    assert list(decoder.feed(b"data: " + b"x" * 58)) == []
    with pytest.raises(SseTooLarge, match="64 bytes"):
        list(decoder.feed(b"x"))


def test_a_complete_event_past_the_limit_is_refused() -> None:
    decoder = SseDecoder(64)
    with pytest.raises(SseTooLarge, match="64 bytes"):
        list(decoder.feed(b"data: " + b"x" * 60 + b"\n\n"))


def test_an_event_that_crosses_the_limit_only_when_it_ends_is_refused() -> None:
    decoder = SseDecoder(64)
    assert list(decoder.feed(b"data: " + b"x" * 58)) == []
    with pytest.raises(SseTooLarge):
        list(decoder.feed(b"\n\n"))


def test_small_events_in_one_large_chunk_are_each_within_the_limit() -> None:
    raw = b"data: 1234\n\n" * 50
    events = list(SseDecoder(16).feed(raw))
    assert len(events) == 50


@pytest.mark.parametrize(
    ("data", "event", "id_"),
    [
        ('{"jsonrpc":"2.0","id":1,"result":{}}', None, None),
        ('{"jsonrpc":"2.0","id":1,"result":{}}', "message", "42"),
        ("line one\nline two\n", None, "x"),
        ("", "endpoint", None),
    ],
)
def test_format_event_round_trips_through_the_decoder(data: str, event: str | None, id_: str | None) -> None:
    raw = format_event(data, event=event, id_=id_)
    (parsed,) = SseDecoder(1024).feed(raw)
    assert (parsed.data, parsed.event, parsed.id) == (data, event, id_)
    assert parsed.raw == raw


def test_format_event_takes_bytes_as_well_as_text() -> None:
    assert format_event(b'{"a":1}', event="message") == b'event: message\ndata: {"a":1}\n\n'


@pytest.mark.parametrize("stream", [b"data: a\n\r\ndata: b\r\n\n", b"data: a\r\n\ndata: b\n\r\n"])
def test_mixed_lf_and_crlf_line_ends_still_separate_events(stream: bytes) -> None:
    for size in (1, len(stream)):
        decoder = SseDecoder(1000)
        events = [e for i in range(0, len(stream), size) for e in decoder.feed(stream[i : i + size])]
        assert [e.data for e in events] == ["a", "b"]
        assert b"".join(e.raw for e in events) == stream

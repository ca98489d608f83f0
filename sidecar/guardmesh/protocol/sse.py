"""Incremental server-sent-events framing with a bound on event size; events keep their exact bytes."""

import re
from collections.abc import Iterator
from dataclasses import dataclass

# The spec allows CRLF, LF or CR line ends; an event ends at an empty line. Mixed CRLF and LF line
# ends are recognised too; CR-only streams end events at CR CR.
_EVENT_END = re.compile(rb"\r\n\r\n|\r\n\n|\n\r\n|\n\n|\r\r")
_LINE = re.compile(rb"\r\n|\r|\n")


class SseTooLarge(ValueError):
    """An event grew past the limit before it ended."""


@dataclass(slots=True)
class SseEvent:
    raw: bytes
    """The event exactly as received, terminator included."""
    event: str | None = None
    data: str | None = None
    id: str | None = None
    retry: str | None = None

    @property
    def carries_message(self) -> bool:
        """Whether the event holds a JSON-RPC payload (not a keep-alive, priming or endpoint event)."""
        return self.data is not None and self.data.strip() != "" and self.event in (None, "message")


def parse_event(raw: bytes) -> SseEvent:
    """Read the fields of one complete event block."""
    event = SseEvent(raw)
    data: list[str] = []
    for line in _LINE.split(raw):
        if not line or line.startswith(b":"):
            continue
        name, sep, value = line.partition(b":")
        if sep and value.startswith(b" "):
            value = value[1:]
        text = value.decode("utf-8", "replace")
        if name == b"data":
            data.append(text)
        elif name == b"event":
            event.event = text
        elif name == b"id":
            event.id = text
        elif name == b"retry":
            event.retry = text
    if data:
        event.data = "\n".join(data)
    return event


def format_event(data: str | bytes, event: str | None = None, id_: str | None = None) -> bytes:
    """Serialise one event; multi-line data becomes several `data:` lines."""
    text = data.decode() if isinstance(data, bytes) else data
    out = []
    if event is not None:
        out.append(f"event: {event}\n")
    if id_ is not None:
        out.append(f"id: {id_}\n")
    out.extend(f"data: {line}\n" for line in text.split("\n"))
    out.append("\n")
    return "".join(out).encode()


class SseDecoder:
    """Feed bytes, get whole events; refuses an event larger than `max_event_bytes`."""

    def __init__(self, max_event_bytes: int) -> None:
        self._buffer = bytearray()
        self._max = max_event_bytes
        self._scanned = 0

    def feed(self, chunk: bytes) -> Iterator[SseEvent]:
        self._buffer += chunk
        while True:
            # Back up three bytes so a terminator split across chunks is still found.
            match = _EVENT_END.search(self._buffer, max(0, self._scanned - 3))
            if match is None:
                self._scanned = len(self._buffer)
                if self._scanned > self._max:
                    raise SseTooLarge(f"an SSE event exceeded {self._max} bytes")
                return
            end = match.end()
            raw = bytes(self._buffer[:end])
            del self._buffer[:end]
            self._scanned = 0
            if len(raw) > self._max:
                raise SseTooLarge(f"an SSE event exceeded {self._max} bytes")
            yield parse_event(raw)

    def reset(self) -> None:
        """Forget an unfinished event."""
        self._buffer.clear()
        self._scanned = 0

    @property
    def buffered(self) -> int:
        """Bytes of an unfinished event held so far."""
        return len(self._buffer)

    @property
    def pending(self) -> bytes:
        """Bytes of an unfinished event, for when the stream ends."""
        return bytes(self._buffer)

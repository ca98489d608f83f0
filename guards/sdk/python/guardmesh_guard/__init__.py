"""Write a GuardMesh guard in Python as one class: parse the config once, decide per message.

```python
from guardmesh_guard import ALLOW, Context, Guard, Message, Verdict, deny, export

class NoDelete(Guard):
    @classmethod
    def configure(cls, config: dict) -> "NoDelete":
        return cls()

    def evaluate(self, ctx: Context, message: Message) -> Verdict:
        return deny("no-delete", "deleting is off") if ctx.target == "delete" else ALLOW

Guard = export(NoDelete)   # the name componentize-py looks for: the exported interface `guard`
```

This module is plain Python: the decision logic runs and is tested under CPython as it is. Only
`export` touches the generated component bindings (``wit_world``), which exist inside a
componentize-py build.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ALLOW",
    "Allow",
    "ConfigError",
    "Context",
    "Deny",
    "Guard",
    "Message",
    "Modify",
    "Verdict",
    "deny",
    "export",
    "log",
    "modify",
    "now_ms",
]

_fallback_log = logging.getLogger("guardmesh_guard")


class ConfigError(ValueError):
    """A bad config; its text is returned to the host, which refuses the guard with it."""


@dataclass(frozen=True, slots=True)
class Context:
    """What the guard may know besides the message (the WIT `context`, enums as their WIT names)."""

    server_id: str
    phase: str
    """`request`, `response`, `notification` or `server-request`."""
    direction: str
    """`client-to-server` or `server-to-client`."""
    method: str | None = None
    """The JSON-RPC method; for a response, the method of the request it answers."""
    target: str | None = None
    """The tool or prompt name, or the resource URI."""
    session_id: str | None = None
    protocol_version: str | None = None


class Message:
    """One JSON-RPC message: the text the host sent, parsed only if the guard asks for `json`."""

    __slots__ = ("_json", "raw")

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self._json: Any = _UNPARSED

    @property
    def json(self) -> Any:
        """The message parsed (a dict for any well-formed message); None if it is not JSON."""
        if self._json is _UNPARSED:
            try:
                self._json = json.loads(self.raw)
            except ValueError:
                self._json = None
        return self._json


_UNPARSED: Any = object()


@dataclass(frozen=True, slots=True)
class Allow:
    """Forward the message unchanged."""


@dataclass(frozen=True, slots=True)
class Deny:
    """Refuse the message: `code` is a short stable label, `message` a reason for people (never the content)."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Modify:
    """Forward `message` (a JSON-RPC message with the original's id, kind and method) instead."""

    message: Any


Verdict = Allow | Deny | Modify
ALLOW = Allow()


def deny(code: str, message: str) -> Deny:
    return Deny(code, message)


def modify(message: Any) -> Modify:
    return Modify(message)


class Guard(ABC):
    """A guard: built once per instance from its config, then asked about one message at a time."""

    @classmethod
    @abstractmethod
    def configure(cls, config: Any) -> Guard:
        """Build the guard from its parsed JSON config; raise `ConfigError` (or `ValueError`) for a bad one."""

    @abstractmethod
    def evaluate(self, ctx: Context, message: Message) -> Verdict:
        """Decide about one message."""


class _Log:
    """The host's log (tagged with the guard's name); Python's logging when run outside a component."""

    def _write(self, level: str, message: str) -> None:
        host = _host()
        if host is None:
            _fallback_log.log(logging.getLevelName(level.upper() if level != "warn" else "WARNING"), message)
        else:
            host.log(getattr(host.Level, level.upper()), message)

    def debug(self, message: str) -> None:
        self._write("debug", message)

    def info(self, message: str) -> None:
        self._write("info", message)

    def warn(self, message: str) -> None:
        self._write("warn", message)

    def error(self, message: str) -> None:
        self._write("error", message)


log = _Log()


def now_ms() -> int:
    """Wall-clock milliseconds since the Unix epoch, from the host (the guest has no clock of its own)."""
    host = _host()
    if host is None:
        import time

        return int(time.time() * 1000)
    value: int = host.get_time()
    return value


def _host() -> Any:
    try:
        from wit_world.imports import host  # type: ignore[import-not-found]
    except ImportError:
        return None
    return host


def export(guard_class: type[Guard]) -> type:
    """The class componentize-py exports as the `guard` interface, wrapping `guard_class`.

    Outside a componentize-py build (no generated bindings) it returns `guard_class` unchanged, so
    the module that calls it imports under plain CPython for tests.
    """
    try:
        from guardmesh_guard._component import exported
    except ModuleNotFoundError as exc:
        if exc.name not in ("wit_world", "componentize_py_types"):
            raise
        return guard_class
    return exported(guard_class)

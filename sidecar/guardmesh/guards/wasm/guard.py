"""`WasmGuard`: the Guard interface over a pool of WebAssembly component instances."""

import logging
import threading
import time
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import orjson

from guardmesh.config.models import Phase, SecurityGuardSpec
from guardmesh.guards.api import ALLOW, GuardContext, Verdict, deny, modify
from guardmesh.guards.wasm import engine, sources
from guardmesh.guards.wasm.module import GuestError, Module, ModuleError, first_line
from guardmesh.guards.wasm.pool import Pool
from guardmesh.protocol.jsonrpc import Message

log = logging.getLogger("guardmesh.guards.wasm")

FETCH_TIMEOUT: Final = 30.0
RETRY_FIRST, RETRY_CAP = 1.0, 60.0
_JSON_KEY: Final = "wasm.json"
"""Message.cache key: the body as JSON text, made once however many wasm guards read it."""


class NotLoaded(GuestError):
    """The module has not been fetched and loaded yet; the guard's failure mode applies meanwhile."""


class WasmGuard:
    """Runs a WebAssembly guard component. Remote modules load in the background; local ones at once."""

    kind = "wasm"

    def __init__(self, spec: SecurityGuardSpec, *, cache_dir: Path | None = None, name: str | None = None) -> None:
        wasm = spec.wasm
        if wasm is None:
            raise ModuleError("a wasm guard needs its `wasm` settings")
        self.url = wasm.url
        self.name = name or wasm.url.rsplit("/", 1)[-1]
        self._sha256 = wasm.sha256
        self._config = orjson.dumps(wasm.config).decode()
        self._memory = wasm.limits.memory_mib * 1024 * 1024
        self._timeout = spec.timeout_ms / 1000
        self._cache_dir = engine.default_cache_dir() if cache_dir is None else cache_dir
        self._interests: dict[Phase, frozenset[str] | None] = {phase: None for phase in spec.runs_on}
        self.pool: Pool | None = None
        self.load_error: str | None = None
        if wasm.url.startswith("file://"):
            self.pool = self._load()
        # A reload, or a restart with a warm cache, loads at once: no window in which the guard fails.
        elif not (self._downloaded() and self._try_load()):
            self.load_error = "module is still loading"
            threading.Thread(target=_load_in_background, args=(weakref.ref(self),), daemon=True,
                             name=f"wasm-load-{self.name}").start()  # fmt: skip

    @property
    def interests(self) -> Mapping[Phase, frozenset[str] | None]:
        return self._interests

    def _downloaded(self) -> bool:
        # sources.fetch serves a verified copy from here without touching the network.
        return self._sha256 is not None and (self._cache_dir / "sha256" / f"{self._sha256}.wasm").is_file()

    def _try_load(self) -> bool:
        """Load from the download cache; a module or config that cannot work refuses the guard (ModuleError)."""
        try:
            self.pool = self._load()
        except (sources.SourceError, GuestError, OSError) as exc:
            log.warning("wasm guard %s: cached module did not load (%s); fetching again", self.name, first_line(exc))
            return False
        return True

    def _load(self) -> Pool:
        """Fetch, verify, compile, check and warm one instance; raises SourceError, ModuleError or GuestError."""
        path = sources.fetch(self.url, self._sha256, cache_dir=self._cache_dir, timeout=FETCH_TIMEOUT)
        try:
            module = Module(self.name, path, self._config, self._memory, self._timeout, self._cache_dir)
            return Pool(module)
        except (ModuleError, GuestError) as exc:
            raise type(exc)(f"{self.url}: {exc}") from None

    def check(self, message: Message, ctx: GuardContext) -> Verdict:
        pool = self.pool
        if pool is None:
            raise NotLoaded(f"{self.url}: {self.load_error}")
        text = message.cache.get(_JSON_KEY)
        if text is None:
            text = message.cache[_JSON_KEY] = orjson.dumps(message.body).decode()
        context: dict[str, str | None] = {
            "server-id": ctx.server_id,
            "session-id": ctx.session_id,
            "protocol-version": ctx.protocol_version,
            "phase": message.phase.value,
            "direction": message.direction.value,
            "method": message.method,
            "target": message.target,
        }
        decided = pool.evaluate(context, text)
        if decided.case == "deny":
            return deny(f"{decided.code}: {decided.reason}" if decided.code else decided.reason)
        if decided.case == "modify" and decided.body is not None:
            return modify(decided.body, "modified by the guard")
        return ALLOW


def _load_in_background(ref: "weakref.ReferenceType[WasmGuard]") -> None:
    """Retry with backoff until the module loads or the guard is gone (replaced by a reload)."""
    pause = RETRY_FIRST
    while (guard := ref()) is not None:
        try:
            guard.pool = guard._load()
            guard.load_error = None
            log.info("wasm guard %s loaded from %s", guard.name, guard.url)
            return
        except (sources.SourceError, ModuleError, GuestError, OSError) as exc:
            guard.load_error = first_line(exc)
            permanent = isinstance(exc, ModuleError | GuestError)
            if permanent or (isinstance(exc, sources.SourceError) and not exc.temporary):
                pause = RETRY_CAP  # a sha mismatch, a 404 or a bad module only changes if someone fixes it
            log.warning("wasm guard %s not loaded, retrying in %.0fs: %s", guard.name, pause, guard.load_error)
        del guard  # hold no reference while sleeping, so a replaced guard can go
        time.sleep(pause)
        pause = min(pause * 2, RETRY_CAP)

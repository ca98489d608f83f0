"""The process's one wasmtime Engine, its epoch ticker, and compiled components cached on disk."""

import hashlib
import logging
import os
import threading
import time
from importlib.metadata import version
from pathlib import Path
from typing import Final

import wasmtime
from wasmtime import component as wc

log = logging.getLogger("guardmesh.guards.wasm")

TICK_SECONDS: Final = 0.002
"""Epoch period: a call's deadline is its timeout rounded down to whole ticks, so it stops in time."""
CACHE_ENV: Final = "GUARDMESH_WASM_CACHE"
WASMTIME_VERSION: Final = version("wasmtime")
_CONFIG_TAG: Final = "epoch"
"""What the engine's settings mean for compiled code; part of the cache key with the wasmtime version."""

_lock = threading.Lock()
_engine: wasmtime.Engine | None = None
_compiled: dict[str, wc.Component] = {}


def default_cache_dir() -> Path:
    """`$GUARDMESH_WASM_CACHE`, else `~/.cache/guardmesh/wasm`."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured) if configured else Path.home() / ".cache" / "guardmesh" / "wasm"


def engine() -> wasmtime.Engine:
    """The shared engine; the first call starts the epoch ticker."""
    global _engine
    with _lock:
        if _engine is None:
            config = wasmtime.Config()
            config.epoch_interruption = True
            _engine = wasmtime.Engine(config)
            threading.Thread(target=_tick, args=(_engine,), name="wasm-epoch", daemon=True).start()
        return _engine


_calls_lock = threading.Lock()
_in_flight = 0
_wake = threading.Event()


def _tick(eng: wasmtime.Engine) -> None:
    # Tick only while some guest runs: an idle sidecar then costs no wake-ups (ticking always: ~1.3% of a core).
    while True:
        _wake.wait()
        time.sleep(TICK_SECONDS)
        eng.increment_epoch()
        with _calls_lock:
            if _in_flight == 0:
                _wake.clear()


def call_started() -> None:
    """Before entering a guest: make sure the epoch advances while it runs."""
    global _in_flight
    with _calls_lock:
        _in_flight += 1
        if not _wake.is_set():
            _wake.set()


def call_ended() -> None:
    global _in_flight
    with _calls_lock:
        _in_flight -= 1


def deadline_ticks(timeout: float) -> int:
    """Epoch ticks for a call that may run `timeout` seconds."""
    return max(1, int(timeout / TICK_SECONDS))


def compile_component(wasm: bytes, cache_dir: Path | None) -> tuple[wc.Component, str]:
    """The component for these bytes, from memory, the disk cache or a fresh compile; returns it and its sha256."""
    digest = hashlib.sha256(wasm).hexdigest()
    with _lock:
        found = _compiled.get(digest)
    if found is not None:
        return found, digest
    eng = engine()
    path = None if cache_dir is None else cache_dir / f"wasmtime-{WASMTIME_VERSION}-{_CONFIG_TAG}" / f"{digest}.cwasm"
    component = None
    if path is not None and path.is_file():
        try:
            # Trusted input: only this process writes the cache, and only after compiling the verified bytes.
            component = wc.Component.deserialize_file(eng, str(path))
        except wasmtime.WasmtimeError as exc:
            log.warning("compiled cache %s is unusable, compiling again: %s", path, exc)
    if component is None:
        component = wc.Component(eng, wasm)
        if path is not None:
            _store(path, bytes(component.serialize()))
    with _lock:
        _compiled[digest] = component
    return component, digest


def _store(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:  # a read-only home only costs a compile per start
        log.warning("cannot cache compiled component in %s: %s", path.parent, exc.strerror)

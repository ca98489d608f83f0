"""A guard module checked against the contract, and its instances: one Store each, with limits and host imports."""

import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import wasmtime
from wasmtime import component as wc

from guardmesh.guards.wasm import abi, engine
from guardmesh.guards.wasm.contract import GUARD_EXPORT, HOST_IMPORT, PACKAGE, VERSION

log = logging.getLogger("guardmesh.guards.wasm")

_CORE_MODULE = b"\x00asm\x01\x00\x00\x00"
_COMPONENT = b"\x00asm\x0d\x00\x01\x00"
_OURS = re.compile(rf"^{re.escape(PACKAGE)}/(?P<iface>[\w-]+)@(?P<version>[\w.+-]+)$")
_LOG_LIMIT = 2000
"""Longest guest log line kept, so a chatty guest cannot flood the sidecar's log."""
LOG_RATE, LOG_BURST = 20.0, 100.0
"""Guest log lines per second a module may write, and the burst; the rest are dropped and counted."""
CONFIGURE_SECONDS = 1.0
"""Least time `configure` gets, whatever the guard's per-call timeout: parsing config may build matchers."""


@dataclass(frozen=True, slots=True)
class Decided:
    """A guest's verdict: `case` is allow, deny (with `code` and `reason`) or modify (with `body`)."""

    case: str
    code: str = ""
    reason: str = ""
    body: dict[str, Any] | None = None


class ModuleError(ValueError):
    """A module that cannot run as a guard here; the message says why."""


class GuestError(RuntimeError):
    """A call into the guest failed: a trap, a bad verdict or a broken instance."""


class GuestTimeout(TimeoutError, GuestError):
    """The guest ran past its deadline and was interrupted."""


def check_header(wasm: bytes) -> None:
    """Refuse what is not a WebAssembly component before handing it to the compiler."""
    head = wasm[:8]
    if head == _CORE_MODULE:
        raise ModuleError(
            f"is a core WebAssembly module, not a component; build it as a component of {PACKAGE}@{VERSION}"
            " (e.g. Rust's wasm32-wasip2 target, componentize-py)"
        )
    if head[:4] != b"\x00asm":
        raise ModuleError("is not WebAssembly (no \\0asm header)")
    if head != _COMPONENT:
        raise ModuleError(f"is a WebAssembly binary of an unsupported layer/version {head[4:].hex()}")


def check_contract(component: wc.Component, eng: wasmtime.Engine) -> list[str]:
    """Refuse a component that implements another contract version; returns the imports that will trap."""
    ctype = component.type
    exports = list(ctype.exports(eng))
    imports = list(ctype.imports(eng))
    for name in exports + imports:
        found = _OURS.match(name)
        if found and found["version"] != VERSION:
            raise ModuleError(
                f"implements {PACKAGE}@{found['version']} ({name}), but this sidecar runs {PACKAGE}@{VERSION}"
            )
    if GUARD_EXPORT not in exports:
        raise ModuleError(f"does not export {GUARD_EXPORT} (it exports {', '.join(exports) or 'nothing'})")
    return [name for name in imports if not _OURS.match(name)]


class Instance:
    """One ready guest instance with its own Store and state. Not thread-safe: the pool hands it to one caller."""

    def __init__(self, module: "Module") -> None:
        self.store = wasmtime.Store(module.engine)
        self.store.set_limits(memory_size=module.memory_bytes)
        self.store.set_epoch_deadline(engine.deadline_ticks(max(module.timeout, CONFIGURE_SECONDS)))
        engine.call_started()  # instantiation runs the guest's start code, under the same deadline
        try:
            instance = module.linker.instantiate(self.store, module.component)
        finally:
            engine.call_ended()
        configure, self._evaluate = (module.export(self.store, instance, n) for n in ("configure", "evaluate"))
        abi.check_signature(self.store, self._evaluate, configure)
        self._ticks = engine.deadline_ticks(module.timeout)
        engine.call_started()
        try:
            error = configure(self.store, module.config)
        except wasmtime.WasmtimeError as exc:
            raise GuestError(f"configure trapped: {first_line(exc)}") from None
        finally:
            engine.call_ended()
        if error is not None:
            raise ModuleError(f"configure refused the config: {error}")
        self.calls = 0

    def evaluate(self, context: dict[str, str | None], message: str) -> Decided:
        self.store.set_epoch_deadline(self._ticks)
        engine.call_started()
        try:
            verdict = abi.evaluate(self._evaluate, self.store, context, message)
        except wasmtime.WasmtimeError as exc:
            text = first_line(exc)
            if "wasm trap: interrupt" in str(exc):
                raise GuestTimeout("guest ran past its timeout and was stopped") from None
            raise GuestError(f"guest trapped: {text}") from None
        except TypeError as exc:
            raise GuestError(f"bad verdict: {exc}") from None
        finally:
            engine.call_ended()
        case, first, second = verdict
        body = None
        if case == "modify":
            try:
                body = orjson.loads(first)
            except orjson.JSONDecodeError:
                raise GuestError("bad verdict: modify returned text that is not JSON") from None
            if not isinstance(body, dict):
                raise GuestError("bad verdict: modify returned JSON that is not an object")
        self.calls += 1
        return Decided(case, first if case == "deny" else "", second, body)


_UNGRANTED = re.compile(r"unknown import: `([^`]+)` has not been defined")


def first_line(exc: BaseException) -> str:
    """The gist of an error: wasmtime puts the cause after a backtrace, under `Caused by:`."""
    text = str(exc).strip()
    ungranted = _UNGRANTED.search(text)
    if ungranted:
        return f"called {ungranted[1]}, which the sandbox does not grant"
    _, _, cause = text.partition("Caused by:")
    lines = [line.strip() for line in (cause or text).splitlines() if line.strip()]
    return (lines[0] if lines else type(exc).__name__)[:300]


class Module:
    """A compiled, checked guard component with its linker; makes instances."""

    def __init__(
        self, name: str, path: Path, config: str, memory_bytes: int, timeout: float, cache_dir: Path | None
    ) -> None:
        self.name = name
        self.config = config
        self.memory_bytes = memory_bytes
        self.timeout = timeout
        wasm = path.read_bytes()
        check_header(wasm)
        self.engine = engine.engine()
        try:
            self.component, self.sha256 = engine.compile_component(wasm, cache_dir)
        except wasmtime.WasmtimeError as exc:
            raise ModuleError(f"does not compile: {first_line(exc)}") from None
        trapping = check_contract(self.component, self.engine)
        if trapping:
            log.info("guard %s: %d non-contract imports (WASI) will trap if called", name, len(trapping))
        self.clock = time.monotonic
        self._log_tokens, self._log_at = LOG_BURST, self.clock()
        self.logs_dropped = 0
        """Guest log lines dropped since the last one written."""
        self.linker = wc.Linker(self.engine)
        with self.linker.root() as root, root.add_instance(HOST_IMPORT) as host:
            host.add_func("log", self._log)
            host.add_func("get-time", _now_ms)
            host.add_func("get-config", self._get_config)
        try:
            self.linker.define_unknown_imports_as_traps(self.component)
        except wasmtime.WasmtimeError as exc:
            raise ModuleError(f"imports that cannot be stubbed: {first_line(exc)}") from None

    def export(self, store: wasmtime.Store, instance: wc.Instance, name: str) -> wc.Func:
        iface = instance.get_export_index(store, GUARD_EXPORT)
        index = None if iface is None else instance.get_export_index(store, name, iface)
        func = None if index is None else instance.get_func(store, index)
        if func is None:
            raise ModuleError(f"{GUARD_EXPORT} has no function {name!r}")
        return func

    def instantiate(self) -> Instance:
        try:
            return Instance(self)
        except abi.SignatureError as exc:
            raise ModuleError(str(exc)) from None
        except wasmtime.WasmtimeError as exc:
            raise GuestError(f"cannot instantiate: {first_line(exc)}") from None

    def _log(self, _store: object, level: str, message: str) -> None:
        now = self.clock()
        self._log_tokens = min(LOG_BURST, self._log_tokens + max(0.0, now - self._log_at) * LOG_RATE)
        self._log_at = now
        if self._log_tokens < 1:
            self.logs_dropped += 1
            return
        self._log_tokens -= 1
        if self.logs_dropped:
            log.warning("guard %s: %d log lines dropped (over %d a second)", self.name, self.logs_dropped, LOG_RATE)
            self.logs_dropped = 0
        py_level = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING}.get(level, logging.ERROR)
        log.log(py_level, "guard %s: %s", self.name, message[:_LOG_LIMIT])

    def _get_config(self, _store: object) -> str:
        return self.config


def _now_ms(_store: object) -> int:
    return time.time_ns() // 1_000_000

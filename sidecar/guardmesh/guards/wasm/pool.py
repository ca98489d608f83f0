"""Ready instances of one module, reused across calls; a failed instance is dropped, never reused."""

import logging
import threading
import time

from guardmesh.guards.wasm.module import Decided, GuestError, Instance, Module, first_line

log = logging.getLogger("guardmesh.guards.wasm")

MAX_IDLE = 4
"""Instances kept ready; more are made under concurrency and dropped when returned to a full pool."""
TRIP_AFTER = 5
"""Consecutive failed calls after which the pool stops calling the guest for a while."""
COOL_DOWN_SECONDS = 5.0


class Broken(GuestError):
    """The guest failed too often in a row; calls fail at once until the cool-down ends."""


class Pool:
    def __init__(self, module: Module, warm: int = 1) -> None:
        self.module = module
        self._idle: list[Instance] = [module.instantiate() for _ in range(warm)]
        self._lock = threading.Lock()
        self.failures = 0
        """Consecutive failed calls."""
        self.discarded = 0
        """Instances dropped after a trap, timeout or bad verdict."""
        self._open_until = 0.0

    def evaluate(self, context: dict[str, str | None], message: str) -> Decided:
        if self._open_until and time.monotonic() < self._open_until:
            raise Broken(f"guest failed {self.failures} calls in a row; resting until the cool-down ends")
        with self._lock:
            instance = self._idle.pop() if self._idle else None
        try:
            if instance is None:
                instance = self.module.instantiate()
            verdict = instance.evaluate(context, message)
        except GuestError as exc:
            self._failed(exc)
            raise
        self.failures = 0
        self._open_until = 0.0
        with self._lock:
            if len(self._idle) < MAX_IDLE:
                self._idle.append(instance)
        return verdict

    def _failed(self, exc: GuestError) -> None:
        # The instance is simply not returned: its store, memory and state go with it.
        self.discarded += 1
        self.failures += 1
        if self.failures >= TRIP_AFTER:
            self._open_until = time.monotonic() + COOL_DOWN_SECONDS
            log.warning("guard %s failed %d calls in a row (%s); resting %.0fs",
                        self.module.name, self.failures, first_line(exc), COOL_DOWN_SECONDS)  # fmt: skip

    @property
    def idle(self) -> int:
        return len(self._idle)

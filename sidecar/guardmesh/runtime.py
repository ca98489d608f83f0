"""The sidecar's live state: the pipeline in force, and its atomic replacement on config change."""

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from guardmesh.config import Bundle, ConfigError, Limits, default_bundle, parse_bundle
from guardmesh.guards.registry import GuardBuildError, GuardResources
from guardmesh.pipeline import Pipeline
from guardmesh.telemetry.recorder import Telemetry

log = logging.getLogger("guardmesh.config")


class Runtime:
    """Holds the current bundle and pipeline. Readers take `self.pipeline` once per message, so a swap
    never changes the guards under a message already in flight."""

    def __init__(self, telemetry: Telemetry, server_id: str, config_path: Path | None = None) -> None:
        self.telemetry = telemetry
        self.server_id = server_id
        self.config_path = config_path
        self.resources = GuardResources()
        self.config_error: str | None = None
        """Why the last reload failed; None when the file in force is the newest."""
        self._signature: tuple[int, int, int] | None = None
        text = None
        if config_path is not None:
            text = self._read()
            if text is None:
                raise ConfigError(self.config_error or f"{config_path}: cannot read")
        bundle = default_bundle() if text is None else parse_bundle(text, str(config_path))
        self.bundle = bundle
        self.pipeline = self._build(bundle)
        self.config_hash = _digest(text)
        telemetry.metrics.config_info.labels(self.config_hash).set(1)

    def _build(self, bundle: Bundle) -> Pipeline:
        try:
            return Pipeline.from_bundle(bundle, self.resources, self.server_id)
        except GuardBuildError as exc:
            raise ConfigError(str(exc)) from None

    @property
    def limits(self) -> Limits:
        return self.bundle.limits

    def _read(self) -> bytes | None:
        if self.config_path is None:
            return None
        try:
            # A ConfigMap volume swaps a symlink, so watch the resolved file's identity, not the name's mtime.
            stat = self.config_path.resolve().stat()
            self._signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            return self.config_path.read_bytes()
        except OSError as exc:
            self.config_error = f"{self.config_path}: cannot read: {exc.strerror}"
            self._signature = None  # so a file that stays missing is reported once, not on every poll
            return None

    def changed(self) -> bool:
        if self.config_path is None:
            return False
        try:
            stat = self.config_path.resolve().stat()
        except OSError:
            return self._signature is not None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size) != self._signature

    def reload(self) -> bool:
        """Load the file again; on any error keep the old pipeline, log, count and report it in readiness."""
        text = self._read()
        metrics = self.telemetry.metrics
        try:
            if text is None:
                raise ConfigError(self.config_error or "cannot read config")
            digest = _digest(text)
            if digest == self.config_hash:
                self.config_error = None
                return False
            bundle = parse_bundle(text, str(self.config_path))
            pipeline = self._build(bundle)
        except ConfigError as exc:
            self.config_error = str(exc)
            metrics.reloads.labels("error").inc()
            log.error("config reload failed, keeping the previous config: %s", exc)
            return False
        metrics.config_info.labels(self.config_hash).set(0)
        self.bundle, self.pipeline, self.config_hash, self.config_error = bundle, pipeline, digest, None
        metrics.config_info.labels(digest).set(1)
        metrics.reloads.labels("ok").inc()
        log.info("config reloaded: %d guards, hash %s", len(bundle.guards), digest)
        return True

    @contextlib.asynccontextmanager
    async def watching(self, interval: float = 0.2) -> AsyncIterator[None]:
        """Poll the config file while the context is open; stat() is cheap and survives symlink swaps."""
        if self.config_path is None:
            yield
            return

        async def poll() -> None:
            while True:
                await asyncio.sleep(interval)
                if self.changed():
                    self.reload()

        task = asyncio.create_task(poll())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _digest(text: bytes | None) -> str:
    return "builtin-default" if text is None else hashlib.sha256(text).hexdigest()[:16]

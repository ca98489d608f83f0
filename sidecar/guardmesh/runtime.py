"""The sidecar's live state: the pipeline in force, and its atomic replacement on config change."""

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

from guardmesh.auth import Authenticator
from guardmesh.config import Bundle, ConfigError, Limits, default_bundle
from guardmesh.config.bundle_set import parse_config, parse_pod_labels
from guardmesh.config.identity import Authentication
from guardmesh.guards.registry import GuardBuildError, GuardResources
from guardmesh.pipeline import Pipeline
from guardmesh.telemetry.recorder import Telemetry

log = logging.getLogger("guardmesh.config")


class ApiSource(Protocol):
    def healthy(self) -> bool:
        """Whether the API delivered the config recently, so the mounted file is not needed."""
        ...


class Runtime:
    """Holds the current bundle and pipeline. Readers take `self.pipeline` once per message, so a swap
    never changes the guards under a message already in flight."""

    def __init__(
        self,
        telemetry: Telemetry,
        server_id: str,
        config_path: Path | None = None,
        labels_path: Path | None = None,
        authentication: Authentication | None = None,
    ) -> None:
        self.telemetry = telemetry
        self.authentication_override = authentication
        """Authentication from the command line (`--auth-issuer`...); it replaces the bundle's."""
        self.authenticator: Authenticator | None = None
        """Verifies callers when authentication is on; rebuilt only when its settings change (keeping key caches)."""
        self.server_id = server_id
        self.config_path = config_path
        self.labels_path = labels_path
        """The pod's labels (a downward-API file), which pick this pod's entries from a GuardBundleSet."""
        self._labels: dict[str, str] | None = None
        self.resources = GuardResources()
        self.config_error: str | None = None
        """Why the last reload failed; None when the file in force is the newest."""
        self._signature: tuple[int, ...] | None = None
        self.api_source: ApiSource | None = None
        """Set when the config is also followed through the Kubernetes API (app/configmap_watch.py)."""
        self.api_error: str | None = None
        """Why the API cannot be followed right now (the mounted file is in force meanwhile)."""
        self.report_error: str | None = None
        """Why the last report of tool definitions to the operator failed (it is sent again)."""
        text = None
        if config_path is not None:
            text = self._read()
            if text is None:
                raise ConfigError(self.config_error or f"{config_path}: cannot read")
        bundle = default_bundle() if text is None else parse_config(text, str(config_path), self._labels)
        self.bundle = bundle
        self.pipeline = self._build(bundle)
        self.authenticator = self._authenticator(bundle)
        self.config_hash = self._digest(text)
        self._in_force: tuple[bytes | None, str] = (text, str(config_path))
        """The config text in force and where it came from, to pick this pod's entries again on a relabel."""
        self.config_from_api = False
        """Whether the config in force came through the Kubernetes API (readiness reports it, not the watch's health:
        the watch thread hands a new config to the event loop, so the two can differ for a moment)."""
        telemetry.metrics.config_info.labels(self.config_hash).set(1)

    def _build(self, bundle: Bundle) -> Pipeline:
        try:
            return Pipeline.from_bundle(bundle, self.resources, self.server_id)
        except GuardBuildError as exc:
            raise ConfigError(str(exc)) from None

    def _authenticator(self, bundle: Bundle) -> Authenticator | None:
        config = self.authentication_override or bundle.authentication
        if config is None:
            return None
        current = self.authenticator
        if current is not None and current.config == config:
            return current
        return Authenticator(config)

    @property
    def limits(self) -> Limits:
        return self.bundle.limits

    def _read(self) -> bytes | None:
        if self.config_path is None:
            return None
        path = self.config_path
        try:
            self._signature = self._stat()
            text = path.read_bytes()
            if self.labels_path is not None:
                path = self.labels_path
                self._labels = parse_pod_labels(path.read_bytes(), str(path))
            return text
        except OSError as exc:
            self.config_error = f"{path}: cannot read: {exc.strerror}"
            self._signature = None  # so a file that stays missing is reported once, not on every poll
            return None
        except ConfigError as exc:
            self.config_error = str(exc)
            return None

    def _stat(self) -> tuple[int, ...]:
        # A ConfigMap volume swaps a symlink, so watch the resolved file's identity, not the name's mtime.
        out: tuple[int, ...] = ()
        for path in (self.config_path, self.labels_path):
            if path is not None:
                stat = path.resolve().stat()
                out += (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        return out

    def _digest(self, text: bytes | None) -> str:
        if text is not None and self._labels is not None:
            text += b"\n#labels " + repr(sorted(self._labels.items())).encode()
        return _digest(text)

    def changed(self) -> bool:
        if self.config_path is None:
            return False
        try:
            return self._stat() != self._signature
        except OSError:
            return self._signature is not None

    def reload(self) -> bool:
        """Load the file again; on any error keep the old pipeline, log, count and report it in readiness."""
        return self.apply(self._read(), str(self.config_path))

    def relabel(self) -> bool:
        """Pick this pod's entries again from the config in force, after its labels file changed."""
        try:
            self._signature = self._stat()
            if self.labels_path is not None:
                self._labels = parse_pod_labels(self.labels_path.read_bytes(), str(self.labels_path))
        except OSError as exc:
            self.config_error = f"{self.labels_path}: cannot read: {exc.strerror}"
            return False
        except ConfigError as exc:
            self.config_error = str(exc)
            return False
        return self.apply(*self._in_force, from_api=self.config_from_api)

    def apply(self, text: bytes | None, source: str, *, from_api: bool = False) -> bool:
        """Put a new config in force (from the file, or from the API); on any error keep the old pipeline,
        log, count and report it in readiness. True when the pipeline changed."""
        metrics = self.telemetry.metrics
        try:
            if text is None:
                raise ConfigError(self.config_error or "cannot read config")
            digest = self._digest(text)
            if digest == self.config_hash:
                self.config_error = None
                self._in_force, self.config_from_api = (text, source), from_api
                return False
            bundle = parse_config(text, source, self._labels)
            pipeline = self._build(bundle)
            authenticator = self._authenticator(bundle)
        except ConfigError as exc:
            self.config_error = str(exc)
            metrics.reloads.labels("error").inc()
            log.error("config reload failed, keeping the previous config: %s", exc)
            return False
        metrics.config_info.labels(self.config_hash).set(0)
        self.bundle, self.pipeline, self.config_hash, self.config_error = bundle, pipeline, digest, None
        self.authenticator = authenticator
        self._in_force = (text, source)
        self.config_from_api = from_api
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
                if not self.changed():
                    continue
                # While the API feeds the config, the mounted copy lags behind it: reading it would step
                # back. Only the pod's labels are taken from the files then.
                if self.api_source is not None and self.api_source.healthy():
                    self.relabel()
                else:
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

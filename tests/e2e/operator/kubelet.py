"""A stand-in for the kubelet's ConfigMap volume: mirror a ConfigMap into a directory the way the kubelet does.

KWOK's simulated nodes run no containers, so tests that need the sidecar to read the operator's bundle run
the real sidecar locally and let this write the files: each update lands in a fresh timestamped directory
and the `..data` symlink is swapped atomically, as the kubelet's atomic writer does. What it does not
reproduce is the kubelet's sync delay (its periodic resync plus cache TTL, up to about a minute).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import urllib3
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException


class ConfigMapMirror:
    """Watch one ConfigMap and write its data under `directory`; `on_write(resource_version, seconds)` is
    called after each write with the time it was written (time.monotonic())."""

    def __init__(
        self,
        kubeconfig: Path,
        namespace: str,
        name: str,
        directory: Path,
        on_write: Callable[[str, float], None] | None = None,
    ) -> None:
        self.namespace, self.name, self.directory, self.on_write = namespace, name, directory, on_write
        api_client = config.new_client_from_config(config_file=str(kubeconfig))  # type: ignore[no-untyped-call]
        self.api = client.CoreV1Api(api_client)
        self.written = threading.Event()
        self.version = ""
        self._stop = threading.Event()
        self._watch = watch.Watch()  # type: ignore[no-untyped-call]
        self._thread = threading.Thread(target=self._run, name="configmap-mirror", daemon=True)
        directory.mkdir(parents=True, exist_ok=True)

    def __enter__(self) -> ConfigMapMirror:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._watch.stop()  # type: ignore[no-untyped-call]
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._follow()
            except (ApiException, urllib3.exceptions.HTTPError, OSError):
                # A watch that breaks (or is stopped) is restarted from a fresh list, as the kubelet's reflector does.
                if self._stop.wait(0.2):
                    return

    def _follow(self) -> None:
        stream = self._watch.stream(  # type: ignore[no-untyped-call]
            self.api.list_namespaced_config_map,
            self.namespace,
            field_selector=f"metadata.name={self.name}",
            timeout_seconds=30,
        )
        for event in stream:
            obj = event["object"]
            if event["type"] in ("ADDED", "MODIFIED") and obj.metadata.resource_version != self.version:
                self._write(obj.data or {})
                self.version = obj.metadata.resource_version
                self.written.set()
                if self.on_write is not None:
                    self.on_write(self.version, time.monotonic())
            if self._stop.is_set():
                return

    def _write(self, data: dict[str, str]) -> None:
        stamp = self.directory / f"..{time.time_ns()}"
        stamp.mkdir()
        for key, value in data.items():
            (stamp / key).write_text(value)
            link = self.directory / key
            if not link.is_symlink():
                link.symlink_to(Path("..data") / key)
        temp = self.directory / "..data_tmp"
        temp.unlink(missing_ok=True)
        temp.symlink_to(stamp.name)
        os.replace(temp, self.directory / "..data")

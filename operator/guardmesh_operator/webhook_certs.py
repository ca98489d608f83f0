"""The webhooks' serving certificate: issued, published and rotated by the operator, or reloaded from files.

With `run --manage-certs SETTINGS` (the chart's `certs.mode: operator`) the operator keeps a CA and a
serving certificate in one Secret, patches the CA bundle into the chart's webhook configurations and
renews both before expiry. The bundle keeps the previous CA until it expires, and is published before
the new certificate is served, so the API server trusts whichever certificate it meets during the
switch. Otherwise (`--webhook-cert/--webhook-key`, e.g. cert-manager's Secret mounted as files) the
files are re-read when they change. Either way the certificate is loaded into the live TLS context, so
no restart is needed. The decisions are pure functions; the API calls go through a small protocol.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import logging
import shutil
import ssl
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal, Protocol

import yaml
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from pydantic import Field, ValidationError

from guardmesh.config.base import Spec
from guardmesh_operator.certs import issue_pair, san
from guardmesh_operator.kube import Kube
from guardmesh_operator.webhooks import tls_context

log = logging.getLogger("guardmesh.operator.certs")

CA_KEY, CERT_KEY, KEY_KEY = "ca.crt", "tls.crt", "tls.key"
WebhookKind = Literal["mutatingwebhookconfigurations", "validatingwebhookconfigurations"]
FILE_POLL_SECONDS = 10.0
"""How often mounted certificate files are checked for a change (kubelet updates Secret volumes in about a minute)."""


class SecretRef(Spec):
    """Where the certificate lives."""

    namespace: str = Field(min_length=1)
    """Namespace of the Secret (the release namespace)."""
    name: str = Field(min_length=1)
    """Name of the Secret."""


class CertSettings(Spec):
    """The settings file the chart renders (ConfigMap `<release>-cert-settings`)."""

    secret: SecretRef
    """The Secret that holds ca.crt (the CA bundle), tls.crt and tls.key."""
    hosts: tuple[str, ...] = Field(min_length=1)
    """DNS names and IP addresses of the webhook; the first is the certificate's common name."""
    mutating_webhooks: tuple[str, ...] = ()
    """MutatingWebhookConfigurations whose caBundle is kept equal to the Secret's ca.crt."""
    validating_webhooks: tuple[str, ...] = ()
    """ValidatingWebhookConfigurations likewise."""
    validity_days: int = Field(default=90, ge=2)
    """Days each CA and certificate is valid."""
    renew_before_days: int = Field(default=30, ge=1)
    """Days before expiry a new CA and certificate are issued."""
    check_interval_seconds: float = Field(default=600.0, ge=1.0)
    """Seconds between checks."""


class BadSettings(ValueError):
    """The settings file is missing or invalid; the message says which field and why."""


def load_settings(path: str | Path) -> CertSettings:
    """Parse the settings file, naming the problem when it is wrong."""
    try:
        data = yaml.safe_load(Path(path).read_text())
        settings = CertSettings.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise BadSettings(f"{path}: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise BadSettings(f"{path}: {problems}") from None
    if settings.renew_before_days >= settings.validity_days:
        raise BadSettings(f"{path}: renewBeforeDays must be less than validityDays")
    return settings


@dataclass(frozen=True)
class Material:
    """What the Secret holds: the CA bundle the API server trusts and the certificate the webhooks serve."""

    ca_bundle: bytes
    cert: bytes
    key: bytes

    def as_secret_data(self) -> dict[str, str]:
        return {k: base64.b64encode(v).decode() for k, v in self.as_files().items()}

    def as_files(self) -> dict[str, bytes]:
        return {CA_KEY: self.ca_bundle, CERT_KEY: self.cert, KEY_KEY: self.key}


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def issue(hosts: Sequence[str], now: datetime.datetime, days: int, previous_bundle: bytes = b"") -> Material:
    """A new CA and a certificate for `hosts` signed by it; the bundle also keeps the still-valid previous CAs."""
    not_after = now + datetime.timedelta(days=days)
    ca, cert, key = issue_pair(hosts, f"guardmesh-webhook-ca-{now:%Y%m%d%H%M%S}", now, not_after)
    kept = {_pem(c): None for c in _certs(previous_bundle) if c.not_valid_after_utc > now}
    bundle = b"".join([_pem(ca), *kept])
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return Material(bundle, _pem(cert), key_pem)


def _certs(pem: bytes) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(pem) if pem.strip() else []
    except ValueError:
        return []


def _signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def renewal_reason(material: Material | None, hosts: Sequence[str], now: datetime.datetime, renew_days: int) -> str:
    """Why the Secret needs a new certificate, or "" when the one it holds is good."""
    if material is None:
        return "no certificate yet"
    certs = _certs(material.cert)
    if not certs:
        return "tls.crt is not a PEM certificate"
    cert = certs[0]
    try:
        key = serialization.load_pem_private_key(material.key, password=None)
    except (ValueError, TypeError):
        return "tls.key is not a PEM private key"
    if key.public_key() != cert.public_key():
        return "tls.key does not belong to tls.crt"
    if not any(_signed_by(cert, ca) for ca in _certs(material.ca_bundle)):
        return "ca.crt does not hold the CA that signed tls.crt"
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return "tls.crt has no subject alternative names"
    if set(map(san, hosts)) - set(names):
        return f"tls.crt does not cover {', '.join(hosts)}"
    if cert.not_valid_after_utc - now <= datetime.timedelta(days=renew_days):
        return f"tls.crt expires on {cert.not_valid_after_utc:%Y-%m-%d}"
    return ""


def ca_bundle_patch(configuration: Mapping[str, Any], bundle: bytes) -> list[dict[str, Any]]:
    """JSON Patch that sets every webhook's caBundle to `bundle`; empty when all already hold it."""
    encoded = base64.b64encode(bundle).decode()
    return [
        {"op": "add", "path": f"/webhooks/{i}/clientConfig/caBundle", "value": encoded}
        for i, hook in enumerate(configuration.get("webhooks") or [])
        if (hook.get("clientConfig") or {}).get("caBundle") != encoded
    ]


class CertApi(Protocol):
    """The API calls certificate management needs."""

    async def read_secret(self, namespace: str, name: str) -> dict[str, bytes] | None: ...

    async def write_secret(self, namespace: str, name: str, data: dict[str, str]) -> None: ...

    async def read_webhooks(self, kind: WebhookKind, name: str) -> dict[str, Any] | None: ...

    async def patch_webhooks(self, kind: WebhookKind, name: str, patch: list[dict[str, Any]]) -> None: ...


def _status(exc: Exception) -> int | None:
    status = getattr(exc, "status", None)
    return status if isinstance(status, int) else None


class KubeCertApi:
    """CertApi over the operator's Kubernetes client (guardmesh_operator.kube), without importing the client."""

    def __init__(self, kube: Kube) -> None:
        self.kube = kube

    async def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(partial(fn, *args, **kwargs))

    async def read_secret(self, namespace: str, name: str) -> dict[str, bytes] | None:
        try:
            secret = await self._call(self.kube.core.read_namespaced_secret, name, namespace)
        except Exception as exc:
            if _status(exc) == 404:
                return None
            raise
        return {k: base64.b64decode(v) for k, v in (secret.data or {}).items()}

    async def write_secret(self, namespace: str, name: str, data: dict[str, str]) -> None:
        try:
            await self._call(self.kube.core.patch_namespaced_secret, name, namespace, {"data": data})
        except Exception as exc:
            if _status(exc) != 404:
                raise
            body = {"metadata": {"name": name, "namespace": namespace}, "type": "Opaque", "data": data}
            await self._call(self.kube.core.create_namespaced_secret, namespace, body)

    async def read_webhooks(self, kind: WebhookKind, name: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = await self._call(
                self.kube.custom.get_cluster_custom_object, "admissionregistration.k8s.io", "v1", kind, name
            )
        except Exception as exc:
            if _status(exc) == 404:
                return None
            raise
        return found

    async def patch_webhooks(self, kind: WebhookKind, name: str, patch: list[dict[str, Any]]) -> None:
        await self._call(
            self.kube.custom.patch_cluster_custom_object,
            "admissionregistration.k8s.io",
            "v1",
            kind,
            name,
            patch,
            _content_type="application/json-patch+json",
        )


class Serving:
    """The TLS context the webhooks serve with, kept current by a background task until `stop()`.

    Each handshake switches to the newest loaded context (from the SNI callback, which OpenSSL calls with
    or without a server name), so a reload is one reference swap, safe while another thread serves.
    """

    def __init__(self, cert: Path, key: Path, owned_dir: Path | None = None) -> None:
        self.cert, self.key, self.owned_dir = cert, key, owned_dir
        self.current = tls_context(str(cert), str(key))
        self.context = tls_context(str(cert), str(key))
        self.context.sni_callback = self._pick
        self.task: asyncio.Task[None] | None = None
        self.errors = 0
        """Failed checks so far (each is logged; the last good certificate keeps being served)."""
        self._loaded = self._digest()
        self.ca_bundle: Callable[[], bytes] = self._sibling_ca
        """The CAs clients of the webhook server should trust (sidecars reporting tool definitions)."""

    def _sibling_ca(self) -> bytes:
        """`ca.crt` beside the certificate, as cert-manager's Secrets mount it; empty when there is none."""
        try:
            return (self.cert.parent / CA_KEY).read_bytes()
        except OSError:
            return b""

    def _pick(self, connection: ssl.SSLObject, _server_name: str | None, _context: ssl.SSLContext) -> None:
        connection.context = self.current

    def _digest(self) -> str:
        return hashlib.sha256(self.cert.read_bytes() + self.key.read_bytes()).hexdigest()

    def reload_if_changed(self) -> bool:
        """Serve the files from the next handshake on when they changed."""
        digest = self._digest()
        if digest == self._loaded:
            return False
        self.current = tls_context(str(self.cert), str(self.key))
        self._loaded = digest
        log.info("webhook certificate reloaded from %s", self.cert)
        return True

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        if self.owned_dir is not None:
            shutil.rmtree(self.owned_dir, ignore_errors=True)  # the private key does not outlive the process


class Manager:
    """Keeps the Secret, the webhook configurations' caBundle and the served files in step."""

    def __init__(self, api: CertApi, settings: CertSettings, directory: Path) -> None:
        self.api, self.settings, self.directory = api, settings, directory
        self.cert, self.key = directory / CERT_KEY, directory / KEY_KEY
        self.published = b""
        """The last bundle this process published: its CAs stay trusted through a renewal too."""

    async def reconcile(self, now: datetime.datetime | None = None) -> Material:
        """Renew if needed, publish the CA bundle, then write the files to serve. Returns what is served."""
        now = now or datetime.datetime.now(datetime.UTC)
        ref = self.settings.secret
        data = await self.api.read_secret(ref.namespace, ref.name)
        current = Material(data[CA_KEY], data[CERT_KEY], data[KEY_KEY]) if data and _complete(data) else None
        why = renewal_reason(current, self.settings.hosts, now, self.settings.renew_before_days)
        material = current
        if why or material is None:
            log.info("issuing a new webhook certificate for %s: %s", ", ".join(self.settings.hosts), why)
            previous = (current.ca_bundle if current else b"") + self.published
            material = issue(self.settings.hosts, now, self.settings.validity_days, previous)
            await self.api.write_secret(ref.namespace, ref.name, material.as_secret_data())
        await self.publish(material.ca_bundle)
        self.published = material.ca_bundle
        self._write_files(material)
        return material

    async def publish(self, bundle: bytes) -> None:
        """Set caBundle on every webhook of the configured configurations (before the new certificate is served)."""
        kinds: list[tuple[WebhookKind, str]] = [
            *(("mutatingwebhookconfigurations", n) for n in self.settings.mutating_webhooks),
            *(("validatingwebhookconfigurations", n) for n in self.settings.validating_webhooks),
        ]
        for kind, name in kinds:
            configuration = await self.api.read_webhooks(kind, name)
            if configuration is None:
                log.warning("%s %s not found; its caBundle is set once it exists", kind, name)
                continue
            patch = ca_bundle_patch(configuration, bundle)
            if patch:
                await self.api.patch_webhooks(kind, name, patch)
                log.info("caBundle set on %d webhooks of %s %s", len(patch), kind, name)

    def _write_files(self, material: Material) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        for path, content in ((self.cert, material.cert), (self.key, material.key)):
            if not path.exists() or path.read_bytes() != content:
                part = path.with_suffix(".new")
                part.write_bytes(content)
                part.chmod(0o600)
                part.replace(path)


def _complete(data: Mapping[str, bytes]) -> bool:
    return all(data.get(k) for k in (CA_KEY, CERT_KEY, KEY_KEY))


async def _managed_loop(manager: Manager, serving: Serving) -> None:
    while True:
        await asyncio.sleep(manager.settings.check_interval_seconds)
        try:
            await manager.reconcile()
            serving.reload_if_changed()
        except Exception:
            # A failed check (API unreachable, say) keeps the served certificate; the next check retries.
            serving.errors += 1
            log.exception("webhook certificate check failed (%d so far)", serving.errors)


async def _file_loop(serving: Serving) -> None:
    while True:
        await asyncio.sleep(FILE_POLL_SECONDS)
        try:
            serving.reload_if_changed()
        except (OSError, ssl.SSLError):
            # Mid-update by the kubelet, or a bad pair: keep serving the last good one and look again.
            serving.errors += 1
            log.warning("cannot reload the webhook certificate from %s (%d so far)", serving.cert, serving.errors)


async def serve(kube: Kube, manage: str | None, cert: str | None, key: str | None) -> Serving:
    """The webhooks' TLS context: managed from a settings file, or loaded from cert/key files; kept current."""
    if manage:
        try:
            settings = load_settings(manage)
        except BadSettings as exc:
            raise SystemExit(f"--manage-certs: {exc}") from None
        directory = Path(tempfile.mkdtemp(prefix="guardmesh-webhook-"))
        manager = Manager(KubeCertApi(kube), settings, directory)
        await manager.reconcile()
        serving = Serving(manager.cert, manager.key, directory)
        serving.ca_bundle = lambda: manager.published
        serving.task = asyncio.get_running_loop().create_task(_managed_loop(manager, serving))
        return serving
    if not (cert and key):
        raise SystemExit("give --manage-certs, or --webhook-cert and --webhook-key, or --no-webhooks")
    serving = Serving(Path(cert), Path(key))
    serving.task = asyncio.get_running_loop().create_task(_file_loop(serving))
    return serving

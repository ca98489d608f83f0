"""Fetch WASM guard modules from ``file://``, ``https://`` and ``oci://`` sources, verified by sha256 and cached.

HTTP uses the standard library's urllib: a module fetch is a handful of requests at load time, not
worth an HTTP client in the sidecar image.

* ``file:///abs/path.wasm`` - sha256 optional (checked when given).
* ``https://host/path.wasm`` - sha256 required; TLS verified against the system CAs (``SSL_CERT_FILE``
  and ``SSL_CERT_DIR`` override them, as everywhere in OpenSSL).
* ``oci://registry[:port]/repo[:tag|@sha256:<hex>]`` - sha256 of the wasm layer required; the OCI
  distribution API (manifest, then the layer of media type ``WASM_LAYER_MEDIA_TYPE``), anonymous or
  with credentials from a Docker-style auth file (``auths.<registry>.auth`` = base64 ``user:pass``),
  sent as Basic auth or exchanged for a Bearer token, whichever the registry asks for. Plain HTTP is
  used only for loopback registries or with ``insecure=True``, and only after HTTPS failed.

Remote downloads are cached as ``<cache_dir>/sha256/<hex>.wasm``; a cached file whose digest still
matches is returned without touching the network. Temporary failures (refused or reset connections,
timeouts, HTTP 408/429/5xx) are retried with exponential backoff and jitter within ``timeout``;
permanent ones (other 4xx, digest mismatch, missing layer, oversize) fail at once.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import logging
import os
import random
import re
import socket
import ssl
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from http.client import HTTPException, HTTPResponse
from pathlib import Path
from typing import Any, NoReturn, TypeVar

__all__ = ["AUTH_FILE_ENV", "DEFAULT_MAX_BYTES", "WASM_LAYER_MEDIA_TYPE", "SourceError", "fetch"]

log = logging.getLogger(__name__)

WASM_LAYER_MEDIA_TYPE = "application/vnd.module.wasm.content.layer.v1+wasm"
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
AUTH_FILE_ENV = "REGISTRY_AUTH_FILE"
"""Environment variable naming the Docker-style auth file used when ``fetch`` gets no ``auth_file``."""

_MAX_DOC_BYTES = 4 * 1024 * 1024  # manifests, indexes, token responses
_CHUNK = 256 * 1024
_BACKOFF_CAP_S = 5.0
_SHA256 = re.compile(r"(?:sha256:)?([0-9a-fA-F]{64})")
_REPO = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')

_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
_OCI_ARTIFACT = "application/vnd.oci.artifact.manifest.v1+json"
_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
_ACCEPT = ", ".join((_OCI_MANIFEST, _OCI_INDEX, _OCI_ARTIFACT, _DOCKER_MANIFEST, _DOCKER_LIST))

T = TypeVar("T")


class SourceError(Exception):
    """A module could not be fetched or verified; the message names the source and what went wrong."""

    def __init__(self, url: str, reason: str, *, temporary: bool = False) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.temporary = temporary
        """True when trying again later may succeed (unreachable, timeouts, 5xx)."""


class _Temporary(Exception):
    """A failure worth retrying."""


class _Permanent(Exception):
    """A failure no retry can fix."""


class _NoTls(_Permanent):
    """The TLS handshake failed for a reason other than the certificate (e.g. the server speaks plain HTTP)."""


class _Unauthorized(Exception):
    """HTTP 401 with the server's ``WWW-Authenticate`` challenge."""

    def __init__(self, challenge: str) -> None:
        super().__init__(challenge)
        self.challenge = challenge


def fetch(
    url: str,
    sha256: str | None,
    *,
    cache_dir: Path,
    timeout: float,
    max_bytes: int = DEFAULT_MAX_BYTES,
    attempts: int = 5,
    backoff: float = 0.2,
    insecure: bool = False,
    auth_file: Path | None = None,
) -> Path:
    """Return a local file holding the module at ``url``, verified against ``sha256`` (hex, ``sha256:`` optional).

    ``timeout`` bounds the whole fetch in seconds, retries included; ``attempts`` bounds the tries of
    each request and ``backoff`` is the first pause between them (doubling, jittered).
    """
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    expected = _parse_sha256(url, sha256)
    if parts.username is not None or parts.password is not None:
        raise SourceError(_redact(url), "credentials in the URL are not supported; use a registry auth file")
    if scheme == "file":
        return _fetch_file(url, expected, cache_dir=cache_dir, max_bytes=max_bytes)
    if scheme not in ("https", "oci"):
        raise SourceError(url, f"unsupported scheme {scheme or '(none)'!r}; use file://, https:// or oci://")
    if expected is None:
        raise SourceError(url, "a sha256 is required for remote sources")
    cached = _cached(cache_dir, expected)
    if cached is not None:
        log.debug("module %s served from cache %s", url, cached)
        return cached
    http = _Http(
        url, deadline=time.monotonic() + timeout, attempts=max(1, attempts), backoff=backoff, max_bytes=max_bytes
    )
    if scheme == "https":
        return http.call(url, {}, lambda resp: _store(cache_dir, expected, http.chunks(resp), max_bytes))
    return _fetch_oci(http, url, expected, cache_dir=cache_dir, insecure=insecure, auth_file=auth_file)


def _parse_sha256(url: str, sha256: str | None) -> str | None:
    if sha256 is None or sha256 == "":
        return None
    match = _SHA256.fullmatch(sha256.strip())
    if match is None:
        raise SourceError(url, f"sha256 {sha256!r} is not 64 hex digits (optionally prefixed with 'sha256:')")
    return match.group(1).lower()


def _redact(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


# ---- the cache and local files -------------------------------------------------------------------


def _cache_path(cache_dir: Path, sha_hex: str) -> Path:
    return cache_dir / "sha256" / f"{sha_hex}.wasm"


def _cached(cache_dir: Path, sha_hex: str) -> Path | None:
    """The cached module for ``sha_hex`` if present and intact; a corrupt copy is removed."""
    path = _cache_path(cache_dir, sha_hex)
    try:
        with path.open("rb") as f:
            actual = hashlib.file_digest(f, "sha256").hexdigest()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read cached module %s: %s", path, exc)
        return None
    if actual == sha_hex:
        return path
    log.warning("cached module %s has digest sha256:%s; discarding it", path, actual)
    path.unlink(missing_ok=True)
    return None


def _store(cache_dir: Path, sha_hex: str, chunks: Iterable[bytes], max_bytes: int) -> Path:
    """Write ``chunks`` into the cache if they hash to ``sha_hex`` and fit ``max_bytes``; else nothing is kept."""
    dest = _cache_path(cache_dir, sha_hex)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=".partial-")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise _Permanent(f"module is larger than the size cap of {max_bytes} bytes")
                digest.update(chunk)
                out.write(chunk)
        actual = digest.hexdigest()
        if actual != sha_hex:
            raise _Permanent(f"sha256 mismatch: expected sha256:{sha_hex}, got sha256:{actual}")
        tmp.chmod(0o444)  # a verified module is never rewritten in place
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def _fetch_file(url: str, expected: str | None, *, cache_dir: Path, max_bytes: int) -> Path:
    parts = urllib.parse.urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise SourceError(url, f"file:// URLs name a local path; host {parts.netloc!r} is not allowed")
    path = Path(urllib.request.url2pathname(parts.path))
    if not path.is_absolute():
        raise SourceError(url, "file:// URLs need an absolute path (file:///abs/path.wasm)")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SourceError(url, f"cannot read {path}: {exc.strerror or exc}") from exc
    if not path.is_file():
        raise SourceError(url, f"{path} is not a regular file")
    if size > max_bytes:
        raise SourceError(url, f"module is larger than the size cap of {max_bytes} bytes ({size} bytes)")
    if expected is None:
        return path
    cached = _cached(cache_dir, expected)
    if cached is not None:
        return cached
    try:
        with path.open("rb") as f:
            return _store(cache_dir, expected, iter(lambda: f.read(_CHUNK), b""), max_bytes)
    except _Permanent as exc:
        raise SourceError(url, str(exc)) from exc
    except OSError as exc:
        raise SourceError(url, f"cannot read {path}: {exc.strerror or exc}") from exc


# ---- HTTP with retries ---------------------------------------------------------------------------


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but never from HTTPS to plain HTTP, and never carry credentials to another host."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        old, new = urllib.parse.urlsplit(req.full_url), urllib.parse.urlsplit(newurl)
        if old.scheme == "https" and new.scheme != "https":
            fp.close()
            raise _Permanent(f"refusing a redirect from HTTPS to {new.scheme}://{new.netloc}")
        redirected = super().redirect_request(req, fp, code, msg, headers, newurl)
        if redirected is not None and new.netloc != old.netloc:
            redirected.remove_header("Authorization")
        return redirected


def _classify(exc: BaseException) -> BaseException:
    """Map an exception from urllib or a body read to ``_Temporary``/``_Permanent``/``_Unauthorized``."""
    if isinstance(exc, _Temporary | _Permanent | _Unauthorized):
        return exc
    if isinstance(exc, urllib.error.HTTPError):
        challenge = exc.headers.get("WWW-Authenticate", "") if exc.headers else ""
        exc.close()
        if exc.code == 401:
            return _Unauthorized(challenge)
        what = f"HTTP {exc.code} {exc.reason}"
        return _Temporary(what) if exc.code in (408, 425, 429) or exc.code >= 500 else _Permanent(what)
    reason: object = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, ssl.SSLCertVerificationError):
        return _Permanent(f"TLS certificate verification failed: {getattr(reason, 'verify_message', None) or reason}")
    if isinstance(reason, ssl.SSLError):
        return _NoTls(f"TLS handshake failed: {getattr(reason, 'reason', None) or reason}")
    if isinstance(reason, socket.gaierror):
        return _Temporary(f"cannot resolve host: {reason.strerror}")
    if isinstance(reason, TimeoutError):
        return _Temporary("timed out")
    if isinstance(reason, OSError):
        return _Temporary(reason.strerror or str(reason))
    if isinstance(reason, HTTPException):
        return _Temporary(f"connection broke: {type(reason).__name__} {reason}")
    return _Permanent(str(reason))


class _Http:
    """HTTP requests for one fetch: a shared deadline, retries with backoff, and errors named after the source."""

    def __init__(self, source: str, *, deadline: float, attempts: int, backoff: float, max_bytes: int) -> None:
        self.source = source
        self.deadline = deadline
        self.attempts = attempts
        self.backoff = backoff
        self.max_bytes = max_bytes
        # A new context per fetch so SSL_CERT_FILE/SSL_CERT_DIR set after import still apply.
        context = ssl.create_default_context()
        self._opener = urllib.request.OpenerDirector()
        for handler in (
            urllib.request.ProxyHandler(),
            urllib.request.HTTPHandler(),
            urllib.request.HTTPSHandler(context=context),
            urllib.request.HTTPDefaultErrorHandler(),
            _Redirects(),
            urllib.request.HTTPErrorProcessor(),
            urllib.request.UnknownHandler(),
        ):
            self._opener.add_handler(handler)

    def fail(self, reason: str, *, temporary: bool = False) -> NoReturn:
        raise SourceError(self.source, reason, temporary=temporary)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def call(
        self, url: str, headers: dict[str, str], consume: Callable[[HTTPResponse], T], *, tls_fallback: bool = False
    ) -> T:
        """GET ``url`` and hand the response to ``consume``, retrying temporary failures of either.

        A 401 raises ``_Unauthorized``; with ``tls_fallback`` a failed TLS handshake raises ``_NoTls``.
        """
        attempt = 0
        while True:
            attempt += 1
            remaining = self.remaining()
            if remaining <= 0:
                self.fail(f"GET {url}: timed out", temporary=True)
            try:
                return self._once(url, headers, consume, remaining)
            except _Unauthorized:
                raise
            except _NoTls as exc:
                if tls_fallback:
                    raise
                self.fail(f"GET {url}: {exc}")
            except _Permanent as exc:
                self.fail(f"GET {url}: {exc}")
            except _Temporary as exc:
                if attempt >= self.attempts:
                    self.fail(f"GET {url}: {exc} (gave up after {attempt} attempts)", temporary=True)
                pause = min(_BACKOFF_CAP_S, self.backoff * 2 ** (attempt - 1))
                pause = pause / 2 + random.uniform(0, pause / 2)  # noqa: S311 - jitter, not security
                if pause >= self.remaining():
                    self.fail(f"GET {url}: {exc} (timed out after {attempt} attempts)", temporary=True)
                log.warning("GET %s: %s; retry %d of %d in %.2fs", url, exc, attempt, self.attempts - 1, pause)
                time.sleep(pause)

    def _once(self, url: str, headers: dict[str, str], consume: Callable[[HTTPResponse], T], timeout: float) -> T:
        request = urllib.request.Request(url, headers=headers, method="GET")  # noqa: S310 - scheme checked by callers
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return consume(response)
        except (OSError, HTTPException, _Temporary, _Permanent, _Unauthorized) as exc:
            raise _classify(exc) from exc

    def chunks(self, response: HTTPResponse) -> Iterator[bytes]:
        """The body in chunks; a declared length over the cap fails before anything is read."""
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            raise _Permanent(f"module is larger than the size cap of {self.max_bytes} bytes ({declared} bytes)")
        while chunk := response.read(_CHUNK):
            if time.monotonic() > self.deadline:
                raise _Temporary("timed out while downloading")
            yield chunk

    def document(self, response: HTTPResponse) -> tuple[bytes, str]:
        """A small body (manifest, token) and its media type."""
        body = response.read(_MAX_DOC_BYTES + 1)
        if len(body) > _MAX_DOC_BYTES:
            raise _Permanent(f"response is larger than {_MAX_DOC_BYTES} bytes")
        return body, response.headers.get_content_type()


# ---- OCI registries ------------------------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _parse_oci(url: str) -> tuple[str, str, str]:
    """``oci://registry/repo:tag`` or ``...@sha256:<hex>`` -> (registry, repo, tag or digest)."""
    registry, _, path = url[len("oci://") :].partition("/")
    if not registry or not path:
        raise SourceError(url, "expected oci://registry/repository:tag or oci://registry/repository@sha256:<hex>")
    if "@" in path:
        path, _, reference = path.partition("@")
        if _SHA256.fullmatch(reference) is None or not reference.startswith("sha256:"):
            raise SourceError(url, f"digest {reference!r} is not sha256:<64 hex digits>")
        path = path.rsplit(":", 1)[0] if ":" in path.rsplit("/", 1)[-1] else path
    elif ":" in path.rsplit("/", 1)[-1]:
        path, _, reference = path.rpartition(":")
        if _TAG.fullmatch(reference) is None:
            raise SourceError(url, f"tag {reference!r} is not a valid tag")
    else:
        reference = "latest"
    if _REPO.fullmatch(path) is None:
        raise SourceError(url, f"repository {path!r} is not a valid repository name")
    return registry, path, reference


def _credentials(registry: str, auth_file: Path | None) -> tuple[str, str] | None:
    """User and password for ``registry`` from a Docker-style auth file, if it has any."""
    if auth_file is None:
        env = os.environ.get(AUTH_FILE_ENV)
        auth_file = Path(env) if env else None
    if auth_file is None:
        return None
    try:
        auths = json.loads(auth_file.read_text(encoding="utf-8")).get("auths", {})
    except (OSError, ValueError, AttributeError) as exc:
        raise SourceError(f"oci://{registry}", f"cannot read registry auth file {auth_file}: {exc}") from exc
    for key in (registry, f"https://{registry}", f"http://{registry}", f"https://{registry}/v2/"):
        entry = auths.get(key) if isinstance(auths, dict) else None
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("auth"), str):
            try:
                user, sep, password = base64.b64decode(entry["auth"]).decode("utf-8").partition(":")
            except ValueError as exc:
                raise SourceError(f"oci://{registry}", f"auth for {registry} in {auth_file} is not base64") from exc
            if sep:
                return user, password
        if isinstance(entry.get("username"), str) and isinstance(entry.get("password"), str):
            return entry["username"], entry["password"]
    return None


def _basic(creds: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode("ascii")


class _Registry:
    """The distribution API of one registry and repository, with the auth it asks for."""

    def __init__(self, http: _Http, registry: str, repo: str, *, plain_allowed: bool, creds: tuple[str, str] | None):
        self.http = http
        self.registry = registry
        self.repo = repo
        self.scheme = "https"
        self.plain_allowed = plain_allowed
        self.creds = creds
        self.authorization: str | None = None

    def get(self, path: str, accept: str | None, consume: Callable[[HTTPResponse], T]) -> T:
        """GET ``/v2/<repo>/<path>``, answering one auth challenge and falling back to HTTP where allowed."""
        for _ in range(3):  # at most: HTTPS refused (switch to HTTP), then one challenge
            headers = {"Accept": accept} if accept else {}
            if self.authorization:
                headers["Authorization"] = self.authorization
            url = f"{self.scheme}://{self.registry}/v2/{self.repo}/{path}"
            fallback = self.scheme == "https" and self.plain_allowed
            try:
                return self.http.call(url, headers, consume, tls_fallback=fallback)
            except _Unauthorized as exc:
                if self.authorization is not None:
                    self.http.fail(f"GET {url}: the registry refused the credentials (HTTP 401)")
                self.authorization = self._authorize(exc.challenge)
            except _NoTls as exc:
                log.info("registry %s: %s; using plain HTTP", self.registry, exc)
                self.scheme = "http"
        self.http.fail(f"GET /v2/{self.repo}/{path}: the registry kept refusing authorization")

    def _authorize(self, challenge: str) -> str:
        scheme, _, params_text = challenge.strip().partition(" ")
        params = dict(_CHALLENGE_PARAM.findall(params_text))
        if scheme.lower() == "basic":
            if self.creds is None:
                self.http.fail(f"registry {self.registry} requires credentials and none are configured for it")
            return _basic(self.creds)
        if scheme.lower() != "bearer" or "realm" not in params:
            self.http.fail(f"registry {self.registry} asked for unsupported authentication {challenge!r}")
        realm = urllib.parse.urlsplit(params["realm"])
        if realm.scheme != "https" and not (
            realm.scheme == "http" and (self.plain_allowed or _is_loopback(realm.hostname or ""))
        ):
            self.http.fail(f"registry {self.registry} names a token service that is not HTTPS: {params['realm']}")
        query = {"service": params["service"]} if "service" in params else {}
        query["scope"] = params.get("scope") or f"repository:{self.repo}:pull"
        sep = "&" if realm.query else "?"
        token_url = params["realm"] + sep + urllib.parse.urlencode(query)
        headers = {"Authorization": _basic(self.creds)} if self.creds else {}
        try:
            body, _ = self.http.call(token_url, headers, self.http.document)
        except _Unauthorized:
            self.http.fail(f"token service {params['realm']} refused the credentials (HTTP 401)")
        try:
            answer = json.loads(body)
            token = answer.get("token") or answer.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            self.http.fail(f"token service {params['realm']} returned no token")
        return f"Bearer {token}"

    def manifest(self, reference: str, *, depth: int = 0) -> dict[str, Any]:
        """The image manifest at ``reference``; an index is resolved to its one wasm manifest."""
        body, media_type = self.get(f"manifests/{reference}", _ACCEPT, self.http.document)
        if reference.startswith("sha256:"):
            actual = "sha256:" + hashlib.sha256(body).hexdigest()
            if actual != reference:
                self.http.fail(f"manifest digest mismatch: expected {reference}, got {actual}")
        try:
            manifest = json.loads(body)
        except ValueError as exc:
            self.http.fail(f"manifest {reference} is not JSON: {exc}")
        if not isinstance(manifest, dict):
            self.http.fail(f"manifest {reference} is not a JSON object")
        kind = manifest.get("mediaType") or media_type
        if kind in (_OCI_INDEX, _DOCKER_LIST):
            if depth > 0:
                self.http.fail(f"index {reference} points to another index")
            return self.manifest(self._pick(manifest), depth=depth + 1)
        return manifest

    def _pick(self, index: dict[str, Any]) -> str:
        entries = [m for m in index.get("manifests") or [] if isinstance(m, dict) and isinstance(m.get("digest"), str)]
        if len(entries) > 1:
            entries = [m for m in entries if _is_wasm_platform(m.get("platform"))]
        if len(entries) != 1:
            self.http.fail(f"the index lists {len(entries)} candidate manifests; reference one manifest by digest")
        digest: str = entries[0]["digest"]
        return digest


def _is_wasm_platform(platform: object) -> bool:
    if not isinstance(platform, dict):
        return False
    return platform.get("architecture") == "wasm" or str(platform.get("os", "")).startswith("wasi")


def _fetch_oci(
    http: _Http, url: str, expected: str, *, cache_dir: Path, insecure: bool, auth_file: Path | None
) -> Path:
    registry, repo, reference = _parse_oci(url)
    host = urllib.parse.urlsplit(f"//{registry}").hostname or registry
    client = _Registry(
        http, registry, repo, plain_allowed=insecure or _is_loopback(host), creds=_credentials(registry, auth_file)
    )
    manifest = client.manifest(reference)
    layers = manifest.get("layers") or manifest.get("blobs") or []
    layers = [layer for layer in layers if isinstance(layer, dict)]
    wasm = [layer for layer in layers if layer.get("mediaType") == WASM_LAYER_MEDIA_TYPE]
    if not wasm:
        found = ", ".join(sorted({str(layer.get("mediaType")) for layer in layers})) or "no layers"
        http.fail(f"no layer of media type {WASM_LAYER_MEDIA_TYPE} in {reference} (found: {found})")
    want = f"sha256:{expected}"
    matching = [layer for layer in wasm if layer.get("digest") == want]
    if not matching:
        got = ", ".join(str(layer.get("digest")) for layer in wasm)
        http.fail(f"sha256 mismatch: expected {want}, the wasm layer of {reference} is {got}")
    size = matching[0].get("size")
    if isinstance(size, int) and size > http.max_bytes:
        http.fail(f"module is larger than the size cap of {http.max_bytes} bytes ({size} bytes)")
    return client.get(
        f"blobs/{want}", None, lambda resp: _store(cache_dir, expected, http.chunks(resp), http.max_bytes)
    )

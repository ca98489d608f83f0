"""An issuer's signing keys (JWKS): fetched, cached, refreshed, and refetched when a token names a new key.

PyJWT's own PyJWKClient blocks the event loop and refetches on every unknown `kid`, so a caller sending
random key ids could make the sidecar hammer the issuer; this cache bounds refetches instead.
"""

import asyncio
import logging
import ssl
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import orjson

log = logging.getLogger("guardmesh.auth")

REFRESH_SECONDS = 300.0
"""Keys are fetched again this long after the last successful fetch (rotation is picked up within it)."""
MIN_REFETCH_SECONDS = 10.0
"""An unknown `kid` triggers a refetch at most this often, so made-up key ids cannot flood the issuer."""
MAX_STALE_SECONDS = 3600.0
"""While the issuer cannot be reached, cached keys stay in use this long after their last fetch; then fail closed."""
FETCH_TIMEOUT_SECONDS = 5.0
MAX_DOCUMENT_BYTES = 512 * 1024

Fetch = Callable[[str], Awaitable[bytes]]
"""GET a URL (https://, http:// on loopback, or file://) and return its body; raises KeysUnavailable."""


class KeysUnavailable(Exception):
    """The issuer's keys cannot be had (never fetched, or too stale): tokens cannot be verified."""


class UnknownKey(Exception):
    """The token names a key the issuer does not publish (even after a refetch)."""


@dataclass(frozen=True)
class Source:
    """Where one issuer's keys come from, and how to reach it."""

    issuer: str
    jwks_uri: str | None
    """None: discovered from the issuer's metadata."""
    ca_file: str | None = None
    token_file: str | None = None
    """A bearer token sent with the fetches (the pod's service-account token, for the Kubernetes API server)."""


def http_fetcher(source: Source) -> Fetch:
    """A fetcher for one source: urllib in a worker thread (fetches are rare, and off the request path's loop)."""
    context = ssl.create_default_context(cafile=source.ca_file) if source.ca_file else ssl.create_default_context()

    def get(url: str) -> bytes:
        if urlsplit(url).scheme == "file":
            return Path(urlsplit(url).path).read_bytes()[:MAX_DOCUMENT_BYTES]
        # The Kubernetes API server answers its JWKS only to clients that accept application/jwk-set+json (else 406).
        accept = "application/json, application/jwk-set+json"
        request = urllib.request.Request(url, headers={"Accept": accept})  # noqa: S310 - scheme checked by the config
        if source.token_file:
            token = Path(source.token_file).read_text(encoding="utf-8").strip()
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS, context=context) as response:  # noqa: S310
            body: bytes = response.read(MAX_DOCUMENT_BYTES + 1)
        if len(body) > MAX_DOCUMENT_BYTES:
            raise ValueError(f"document over {MAX_DOCUMENT_BYTES} bytes")
        return body

    async def fetch(url: str) -> bytes:
        try:
            return await asyncio.to_thread(get, url)
        except (OSError, ValueError) as exc:
            raise KeysUnavailable(f"cannot fetch {url}: {exc}") from None

    return fetch


class KeySet:
    """One issuer's keys by `kid`. `key(kid)` answers from memory on the hot path; fetches happen only when the
    keys are due for refresh, or a token names a kid not seen yet (rate-limited)."""

    def __init__(self, source: Source, fetch: Fetch | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.source = source
        self._fetch = fetch or http_fetcher(source)
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        """When the keys were last fetched successfully."""
        self._tried_at: float | None = None
        self._jwks_uri = source.jwks_uri
        self._lock = asyncio.Lock()
        self.error: str | None = None
        """Why the last fetch failed; None once one succeeds (shown by /readyz)."""
        self.on_change: Callable[[frozenset[str]], None] | None = None
        """Told the kids in force after a fetch changed them (so tokens verified by a withdrawn key are forgotten)."""

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def status(self) -> dict[str, object]:
        """What /readyz shows of these keys: how many, how old, and the last fetch error."""
        age = None if self._fetched_at is None else round(self._clock() - self._fetched_at, 1)
        return {"issuer": self.source.issuer, "keys": len(self._keys), "fetchedSecondsAgo": age, "error": self.error}

    async def key(self, kid: str | None) -> jwt.PyJWK:
        """The key a token names; its `kid` may be absent when the issuer publishes a single key."""
        now = self._clock()
        if self._fetched_at is None or now - self._fetched_at >= REFRESH_SECONDS:
            await self._refresh(now)
        found = self._pick(kid)
        if found is None and self._may_refetch(self._clock()):
            await self._refresh(self._clock(), force=True)
            found = self._pick(kid)
        if found is None:
            raise UnknownKey(f"the issuer publishes no key {kid!r}" if kid else "the token names no key (kid)")
        return found

    def _pick(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is not None:
            return self._keys.get(kid)
        return next(iter(self._keys.values())) if len(self._keys) == 1 else None

    def _may_refetch(self, now: float) -> bool:
        return self._tried_at is None or now - self._tried_at >= MIN_REFETCH_SECONDS

    async def _refresh(self, now: float, force: bool = False) -> None:
        async with self._lock:
            if self._fetched_at is not None and not force and now - self._fetched_at < REFRESH_SECONDS:
                return  # another request refreshed them meanwhile
            if self._tried_at is not None and now - self._tried_at < MIN_REFETCH_SECONDS:
                self._check_fresh(now)
                return
            self._tried_at = now
            try:
                keys = await self._load()
            except KeysUnavailable as exc:
                log.warning("keys of %s: %s", self.source.issuer, exc)
                self.error = str(exc)
                self._check_fresh(now)
                return
            self.error = None
            changed = set(keys) != set(self._keys)
            self._keys, self._fetched_at = keys, now
            if changed:
                log.info("keys of %s: %s", self.source.issuer, ", ".join(sorted(keys)) or "none")
                if self.on_change is not None:
                    self.on_change(frozenset(keys))

    def _check_fresh(self, now: float) -> None:
        """Cached keys serve while the issuer is down, up to MAX_STALE_SECONDS; then verification fails closed."""
        if self._fetched_at is None:
            raise KeysUnavailable(f"the keys of {self.source.issuer} could not be fetched")
        if now - self._fetched_at >= MAX_STALE_SECONDS:
            if self._keys:
                self._keys = {}
                if self.on_change is not None:
                    self.on_change(frozenset())
            raise KeysUnavailable(f"the keys of {self.source.issuer} are stale and cannot be refreshed")

    async def _load(self) -> dict[str, jwt.PyJWK]:
        if self._jwks_uri is None:
            self._jwks_uri = await self._discover()
        document = _json(await self._fetch(self._jwks_uri), self._jwks_uri)
        entries = document.get("keys")
        if not isinstance(entries, list):
            raise KeysUnavailable(f"{self._jwks_uri}: not a JWK set")
        keys: dict[str, jwt.PyJWK] = {}
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                key = jwt.PyJWK(entry)
            except (jwt.PyJWKError, jwt.InvalidKeyError):
                continue  # a key type or curve we cannot use; the others still serve
            keys[str(entry.get("kid", ""))] = key
        return keys

    async def _discover(self) -> str:
        """The `jwks_uri` of the issuer's OpenID Connect metadata, else of its OAuth (RFC 8414) metadata."""
        issuer = self.source.issuer.rstrip("/")
        parts = urlsplit(issuer)
        candidates = [
            f"{issuer}/.well-known/openid-configuration",
            f"{parts.scheme}://{parts.netloc}/.well-known/oauth-authorization-server{parts.path}",
        ]
        problems = []
        for url in candidates:
            try:
                document = _json(await self._fetch(url), url)
            except KeysUnavailable as exc:
                problems.append(str(exc))
                continue
            if document.get("issuer") != self.source.issuer:
                problems.append(f"{url}: names issuer {document.get('issuer')!r}")
                continue
            uri = document.get("jwks_uri")
            if isinstance(uri, str):
                return uri
            problems.append(f"{url}: no jwks_uri")
        raise KeysUnavailable("; ".join(problems))


def _json(body: bytes, url: str) -> dict[str, Any]:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise KeysUnavailable(f"{url}: not JSON") from None
    if not isinstance(document, dict):
        raise KeysUnavailable(f"{url}: not a JSON object")
    return document

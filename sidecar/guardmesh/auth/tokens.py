"""Verify a bearer JWT against the trusted issuers and say who it names, or precisely why not.

A full RS256 verification costs ~110 us here (PyJWT over cryptography, measured on this 2-core VM), past the
30 us per-request budget, so tokens that verified are remembered by their SHA-256 until they expire: a repeat
costs a hash and a lookup. Entries signed by a key the issuer withdraws are forgotten at once.
"""

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt

from guardmesh.auth.keys import KeySet, KeysUnavailable, UnknownKey
from guardmesh.config.identity import ClaimNames
from guardmesh.guards.api import Identity

VERIFIED_CACHE_SIZE = 10_000
"""Verified tokens remembered at once; the least recently used is forgotten first (and verified again)."""
_HMAC = frozenset({"HS256", "HS384", "HS512"})


class TokenRejected(Exception):
    """A token that does not prove who the caller is. `reason` is a short fixed label for metrics; the message
    is for the caller and the log, and never contains the token."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Issuer:
    """How tokens of one issuer are checked and read."""

    issuer: str
    kind: str
    """`oauth` or `kubernetes`."""
    audiences: tuple[str, ...]
    algorithms: tuple[str, ...]
    keys: KeySet
    claims: ClaimNames = field(default_factory=ClaimNames)


@dataclass(frozen=True, slots=True)
class _Verified:
    identity: Identity
    expires: float
    not_before: float
    issuer: str
    kid: str


class TokenVerifier:
    """Checks signature, `iss`, `aud`, `exp`, `nbf` and `iat` (with bounded skew) against the configured issuers."""

    def __init__(self, issuers: list[Issuer], skew_seconds: int, clock: Callable[[], float] = time.time) -> None:
        self._issuers = {i.issuer: i for i in issuers}
        self._skew = skew_seconds
        self._clock = clock
        self._verified: OrderedDict[bytes, _Verified] = OrderedDict()
        for issuer in issuers:
            issuer.keys.on_change = lambda kids, name=issuer.issuer: self._withdrawn(name, kids)

    @property
    def issuers(self) -> list[Issuer]:
        return list(self._issuers.values())

    async def verify(self, token: str) -> Identity:
        digest = hashlib.sha256(token.encode()).digest()
        now = self._clock()
        hit = self._verified.get(digest)
        if hit is not None:
            if now > hit.expires + self._skew:
                del self._verified[digest]
                raise TokenRejected("expired", "the token has expired")
            if now < hit.not_before - self._skew:
                raise TokenRejected("not-yet-valid", "the token is not valid yet (nbf)")
            self._verified.move_to_end(digest)
            return hit.identity
        verified = await self._verify(token, now)
        self._verified[digest] = verified
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return verified.identity

    async def _verify(self, token: str, now: float) -> _Verified:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.DecodeError:
            raise TokenRejected("malformed", "the bearer token is not a well-formed JWT") from None
        alg = header.get("alg")
        iss = unverified.get("iss")
        issuer = self._issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise TokenRejected("issuer", "the token's issuer is not trusted")
        if not isinstance(alg, str) or alg not in issuer.algorithms:
            what = "unsigned tokens (alg none) are" if alg == "none" else f"algorithm {alg!r} is"
            hint = " (a shared-secret algorithm)" if alg in _HMAC else ""
            raise TokenRejected("algorithm", f"{what} not accepted{hint}")
        kid = header.get("kid")
        try:
            key = await issuer.keys.key(kid if isinstance(kid, str) else None)
        except UnknownKey as exc:
            raise TokenRejected("unknown-key", f"the token is signed with an unknown key: {exc}") from None
        except KeysUnavailable:
            raise TokenRejected("keys-unavailable", "the issuer's signing keys are unavailable") from None
        if key.algorithm_name not in (alg, None) and not _compatible(key, alg):
            raise TokenRejected("algorithm", f"algorithm {alg!r} does not match the key's type")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=list(issuer.audiences),
                issuer=issuer.issuer,
                leeway=self._skew,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRejected("expired", "the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise TokenRejected("not-yet-valid", "the token is not valid yet (nbf or iat in the future)") from None
        except jwt.InvalidAudienceError:
            raise TokenRejected("audience", "the token is not meant for this server (aud)") from None
        except jwt.InvalidIssuerError:
            raise TokenRejected("issuer", "the token's issuer is not trusted") from None
        except jwt.MissingRequiredClaimError as exc:
            raise TokenRejected("malformed", f"the token lacks the {exc.claim!r} claim") from None
        except jwt.InvalidSignatureError:
            raise TokenRejected("signature", "the token's signature does not verify") from None
        except jwt.InvalidTokenError as exc:
            raise TokenRejected("malformed", f"the token is invalid: {type(exc).__name__}") from None
        identity = _identity(issuer, claims)
        expires = float(claims["exp"])
        not_before = float(claims.get("nbf", claims.get("iat", 0)) or 0)
        return _Verified(identity, expires, not_before, issuer.issuer, kid if isinstance(kid, str) else "")

    def _withdrawn(self, issuer: str, kids: frozenset[str]) -> None:
        """The issuer's keys changed: forget tokens verified with a key it no longer publishes."""
        stale = [d for d, v in self._verified.items() if v.issuer == issuer and (v.kid not in kids or not kids)]
        for digest in stale:
            del self._verified[digest]


def _compatible(key: jwt.PyJWK, alg: str) -> bool:
    """A key without its own `alg` fits an algorithm of its type (RSA for RS/PS, EC for ES, OKP for EdDSA)."""
    families = {"RSA": ("RS", "PS"), "EC": ("ES",), "OKP": ("EdDSA",)}
    return alg.startswith(families.get(str(key.key_type), ()))


def _identity(issuer: Issuer, claims: Mapping[str, Any]) -> Identity:
    names = issuer.claims
    subject = claims.get(names.subject)
    if not isinstance(subject, str) or not subject:
        raise TokenRejected("malformed", f"the token has no {names.subject!r} claim naming the caller")
    groups = _strings(claims.get(names.groups))
    raw_scopes = claims.get(names.scopes, claims.get("scp"))
    scopes = frozenset(raw_scopes.split()) if isinstance(raw_scopes, str) else _strings(raw_scopes)
    namespace = service_account = None
    if issuer.kind == "kubernetes":
        namespace, service_account = _workload(claims, subject)
    return Identity(subject, issuer.issuer, issuer.kind, groups, scopes, namespace, service_account, claims)


def _workload(claims: Mapping[str, Any], subject: str) -> tuple[str, str]:
    """Namespace and `ns/name` of a projected service-account token (its `kubernetes.io` claim, or its sub)."""
    info = claims.get("kubernetes.io")
    if isinstance(info, dict) and isinstance(info.get("namespace"), str):
        account = info.get("serviceaccount")
        name = account.get("name") if isinstance(account, dict) else None
        if isinstance(name, str):
            return info["namespace"], f"{info['namespace']}/{name}"
    parts = subject.split(":")
    if len(parts) == 4 and parts[:2] == ["system", "serviceaccount"]:
        return parts[2], f"{parts[2]}/{parts[3]}"
    raise TokenRejected("malformed", "the token does not name a service account")


def _strings(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    if isinstance(value, list):
        return frozenset(v for v in value if isinstance(v, str))
    return frozenset()

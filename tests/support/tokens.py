"""A token issuer for unit tests and benchmarks: key pairs, their JWKS document and signed JWTs.

End-to-end tests use real issuers (Dex, the Kubernetes API server); this one lets unit tests forge exactly
the bad tokens the sidecar must refuse (expired, wrong audience, `alg: none`, HMAC keyed with the public key...).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


class TestIssuer:
    """An issuer with one or more signing keys; `jwks()` publishes them, `token()` signs with the newest."""

    __test__ = False  # not a pytest test class

    def __init__(self, issuer: str = "https://issuer.test", kid: str = "key-1", alg: str = "RS256") -> None:
        self.issuer = issuer
        self.keys: dict[str, tuple[str, Any]] = {}
        self.current = kid
        self.add_key(kid, alg)

    def add_key(self, kid: str, alg: str = "RS256") -> None:
        """A new key, published beside the others and used to sign from now on (a rotation)."""
        private: Any = (
            ec.generate_private_key(ec.SECP256R1()) if alg == "ES256" else rsa.generate_private_key(65537, 2048)
        )
        self.keys[kid] = (alg, private)
        self.current = kid

    def drop_key(self, kid: str) -> None:
        del self.keys[kid]

    def jwks(self) -> dict[str, Any]:
        out = []
        for kid, (alg, private) in self.keys.items():
            algorithm = jwt.get_algorithm_by_name(alg)
            jwk = json.loads(algorithm.to_jwk(private.public_key()))
            out.append({**jwk, "kid": kid, "use": "sig", "alg": alg})
        return {"keys": out}

    def public_pem(self, kid: str | None = None) -> bytes:
        _, private = self.keys[kid or self.current]
        pem: bytes = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return pem

    def token(
        self,
        subject: str = "alice",
        audience: str | list[str] = "https://mcp.test/mcp",
        *,
        lifetime: float = 300,
        issued: float | None = None,
        kid: str | None = None,
        issuer: str | None = None,
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        now = time.time() if issued is None else issued
        payload = {"iss": issuer or self.issuer, "sub": subject, "aud": audience, "iat": int(now)}
        payload["exp"] = int(now + lifetime)
        payload.update(claims)
        kid = kid or self.current
        alg, private = self.keys[kid]
        return jwt.encode(payload, private, algorithm=alg, headers={"kid": kid, **(headers or {})})


def unsigned(payload: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    """A JWT with `alg: none` and no signature."""
    head = {"alg": "none", "typ": "JWT", **(header or {})}
    return f"{_b64(head)}.{_b64(payload)}."


def hmac_signed(payload: dict[str, Any], secret: bytes, kid: str) -> str:
    """A JWT signed with HS256 keyed by `secret` (the algorithm-confusion attack uses the issuer's public key)."""
    import hashlib
    import hmac

    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': kid})}.{_b64(payload)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

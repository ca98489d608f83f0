"""Real servers for WASM module sources: Debian's ``docker-registry`` and a local HTTPS file server.

* ``registry_binary()`` - ``docker-registry`` (installed by ``hack/install-apt.sh`` when missing).
* ``make_tls(dir)`` - a throwaway CA and a server certificate for ``127.0.0.1``/``localhost``; point
  ``SSL_CERT_FILE`` at ``ca_file`` to make clients trust it.
* ``running_registry(...)`` - a registry on a loopback port with temporary storage; anonymous, or
  behind htpasswd (Basic) or token (Bearer) auth, over plain HTTP or TLS.
* ``TokenServer`` - the token service a token-auth registry sends clients to: it checks Basic
  credentials and signs RS256 JWTs the registry verifies against the certificate bundle we give it.
* ``push_wasm(...)`` - push a module as an OCI artifact with the ``oras`` package.
* ``HttpsFiles`` - a threaded HTTPS server serving bytes by path (or a fixed status) and counting hits.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import functools
import http.server
import ipaddress
import json
import os
import secrets
import shutil
import ssl
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import oras.client  # type: ignore[import-untyped]
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from tests.support.peers import HACK, free_port, running

__all__ = [
    "TEST_PASSWORD",
    "TEST_USER",
    "WASM_LAYER",
    "HttpsFiles",
    "Registry",
    "Tls",
    "TokenServer",
    "make_tls",
    "push_wasm",
    "registry_binary",
    "running_registry",
    "trust",
]

WASM_LAYER = "application/vnd.module.wasm.content.layer.v1+wasm"
TEST_USER = "pusher"
TEST_PASSWORD = "wasm-guard-pusher"
# bcrypt of TEST_PASSWORD (htpasswd accepts only bcrypt); made once, so the tests need no bcrypt library.
_TEST_PASSWORD_BCRYPT = "$2b$05$r.5mk5gC.NPbiYodLh86Nu6youSUSMz69JuWVXXWnmkBvxxRROtm6"


@functools.cache
def registry_binary() -> Path:
    """Debian's ``docker-registry``; runs ``hack/install-apt.sh`` if it is missing."""
    found = shutil.which("docker-registry")
    if found is None:
        proc = subprocess.run(
            ["bash", str(HACK / "install-apt.sh")], capture_output=True, text=True, timeout=900, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(f"hack/install-apt.sh failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
        found = shutil.which("docker-registry")
    if found is None:
        raise RuntimeError("hack/install-apt.sh ran but docker-registry is still missing")
    return Path(found)


# ---- certificates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tls:
    ca_file: Path
    cert_file: Path
    key_file: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_pem(path: Path, *items: x509.Certificate) -> Path:
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in items))
    return path


def _issue(
    subject: str,
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
    *,
    ca: bool,
    sans: list[x509.GeneralName] | None = None,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer[0].subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    signer = issuer[1] if issuer else key
    return builder.sign(signer, hashes.SHA256())


def make_tls(directory: Path) -> Tls:
    """A new CA and a server certificate for 127.0.0.1, ::1 and localhost, written as PEM files."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _issue("guardmesh test CA", ca_key, None, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    cert = _issue("localhost", key, (ca_cert, ca_key), ca=False, sans=sans)
    key_file = directory / "server.key"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Tls(
        ca_file=_write_pem(directory / "ca.pem", ca_cert),
        cert_file=_write_pem(directory / "server.pem", cert),
        key_file=key_file,
    )


# ---- token service -----------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class TokenServer:
    """A plain-HTTP token service on loopback: Basic credentials in, a registry-signed JWT out."""

    ISSUER = "guardmesh-test-issuer"
    SERVICE = "guardmesh-test-registry"

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = _issue("guardmesh test token CA", ca_key, None, ca=True)
        self._cert = _issue("guardmesh test token signer", self._key, (ca_cert, ca_key), ca=False)
        self.root_bundle = _write_pem(directory / "token-ca.pem", ca_cert)
        self.requests: Counter[str] = Counter()
        """Token requests by outcome: ``issued``, ``refused``."""
        self.port = free_port()
        self.realm = f"http://127.0.0.1:{self.port}/token"
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> TokenServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def token(self, scopes: list[str]) -> str:
        # The test user may pull and push everywhere: grant both whatever was asked, since oras-py
        # reuses its first token (pull) for the push that follows.
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name = rest.rpartition(":")[0]
            access.append({"type": kind, "name": name, "actions": ["pull", "push"]})
        now = int(time.time())
        header = {
            "typ": "JWT",
            "alg": "RS256",
            "x5c": [base64.b64encode(self._cert.public_bytes(serialization.Encoding.DER)).decode()],
        }
        claims = {
            "iss": self.ISSUER,
            "sub": TEST_USER,
            "aud": self.SERVICE,
            "exp": now + 300,
            "nbf": now - 60,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        outer = self
        expected = "Basic " + base64.b64encode(f"{TEST_USER}:{TEST_PASSWORD}".encode()).decode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.headers.get("Authorization") != expected:
                    outer.requests["refused"] += 1
                    self._reply(401, {"errors": [{"code": "UNAUTHORIZED"}]})
                    return
                scopes = parse_qs(urlsplit(self.path).query).get("scope", [])
                outer.requests["issued"] += 1
                self._reply(200, {"token": outer.token(scopes), "expires_in": 300})

            def _reply(self, status: int, body: dict[str, object]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler


# ---- the registry ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registry:
    """A running registry: ``host`` is ``127.0.0.1:<port>``, the part of an ``oci://`` URL before the repo."""

    host: str
    tls: Tls | None
    auth: str
    """``none``, ``basic`` or ``token``."""
    storage: Path


@contextlib.contextmanager
def running_registry(
    directory: Path,
    *,
    tls: Tls | None = None,
    auth: str = "none",
    token_server: TokenServer | None = None,
) -> Iterator[Registry]:
    """Run ``docker-registry`` on a free loopback port with its config and storage under ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    storage = directory / "storage"
    config: dict[str, object] = {
        "version": 0.1,
        "log": {"level": "warn", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(storage)}, "delete": {"enabled": True}},
        "http": {"addr": f"127.0.0.1:{port}", "secret": secrets.token_hex(16)},
    }
    if tls is not None:
        config["http"] = {**config["http"], "tls": {"certificate": str(tls.cert_file), "key": str(tls.key_file)}}  # type: ignore[dict-item]
    if auth == "basic":
        htpasswd = directory / "htpasswd"
        htpasswd.write_text(f"{TEST_USER}:{_TEST_PASSWORD_BCRYPT}\n", encoding="utf-8")
        config["auth"] = {"htpasswd": {"realm": "guardmesh-test", "path": str(htpasswd)}}
    elif auth == "token":
        if token_server is None:
            raise ValueError("auth='token' needs a token_server")
        config["auth"] = {
            "token": {
                "realm": token_server.realm,
                "service": TokenServer.SERVICE,
                "issuer": TokenServer.ISSUER,
                "rootcertbundle": str(token_server.root_bundle),
            }
        }
    elif auth != "none":
        raise ValueError(f"unknown auth {auth!r}")
    config_file = directory / "config.yml"
    config_file.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    argv = [str(registry_binary()), "serve", str(config_file)]
    env = {"OTEL_TRACES_EXPORTER": "none"}
    with running(argv, port=port, env=env, cwd=directory):
        yield Registry(host=f"127.0.0.1:{port}", tls=tls, auth=auth, storage=storage)


def push_wasm(registry: Registry, target: str, module: Path, *, media_type: str = WASM_LAYER) -> str:
    """Push ``module`` to ``<registry>/<target>`` (``repo:tag``) as one layer of ``media_type``; returns the
    manifest digest. A registry with auth gets the test credentials (Basic, or exchanged for a token)."""
    client = oras.client.OrasClient(
        hostname=registry.host,
        insecure=registry.tls is None,
        tls_verify=str(registry.tls.ca_file) if registry.tls else True,
        auth_backend="basic" if registry.auth == "basic" else "token",
    )
    if registry.auth != "none":
        client.auth.set_basic_auth(TEST_USER, TEST_PASSWORD)
    response = client.push(
        target=f"{registry.host}/{target}", files=[f"{module}:{media_type}"], disable_path_validation=True, quiet=True
    )
    digest: str = response.headers["Docker-Content-Digest"]
    return digest


# ---- HTTPS file server -------------------------------------------------------------------------


@dataclass
class HttpsFiles:
    """An HTTPS server on loopback: ``files`` by path; ``statuses`` answer a path with a bare status."""

    tls: Tls
    files: dict[str, bytes] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    port: int = 0

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @contextlib.contextmanager
    def serve(self) -> Iterator[HttpsFiles]:
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits[self.path] += 1
                if self.path in outer.redirects:
                    self.send_response(302)
                    self.send_header("Location", outer.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = outer.statuses.get(self.path, 200 if self.path in outer.files else 404)
                body = outer.files.get(self.path, b"") if status == 200 else b"no"
                self.send_response(status)
                self.send_header("Content-Type", "application/wasm")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.tls.cert_file, self.tls.key_file)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self.port = server.server_address[1]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join()


def trust(tls: Tls) -> dict[str, str]:
    """Environment that makes OpenSSL clients in this process trust ``tls``'s CA."""
    return {"SSL_CERT_FILE": str(tls.ca_file), "SSL_CERT_DIR": os.devnull}

"""Pure parts of the module sources: OCI references, auth files, error classes, redirects."""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest

from guardmesh.guards.wasm import sources
from guardmesh.guards.wasm.sources import SourceError

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("oci://reg.example:5000/guards/spoof:1.2", ("reg.example:5000", "guards/spoof", "1.2")),
        ("oci://reg.example/guards/spoof", ("reg.example", "guards/spoof", "latest")),
        (f"oci://reg.example/guards/spoof@{DIGEST}", ("reg.example", "guards/spoof", DIGEST)),
        (f"oci://reg.example/guards/spoof:1@{DIGEST}", ("reg.example", "guards/spoof", DIGEST)),
        ("oci://127.0.0.1:5000/a/b/c_d-e.f:v1", ("127.0.0.1:5000", "a/b/c_d-e.f", "v1")),
    ],
)
def test_oci_references_parse(url: str, expected: tuple[str, str, str]) -> None:
    assert sources._parse_oci(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("oci://reg.example", "expected oci://registry/repository"),
        ("oci://reg.example/Guards/Spoof:1", "not a valid repository name"),
        ("oci://reg.example/guards/spoof@sha256:abc", "is not sha256:<64 hex digits>"),
        ("oci://reg.example/guards/spoof:-bad", "is not a valid tag"),
    ],
)
def test_bad_oci_references_are_named(url: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        sources._parse_oci(url)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("10.0.0.1", False),
        ("registry.local", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert sources._is_loopback(host) is loopback


def _auth_file(tmp_path: Path, auths: dict[str, object]) -> Path:
    path = tmp_path / "auth.json"
    path.write_text(json.dumps({"auths": auths}), encoding="utf-8")
    return path


def test_credentials_come_from_the_auth_entry_of_the_registry(tmp_path: Path) -> None:
    encoded = base64.b64encode(b"alice:s3:cret").decode()
    path = _auth_file(tmp_path, {"other:5000": {"auth": "eDp5"}, "reg:5000": {"auth": encoded}})
    assert sources._credentials("reg:5000", path) == ("alice", "s3:cret")
    assert sources._credentials("nobody", path) is None


def test_credentials_accept_username_and_password_and_scheme_prefixed_keys(tmp_path: Path) -> None:
    path = _auth_file(tmp_path, {"https://reg": {"username": "bob", "password": "pw"}})
    assert sources._credentials("reg", path) == ("bob", "pw")


def test_the_auth_file_defaults_to_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _auth_file(tmp_path, {"reg": {"username": "bob", "password": "pw"}})
    monkeypatch.setenv(sources.AUTH_FILE_ENV, str(path))
    assert sources._credentials("reg", None) == ("bob", "pw")
    monkeypatch.delenv(sources.AUTH_FILE_ENV)
    assert sources._credentials("reg", None) is None


def test_an_unreadable_auth_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "auth.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SourceError, match="cannot read registry auth file"):
        sources._credentials("reg", path)


def _http_error(code: int, headers: dict[str, str] | None = None) -> urllib.error.HTTPError:
    msg = Message()
    for k, v in (headers or {}).items():
        msg[k] = v
    return urllib.error.HTTPError("https://x/y", code, "reason", msg, None)


@pytest.mark.parametrize("code", [408, 425, 429, 500, 502, 503, 504])
def test_server_errors_and_throttling_are_temporary(code: int) -> None:
    assert isinstance(sources._classify(_http_error(code)), sources._Temporary)


@pytest.mark.parametrize("code", [400, 403, 404, 405, 410])
def test_client_errors_are_permanent(code: int) -> None:
    assert isinstance(sources._classify(_http_error(code)), sources._Permanent)


def test_401_carries_the_challenge() -> None:
    challenge = 'Bearer realm="https://auth/token",service="reg"'
    classified = sources._classify(_http_error(401, {"WWW-Authenticate": challenge}))
    assert isinstance(classified, sources._Unauthorized)
    assert classified.challenge == challenge


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")), sources._Temporary),
        (urllib.error.URLError(TimeoutError()), sources._Temporary),
        (ConnectionResetError(104, "Connection reset by peer"), sources._Temporary),
        (urllib.error.URLError(ssl.SSLCertVerificationError("bad cert")), sources._Permanent),
        (urllib.error.URLError(ssl.SSLError(1, "WRONG_VERSION_NUMBER")), sources._NoTls),
        (urllib.error.URLError("unknown url type: ftp"), sources._Permanent),
    ],
)
def test_network_errors_are_classified(exc: BaseException, kind: type[BaseException]) -> None:
    assert isinstance(sources._classify(exc), kind)


def test_redirects_never_downgrade_https() -> None:
    request = urllib.request.Request("https://a.example/g.wasm")

    class Body:
        closed = False

        def close(self) -> None:
            self.closed = True

    body = Body()
    with pytest.raises(sources._Permanent, match="refusing a redirect from HTTPS to http"):
        sources._Redirects().redirect_request(request, body, 302, "Found", Message(), "http://a.example/g.wasm")
    assert body.closed


def test_redirects_to_another_host_drop_credentials() -> None:
    request = urllib.request.Request("https://reg.example/v2/x", headers={"Authorization": "Bearer t"})
    same = sources._Redirects().redirect_request(request, None, 307, "", Message(), "https://reg.example/other")
    other = sources._Redirects().redirect_request(request, None, 307, "", Message(), "https://blobs.example/x")
    assert same is not None
    assert same.get_header("Authorization") == "Bearer t"
    assert other is not None
    assert other.get_header("Authorization") is None

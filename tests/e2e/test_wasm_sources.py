"""Module sources against real servers: Debian's docker-registry (artifacts pushed by oras) and HTTPS."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from guardmesh.guards.wasm import sources
from guardmesh.guards.wasm.sources import SourceError, fetch
from tests.support import registry as reg
from tests.support.peers import free_port

pytestmark = pytest.mark.e2e

MODULE = b"\0asm\x01\0\0\0" + os.urandom(4096)
SHA = hashlib.sha256(MODULE).hexdigest()
OTHER = b"\0asm\x01\0\0\0 another module"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("wasm-sources")


@pytest.fixture(scope="module")
def module_file(workdir: Path) -> Path:
    path = workdir / "guard.wasm"
    path.write_bytes(MODULE)
    return path


@pytest.fixture(scope="module")
def tls(workdir: Path) -> reg.Tls:
    return reg.make_tls(workdir / "tls")


@pytest.fixture(autouse=True)
def _trust_test_ca(tls: reg.Tls, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in reg.trust(tls).items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def auth_file(workdir: Path) -> Path:
    """A Docker-style auth file with the test credentials for every registry on 127.0.0.1."""
    return workdir / "auth.json"


def _allow(auth_file: Path, host: str, password: str = reg.TEST_PASSWORD) -> None:
    auths = json.loads(auth_file.read_text()).get("auths", {}) if auth_file.exists() else {}
    auths[host] = {"auth": base64.b64encode(f"{reg.TEST_USER}:{password}".encode()).decode()}
    auth_file.write_text(json.dumps({"auths": auths}), encoding="utf-8")


@pytest.fixture(scope="module")
def anonymous(workdir: Path, module_file: Path) -> Iterator[reg.Registry]:
    """Plain HTTP on loopback, no auth; holds guards/spoof:1 and guards/wrong-type:1 (not a wasm layer)."""
    with reg.running_registry(workdir / "anonymous") as registry:
        reg.push_wasm(registry, "guards/spoof:1", module_file)
        reg.push_wasm(registry, "guards/wrong-type:1", module_file, media_type="application/octet-stream")
        yield registry


@pytest.fixture(scope="module")
def basic_tls(workdir: Path, module_file: Path, tls: reg.Tls, auth_file: Path) -> Iterator[reg.Registry]:
    """TLS with the test CA, htpasswd (Basic) auth; holds guards/spoof:1."""
    with reg.running_registry(workdir / "basic", tls=tls, auth="basic") as registry:
        reg.push_wasm(registry, "guards/spoof:1", module_file)
        _allow(auth_file, registry.host)
        yield registry


@pytest.fixture(scope="module")
def token(workdir: Path, module_file: Path, auth_file: Path) -> Iterator[tuple[reg.Registry, reg.TokenServer]]:
    """Plain HTTP on loopback with token (Bearer) auth from a local token service; holds guards/spoof:1."""
    with (
        reg.TokenServer(workdir / "token-service") as service,
        reg.running_registry(workdir / "token", auth="token", token_server=service) as registry,
    ):
        reg.push_wasm(registry, "guards/spoof:1", module_file)
        _allow(auth_file, registry.host)
        yield registry, service


@pytest.fixture(scope="module")
def https(tls: reg.Tls) -> Iterator[reg.HttpsFiles]:
    files = reg.HttpsFiles(tls, files={"/guard.wasm": MODULE}, statuses={"/busy.wasm": 503})
    with files.serve() as server:
        server.redirects["/moved.wasm"] = f"{server.base}/guard.wasm"
        server.redirects["/downgrade.wasm"] = f"http://127.0.0.1:{server.port}/guard.wasm"
        yield server


def _retries(caplog: pytest.LogCaptureFixture) -> int:
    return sum("retry" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


# ---- oci:// ------------------------------------------------------------------------------------


def test_oci_pull_by_tag_from_an_anonymous_registry(anonymous: reg.Registry, cache: Path) -> None:
    path = fetch(f"oci://{anonymous.host}/guards/spoof:1", SHA, cache_dir=cache, timeout=20)
    assert path.read_bytes() == MODULE
    assert path.is_relative_to(cache)


def test_oci_pull_by_manifest_digest(anonymous: reg.Registry, module_file: Path, cache: Path) -> None:
    digest = reg.push_wasm(anonymous, "guards/by-digest:1", module_file)
    path = fetch(f"oci://{anonymous.host}/guards/by-digest@{digest}", SHA, cache_dir=cache, timeout=20)
    assert path.read_bytes() == MODULE


def test_oci_sha_mismatch_names_both_digests(anonymous: reg.Registry, cache: Path) -> None:
    wrong = hashlib.sha256(OTHER).hexdigest()
    with pytest.raises(SourceError) as err:
        fetch(f"oci://{anonymous.host}/guards/spoof:1", wrong, cache_dir=cache, timeout=20)
    assert f"expected sha256:{wrong}" in str(err.value)
    assert f"sha256:{SHA}" in str(err.value)
    assert not err.value.temporary
    assert not (cache / "sha256" / f"{wrong}.wasm").exists()


def test_oci_layer_of_another_media_type_is_refused(anonymous: reg.Registry, cache: Path) -> None:
    with pytest.raises(SourceError) as err:
        fetch(f"oci://{anonymous.host}/guards/wrong-type:1", SHA, cache_dir=cache, timeout=20)
    assert "no layer of media type application/vnd.module.wasm.content.layer.v1+wasm" in str(err.value)
    assert "found: application/octet-stream" in str(err.value)


def test_oci_unknown_tag_fails_at_once_without_retries(
    anonymous: reg.Registry, cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING), pytest.raises(SourceError) as err:
        fetch(
            f"oci://{anonymous.host}/guards/spoof:missing", SHA, cache_dir=cache, timeout=20, attempts=3, backoff=0.01
        )
    assert "HTTP 404" in str(err.value)
    assert not err.value.temporary
    assert _retries(caplog) == 0


def test_oci_unreachable_registry_is_retried_then_reported(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = f"oci://127.0.0.1:{free_port()}/guards/spoof:1"
    with caplog.at_level(logging.WARNING), pytest.raises(SourceError) as err:
        fetch(url, SHA, cache_dir=cache, timeout=20, attempts=3, backoff=0.01)
    assert err.value.temporary
    assert "gave up after 3 attempts" in str(err.value)
    assert url in str(err.value)
    assert _retries(caplog) == 2


def test_oci_layer_over_the_size_cap_is_refused(anonymous: reg.Registry, cache: Path) -> None:
    with pytest.raises(SourceError, match="larger than the size cap of 1024 bytes"):
        fetch(f"oci://{anonymous.host}/guards/spoof:1", SHA, cache_dir=cache, timeout=20, max_bytes=1024)


def test_oci_cache_hit_needs_no_registry(anonymous: reg.Registry, cache: Path) -> None:
    first = fetch(f"oci://{anonymous.host}/guards/spoof:1", SHA, cache_dir=cache, timeout=20)
    dead = f"oci://127.0.0.1:{free_port()}/guards/spoof:1"
    assert fetch(dead, SHA, cache_dir=cache, timeout=20, attempts=1) == first


def test_oci_over_tls_with_basic_auth(basic_tls: reg.Registry, auth_file: Path, cache: Path) -> None:
    url = f"oci://{basic_tls.host}/guards/spoof:1"
    path = fetch(url, SHA, cache_dir=cache, timeout=20, auth_file=auth_file)
    assert path.read_bytes() == MODULE


def test_oci_registry_asking_for_credentials_we_lack_is_a_clear_error(
    basic_tls: reg.Registry, tmp_path: Path, cache: Path
) -> None:
    empty = tmp_path / "auth.json"
    empty.write_text('{"auths": {}}', encoding="utf-8")
    with pytest.raises(SourceError, match="requires credentials and none are configured"):
        fetch(f"oci://{basic_tls.host}/guards/spoof:1", SHA, cache_dir=cache, timeout=20, auth_file=empty)


def test_oci_wrong_password_is_refused(basic_tls: reg.Registry, tmp_path: Path, cache: Path) -> None:
    wrong = tmp_path / "auth.json"
    _allow(wrong, basic_tls.host, password="not-the-password")
    with pytest.raises(SourceError, match="refused the credentials") as err:
        fetch(f"oci://{basic_tls.host}/guards/spoof:1", SHA, cache_dir=cache, timeout=20, auth_file=wrong)
    assert "not-the-password" not in str(err.value)


def test_oci_tls_registry_with_an_untrusted_certificate_is_refused(
    basic_tls: reg.Registry, auth_file: Path, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(reg.make_tls(tmp_path / "other-ca").ca_file))
    with pytest.raises(SourceError, match="TLS certificate verification failed") as err:
        fetch(f"oci://{basic_tls.host}/guards/spoof:1", SHA, cache_dir=cache, timeout=20, auth_file=auth_file)
    assert not err.value.temporary


def test_oci_token_auth_exchanges_credentials_for_a_bearer_token(
    token: tuple[reg.Registry, reg.TokenServer], auth_file: Path, cache: Path
) -> None:
    registry, service = token
    issued = service.requests["issued"]
    path = fetch(f"oci://{registry.host}/guards/spoof:1", SHA, cache_dir=cache, timeout=20, auth_file=auth_file)
    assert path.read_bytes() == MODULE
    assert service.requests["issued"] == issued + 1


def test_oci_token_service_refusing_anonymous_access_is_a_clear_error(
    token: tuple[reg.Registry, reg.TokenServer], tmp_path: Path, cache: Path
) -> None:
    registry, _ = token
    empty = tmp_path / "auth.json"
    empty.write_text('{"auths": {}}', encoding="utf-8")
    with pytest.raises(SourceError, match=r"token service .* refused the credentials"):
        fetch(f"oci://{registry.host}/guards/spoof:1", SHA, cache_dir=cache, timeout=20, auth_file=empty)


# ---- https:// ----------------------------------------------------------------------------------


def test_https_download_is_verified_and_cached(https: reg.HttpsFiles, cache: Path) -> None:
    path = fetch(f"{https.base}/guard.wasm", SHA, cache_dir=cache, timeout=20)
    assert path.read_bytes() == MODULE
    hits = https.hits["/guard.wasm"]
    assert fetch(f"{https.base}/guard.wasm", SHA, cache_dir=cache, timeout=20) == path
    assert https.hits["/guard.wasm"] == hits


def test_https_redirect_on_the_same_scheme_is_followed(https: reg.HttpsFiles, cache: Path) -> None:
    assert fetch(f"{https.base}/moved.wasm", SHA, cache_dir=cache, timeout=20).read_bytes() == MODULE


def test_https_redirect_to_plain_http_is_refused(https: reg.HttpsFiles, cache: Path) -> None:
    with pytest.raises(SourceError, match="refusing a redirect from HTTPS to http"):
        fetch(f"{https.base}/downgrade.wasm", SHA, cache_dir=cache, timeout=20)


def test_https_sha_mismatch_names_both_digests(https: reg.HttpsFiles, cache: Path) -> None:
    wrong = "f" * 64
    with pytest.raises(SourceError) as err:
        fetch(f"{https.base}/guard.wasm", wrong, cache_dir=cache, timeout=20)
    assert f"expected sha256:{wrong}, got sha256:{SHA}" in str(err.value)
    assert not (cache / "sha256" / f"{wrong}.wasm").exists()


def test_https_404_is_permanent_and_not_retried(https: reg.HttpsFiles, cache: Path) -> None:
    with pytest.raises(SourceError, match="HTTP 404") as err:
        fetch(f"{https.base}/absent.wasm", SHA, cache_dir=cache, timeout=20, attempts=3, backoff=0.01)
    assert not err.value.temporary
    assert https.hits["/absent.wasm"] == 1


def test_https_503_is_retried_then_reported_as_temporary(https: reg.HttpsFiles, cache: Path) -> None:
    with pytest.raises(SourceError, match="HTTP 503") as err:
        fetch(f"{https.base}/busy.wasm", SHA, cache_dir=cache, timeout=20, attempts=3, backoff=0.01)
    assert err.value.temporary
    assert https.hits["/busy.wasm"] == 3


def test_https_unreachable_server_is_retried_then_reported(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING), pytest.raises(SourceError, match="gave up after 3 attempts") as err:
        fetch(f"https://127.0.0.1:{free_port()}/guard.wasm", SHA, cache_dir=cache, timeout=20, attempts=3, backoff=0.01)
    assert err.value.temporary
    assert _retries(caplog) == 2


def test_https_body_over_the_size_cap_is_refused(https: reg.HttpsFiles, cache: Path) -> None:
    with pytest.raises(SourceError, match="larger than the size cap of 100 bytes"):
        fetch(f"{https.base}/guard.wasm", SHA, cache_dir=cache, timeout=20, max_bytes=100)


def test_https_server_with_an_untrusted_certificate_is_refused(
    https: reg.HttpsFiles, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(reg.make_tls(tmp_path / "other-ca").ca_file))
    with pytest.raises(SourceError, match="TLS certificate verification failed"):
        fetch(f"{https.base}/guard.wasm", SHA, cache_dir=cache, timeout=20, attempts=3, backoff=0.01)


def test_plain_http_is_not_tried_for_a_registry_that_is_neither_loopback_nor_insecure(anonymous: reg.Registry) -> None:
    # Every registry here is on loopback, so the rule is exercised one level down: the same plain-HTTP
    # registry, with plain HTTP not allowed, is only spoken to over TLS, and that fails.
    http = sources._Http("oci://test", deadline=time.monotonic() + 20, attempts=1, backoff=0.01, max_bytes=1 << 20)
    registry = sources._Registry(http, anonymous.host, "guards/spoof", plain_allowed=False, creds=None)
    with pytest.raises(SourceError, match="TLS handshake failed"):
        registry.manifest("1")
    assert registry.scheme == "https"


def test_oci_index_is_resolved_to_its_wasm_manifest(anonymous: reg.Registry, module_file: Path, cache: Path) -> None:
    import urllib.request

    digest = reg.push_wasm(anonymous, "guards/indexed:plain", module_file)
    manifest = urllib.request.Request(
        f"http://{anonymous.host}/v2/guards/indexed/manifests/plain",
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    with urllib.request.urlopen(manifest) as response:
        size = len(response.read())
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": digest,
                "size": size,
                "platform": {"architecture": "wasm", "os": "wasip2"},
            }
        ],
    }
    put = urllib.request.Request(
        f"http://{anonymous.host}/v2/guards/indexed/manifests/1",
        data=json.dumps(index).encode(),
        headers={"Content-Type": "application/vnd.oci.image.index.v1+json"},
        method="PUT",
    )
    with urllib.request.urlopen(put) as response:
        assert response.status == 201
    path = fetch(f"oci://{anonymous.host}/guards/indexed:1", SHA, cache_dir=cache, timeout=20)
    assert path.read_bytes() == MODULE

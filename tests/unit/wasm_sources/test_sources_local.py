"""Module sources without a network: file:// URLs, the sha256 cache, argument checks."""

from __future__ import annotations

import hashlib
import logging
import socket
from pathlib import Path

import pytest

from guardmesh.guards.wasm.sources import SourceError, fetch

MODULE = b"\0asm\x01\0\0\0" + bytes(range(256)) * 4


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def module(tmp_path: Path) -> Path:
    path = tmp_path / "guard.wasm"
    path.write_bytes(MODULE)
    return path


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def _dead_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_file_url_without_sha_returns_the_file_itself(module: Path, cache: Path) -> None:
    assert fetch(module.as_uri(), None, cache_dir=cache, timeout=1) == module
    assert not cache.exists()


def test_file_url_with_sha_returns_a_verified_cached_copy(module: Path, cache: Path) -> None:
    path = fetch(module.as_uri(), _sha(MODULE), cache_dir=cache, timeout=1)
    assert path == cache / "sha256" / f"{_sha(MODULE)}.wasm"
    assert path.read_bytes() == MODULE


def test_sha_may_carry_the_sha256_prefix_and_upper_case(module: Path, cache: Path) -> None:
    path = fetch(module.as_uri(), "sha256:" + _sha(MODULE).upper(), cache_dir=cache, timeout=1)
    assert path.read_bytes() == MODULE


def test_file_sha_mismatch_names_both_digests_and_keeps_nothing(module: Path, cache: Path) -> None:
    wrong = "0" * 64
    with pytest.raises(SourceError) as err:
        fetch(module.as_uri(), wrong, cache_dir=cache, timeout=1)
    assert f"expected sha256:{wrong}" in str(err.value)
    assert f"got sha256:{_sha(MODULE)}" in str(err.value)
    assert module.as_uri() in str(err.value)
    assert not err.value.temporary
    assert list((cache / "sha256").iterdir()) == []


def test_missing_file_is_a_clear_error(tmp_path: Path, cache: Path) -> None:
    url = (tmp_path / "nope.wasm").as_uri()
    with pytest.raises(SourceError, match="No such file"):
        fetch(url, None, cache_dir=cache, timeout=1)


def test_a_directory_is_not_a_module(tmp_path: Path, cache: Path) -> None:
    with pytest.raises(SourceError, match="not a regular file"):
        fetch(tmp_path.as_uri(), None, cache_dir=cache, timeout=1)


def test_file_url_with_a_remote_host_is_refused(cache: Path) -> None:
    with pytest.raises(SourceError, match=r"host 'example\.org' is not allowed"):
        fetch("file://example.org/guard.wasm", None, cache_dir=cache, timeout=1)


def test_oversize_file_is_refused(module: Path, cache: Path) -> None:
    with pytest.raises(SourceError, match="size cap of 100 bytes"):
        fetch(module.as_uri(), None, cache_dir=cache, timeout=1, max_bytes=100)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/guard.wasm", "ftp://host/guard.wasm", "/abs/guard.wasm", "s3://bucket/g.wasm"]
)
def test_other_schemes_are_refused(url: str, cache: Path) -> None:
    with pytest.raises(SourceError, match="unsupported scheme"):
        fetch(url, "a" * 64, cache_dir=cache, timeout=1)


@pytest.mark.parametrize("url", ["https://127.0.0.1/guard.wasm", "oci://127.0.0.1/guards/g:1"])
@pytest.mark.parametrize("sha", [None, ""])
def test_remote_sources_need_a_sha256(url: str, sha: str | None, cache: Path) -> None:
    with pytest.raises(SourceError, match="sha256 is required for remote sources"):
        fetch(url, sha, cache_dir=cache, timeout=1)


@pytest.mark.parametrize("sha", ["abc", "sha512:" + "a" * 64, "g" * 64, "a" * 65])
def test_malformed_sha256_is_refused(sha: str, module: Path, cache: Path) -> None:
    with pytest.raises(SourceError, match="is not 64 hex digits"):
        fetch(module.as_uri(), sha, cache_dir=cache, timeout=1)


def test_credentials_in_the_url_are_refused_and_not_repeated(cache: Path) -> None:
    with pytest.raises(SourceError) as err:
        fetch("https://user:hunter2@127.0.0.1/g.wasm", "a" * 64, cache_dir=cache, timeout=1)
    assert "hunter2" not in str(err.value)
    assert "credentials in the URL" in str(err.value)


@pytest.mark.parametrize("scheme", ["https", "oci"])
def test_a_cached_module_is_returned_without_network(scheme: str, module: Path, cache: Path) -> None:
    fetch(module.as_uri(), _sha(MODULE), cache_dir=cache, timeout=1)
    # Nothing listens on this port: any network access would fail.
    url = f"https://127.0.0.1:{_dead_port()}/g.wasm" if scheme == "https" else f"oci://127.0.0.1:{_dead_port()}/g/g:1"
    path = fetch(url, _sha(MODULE), cache_dir=cache, timeout=1, attempts=1)
    assert path.read_bytes() == MODULE


def test_a_corrupt_cached_copy_is_discarded_and_fetched_again(
    module: Path, cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = fetch(module.as_uri(), _sha(MODULE), cache_dir=cache, timeout=1)
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    with caplog.at_level(logging.WARNING):
        again = fetch(module.as_uri(), _sha(MODULE), cache_dir=cache, timeout=1)
    assert again.read_bytes() == MODULE
    assert "discarding it" in caplog.text


def test_a_corrupt_cached_copy_with_no_reachable_source_is_an_error(module: Path, cache: Path) -> None:
    path = fetch(module.as_uri(), _sha(MODULE), cache_dir=cache, timeout=1)
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    with pytest.raises(SourceError) as err:
        fetch(f"https://127.0.0.1:{_dead_port()}/g.wasm", _sha(MODULE), cache_dir=cache, timeout=5, attempts=1)
    assert err.value.temporary
    assert not path.exists()

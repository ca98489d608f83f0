"""`guardmesh-sidecar --auth-issuer ISSUER --auth-audience AUDIENCE --auth-jwks URL_OR_FILE`."""

from pathlib import Path

import pytest

from guardmesh.cli.sidecar import _authentication, http_parser
from guardmesh.config import ConfigError
from guardmesh.config.identity import Authentication, TrustedIssuer


def parsed(*flags: str) -> Authentication | None:
    return _authentication(http_parser().parse_args(["--upstream", "http://127.0.0.1:1/mcp", *flags]))


def test_three_flags_turn_on_the_resource_server_with_the_policy_defaults(tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    config = parsed(
        "--auth-issuer", "https://idp.test", "--auth-audience", "https://mcp.test/mcp", "--auth-jwks", str(jwks)
    )
    assert config == Authentication(
        resource="https://mcp.test/mcp", oauth=(TrustedIssuer(issuer="https://idp.test", jwks_uri=jwks.as_uri()),)
    )


def test_without_the_flags_authentication_comes_from_the_bundle() -> None:
    assert parsed() is None


def test_an_issuer_without_an_audience_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="--auth-issuer and --auth-audience go together"):
        parsed("--auth-issuer", "https://idp.test")


def test_a_plain_http_issuer_elsewhere_than_loopback_is_refused() -> None:
    with pytest.raises(ConfigError, match="issuer must be an absolute https:// URL"):
        parsed("--auth-issuer", "http://idp.test", "--auth-audience", "https://mcp.test/mcp")

"""Following the bundle ConfigMap: references, API access and the command line (the watch itself runs
against a real API server in tests/e2e/test_config_api.py)."""

import pytest

from guardmesh.app.configmap_watch import ApiAccess, ConfigMapRef
from guardmesh.cli.sidecar import main


def test_a_configmap_is_named_by_namespace_and_name_with_an_optional_key() -> None:
    assert ConfigMapRef.parse("team-a/guardmesh-bundle") == ConfigMapRef("team-a", "guardmesh-bundle", "bundle.yaml")
    assert ConfigMapRef.parse("team-a/cm/other.yaml") == ConfigMapRef("team-a", "cm", "other.yaml")


@pytest.mark.parametrize("text", ["just-a-name", "a/", "/b", "a/b/c/d", ""])
def test_a_malformed_configmap_reference_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="NAMESPACE/NAME"):
        ConfigMapRef.parse(text)


def test_outside_a_pod_the_api_server_must_be_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(ValueError, match="KUBERNETES_SERVICE_HOST"):
        ApiAccess.in_cluster()
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    access = ApiAccess.in_cluster()
    assert (access.host, access.port) == ("10.96.0.1", 443)
    assert str(access.token_file).endswith("serviceaccount/token")


def test_the_sidecar_refuses_to_follow_a_configmap_without_an_api_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    code = main(["--upstream", "http://127.0.0.1:9/mcp", "--config-configmap", "ns/cm"])
    assert code == 2
    assert "--config-configmap: KUBERNETES_SERVICE_HOST is not set" in capsys.readouterr().err

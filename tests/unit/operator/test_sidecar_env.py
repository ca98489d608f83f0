"""Extra sidecar environment (the chart's sidecar.env, `--sidecar-env NAME=VALUE`): parsed, validated, injected."""

from pathlib import Path

import pytest
import yaml

from guardmesh_operator.__main__ import _parser
from guardmesh_operator.injection import InjectorSettings, review

GOLDEN = Path(__file__).parent / "golden"


def test_sidecar_env_values_reach_every_injected_sidecar() -> None:
    args = _parser().parse_args(
        ["run", "--sidecar-env=OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4317", "--sidecar-env=A_B=x=y"]
    )
    assert args.sidecar_env == [("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector:4317"), ("A_B", "x=y")]
    given = yaml.safe_load((GOLDEN / "native-named-port.in.yaml").read_text())
    settings = InjectorSettings(**given.get("settings", {}), env=tuple(args.sidecar_env))
    pod = review(given["pod"], given["namespace"], given.get("namespaceLabels", {}), settings).pod
    assert pod is not None
    (sidecar,) = pod["spec"]["initContainers"]
    env = {e["name"]: e.get("value") for e in sidecar["env"]}
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4317"
    assert env["A_B"] == "x=y"
    assert "POD_NAME" in env


@pytest.mark.parametrize("bad", ["NOEQUALS", "1BAD=x", "POD_NAME=me", "OTEL_SERVICE_NAME=x"])
def test_a_bad_or_reserved_sidecar_env_is_refused(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["run", f"--sidecar-env={bad}"])
    assert "--sidecar-env" in capsys.readouterr().err

"""Injection golden files: tests/unit/operator/golden/<case>.in.yaml -> <case>.out.yaml.

Regenerate the expected files with `GUARDMESH_UPDATE_GOLDEN=1 pytest tests/unit/operator/test_injection.py`
and read the diff before committing it.
"""

import json
import os
from pathlib import Path
from typing import Any

import jsonpatch
import pytest
import yaml

from guardmesh_operator.annotations import quantity
from guardmesh_operator.injection import Decision, InjectorSettings, review, uninject, workload

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name.removesuffix(".in.yaml") for p in GOLDEN.glob("*.in.yaml"))
UPDATE = os.environ.get("GUARDMESH_UPDATE_GOLDEN") == "1"


def _run(case: str) -> tuple[dict[str, Any], Decision]:
    given = yaml.safe_load((GOLDEN / f"{case}.in.yaml").read_text())
    settings = InjectorSettings(**given.get("settings", {}))
    decision = review(given["pod"], given["namespace"], given.get("namespaceLabels", {}), settings)
    return given, decision


def _rendered(decision: Decision) -> str:
    out: dict[str, Any] = {"action": decision.action, "reason": decision.reason}
    if decision.action != "reject":
        out["patch"] = decision.patch
        out["pod"] = decision.pod
    return yaml.safe_dump(out, sort_keys=False, width=120)


@pytest.mark.parametrize("case", CASES)
def test_injection_matches_the_golden_file(case: str) -> None:
    _, decision = _run(case)
    expected = GOLDEN / f"{case}.out.yaml"
    if UPDATE:
        expected.write_text(_rendered(decision))
    assert expected.exists(), f"no {expected.name}: run with GUARDMESH_UPDATE_GOLDEN=1"
    assert _rendered(decision) == expected.read_text()


@pytest.mark.parametrize("case", CASES)
def test_the_patch_turns_the_received_pod_into_the_injected_one(case: str) -> None:
    given, decision = _run(case)
    if decision.action != "reject":
        assert jsonpatch.apply_patch(given["pod"], decision.patch) == decision.pod


@pytest.mark.parametrize("case", CASES)
def test_injecting_twice_gives_the_same_pod(case: str) -> None:
    given, first = _run(case)
    if first.action != "inject":
        return
    settings = InjectorSettings(**given.get("settings", {}))
    assert first.pod is not None
    second = review(first.pod, given["namespace"], given.get("namespaceLabels", {}), settings)
    assert second.action == "inject"
    assert second.pod == first.pod
    assert second.patch == []
    assert uninject(first.pod) == uninject(given["pod"])


def test_expected_cases_exist() -> None:
    wanted = {
        "native-named-port",
        "classic-sidecar",
        "numbered-port",
        "custom-annotations",
        "already-injected",
        "bad-annotation",
        "hostnetwork-skip",
        "opted-out",
    }
    assert wanted <= set(CASES)


def _decision(case: str) -> Decision:
    return _run(case)[1]


def test_a_native_sidecar_is_an_always_restarting_init_container_with_a_startup_probe() -> None:
    pod = _decision("native-named-port").pod
    assert pod is not None
    [sidecar] = pod["spec"]["initContainers"]
    assert sidecar["restartPolicy"] == "Always"
    assert sidecar["startupProbe"]["httpGet"]["path"] == "/readyz"
    classic = _decision("classic-sidecar").pod
    assert classic is not None
    assert "initContainers" not in classic["spec"]
    assert "restartPolicy" not in classic["spec"]["containers"][-1]


def test_the_sidecar_takes_over_the_port_name_and_reaches_the_server_on_loopback() -> None:
    pod = _decision("native-named-port").pod
    assert pod is not None
    server, sidecar = pod["spec"]["containers"][0], pod["spec"]["initContainers"][0]
    assert server["ports"] == [{"containerPort": 3000, "protocol": "TCP"}]
    assert server["readinessProbe"]["tcpSocket"]["port"] == 3000
    assert sidecar["ports"][0] == {"name": "mcp", "containerPort": 15080, "protocol": "TCP"}
    assert "--upstream=http://127.0.0.1:3000/mcp" in sidecar["args"]
    assert "--server-id=tools/weather" in sidecar["args"]
    assert pod["metadata"]["labels"]["guardmesh.dev/workload"] == "weather"


def test_the_sidecar_meets_the_restricted_pod_security_standard() -> None:
    pod = _decision("native-named-port").pod
    assert pod is not None
    context = pod["spec"]["initContainers"][0]["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["runAsNonRoot"] is True
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}


def test_the_status_annotation_says_what_was_injected() -> None:
    pod = _decision("custom-annotations").pod
    assert pod is not None
    status = json.loads(pod["metadata"]["annotations"]["guardmesh.dev/status"])
    assert status["version"] == "0.1.0"
    assert len(status["config_hash"]) == 16
    assert (status["port_name"], status["server_port"], status["listen_port"]) == ("http", 15080, 15081)


def test_a_bad_annotation_names_each_one() -> None:
    decision = _decision("bad-annotation")
    assert decision.action == "reject"
    for name in ("guardmesh.dev/port", "guardmesh.dev/sidecar-memory", "guardmesh.dev/log-level"):
        assert name in decision.reason


def test_quantities_parse_as_kubernetes_reads_them() -> None:
    assert quantity("100m") == quantity("0.1")
    assert quantity("1Gi") == 1024**3
    assert quantity("1e3") == 1000
    assert quantity("lots") is None
    assert quantity("1.5.5") is None


def test_workload_names_come_from_the_controller() -> None:
    owner = {"kind": "StatefulSet", "name": "db", "controller": True}
    assert workload({"metadata": {"name": "db-0", "ownerReferences": [owner]}}) == "db"
    assert workload({"metadata": {"generateName": "job-x-"}}) == "job-x"
    long = workload({"metadata": {"name": "a" * 80}})
    assert len(long) <= 63

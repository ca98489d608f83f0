"""ToolBaselines in the operator: reports folded into the status, pending changes and their patches, the
bundle every replica enforces, who may report, and approvals stamped at admission."""

import json
from typing import Any

import jsonpatch
import pytest

from guardmesh.config.baseline import BaselineMode, Reporting, ToolBaselineSpec
from guardmesh.config.bundle_set import parse_config
from guardmesh.config.tooldefs import tool_digest
from guardmesh_operator import controller
from guardmesh_operator.api import OBSERVER_AUDIENCE, WORKLOAD
from guardmesh_operator.baselines import (
    BadReport,
    baseline_status,
    bundle_baseline,
    merge_report,
    parse_baseline,
    parse_report,
    stamp,
)
from guardmesh_operator.injection import InjectorSettings
from guardmesh_operator.observers import Refused, authorize, reporter
from guardmesh_operator.reconcile import plan_namespace
from guardmesh_operator.validation import Invalid
from guardmesh_operator.webhooks import Webhooks
from tests.unit.operator.test_controller import FakeKube

ECHO = {"name": "echo", "description": "Echo a message.", "inputSchema": {"type": "object"}}
ADD = {"name": "add", "description": "Add two numbers.", "inputSchema": {"type": "object"}}


def _report(*tools: dict[str, Any], server: str = "team/weather") -> Any:
    return parse_report({"server": server, "tools": list(tools)})


def _status(*reports: tuple[str, list[dict[str, Any]]], spec: ToolBaselineSpec | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {}
    for when, tools in reports:
        observed = merge_report(status, _report(*tools), "weather-0", spec, when)
        status = {"observed": [o.model_dump(mode="json", by_alias=True, exclude_none=True) for o in observed]}
    return status


def _approved(*tools: dict[str, Any], mode: str = "Enforcing") -> ToolBaselineSpec:
    return parse_baseline({"mode": mode, "tools": {t["name"]: {"sha256": tool_digest(t)} for t in tools}})


# --- reports and status -------------------------------------------------------------------------


def test_bad_reports_are_refused_with_the_reason() -> None:
    for body, why in [
        ([], "JSON object"),
        ({"server": "weather", "tools": []}, "NAMESPACE/WORKLOAD"),
        ({"server": "team/weather", "tools": {}}, "list"),
        ({"server": "team/weather", "tools": [{"description": "no name"}]}, r"tools\[0\]"),
    ]:
        with pytest.raises(BadReport, match=why):
            parse_report(body)


def test_everything_observed_in_learning_mode_is_pending_with_a_patch_that_approves_it() -> None:
    spec = parse_baseline({})
    status = baseline_status(_status(("t1", [ECHO, ADD])), 1, spec, None, "h1")
    assert (status.approved_tools, status.observed_tools, status.pending_changes) == (0, 2, 2)
    assert [(c.tool, c.change) for c in status.changes] == [("add", "New"), ("echo", "New")]
    patch = json.loads(status.approve_all)
    assert patch == {"spec": {"tools": {"add": {"sha256": tool_digest(ADD)}, "echo": {"sha256": tool_digest(ECHO)}}}}
    approved = parse_baseline(patch["spec"])
    assert baseline_status(_status(("t1", [ECHO, ADD])), 2, approved, None, "h1").pending_changes == 0
    assert status.conditions[1].reason == "Learning"


def test_a_changed_tool_is_pending_with_the_fields_that_changed_and_the_approved_definition_is_kept() -> None:
    spec = _approved(ECHO, ADD)
    changed = {**ECHO, "description": "Echo a message and mail it out.", "annotations": {"openWorldHint": True}}
    status = _status(("t1", [ECHO, ADD]), ("t2", [changed]), spec=spec)
    [change] = baseline_status(status, 1, spec, None, "h").changes
    assert change.change == "Changed"
    assert change.summary == "annotations added; description changed"
    assert change.approved_sha256 == tool_digest(ECHO)
    assert json.loads(change.approve) == {"spec": {"tools": {"echo": {"sha256": tool_digest(changed)}}}}
    baseline = bundle_baseline(spec, status)
    assert baseline.tools["echo"].definition == ECHO
    assert baseline.unapproved == {"echo": tool_digest(changed)}


def test_a_renamed_tool_is_recognised() -> None:
    spec = _approved(ECHO)
    renamed = {**ECHO, "name": "say"}
    [change] = baseline_status(_status(("t1", [ECHO]), ("t2", [renamed]), spec=spec), 1, spec, None, "h").changes
    assert (change.tool, change.change, change.renamed_from) == ("say", "Renamed", "echo")


def test_the_observed_list_is_bounded_but_keeps_latest_and_approved_definitions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("guardmesh_operator.baselines.MAX_OBSERVED", 3)
    spec = _approved(ECHO)
    reports = [(f"t{i}", [{**ECHO, "description": f"v{i}"}]) for i in range(1, 6)]
    status = _status(("t0", [ECHO]), *reports, spec=spec)
    kept = {(o["name"], o["lastSeen"]) for o in status["observed"]}
    assert ("echo", "t0") in kept  # the approved definition
    assert ("echo", "t5") in kept  # the latest
    assert len(kept) == 3


def test_an_approved_definition_must_match_its_hash() -> None:
    with pytest.raises(Invalid, match=r"spec.tools.echo.definition: its sha256 is"):
        parse_baseline({"tools": {"echo": {"sha256": "0" * 64, "definition": ECHO}}})
    with pytest.raises(Invalid, match="tool name"):
        parse_baseline({"tools": {"has space": {"sha256": "0" * 64}}})
    assert parse_baseline({"tools": {"echo": {"sha256": tool_digest(ECHO), "definition": ECHO}}}).tools


def test_the_namespace_bundle_carries_each_baseline_to_the_workloads_pods() -> None:
    baseline = {
        "metadata": {"name": "weather", "uid": "u", "generation": 1},
        "spec": {"mode": "Enforcing", "tools": {"echo": {"sha256": tool_digest(ECHO)}}},
        "status": _status(("t1", [ECHO])),
    }
    reporting = Reporting(url="https://op.example:9443/observe", ca_bundle="PEM")
    plan = plan_namespace("team", [], [], [], [baseline], reporting)
    bundle = parse_config(plan.compiled.text, "bundle", {"app": "x"})
    assert bundle.baselines["team/weather"].mode is BaselineMode.ENFORCING
    assert bundle.baselines["team/weather"].tools["echo"].definition == ECHO
    assert bundle.reporting == reporting
    assert "reporting" not in plan_namespace("team", [], [], [], [], reporting).compiled.text


# --- who may report -----------------------------------------------------------------------------


def _review(**user: Any) -> dict[str, Any]:
    extra = {"authentication.kubernetes.io/pod-name": ["weather-0"], "authentication.kubernetes.io/pod-uid": ["u0"]}
    return {
        "authenticated": True,
        "audiences": [OBSERVER_AUDIENCE],
        "user": {"username": "system:serviceaccount:team:weather", "extra": extra} | user,
    }


def _pod(workload: str = "weather", uid: str = "u0", account: str = "weather") -> dict[str, Any]:
    return {
        "metadata": {"name": "weather-0", "uid": uid, "labels": {WORKLOAD: workload}},
        "spec": {"serviceAccountName": account},
    }


def test_only_a_pod_bound_token_for_the_observer_audience_identifies_a_reporter() -> None:
    who = reporter(_review())
    assert (who.namespace, who.service_account, who.pod, who.pod_uid) == ("team", "weather", "weather-0", "u0")
    for review in [
        {"authenticated": False, "error": "expired"},
        {**_review(), "audiences": ["https://kubernetes.default.svc"]},
        _review(username="alice"),
        _review(extra={}),
    ]:
        with pytest.raises(Refused) as refused:
            reporter(review)
        assert refused.value.status == 401


def test_a_pod_reports_only_for_its_own_workload() -> None:
    who = reporter(_review())
    authorize(who, _report(ECHO), _pod())
    for report, pod in [
        (_report(ECHO, server="other/weather"), _pod()),
        (_report(ECHO, server="team/billing"), _pod()),
        (_report(ECHO), None),
        (_report(ECHO), _pod(uid="u1")),
        (_report(ECHO), _pod(account="default")),
    ]:
        with pytest.raises(Refused) as refused:
            authorize(who, report, pod)
        assert refused.value.status == 403


class ReportingKube(FakeKube):
    def __init__(self, baselines: list[dict[str, Any]], review: dict[str, Any], pod: dict[str, Any]) -> None:
        super().__init__([], [], baselines)
        self.review, self.pod = review, pod
        self.tokens: list[tuple[str, list[str]]] = []

    async def review_token(self, token: str, audiences: list[str]) -> dict[str, Any]:
        self.tokens.append((token, audiences))
        return self.review

    async def get_pod(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self.pod


async def test_a_report_lands_in_the_status_and_the_bundle() -> None:
    baseline: dict[str, Any] = {
        "metadata": {"name": "weather", "uid": "u", "generation": 1},
        "spec": {"mode": "Learning"},
    }
    kube = ReportingKube([baseline], _review(), _pod())
    ctx = controller.Context(kube, InjectorSettings(), observe_url="https://op:9443/observe")  # type: ignore[arg-type]
    code, _ = await controller.observe(ctx, "tok", {"server": "team/weather", "tools": [ECHO]})
    assert code == 200
    assert kube.tokens == [("tok", [OBSERVER_AUDIENCE])]
    status = baseline["status"]
    assert status["pendingChanges"] == 1
    assert status["observed"][0]["reportedBy"] == "weather-0"
    assert "team/weather" in kube.configmaps[-1]["data"]["bundle.yaml"]
    assert "https://op:9443/observe" in kube.configmaps[-1]["data"]["bundle.yaml"]
    code, message = await controller.observe(ctx, "tok", {"server": "team/weather", "tools": [ECHO]})
    assert (code, message) == (429, "one report per second per pod")


async def test_reports_for_a_missing_baseline_or_from_another_workload_are_refused() -> None:
    kube = ReportingKube([], _review(), _pod())
    ctx = controller.Context(kube, InjectorSettings())  # type: ignore[arg-type]
    assert (await controller.observe(ctx, "tok", {"server": "team/weather", "tools": []}))[0] == 404
    kube.pod = _pod(workload="billing")
    assert (await controller.observe(ctx, "tok", {"server": "team/weather", "tools": []}))[0] == 403
    assert (await controller.observe(ctx, "tok", {"server": "bad", "tools": []}))[0] == 400


# --- approvals at admission ---------------------------------------------------------------------


def test_new_approvals_are_stamped_with_the_requester_and_old_ones_keep_their_stamp() -> None:
    old = {"tools": {"echo": {"sha256": "a" * 64, "approvedBy": "alice", "approvedAt": "t0"}}}
    new = {
        "tools": {
            "echo": {"sha256": "a" * 64, "approvedBy": "mallory"},
            "add": {"sha256": "b" * 64, "approvedBy": "someone-else"},
        }
    }
    stamped = stamp(old, new, "bob", "t1")
    assert stamped["tools"]["echo"] == {"sha256": "a" * 64, "approvedBy": "alice", "approvedAt": "t0"}
    assert stamped["tools"]["add"] == {"sha256": "b" * 64, "approvedBy": "bob", "approvedAt": "t1"}
    changed = stamp(old, {"tools": {"echo": {"sha256": "c" * 64}}}, "carol", "t2")
    assert changed["tools"]["echo"]["approvedBy"] == "carol"


async def _guard_exists(namespace: str, name: str) -> bool:
    return True


async def test_the_admission_webhook_patches_in_the_stamp_and_refuses_a_definition_that_is_not_the_hash() -> None:
    hooks = Webhooks(InjectorSettings(), _guard_exists)
    obj = {"metadata": {"name": "weather"}, "spec": {"tools": {"echo": {"sha256": tool_digest(ECHO)}}}}
    out = await hooks.mutate_baseline({"operation": "CREATE", "object": obj, "userInfo": {"username": "bob"}})
    assert out["allowed"]
    stamped = jsonpatch.apply_patch(obj, out["patch"])
    assert stamped["spec"]["tools"]["echo"]["approvedBy"] == "bob"
    bad = {"metadata": {"name": "weather"}, "spec": {"tools": {"echo": {"sha256": "0" * 64, "definition": ECHO}}}}
    refused = await hooks.mutate_baseline({"operation": "CREATE", "object": bad, "userInfo": {"username": "bob"}})
    assert not refused["allowed"]
    assert "spec.tools.echo.definition" in refused["message"]

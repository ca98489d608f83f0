"""The chart rendered by the real helm: lint, Kubernetes schemas, and the fields that matter, asserted."""

from __future__ import annotations

import base64
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from guardmesh_operator.__main__ import _parser
from guardmesh_operator.validation import parse_guard
from guardmesh_operator.webhook_certs import load_settings
from tests.chart.render import (
    CHART,
    LOCAL_VALUES,
    NAMESPACE,
    VALUES_FILES,
    HelmError,
    Obj,
    find,
    helm,
    kinds,
    render,
    values_args,
)
from tests.support.peers import REPO_ROOT

K8S_VERSION = "1.36.0"
CA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\n").decode()
EXAMPLES = [*((f, ()) for f in VALUES_FILES), (LOCAL_VALUES, (f"webhook.caBundle={CA}",))]
CERT_MANAGER = CHART / "ci" / "cert-manager-values.yaml"
NAMESPACED = CHART / "ci" / "namespaced-values.yaml"
CRD_FILES = sorted((REPO_ROOT / "crds").glob("*.yaml"))
SYSTEM = ["kube-system", "kube-public", "kube-node-lease"]


def _example_id(example: tuple[Path, tuple[str, ...]]) -> str:
    return example[0].name


@pytest.fixture(scope="module")
def default() -> list[Obj]:
    return render()


def _crd_schemas() -> dict[str, dict[str, Any]]:
    schemas = {}
    for path in CRD_FILES:
        crd = yaml.safe_load(path.read_text())
        schemas[crd["spec"]["names"]["kind"]] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schemas


def _webhooks(objs: list[Obj], kind: str = "MutatingWebhookConfiguration") -> dict[str, Obj]:
    """Webhooks by their first name part; for the mutating configuration, the pod injection ones only."""
    hooks = {hook["name"].split(".")[0]: hook for hook in find(objs, kind)["webhooks"]}
    return {k: v for k, v in hooks.items() if k != "toolbaselines"}


@pytest.mark.parametrize("example", EXAMPLES, ids=_example_id)
def test_helm_lint_passes_strictly_with_every_example_values_file(example: tuple[Path, tuple[str, ...]]) -> None:
    path, sets = example
    out = helm("lint", str(CHART), "--strict", *values_args([path], sets))
    assert "0 chart(s) failed" in out


@pytest.mark.parametrize("example", EXAMPLES, ids=_example_id)
def test_every_rendered_object_is_valid_against_the_kubernetes_schemas(example: tuple[Path, tuple[str, ...]]) -> None:
    path, sets = example
    objs = render(path, sets=sets)
    checked = 0
    for obj in objs:
        if obj["apiVersion"].startswith("cert-manager.io/"):
            continue  # not a Kubernetes API; test_cert_manager_mode asserts its fields
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        checked += 1
    assert checked >= 4


def test_the_default_guards_are_valid_security_guards_and_a_policy_for_the_crds_and_the_operator(
    default: list[Obj],
) -> None:
    schemas = _crd_schemas()
    text = find(default, "ConfigMap", "gm-guardmesh-default-guards")["data"]["default-guards.yaml"]
    docs = [d for d in yaml.safe_load_all(text) if d]
    assert [d["kind"] for d in docs].count("SecurityGuard") == 7
    for doc in docs:
        jsonschema.Draft4Validator(schemas[doc["kind"]]).validate(doc)  # OpenAPI v3.0 is draft 4 here
        if doc["kind"] == "SecurityGuard":
            parse_guard(doc["spec"])
    policy = docs[-1]
    assert policy["kind"] == "Policy"
    assert policy["spec"]["podSelector"] == {}
    assert [g["name"] for g in policy["spec"]["guards"]] == [d["metadata"]["name"] for d in docs[:-1]]


def test_the_default_guards_value_is_the_sidecars_built_in_default_bundle() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    builtin = yaml.safe_load((REPO_ROOT / "sidecar/guardmesh/config/default-bundle.yaml").read_text())
    assert values["defaultGuards"]["guards"] == builtin["guards"]


def test_the_crds_are_the_generated_ones_with_a_keep_policy(default: list[Obj]) -> None:
    rendered = {o["metadata"]["name"]: o for o in default if o["kind"] == "CustomResourceDefinition"}
    for path in CRD_FILES:
        generated = yaml.safe_load(path.read_text())
        crd = rendered[generated["metadata"]["name"]]
        assert crd["spec"] == generated["spec"]
        assert crd["metadata"]["annotations"] == {"helm.sh/resource-policy": "keep"}
        assert crd["metadata"]["labels"]["app.kubernetes.io/part-of"] == "guardmesh"


def test_the_packaged_chart_carries_the_crds_it_renders(tmp_path: Path) -> None:
    helm("package", str(CHART), "-d", str(tmp_path))
    (archive,) = tmp_path.glob("guardmesh-*.tgz")
    text = helm("template", "gm", str(archive), "-n", NAMESPACE)
    names = [d["metadata"]["name"] for d in yaml.safe_load_all(text) if d and d["kind"] == "CustomResourceDefinition"]
    assert sorted(names) == ["policies.guardmesh.dev", "securityguards.guardmesh.dev", "toolbaselines.guardmesh.dev"]


def test_crds_lose_the_keep_policy_with_keep_false_and_go_with_install_false() -> None:
    crds = [o for o in render(sets=["crds.keep=false"]) if o["kind"] == "CustomResourceDefinition"]
    assert len(crds) == 3
    assert all("annotations" not in o["metadata"] for o in crds)
    assert "CustomResourceDefinition" not in kinds(render(sets=["crds.install=false"]))


def test_the_chart_version_follows_the_project_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert chart["appVersion"] == project["version"]


def test_values_schema_and_the_docs_table_are_generated_from_the_current_values() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "hack" / "chart-values.py"), "--check"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ("operator.replicas=2", "additional properties 'replicas' not allowed"),
        ("webhook.failurePolicy=Sometimes", "failurePolicy"),
        ("certs.mode=vault", "mode"),
        ("webhook.timeoutSeconds=60", "timeoutSeconds"),
    ],
)
def test_the_values_schema_rejects_unknown_keys_and_bad_values_naming_them(setting: str, named: str) -> None:
    with pytest.raises(HelmError, match=named):
        render(sets=[setting])


def test_the_injection_webhooks_fail_closed_by_default_and_open_when_asked(default: list[Obj]) -> None:
    assert {h["failurePolicy"] for h in _webhooks(default).values()} == {"Fail"}
    assert {h["failurePolicy"] for h in _webhooks(render(sets=["webhook.failurePolicy=Ignore"])).values()} == {"Ignore"}
    validating = _webhooks(default, "ValidatingWebhookConfiguration")
    assert set(validating) == {"securityguards", "policies"}
    assert {h["failurePolicy"] for h in validating.values()} == {"Fail"}
    assert {h["sideEffects"] for h in validating.values()} == {"None"}


def test_pods_are_sent_to_one_webhook_per_opt_in_with_system_and_release_namespaces_excluded(
    default: list[Obj],
) -> None:
    hooks = _webhooks(default)
    assert set(hooks) == {"label", "annotation", "namespace"}
    excluded = {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": [*SYSTEM, NAMESPACE]}
    for hook in hooks.values():
        assert hook["rules"] == [
            {
                "apiGroups": [""],
                "apiVersions": ["v1"],
                "operations": ["CREATE"],
                "resources": ["pods"],
                "scope": "Namespaced",
            }
        ]
        assert hook["reinvocationPolicy"] == "IfNeeded"
        assert hook["sideEffects"] == "NoneOnDryRun"
        assert 1 <= hook["timeoutSeconds"] <= 10
        assert hook["namespaceSelector"]["matchExpressions"] == [excluded]
    assert hooks["label"]["objectSelector"] == {"matchLabels": {"guardmesh.dev/inject": "enabled"}}
    assert hooks["annotation"]["objectSelector"]["matchExpressions"] == [
        {"key": "guardmesh.dev/inject", "operator": "DoesNotExist"}
    ]
    assert "annotations['guardmesh.dev/inject'] == 'true'" in hooks["annotation"]["matchConditions"][0]["expression"]
    assert hooks["namespace"]["namespaceSelector"]["matchLabels"] == {"guardmesh.dev/injection": "enabled"}
    assert hooks["namespace"]["clientConfig"]["service"]["path"] == "/mutate/pods/namespace"
    assert hooks["label"]["clientConfig"]["service"] == {
        "name": "gm-guardmesh-webhook",
        "namespace": NAMESPACE,
        "path": "/mutate/pods",
        "port": 443,
    }


def test_opt_ins_can_be_turned_off_and_more_namespaces_excluded() -> None:
    objs = render(NAMESPACED)
    hooks = _webhooks(objs)
    assert set(hooks) == {"label"}
    assert hooks["label"]["namespaceSelector"]["matchExpressions"][0]["values"] == [*SYSTEM, NAMESPACE, "monitoring"]


def test_the_operator_runs_alone_restricted_and_probed(default: list[Obj]) -> None:
    deployment = find(default, "Deployment")
    spec = deployment["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "liveness"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "webhook", "scheme": "HTTPS"}
    assert container["resources"]["requests"] == {"cpu": "100m", "memory": "128Mi"}
    assert "cpu" not in container["resources"]["limits"]
    assert container["image"] == "guardmesh/operator:0.1.0"
    pdb = find(default, "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"] == spec["selector"]["matchLabels"]


def test_the_operator_arguments_are_accepted_by_the_operators_own_parser(default: list[Obj]) -> None:
    for objs in (default, render(CERT_MANAGER), render(NAMESPACED)):
        args = find(objs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]
        parsed = _parser().parse_args(args)
        assert parsed.command == "run"
        assert parsed.image == "guardmesh/sidecar:0.1.0"
        assert (parsed.sidecar_cpu, parsed.sidecar_memory, parsed.sidecar_memory_limit) == ("50m", "64Mi", "256Mi")
    namespaced = find(render(NAMESPACED), "Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]
    parsed = _parser().parse_args(namespaced)
    assert (parsed.namespace, parsed.log_level) == (["team-a", "team-b"], "debug")


def _rules(objs: list[Obj], kind: str, name: str) -> set[tuple[str, str, str, tuple[str, ...]]]:
    return {
        (group, resource, verb, tuple(rule.get("resourceNames", ())))
        for rule in find(objs, kind, name)["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


KINDS = ("securityguards", "policies", "toolbaselines")


def test_rbac_grants_exactly_what_the_operator_calls(default: list[Obj]) -> None:
    cluster_rules = _rules(default, "ClusterRole", "gm-guardmesh-operator")
    expected = {
        *(("guardmesh.dev", r, v, ()) for r in KINDS for v in ("get", "list", "watch", "patch", "update")),
        *(("guardmesh.dev", f"{r}/status", v, ()) for r in KINDS for v in ("get", "patch")),
        *(("", "pods", v, ()) for v in ("list", "watch", "get")),
        ("authentication.k8s.io", "tokenreviews", "create", ()),
        *(("", "configmaps", v, ()) for v in ("get", "create", "update", "list", "watch")),
        *(("rbac.authorization.k8s.io", r, v, ()) for r in ("roles", "rolebindings") for v in ("create", "update")),
        ("", "events", "create", ()),
        ("networking.k8s.io", "networkpolicies", "create", ()),
        ("networking.k8s.io", "networkpolicies", "patch", ()),
        ("apps", "replicasets", "get", ()),
        *(("apiextensions.k8s.io", "customresourcedefinitions", v, ()) for v in ("get", "list", "watch")),
        *(
            ("admissionregistration.k8s.io", f"{kind}webhookconfigurations", v, (name,))
            for kind, name in (("mutating", "gm-guardmesh-inject"), ("validating", "gm-guardmesh-validate"))
            for v in ("get", "patch")
        ),
    }
    assert cluster_rules == expected
    assert _rules(default, "Role", "gm-guardmesh-operator-certs") == {
        ("", "secrets", v, ("gm-guardmesh-webhook-tls",)) for v in ("get", "update", "patch")
    }


def test_without_following_the_configmap_the_operator_needs_no_rights_on_roles_and_passes_no_flag(
    default: list[Obj],
) -> None:
    args = find(default, "Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--sidecar-follow-configmap" in args
    objs = render(sets=["sidecar.followConfigMap=false"])
    args = find(objs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--sidecar-follow-configmap" not in args
    rules = _rules(objs, "ClusterRole", "gm-guardmesh-operator")
    assert not {rule for rule in rules if rule[0] == "rbac.authorization.k8s.io"}
    assert {rule[2] for rule in rules if rule[1] == "configmaps"} == {"get", "create", "update"}


def test_toolbaseline_approvals_are_stamped_and_reports_need_only_token_reviews_and_pod_reads(
    default: list[Obj],
) -> None:
    [hook] = [h for h in find(default, "MutatingWebhookConfiguration")["webhooks"] if h["name"].startswith("toolb")]
    assert hook["rules"][0]["resources"] == ["toolbaselines"]
    assert hook["rules"][0]["operations"] == ["CREATE", "UPDATE"]
    assert (hook["failurePolicy"], hook["sideEffects"]) == ("Fail", "None")
    assert hook["clientConfig"]["service"]["path"] == "/mutate/toolbaselines"
    args = find(default, "Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert f"--observe-url=https://gm-guardmesh-webhook.{NAMESPACE}.svc:443/observe" in args
    objs = render(sets=["sidecar.reportTools=false"])
    args = find(objs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert not [a for a in args if a.startswith("--observe-url")]
    rules = _rules(objs, "ClusterRole", "gm-guardmesh-operator")
    assert ("", "pods", "get", ()) not in rules
    assert not [rule for rule in rules if rule[0] == "authentication.k8s.io"]


def test_watching_namespaces_moves_the_rules_into_roles_and_drops_certificate_rights_with_cert_manager() -> None:
    objs = render(NAMESPACED)
    roles = [o for o in objs if o["kind"] == "Role" and o["metadata"]["name"] == "gm-guardmesh-operator"]
    assert sorted(r["metadata"]["namespace"] for r in roles) == ["team-a", "team-b"]
    cluster_resources = {rule[1] for rule in _rules(objs, "ClusterRole", "gm-guardmesh-operator")}
    assert "pods" not in cluster_resources
    assert "namespaces" in cluster_resources
    managed = render(CERT_MANAGER)
    resources = {rule[1] for rule in _rules(managed, "ClusterRole", "gm-guardmesh-operator")}
    assert not resources & {"mutatingwebhookconfigurations", "validatingwebhookconfigurations", "secrets"}
    assert not [o for o in managed if o["kind"] == "Role"]


def test_cert_manager_mode_issues_a_certificate_and_has_its_ca_injected() -> None:
    objs = render(CERT_MANAGER)
    certificate = find(objs, "Certificate")
    assert certificate["spec"]["secretName"] == "gm-guardmesh-webhook-tls"
    assert f"gm-guardmesh-webhook.{NAMESPACE}.svc" in certificate["spec"]["dnsNames"]
    assert certificate["spec"]["issuerRef"] == {
        "name": "gm-guardmesh-selfsigned",
        "kind": "Issuer",
        "group": "cert-manager.io",
    }
    assert find(objs, "Issuer")["spec"] == {"selfSigned": {}}
    for kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
        annotations = find(objs, kind)["metadata"]["annotations"]
        assert annotations == {"cert-manager.io/inject-ca-from": f"{NAMESPACE}/gm-guardmesh-webhook"}
        assert all("caBundle" not in h["clientConfig"] for h in find(objs, kind)["webhooks"])
    pod = find(objs, "Deployment")["spec"]["template"]["spec"]
    assert pod["volumes"][1]["secret"]["secretName"] == "gm-guardmesh-webhook-tls"
    assert "--webhook-cert=/etc/guardmesh/webhook/tls.crt" in pod["containers"][0]["args"]
    issuer = find(render(CERT_MANAGER, sets=["certs.certManager.issuerRef.name=corp-ca"]), "Certificate")
    assert issuer["spec"]["issuerRef"] == {"name": "corp-ca"}


def test_operator_mode_gives_the_operator_settings_it_accepts_for_the_rendered_webhooks(
    default: list[Obj], tmp_path: Path
) -> None:
    text = find(default, "ConfigMap", "gm-guardmesh-cert-settings")["data"]["settings.yaml"]
    (tmp_path / "settings.yaml").write_text(text)
    settings = load_settings(tmp_path / "settings.yaml")
    assert settings.secret.name == find(default, "Secret")["metadata"]["name"]
    assert settings.mutating_webhooks == (find(default, "MutatingWebhookConfiguration")["metadata"]["name"],)
    assert settings.validating_webhooks == (find(default, "ValidatingWebhookConfiguration")["metadata"]["name"],)
    assert f"gm-guardmesh-webhook.{NAMESPACE}.svc" in settings.hosts
    args = find(default, "Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--manage-certs=/etc/guardmesh/cert-settings/settings.yaml" in args
    for kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
        assert "annotations" not in find(default, kind)["metadata"]


def test_the_local_values_point_the_webhooks_at_loopback_and_deploy_no_operator() -> None:
    objs = render(LOCAL_VALUES, sets=[f"webhook.caBundle={CA}", "webhook.url=https://127.0.0.1:7443"])
    assert not kinds(objs) & {"Deployment", "Service", "ServiceAccount", "ClusterRole", "PodDisruptionBudget"}
    hooks = {**_webhooks(objs), **_webhooks(objs, "ValidatingWebhookConfiguration")}
    assert hooks["label"]["clientConfig"] == {"url": "https://127.0.0.1:7443/mutate/pods", "caBundle": CA}
    assert hooks["policies"]["clientConfig"]["url"] == "https://127.0.0.1:7443/validate/policies"
    with pytest.raises(HelmError, match=r"needs webhook\.caBundle"):
        render(LOCAL_VALUES)

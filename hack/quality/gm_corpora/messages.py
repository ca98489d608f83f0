"""The sample record every corpus builder emits, and the JSON-RPC messages that carry a text.

A sample is one JSON line (the format is documented in docs/quality.md and read back by
tests/quality/corpora.py). Each location has one message shape, so a guard sees the text exactly
where a real server or client would put it.
"""

from __future__ import annotations

from typing import Any, Literal

Label = Literal["attack", "benign"]
Location = Literal["tool-definition", "result", "argument", "prompt", "resource"]
Record = dict[str, Any]

TO_CLIENT = "server-to-client"
TO_SERVER = "client-to-server"

# Where the text sits inside the message built by `embed`, as a JSON path (keys and indices).
TEXT_PATH: dict[Location, list[str | int]] = {
    "tool-definition": ["result", "tools", 0, "description"],
    "result": ["result", "content", 0, "text"],
    "argument": ["params", "arguments", "input"],
    "prompt": ["result", "messages", 0, "content", "text"],
    "resource": ["result", "contents", 0, "text"],
}

METHOD: dict[Location, str] = {
    "tool-definition": "tools/list",
    "result": "tools/call",
    "argument": "tools/call",
    "prompt": "prompts/get",
    "resource": "resources/read",
}


def tool_list(tools: list[dict[str, Any]]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "result": {"tools": tools}}


def tool_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}}


def embed(location: Location, text: str, *, tool: str = "sample_tool") -> dict[str, Any]:
    """The message that carries `text` at `location` (at `TEXT_PATH[location]`)."""
    if location == "tool-definition":
        schema = {"type": "object", "properties": {"input": {"type": "string"}}}
        return tool_list([{"name": tool, "description": text, "inputSchema": schema}])
    if location == "result":
        return {"jsonrpc": "2.0", "id": 1, "result": {"content": [{"type": "text", "text": text}], "isError": False}}
    if location == "argument":
        return tool_call(tool, {"input": text})
    if location == "prompt":
        content = {"type": "text", "text": text}
        return {"jsonrpc": "2.0", "id": 1, "result": {"messages": [{"role": "user", "content": content}]}}
    contents = [{"uri": "file:///sample.txt", "mimeType": "text/plain", "text": text}]
    return {"jsonrpc": "2.0", "id": 1, "result": {"contents": contents}}


def sample(
    id_: str,
    corpus: str,
    label: Label,
    category: str | None,
    location: Location,
    message: dict[str, Any],
    *,
    method: str | None = None,
    spans: list[Record] | None = None,
    source: Record | None = None,
) -> Record:
    """One sample record; `method` is the request method the message is (or answers)."""
    method = method or METHOD[location]
    direction = TO_SERVER if "method" in message else TO_CLIENT
    record: Record = {
        "id": id_,
        "corpus": corpus,
        "label": label,
        "category": category if label == "attack" else None,
        "location": location,
        "direction": direction,
        "method": method,
        "message": message,
    }
    if spans:
        record["spans"] = spans
    if source:
        record["source"] = source
    return record


def text_sample(
    id_: str,
    corpus: str,
    label: Label,
    category: str | None,
    location: Location,
    text: str,
    *,
    source: Record | None = None,
) -> Record:
    """A sample whose whole payload is one text, placed at `location`."""
    return sample(id_, corpus, label, category, location, embed(location, text), source=source)

"""Transcripts of what an MCP client sees, taken with real SDK clients, and their normalisation.

A transcript taken directly against a server and one taken through the sidecar must be equal once
the fields that differ between any two runs (session ids, clock times) are replaced by placeholders.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.support import peers

CLIENTS = Path(__file__).parent / "clients"

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}:\d{2}(?:\s?[AP]M)?")


def _text(value: str) -> str:
    value = _UUID.sub("<uuid>", value)
    value = _ISO_TIME.sub("<time>", value)
    return _CLOCK.sub("<time>", value)


def _blob(value: str) -> str:
    """Blobs of generated text embed the time they were made: compare their decoded, normalised text."""
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return value
    normalised = _text(decoded)
    return value if normalised == decoded else f"<base64 of {normalised!r}>"


def normalise(value: Any, key: str | None = None) -> Any:
    """A copy of a JSON value with run-specific ids and times replaced by placeholders."""
    if isinstance(value, dict):
        return {k: normalise(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str):
        return _blob(value) if key == "blob" else _text(value)
    return value


def ts_transcript(
    transport: str, target: Sequence[str], *, force_calls: Sequence[str] = (), timeout: float = 90.0
) -> dict[str, Any]:
    """Run ``clients/transcript.mjs`` (TypeScript SDK client) and return its normalised transcript.

    ``target`` is ``[url]`` for ``streamableHttp``/``sse`` and the server argv for ``stdio``;
    ``force_calls`` are tools called by name even when ``tools/list`` does not show them.
    """
    sdk = (peers.sdk_dir() / "dist" / "esm").as_uri()
    argv = [str(peers.node22()), str(CLIENTS / "transcript.mjs"), sdk, transport, *target]
    env = {**os.environ, "TRANSCRIPT_FORCE_CALLS": ",".join(force_calls)}
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, env=env)
    if proc.returncode != 0:
        raise AssertionError(
            f"TypeScript transcript client failed (exit {proc.returncode}) for {transport} {list(target)}:\n"
            f"{proc.stderr[-4000:]}"
        )
    if "Traceback (most recent call last)" in proc.stderr:
        # In stdio mode the sidecar's stderr is the client's: an unhandled exception must not pass unseen.
        raise AssertionError(f"a Python traceback on the client's stderr ({transport}):\n{proc.stderr[-4000:]}")
    transcript: dict[str, Any] = normalise(json.loads(proc.stdout))
    return transcript


def differences(direct: Any, proxied: Any, path: str = "$") -> list[str]:
    """Where two JSON values differ, as JSONPath-like locations with both values (for assertion messages)."""
    if isinstance(direct, dict) and isinstance(proxied, dict):
        out = []
        for key in sorted(set(direct) | set(proxied)):
            if key not in proxied:
                out.append(f"{path}.{key}: missing through the sidecar")
            elif key not in direct:
                out.append(f"{path}.{key}: only through the sidecar: {str(proxied[key])[:200]}")
            else:
                out.extend(differences(direct[key], proxied[key], f"{path}.{key}"))
        return out
    if isinstance(direct, list) and isinstance(proxied, list) and len(direct) == len(proxied):
        return [
            d for i, (a, b) in enumerate(zip(direct, proxied, strict=True)) for d in differences(a, b, f"{path}[{i}]")
        ]
    if direct != proxied:
        return [f"{path}: direct {str(direct)[:200]!r} != through {str(proxied)[:200]!r}"]
    return []


# --- the Python SDK client ---------------------------------------------------------------------

PY_TOOL_ARGS: dict[str, dict[str, Any]] = {
    "echo": {"message": "hello from python"},
    "get-annotated-message": {"messageType": "success", "includeImage": False},
    "get-resource-links": {"count": 2},
    "get-resource-reference": {"resourceType": "Text", "resourceId": 4},
    "get-structured-content": {"location": "New York"},
    "get-sum": {"a": 1.5, "b": 2.25},
    "trigger-long-running-operation": {"duration": 0.4, "steps": 2},
    "trigger-sampling-request": {"prompt": "Say hi", "maxTokens": 16},
}
PY_SKIP_TOOLS = frozenset(
    {
        "get-env",  # the server's environment says nothing about the proxy
        "gzip-file-as-resource",  # its default source is on the internet; the TypeScript transcript covers it
        "toggle-simulated-logging",  # starts a timer; the TypeScript transcript covers toggles
        "toggle-subscriber-updates",
        "trigger-url-elicitation",
        "trigger-sampling-request-async",
        "trigger-elicitation-request-async",
    }
)
PY_PROMPT_ARGS: dict[str, dict[str, str]] = {
    "args-prompt": {"city": "Porto"},
    "completable-prompt": {"department": "Support", "name": "Kim"},
    "resource-prompt": {"resourceType": "Blob", "resourceId": "3"},
}


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def _step(call: Any) -> dict[str, Any]:
    from mcp.shared.exceptions import MCPError

    try:
        return {"result": _dump(await call)}
    except MCPError as exc:
        return {"error": {"code": exc.code, "message": exc.message}}


def _collect(into: list[float]) -> Any:
    """A progress callback that appends each progress value to ``into``."""

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        into.append(value)

    return on_progress


async def py_transcript(url: str, mode: str = "legacy") -> dict[str, Any]:
    """The Python SDK's view of a server at ``url`` (Streamable HTTP), normalised like ``ts_transcript``."""
    import mcp_types as types
    from mcp import Client
    from mcp.client.session import ClientRequestContext

    seen: set[str] = set()

    async def sampling(
        context: ClientRequestContext, params: types.CreateMessageRequestParams
    ) -> types.CreateMessageResult:
        seen.add("sampling/createMessage")
        text = " ".join(getattr(m.content, "text", "") for m in params.messages)
        return types.CreateMessageResult(
            role="assistant", model="py-model", content=types.TextContent(type="text", text=f"sampled({text})")
        )

    async def elicitation(context: ClientRequestContext, params: types.ElicitRequestParams) -> types.ElicitResult:
        seen.add("elicitation/create")
        return types.ElicitResult(action="accept", content={"name": "Grace Hopper", "check": False, "integer": 3})

    async def roots(context: ClientRequestContext) -> types.ListRootsResult:
        seen.add("roots/list")
        return types.ListRootsResult(
            roots=[types.Root.model_validate({"uri": "file:///srv/py-e2e", "name": "py workspace"})]
        )

    out: dict[str, Any] = {}
    async with Client(
        url,
        mode=mode,
        sampling_callback=sampling,
        elicitation_callback=elicitation,
        list_roots_callback=roots,
        read_timeout_seconds=30,
    ) as client:
        out["protocolVersion"] = client.protocol_version
        out["server"] = None if client.server_info is None else _dump(client.server_info)
        out["capabilities"] = _dump(client.server_capabilities)
        out["instructions"] = client.instructions
        tools = (await client.list_tools()).tools
        out["tools"] = [_dump(t) for t in tools]
        out["prompts"] = _dump(await client.list_prompts())
        resources = (await client.list_resources()).resources
        out["resources"] = [_dump(r) for r in resources]
        templates = (await client.list_resource_templates()).resource_templates
        out["resourceTemplates"] = [_dump(t) for t in templates]
        calls: dict[str, Any] = {}
        for tool in tools:
            if tool.name in PY_SKIP_TOOLS:
                continue
            progress: list[float] = []
            calls[tool.name] = await _step(
                client.call_tool(tool.name, PY_TOOL_ARGS.get(tool.name, {}), progress_callback=_collect(progress))
            )
            if progress:
                calls[tool.name]["firstProgress"] = progress[0]
        out["calls"] = calls
        out["prompt_results"] = {
            p: await _step(client.get_prompt(p, PY_PROMPT_ARGS.get(p, {})))
            for p in (prompt["name"] for prompt in out["prompts"]["prompts"])
        }
        out["completion"] = await _step(
            client.complete(
                types.PromptReference(type="ref/prompt", name="completable-prompt"),
                {"name": "department", "value": "S"},
            )
        )
        reads = {r.uri: await _step(client.read_resource(r.uri)) for r in resources[:3]}
        for template in templates:
            uri = re.sub(r"\{[^}]+\}", "7", template.uri_template)
            reads[uri] = await _step(client.read_resource(uri))
        out["reads"] = reads
    out["serverRequests"] = sorted(seen)
    normalised: dict[str, Any] = normalise(out)
    return normalised

"""tool-access: allow and deny lists of tools, resources and prompts; argument validation and checks.

Listings (`tools/list`, `resources/list`, `resources/templates/list`, `prompts/list`) are filtered on the
way out; uses (`tools/call`, `resources/read`, `resources/subscribe`, `prompts/get`) are refused on the way
in. A `tools/call` is also checked against the tool's own `inputSchema` (remembered per server from the
last `tools/list`), against schemas from the settings, and for dangerous-looking strings in its arguments.
"""

import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import orjson
import re2
from jsonschema.validators import validator_for  # type: ignore[import-untyped]

from guardmesh.config.models import Phase
from guardmesh.config.native import ToolAccessSettings
from guardmesh.guards.api import ALLOW, GuardContext, Verdict, deny, modify
from guardmesh.guards.native.content import load_engine, scan
from guardmesh.guards.native.globs import GlobSet
from guardmesh.protocol.jsonrpc import Kind, Message

MAX_SERVERS = 256
"""Servers whose tool schemas are remembered; the least recently listed is forgotten first."""
MAX_TOOLS_PER_SERVER = 1024
"""Tool schemas remembered per server; the least recently listed is forgotten first."""
MAX_SCHEMA_BYTES = 256 * 1024
"""A tool's `inputSchema` larger than this (as JSON) is not remembered, so its calls are not validated."""
ARGUMENT_CHECKS: dict[str, str] = {
    "pathTraversal": "tool-access/path-traversal",
    "shell": "tool-access/shell",
    "sql": "tool-access/sql",
}
"""Engine rule categories (engine/rules/tool-access.yaml) of each argument check. They run in the engine's
single pass over the message's normalised text, with the other content guards' rules."""


class SchemaStore:
    """The `inputSchema` of each tool, as a compiled validator, per server; bounded, shared across reloads."""

    def __init__(self, max_servers: int = MAX_SERVERS, max_tools: int = MAX_TOOLS_PER_SERVER) -> None:
        self._servers: OrderedDict[str, OrderedDict[str, tuple[bytes, Any]]] = OrderedDict()
        self._max_servers = max_servers
        self._max_tools = max_tools
        self._lock = threading.Lock()

    def observe(self, server: str, tool: str, schema: Any) -> None:
        """Remember a tool's schema from a listing; a schema that is not valid JSON Schema forgets the tool."""
        raw = orjson.dumps(schema, option=orjson.OPT_SORT_KEYS) if isinstance(schema, dict) else b""
        with self._lock:
            tools = self._servers.get(server)
            if tools is not None and (known := tools.get(tool)) is not None and known[0] == raw:
                tools.move_to_end(tool)
                self._servers.move_to_end(server)
                return
        validator = _validator(schema) if raw and len(raw) <= MAX_SCHEMA_BYTES else None
        with self._lock:
            tools = self._servers.setdefault(server, OrderedDict())
            self._servers.move_to_end(server)
            while len(self._servers) > self._max_servers:
                self._servers.popitem(last=False)
            if validator is None:
                tools.pop(tool, None)
                return
            tools[tool] = (raw, validator)
            tools.move_to_end(tool)
            while len(tools) > self._max_tools:
                tools.popitem(last=False)

    def validator(self, server: str, tool: str) -> Any:
        with self._lock:
            tools = self._servers.get(server)
            entry = tools.get(tool) if tools is not None else None
        return entry[1] if entry is not None else None


def _validator(schema: Any) -> Any:
    """A jsonschema validator for `schema` (its `$schema` dialect, else the latest), or None if invalid.

    A server's schema is untrusted input: its `pattern` keywords run on RE2 (linear time), and a schema
    whose patterns RE2 cannot compile is treated as invalid rather than run on Python's `re`."""
    if not isinstance(schema, dict):
        return None
    try:
        cls = validator_for(schema)
        cls.check_schema(schema)
        for pattern in _patterns(schema, 0):
            _linear(pattern)
        return _linear_patterns(cls)(schema)
    except (jsonschema.exceptions.SchemaError, re2.error, RecursionError):
        return None


@functools.lru_cache(maxsize=1024)
def _linear(pattern: str) -> Any:
    return re2.compile(pattern)


def _patterns(node: Any, depth: int) -> Iterator[str]:
    """Every regex in a schema: `pattern` values and `patternProperties` keys."""
    if depth > 64:
        raise RecursionError("schema nested too deeply")
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node["pattern"]
        if isinstance(node.get("patternProperties"), dict):
            yield from (k for k in node["patternProperties"] if isinstance(k, str))
        for value in node.values():
            yield from _patterns(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value, depth + 1)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    if validator.is_type(instance, "string") and _linear(pattern).search(instance) is None:
        yield jsonschema.exceptions.ValidationError("does not match the pattern")


def _pattern_properties(validator: Any, properties: dict[str, Any], instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in properties.items():
        for key, value in instance.items():
            if _linear(pattern).search(key) is not None:
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


@functools.lru_cache(maxsize=16)
def _linear_patterns(cls: Any) -> Any:
    return jsonschema.validators.extend(cls, {"pattern": _pattern, "patternProperties": _pattern_properties})


def _schema_violation(validator: Any, arguments: Any) -> str | None:
    """The JSON path and keyword of the most relevant violation, or None; never the offending value."""
    try:
        error = jsonschema.exceptions.best_match(validator.iter_errors(arguments))
    except Exception:  # an unresolvable $ref or the like: the schema cannot judge these arguments
        return None
    if error is None:
        return None
    return f"{error.json_path} ({error.validator})"


def _json_path(path: tuple[str | int, ...]) -> str:
    """`$.a[0]['odd key']` for an engine path below `params.arguments`."""
    out = "$"
    for part in path[2:]:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if _PLAIN_KEY.fullmatch(part) else f"[{_quoted(part)}]"
    return out


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")


def _quoted(key: str) -> str:
    """A key as a bracketed path element, cut short: odd keys may themselves carry an attack."""
    return repr(key[:32] + ("..." if len(key) > 32 else ""))


class ToolAccessGuard:
    kind = "tool-access"
    # Uses are judged on the way in, listings on the way out.
    interests = {
        Phase.REQUEST: frozenset({"tools/call", "resources/read", "resources/subscribe", "prompts/get"}),
        Phase.RESPONSE: frozenset({"tools/list", "resources/list", "resources/templates/list", "prompts/list"}),
    }

    def __init__(self, settings: ToolAccessSettings, schemas: SchemaStore | None = None) -> None:
        self._allow = GlobSet(settings.allow)
        self._deny = GlobSet(settings.deny)
        self._resources = (GlobSet(settings.resources.allow), GlobSet(settings.resources.deny))
        self._prompts = (GlobSet(settings.prompts.allow), GlobSet(settings.prompts.deny))
        self._validate = settings.validate_arguments
        self._schemas = schemas if schemas is not None else SchemaStore()
        self._configured: list[tuple[GlobSet, str, Any]] = []
        for glob, schema in settings.argument_schemas.items():
            validator = _validator(schema)
            if validator is None:
                raise ValueError(f"argumentSchemas[{glob!r}] is not a valid JSON Schema")
            self._configured.append((GlobSet((glob,)), glob, validator))
        self._checks = {ARGUMENT_CHECKS[name]: name for name in settings.argument_checks}
        if self._checks:
            load_engine()

    def permits(self, tool: str) -> bool:
        return tool in self._allow and tool not in self._deny

    def permits_resource(self, uri: str) -> bool:
        return uri in self._resources[0] and uri not in self._resources[1]

    def permits_prompt(self, name: str) -> bool:
        return name in self._prompts[0] and name not in self._prompts[1]

    def check(self, message: Message, ctx: GuardContext) -> Verdict:
        method = message.method
        if message.kind is Kind.REQUEST:
            target = message.target
            if method == "tools/call":
                if target is None:
                    return ALLOW
                if not self.permits(target):
                    return deny(f"tool {target!r} is not allowed")
                return self._check_arguments(target, message, ctx)
            if method in ("resources/read", "resources/subscribe"):
                if target is None or self.permits_resource(target):
                    return ALLOW
                return deny(f"resource {target!r} is not allowed")
            if method == "prompts/get":
                if target is None or self.permits_prompt(target):
                    return ALLOW
                return deny(f"prompt {target!r} is not allowed")
            return ALLOW
        if message.kind is Kind.RESULT:
            if method == "tools/list":
                self._remember_schemas(message, ctx)
                return self._filter(message, "tools", "name", self.permits, "tools")
            if method == "resources/list":
                return self._filter(message, "resources", "uri", self.permits_resource, "resources")
            if method == "resources/templates/list":
                return self._filter(message, "resourceTemplates", "uriTemplate", self.permits_resource, "resources")
            if method == "prompts/list":
                return self._filter(message, "prompts", "name", self.permits_prompt, "prompts")
        return ALLOW

    def _remember_schemas(self, message: Message, ctx: GuardContext) -> None:
        if not self._validate:
            return
        tools = message.result.get("tools")
        if not isinstance(tools, list):
            return
        for tool in tools:
            if isinstance(tool, dict) and isinstance(name := tool.get("name"), str):
                self._schemas.observe(ctx.server_id, name, tool.get("inputSchema"))

    def _check_arguments(self, tool: str, message: Message, ctx: GuardContext) -> Verdict:
        arguments = message.params.get("arguments")
        args = {} if arguments is None else arguments
        listed = self._schemas.validator(ctx.server_id, tool) if self._validate else None
        if listed is not None and (where := _schema_violation(listed, args)) is not None:
            return deny(f"arguments of tool {tool!r} do not match its inputSchema at {where}")
        for globs, glob, validator in self._configured:
            if tool in globs and (where := _schema_violation(validator, args)) is not None:
                return deny(f"arguments of tool {tool!r} do not match argumentSchemas[{glob!r}] at {where}")
        if self._checks:
            return self._scan(tool, message)
        return ALLOW

    def _scan(self, tool: str, message: Message) -> Verdict:
        findings = scan(message).of(*self._checks)
        if not findings:
            return ALLOW
        first = min(findings, key=lambda f: (f.index, list(self._checks).index(f.category)))
        label = _LABELS[self._checks[first.category]]
        return deny(f"argument {_json_path(first.segment.path)} of tool {tool!r} looks like {label}")

    @staticmethod
    def _filter(message: Message, field: str, key: str, permits: Any, noun: str) -> Verdict:
        items = message.result.get(field)
        if not isinstance(items, list):
            return ALLOW
        kept = [i for i in items if not isinstance(i, dict) or permits(str(i.get(key, "")))]
        if len(kept) == len(items):
            return ALLOW
        removed = sorted(str(i.get(key)) for i in items if isinstance(i, dict) and not permits(str(i.get(key, ""))))
        body = {**message.body, "result": {**message.body["result"], field: kept}}
        return modify(body, f"filtered {noun} not allowed: {', '.join(removed)}")


_LABELS = {"pathTraversal": "path traversal", "shell": "shell injection", "sql": "SQL injection"}

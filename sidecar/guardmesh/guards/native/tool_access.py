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
from guardmesh.guards.native.globs import GlobSet
from guardmesh.protocol.jsonrpc import Kind, Message

MAX_SERVERS = 256
"""Servers whose tool schemas are remembered; the least recently listed is forgotten first."""
MAX_TOOLS_PER_SERVER = 1024
"""Tool schemas remembered per server; the least recently listed is forgotten first."""
MAX_SCHEMA_BYTES = 256 * 1024
"""A tool's `inputSchema` larger than this (as JSON) is not remembered, so its calls are not validated."""
MAX_DEPTH = 32
"""Arguments nested deeper than this are not walked for dangerous patterns."""
MAX_STRINGS = 10_000
"""Strings looked at per call; the rest are not checked."""
MAX_STRING_CHARS = 64 * 1024
"""Characters of each string scanned for dangerous patterns."""
MAX_TOTAL_CHARS = 256 * 1024
"""Characters scanned per call over all strings."""


def _compile(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


_COMMAND = (
    r"(?:sudo\s{1,8})?(?:rm|curl|wget|nc|ncat|netcat|bash|sh|zsh|dash|ksh|python[23]?|perl|ruby|php|node|chmod|chown"
    r"|cat|eval|exec|kill|pkill|mkfifo|base64|dd|scp|ssh|telnet|powershell|pwsh|cmd|whoami|uname|nohup|xargs"
    r"|awk|sed|tee|touch|mv|cp|ls|ping|nslookup|crontab|useradd|passwd|shutdown|reboot)"
)
# A command word is "command-like" when an option, a path, a URL or another operator follows it,
# or nothing does: `; rm -rf /`, `| sh`, `&& curl http://...` but not `; cat lover`.
_COMMAND_ARGS = r"(?:\s{1,8}(?:-|/|~|\.|\$|https?:|[\w.-]+/)|\s{0,8}(?:$|[;&|<>`)]))"

CHECKS: dict[str, tuple[re.Pattern[str], ...]] = {
    "pathTraversal": _compile(
        r"(?:^|[\\/])\.\.(?:[\\/]|$)",  # ../ and ..\ segments
        r"(?:%2e|%252e|%c0%ae){2}|\.(?:%2e|%252e|%c0%ae)|(?:%2e|%252e|%c0%ae)\.|\.\.(?:%2f|%5c|%252f|%255c|%c0%af)",
        r"(?:^|[\s\"'=:(,]|file://)(?:/etc/|/proc/|/sys/|/root/|/var/run/secrets|/dev/(?:tcp|udp)/)",
        r"(?:^|[\s\"'=:(,])(?:~|\$home|%userprofile%)[\\/]\.(?:ssh|aws|gnupg|kube|docker|netrc|bash_history)",
        r"[\\/]\.ssh[\\/](?:id_\w+|authorized_keys|known_hosts|config)",
        r"(?:^|[\s\"'=:(,])[a-z]:\\windows\\(?:system32|win\.ini)",
    ),
    "shell": _compile(
        r"(?:;|&&|\|\|?|\n)\s{0,8}" + _COMMAND + _COMMAND_ARGS,
        r"`\s{0,8}" + _COMMAND + r"(?:\s[^`]{0,200})?`",
        r"\$\(\s{0,8}" + _COMMAND + r"\b",
        r"\$\{ifs\}|\$ifs\b",
    ),
    "sql": _compile(
        # ' OR 1=1, ' or 'a'='a
        r"['\"]\s{0,8}\)?\s{0,8}(?:or|and)\s{1,8}\(?['\"]?\w+['\"]?\s{0,8}(?:=|<>|!=|like)\s{0,8}['\"]?\w+",
        r"\bor\s{1,8}1\s{0,8}=\s{0,8}1\b",
        r"\bunion(?:\s|/\*[^*]{0,64}\*/){1,8}(?:all(?:\s|/\*[^*]{0,64}\*/){1,8})?select(?:\s|/\*[^*]{0,64}\*/){1,8}"
        r"(?:\*|null\b|\d|@@|\w+\s{0,8}\(|[\w.,\s]{1,200}?\bfrom\b)",
        r";\s{0,8}(?:drop\s{1,8}(?:table|database|schema)|delete\s{1,8}from|truncate\s{1,8}table|insert\s{1,8}into|update\s{1,8}\w+\s{1,8}set"
        r"|alter\s{1,8}table|exec(?:ute)?\s{1,8}(?:xp_|sp_)|shutdown\b)",
        r"['\"]\s{0,8}\)?\s{0,8}(?:--|#|/\*)",  # admin'-- , x' /* ... */
        r"\b(?:select|union|or|and|where)/\*[^*]{0,64}\*/",  # keywords glued by inline comments
        r"\b(?:sleep|pg_sleep|benchmark)\s{0,8}\(\s{0,8}\d+|\bwaitfor\s{1,8}delay\b",
    ),
}
"""Dangerous-argument patterns by check name; a handful each, precompiled, none with nested or unbounded
repeats of whitespace, so a scan stays linear in the length of the string."""


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


def _strings(value: Any, path: str = "$", depth: int = 0) -> Iterator[tuple[str, str]]:
    """Each string in `value` (keys included) with its JSON path, walking at most MAX_DEPTH levels."""
    if isinstance(value, str):
        yield path, value
    elif depth < MAX_DEPTH:
        if isinstance(value, dict):
            for key, child in value.items():
                child_path = f"{path}.{key}" if _PLAIN_KEY.fullmatch(str(key)) else f"{path}[{_quoted(str(key))}]"
                yield child_path, str(key)
                yield from _strings(child, child_path, depth + 1)
        elif isinstance(value, list):
            for index, child in enumerate(value):
                yield from _strings(child, f"{path}[{index}]", depth + 1)


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
        self._checks = [(name, CHECKS[name]) for name in dict.fromkeys(settings.argument_checks)]

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
                return self._check_arguments(target, message.params.get("arguments"), ctx)
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

    def _check_arguments(self, tool: str, arguments: Any, ctx: GuardContext) -> Verdict:
        args = {} if arguments is None else arguments
        listed = self._schemas.validator(ctx.server_id, tool) if self._validate else None
        if listed is not None and (where := _schema_violation(listed, args)) is not None:
            return deny(f"arguments of tool {tool!r} do not match its inputSchema at {where}")
        for globs, glob, validator in self._configured:
            if tool in globs and (where := _schema_violation(validator, args)) is not None:
                return deny(f"arguments of tool {tool!r} do not match argumentSchemas[{glob!r}] at {where}")
        if self._checks:
            return self._scan(tool, args)
        return ALLOW

    def _scan(self, tool: str, arguments: Any) -> Verdict:
        budget = MAX_TOTAL_CHARS
        for count, (path, text) in enumerate(_strings(arguments)):
            if count >= MAX_STRINGS or budget <= 0:
                break
            sample = text[: min(MAX_STRING_CHARS, budget)]
            budget -= len(sample)
            for name, patterns in self._checks:
                if any(p.search(sample) for p in patterns):
                    return deny(f"argument {path} of tool {tool!r} looks like {_LABELS[name]}")
        return ALLOW

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

"""The text of a JSON-RPC message that detectors see: extracted once, normalised once, shared by all guards.

Each string is tagged with where it came from (a tool's description, an argument at a JSON path, a
result's text...) so a rule can apply to some places only and a guard can say where it found what.
Extraction is bounded in depth, in strings and in characters; what lies past a bound is not scanned
and the text says so (`truncated`), for the guard to decide.
"""

import bisect
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from guardmesh.engine.normalise import Encoding, Hidden, find_fragments, normalise

Path = tuple[str | int, ...]

SEPARATOR = "\n"
"""Between segments in `MessageText.joined`; no encoded-fragment pattern spans it."""


class Scope(StrEnum):
    """Where a string sits, which decides the rules that apply to it."""

    TOOL_DEFINITION = "tool-definition"
    """Server-supplied definitions the model reads: tools, prompts, resources, server instructions."""
    RESULT = "result"
    """Content that reaches the model: tool results, resource contents, prompt messages, errors."""
    ARGUMENT = "argument"
    """Data that leaves for the server: tool-call and prompt arguments, completions, elicited input."""
    OTHER = "other"
    """Anything else (notifications, unknown methods); only rules for `any` place apply."""


class Field(StrEnum):
    """What a string is, within its place."""

    NAME = "name"
    TITLE = "title"
    DESCRIPTION = "description"
    INSTRUCTIONS = "instructions"
    SCHEMA_KEY = "schema-key"
    SCHEMA_DESCRIPTION = "schema-description"
    SCHEMA_TITLE = "schema-title"
    SCHEMA_DEFAULT = "schema-default"
    SCHEMA_ENUM = "schema-enum"
    SCHEMA_EXAMPLE = "schema-example"
    SCHEMA_OTHER = "schema-other"
    ANNOTATION = "annotation"
    ARGUMENT = "argument"
    ARGUMENT_KEY = "argument-key"
    """A property name inside arguments: agents can be made to put anything there too."""
    URI = "uri"
    CONTENT_TEXT = "content-text"
    STRUCTURED_CONTENT = "structured-content"
    RESOURCE_TEXT = "resource-text"
    PROMPT_MESSAGE = "prompt-message"
    ERROR = "error"
    VALUE = "value"


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one message costs to extract and normalise."""

    max_chars: int = 1 << 20
    """Characters of text scanned per message, decoded fragments included; the rest is cut."""
    max_depth: int = 32
    """JSON nesting followed below a string's container (arguments, schemas, structured content)."""
    max_segments: int = 4096
    """Strings scanned per message."""
    max_decode_depth: int = 2
    """Encoded fragments inside decoded fragments are decoded this many levels deep."""
    max_decoded_chars: int = 65536
    """Characters of decoded fragments and smuggled text added per message."""


@dataclass(slots=True)
class Segment:
    """One string of the message, normalised, and where it came from."""

    text: str
    """The normalised text rules match against."""
    raw: str
    """The string as it appears in the message (for a derived segment: the decoded text)."""
    scope: Scope
    field: Field
    path: Path
    """JSON path of the string in the message body (for a derived segment: its parent's)."""
    owner: str | None = None
    """The tool, prompt or resource the string belongs to, when known."""
    hidden: dict[Hidden, int] | None = None
    """Invisible characters removed from the raw string, by class."""
    folded: int = 0
    """Look-alike characters folded to ASCII."""
    encoding: Encoding | None = None
    """For a derived segment: how its text was hidden in its parent."""
    parent: int | None = None
    """For a derived segment: the index of the segment it was decoded from."""
    parent_span: tuple[int, int] | None = None
    """For a decoded fragment: where its encoded form sits in the parent's normalised text."""

    @property
    def location(self) -> str:
        """The JSON path as text, e.g. `result.tools[2].inputSchema.properties.path.description`."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out + (f" ({self.encoding})" if self.encoding else "")

    @property
    def identical(self) -> bool:
        """Whether `text` is `raw` unchanged, so spans in one are spans in the other."""
        return self.text is self.raw or self.text == self.raw


Place = tuple[Scope, Field, Path, "str | None"]
_Extra = tuple["dict[Hidden, int] | None", int, "Encoding | None", "int | None", "tuple[int, int] | None"]


class MessageText:
    """All scanned text of one message. Build with `extract`; guards share it and never change it.

    Segments are kept as parallel lists and turned into `Segment` objects only when asked for
    (findings are rare; building objects for every string of every message is not free)."""

    __slots__ = ("_byte_starts", "_encoded", "_extra", "_places", "_raws", "_scopes", "_segments", "_texts",
                 "cache", "joined", "starts", "truncated")  # fmt: skip

    def __init__(
        self,
        texts: list[str],
        raws: list[str],
        places: list[Place],
        extra: dict[int, _Extra] | None = None,
        truncated: bool = False,
    ) -> None:
        self._texts = texts
        self._raws = raws
        self._places = places
        self._extra = extra or {}
        self.truncated = truncated
        """Something was left unscanned because a bound of `Limits` was reached."""
        self.joined = SEPARATOR.join(texts)
        """Every segment's text, joined by SEPARATOR, for matchers that scan a message in one pass."""
        self.starts = _starts(texts)
        """Offset of each segment in `joined`."""
        self.cache: dict[int, Any] = {}
        """Per-engine memo of scan results, keyed by the engine's id; owned by the engine."""
        self._segments: list[Segment] | None = None
        self._encoded: bytes | None = None
        self._byte_starts: list[int] | None = None
        self._scopes: frozenset[Scope] | None = None

    def __len__(self) -> int:
        return len(self._texts)

    @property
    def segments(self) -> list[Segment]:
        if self._segments is None:
            self._segments = [self._segment(i) for i in range(len(self._texts))]
        return self._segments

    def _segment(self, i: int) -> Segment:
        scope, field_, path, owner = self._places[i]
        extra = self._extra.get(i)
        if extra is None:
            return Segment(self._texts[i], self._raws[i], scope, field_, path, owner)
        return Segment(self._texts[i], self._raws[i], scope, field_, path, owner, *extra)

    def text_of(self, i: int) -> str:
        return self._texts[i]

    def scope_of(self, i: int) -> Scope:
        return self._places[i][0]

    @property
    def scopes(self) -> frozenset[Scope]:
        """The scopes of the text's segments: rules for none of them need not be looked for."""
        if self._scopes is None:
            self._scopes = frozenset(place[0] for place in self._places)
        return self._scopes

    @property
    def encoded(self) -> bytes:
        """`joined` in UTF-8, which matchers and rule regexes scan."""
        if self._encoded is None:
            self._encoded = self.joined.encode("utf-8")
        return self._encoded

    @property
    def byte_starts(self) -> list[int]:
        """Offset of each segment in `encoded`."""
        if self._byte_starts is None:
            if len(self.encoded) == len(self.joined):
                self._byte_starts = self.starts
            else:
                self._byte_starts = _starts([t.encode("utf-8") for t in self._texts])
        return self._byte_starts

    def segment_at(self, offset: int) -> int:
        """Index of the segment that holds `offset` of `joined`."""
        return bisect.bisect_right(self.starts, offset) - 1

    @property
    def hidden(self) -> dict[Hidden, int]:
        """Invisible characters removed from the whole message, by class."""
        total: dict[Hidden, int] = {}
        for hidden, *_ in self._extra.values():
            for cls, count in (hidden or {}).items():
                total[cls] = total.get(cls, 0) + count
        return total

    def in_scope(self, scope: Scope) -> Iterator[Segment]:
        return (s for s in self.segments if s.scope is scope)


def _starts(texts: list[str] | list[bytes]) -> list[int]:
    starts = [0]
    starts.extend(itertools.accumulate(len(t) + 1 for t in texts))
    starts.pop()
    return starts


_IGNORED_SCHEMA_KEYS = frozenset(
    {"type", "format", "$schema", "$ref", "$id", "$anchor", "required", "pattern", "contentEncoding",
     "contentMediaType", "_meta"}
)  # fmt: skip
"""Structural keywords: their strings are identifiers and formats, not prose a model reads."""
_SCHEMA_FIELDS = {
    "description": Field.SCHEMA_DESCRIPTION,
    "title": Field.SCHEMA_TITLE,
    "default": Field.SCHEMA_DEFAULT,
    "enum": Field.SCHEMA_ENUM,
    "const": Field.SCHEMA_ENUM,
    "examples": Field.SCHEMA_EXAMPLE,
    "example": Field.SCHEMA_EXAMPLE,
}
_PROPERTY_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})
_TOOL_KEYS = {"name": Field.NAME, "title": Field.TITLE, "description": Field.DESCRIPTION}
_SKIPPED_KEYS = frozenset({"_meta", "icons"})


@dataclass(frozen=True, slots=True)
class _Key:
    """A dict key waiting on the walk's stack, told apart from a string value."""

    name: str


class _Collector:
    """Gathers strings and their places within the limits."""

    __slots__ = ("chars", "max_chars", "max_depth", "max_segments", "places", "texts", "truncated")

    def __init__(self, limits: Limits) -> None:
        self.max_chars = limits.max_chars
        self.max_depth = limits.max_depth
        self.max_segments = limits.max_segments
        self.texts: list[str] = []
        self.places: list[Place] = []
        self.chars = 0
        self.truncated = False

    def add(self, value: str, scope: Scope, field_: Field, path: Path, owner: str | None) -> None:
        size = len(value)
        if not size:
            return
        if self.chars + size > self.max_chars or len(self.texts) >= self.max_segments:
            self.truncated = True
            room = self.max_chars - self.chars
            if room <= 0 or len(self.texts) >= self.max_segments:
                return
            value, size = value[:room], room
        self.chars += size
        self.texts.append(value)
        self.places.append((scope, field_, path, owner))

    def walk(
        self, value: Any, scope: Scope, field_: Field, path: Path, owner: str | None, depth: int = 0, keys: bool = False
    ) -> None:
        """Every string under `value`, iteratively, to the depth bound; dict keys too (as ARGUMENT_KEY,
        before their value) when `keys`."""
        if type(value) is str:
            self.add(value, scope, field_, path, owner)
            return
        if not isinstance(value, dict | list):
            return
        stack: list[tuple[Any, Path, int]] = [(value, path, depth)]
        while stack:
            node, where, level = stack.pop()
            if isinstance(node, str):
                self.add(node, scope, field_, where, owner)
            elif level >= self.max_depth:
                if isinstance(node, dict | list) and node:
                    self.truncated = True
            elif isinstance(node, dict):
                for k, v in reversed(node.items()):
                    if k not in _SKIPPED_KEYS:
                        stack.append((v, (*where, k), level + 1))
                        if keys:
                            stack.append((_Key(k), (*where, k), level + 1))
            elif isinstance(node, list):
                stack.extend((v, (*where, i), level + 1) for i, v in reversed(list(enumerate(node))))
            elif type(node) is _Key:
                self.add(node.name, scope, Field.ARGUMENT_KEY, where, owner)

    def schema(self, schema: Any, scope: Scope, path: Path, owner: str | None) -> None:
        """The strings of a JSON Schema a model reads: descriptions, titles, defaults, enums, examples and
        property names; structural keywords (`type`, `format`, ...) are left out."""
        add = self.add
        stack: list[tuple[Any, Path, int]] = [(schema, path, 0)]
        while stack:
            node, where, level = stack.pop()
            if level >= self.max_depth:
                self.truncated = True
                continue
            if type(node) is list:
                stack.extend((v, (*where, i), level + 1) for i, v in reversed(list(enumerate(node))))
                continue
            if type(node) is not dict:
                continue
            for key, value in node.items():
                known = _SCHEMA_FIELDS.get(key)
                if known is not None:
                    if type(value) is str:
                        add(value, scope, known, (*where, key), owner)
                    else:
                        self.walk(value, scope, known, (*where, key), owner, level + 1)
                elif key in _PROPERTY_MAPS:
                    if type(value) is dict:
                        for name, sub in value.items():
                            here = (*where, key, name)
                            add(str(name), scope, Field.SCHEMA_KEY, here, owner)
                            stack.append((sub, here, level + 2))
                elif key in _IGNORED_SCHEMA_KEYS:
                    continue
                elif type(value) is str:
                    add(value, scope, Field.SCHEMA_OTHER, (*where, key), owner)
                elif isinstance(value, dict | list):
                    stack.append((value, (*where, key), level + 1))

    def definition(self, item: Any, path: Path, nested: dict[str, str]) -> None:
        """A tool, prompt or resource definition: every string a model may read. `nested` names its
        schema-valued keys (for tools) or list-of-definition keys (prompt arguments)."""
        if not isinstance(item, dict):
            return
        name = item.get("name")
        owner = name if isinstance(name, str) else None
        scope = Scope.TOOL_DEFINITION
        for key, value in item.items():
            here = (*path, key)
            if key in _SKIPPED_KEYS or key in ("uri", "uriTemplate", "mimeType", "size"):
                continue
            if key in _TOOL_KEYS:
                self.walk(value, scope, _TOOL_KEYS[key], here, owner)
            elif nested.get(key) == "schema":
                self.schema(value, scope, here, owner)
            elif nested.get(key) == "list" and isinstance(value, list):
                for i, sub in enumerate(value):
                    self.definition(sub, (*here, i), {})
            else:
                self.walk(value, scope, Field.ANNOTATION, here, owner)

    def content(self, blocks: Any, scope: Scope, field_: Field, path: Path, owner: str | None) -> None:
        """MCP content: a block or a list of blocks (text, embedded resource, resource link)."""
        items = blocks if isinstance(blocks, list) else [blocks]
        for i, block in enumerate(items):
            here = (*path, i) if isinstance(blocks, list) else path
            if isinstance(block, str):
                self.add(block, scope, field_, here, owner)
            elif isinstance(block, dict):
                kind = block.get("type")
                if kind == "text":
                    self.walk(block.get("text"), scope, field_, (*here, "text"), owner)
                elif kind == "resource":
                    self.resource(block.get("resource"), scope, (*here, "resource"), owner)
                elif kind == "resource_link":
                    for key in ("name", "title", "description"):
                        self.walk(block.get(key), scope, field_, (*here, key), owner)

    def resource(self, item: Any, scope: Scope, path: Path, owner: str | None) -> None:
        if isinstance(item, dict):
            self.walk(item.get("text"), scope, Field.RESOURCE_TEXT, (*path, "text"), owner)


_TOOL_NESTED = {"inputSchema": "schema", "outputSchema": "schema"}
_PROMPT_NESTED = {"arguments": "list"}
_DEFINITION_LISTS = {
    "tools": _TOOL_NESTED,
    "prompts": _PROMPT_NESTED,
    "resources": {},
    "resourceTemplates": {},
}


def _request(c: _Collector, method: str, params: Any) -> None:
    if not isinstance(params, dict):
        c.walk(params, Scope.OTHER, Field.VALUE, ("params",), None)
        return
    name = params.get("name")
    owner = name if isinstance(name, str) else None
    if method in ("tools/call", "prompts/get"):
        c.walk(params.get("arguments"), Scope.ARGUMENT, Field.ARGUMENT, ("params", "arguments"), owner, keys=True)
    elif method == "resources/read":
        c.walk(params.get("uri"), Scope.ARGUMENT, Field.URI, ("params", "uri"), None)
    elif method == "completion/complete":
        c.walk(params.get("argument"), Scope.ARGUMENT, Field.ARGUMENT, ("params", "argument"), None)
    elif method == "sampling/createMessage":
        c.walk(params.get("systemPrompt"), Scope.RESULT, Field.PROMPT_MESSAGE, ("params", "systemPrompt"), None)
        messages = params.get("messages")
        for i, message in enumerate(messages if isinstance(messages, list) else []):
            if isinstance(message, dict):
                path = ("params", "messages", i, "content")
                c.content(message.get("content"), Scope.RESULT, Field.PROMPT_MESSAGE, path, None)
    elif method == "elicitation/create":
        c.walk(params.get("message"), Scope.RESULT, Field.PROMPT_MESSAGE, ("params", "message"), None)
    else:
        c.walk(params, Scope.OTHER, Field.VALUE, ("params",), owner)


def _result(c: _Collector, method: str | None, result: Any) -> None:
    if not isinstance(result, dict):
        c.walk(result, Scope.RESULT, Field.VALUE, ("result",), None)
        return
    for key, nested in _DEFINITION_LISTS.items():
        items = result.get(key)
        if isinstance(items, list) and method in (None, f"{key}/list", "resources/templates/list", "server/discover"):
            for i, item in enumerate(items):
                c.definition(item, ("result", key, i), nested)
    if isinstance(result.get("instructions"), str):
        c.add(result["instructions"], Scope.TOOL_DEFINITION, Field.INSTRUCTIONS, ("result", "instructions"), None)
    if method in (None, "tools/call"):
        if "content" in result:
            c.content(result["content"], Scope.RESULT, Field.CONTENT_TEXT, ("result", "content"), None)
        if "structuredContent" in result:
            where: Path = ("result", "structuredContent")
            c.walk(result["structuredContent"], Scope.RESULT, Field.STRUCTURED_CONTENT, where, None)
    if method in (None, "resources/read") and isinstance(result.get("contents"), list):
        for i, item in enumerate(result["contents"]):
            c.resource(item, Scope.RESULT, ("result", "contents", i), None)
    if method in (None, "prompts/get"):
        c.walk(result.get("description"), Scope.RESULT, Field.DESCRIPTION, ("result", "description"), None)
        messages = result.get("messages")
        for i, message in enumerate(messages if isinstance(messages, list) else []):
            if isinstance(message, dict):
                path = ("result", "messages", i, "content")
                c.content(message.get("content"), Scope.RESULT, Field.PROMPT_MESSAGE, path, None)
    if method in ("sampling/createMessage", "elicitation/create"):
        c.walk(result.get("content"), Scope.ARGUMENT, Field.ARGUMENT, ("result", "content"), None)
    elif method is not None and method not in _KNOWN_RESULTS:
        c.walk(result, Scope.OTHER, Field.VALUE, ("result",), None)


_KNOWN_RESULTS = frozenset(
    {"tools/list", "prompts/list", "resources/list", "resources/templates/list", "server/discover", "initialize",
     "tools/call", "resources/read", "prompts/get"}
)  # fmt: skip


def extract(body: dict[str, Any], method: str | None = None, limits: Limits | None = None) -> MessageText:
    """Extract and normalise the text of one JSON-RPC message. `method` is, for a response, the method
    of the request it answers (None when unknown: the result's shape decides)."""
    limits = limits or Limits()
    c = _Collector(limits)
    if isinstance(body.get("method"), str):
        _request(c, body["method"], body.get("params"))
    elif "error" in body:
        error = body["error"]
        if isinstance(error, dict):
            c.walk(error.get("message"), Scope.RESULT, Field.ERROR, ("error", "message"), None)
            c.walk(error.get("data"), Scope.RESULT, Field.ERROR, ("error", "data"), None)
    elif "result" in body:
        _result(c, method, body["result"])
    return _assemble(c, limits)


def _assemble(c: _Collector, limits: Limits) -> MessageText:
    raws, places = c.texts, c.places
    if SEPARATOR.join(raws).isascii():  # the common case: nothing to normalise, nothing hidden
        texts = raws
        extra: dict[int, _Extra] = {}
    else:
        texts, raws, places, extra = _normalise_all(raws, places)
    truncated = c.truncated
    budget = min(limits.max_decoded_chars, max(0, limits.max_chars - c.chars))
    first, level = 0, texts
    for _ in range(limits.max_decode_depth):
        level_starts = _starts(level)
        fresh = 0
        for fragment in find_fragments(SEPARATOR.join(level)):
            if budget <= 0 or len(texts) >= limits.max_segments:
                truncated = True
                break
            i = bisect.bisect_right(level_starts, fragment.span[0]) - 1
            parent = first + i
            decoded = fragment.text[:budget]
            budget -= len(decoded)
            n = normalise(decoded)
            if texts is raws:  # copy on first write: the message's own strings stay as they are
                texts, raws, places = list(texts), list(raws), list(places)
            texts.append(n.text)
            raws.append(decoded)
            places.append(places[parent])
            span = (fragment.span[0] - level_starts[i], fragment.span[1] - level_starts[i])
            extra[len(texts) - 1] = (n.hidden, n.folded, fragment.encoding, parent, span)
            fresh += 1
        if not fresh:
            break
        first = len(texts) - fresh
        level = texts[first:]
    return MessageText(texts, raws, places, extra, truncated)


def _normalise_all(raws: list[str], places: list[Place]) -> tuple[list[str], list[str], list[Place], dict[int, _Extra]]:
    texts: list[str] = []
    out_raws: list[str] = []
    out_places: list[Place] = []
    extra: dict[int, _Extra] = {}
    for raw, place in zip(raws, places, strict=True):
        if raw.isascii():
            texts.append(raw)
            out_raws.append(raw)
            out_places.append(place)
            continue
        n = normalise(raw)
        parent = len(texts)
        texts.append(n.text)
        out_raws.append(raw)
        out_places.append(place)
        if n.hidden or n.folded:
            extra[parent] = (n.hidden, n.folded, None, None, None)
        for encoding, smuggled in n.smuggled:
            texts.append(smuggled)
            out_raws.append(smuggled)
            out_places.append(place)
            extra[len(texts) - 1] = (None, 0, encoding, parent, None)
    return texts, out_raws, out_places, extra

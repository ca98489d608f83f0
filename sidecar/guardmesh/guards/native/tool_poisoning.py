"""tool-poisoning: hidden instructions in tool, prompt and resource definitions; filtered or denied."""

import hashlib
import threading
from collections.abc import Mapping
from typing import Any, Final

import orjson

from guardmesh.config.models import Phase
from guardmesh.config.native import ToolPoisoningSettings
from guardmesh.engine import Encoding, Hidden, Scope, Segment
from guardmesh.engine.learned import Provider, definition_units
from guardmesh.guards.api import ALLOW, GuardContext, Verdict, deny, modify
from guardmesh.guards.native.content import at_least, describe, load_engine, message_text, scan
from guardmesh.guards.native.context import WELL_KNOWN_TOOLS, ContextFinding, check_definition
from guardmesh.protocol.jsonrpc import Kind, Message

_LISTS: Final = {
    "tools/list": "tools",
    "prompts/list": "prompts",
    "resources/list": "resources",
    "resources/templates/list": "resourceTemplates",
}
# What a later request names an item by: tools and prompts by name, resources by URI.
_CALLS: Final = {
    "tools/call": ("tools", "name"),
    "prompts/get": ("prompts", "name"),
    "resources/read": ("resources", "uri"),
}
_KEYS: Final = {"tools": "name", "prompts": "name", "resources": "uri"}
_CONTEXT_CACHE: Final = 4096
"""Definitions whose contextual findings are kept (by content and the names around them)."""

# Invisible characters in a definition are signals in themselves, reported as pseudo-rules so that
# `ignoreRules` and `minSeverity` apply to them. Zero-width joiners and marks occur in emoji and in
# right-to-left scripts, hence low; tag characters and smuggled text have no honest use in a definition.
_HIDDEN_SIGNALS: Final = {
    Hidden.TAG: ("tp.hidden.tag-characters", "high"),
    Hidden.BIDI: ("tp.hidden.bidi-controls", "medium"),
    Hidden.ZERO_WIDTH: ("tp.hidden.zero-width", "low"),
}
_SMUGGLED: Final = {
    Encoding.TAG: ("tp.hidden.tag-characters", "high"),
    Encoding.SELECTORS: ("tp.hidden.variation-selectors", "high"),
}


class FlaggedStore:
    """Items filtered as poisoned, per (server, list, name), shared by every connection and config reload."""

    def __init__(self) -> None:
        self._flagged: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()

    def update(self, server: str, kind: str, poisoned: set[str], clean: set[str]) -> None:
        """Record a listing: the poisoned items are flagged, items listed clean are no longer."""
        with self._lock:
            self._flagged.difference_update((server, kind, name) for name in clean)
            self._flagged.update((server, kind, name) for name in poisoned)

    def flagged(self, server: str, kind: str, name: str) -> bool:
        return (server, kind, name) in self._flagged


class ToolCatalog:
    """The tool names each server listed last, so a listing can be judged against the pod's other servers."""

    def __init__(self) -> None:
        self._tools: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    def update(self, server: str, names: frozenset[str]) -> None:
        with self._lock:
            self._tools[server] = names

    def others(self, server: str) -> dict[str, str]:
        """Tool name -> server, for every server but `server`."""
        with self._lock:
            return {name: other for other, names in self._tools.items() if other != server for name in names}


class ToolPoisoningGuard:
    kind = "tool-poisoning"
    # Listings are judged on the way out; calls of what they flagged on the way in.
    interests = {Phase.RESPONSE: frozenset(_LISTS), Phase.REQUEST: frozenset(_CALLS)}

    def __init__(
        self,
        settings: ToolPoisoningSettings,
        store: FlaggedStore,
        catalog: ToolCatalog | None = None,
        trusted: Mapping[str, str] | None = None,
        learned: Provider | None = None,
    ) -> None:
        self._filter = settings.action == "filter"
        self._min = settings.min_severity
        self._ignore = frozenset(settings.ignore_rules)
        self._store = store
        self._sensitivity = settings.sensitivity
        self._contextual = settings.contextual
        self._catalog = catalog or ToolCatalog()
        self._trusted = dict(trusted or {})
        """Tool name -> trusted server (the bundle's `trustedServers`)."""
        self._learned = learned if settings.learned else None
        self._context_cache: dict[bytes, list[ContextFinding]] = {}
        self._cache_lock = threading.Lock()
        if self._learned is not None:
            self._learned.model()  # at config load, not on the first listing
        load_engine()

    def check(self, message: Message, ctx: GuardContext) -> Verdict:
        if message.kind is Kind.REQUEST and message.method in _CALLS:
            kind, _ = _CALLS[message.method]
            if message.target is not None and self._store.flagged(ctx.server_id, kind, message.target):
                return deny(f"{kind[:-1]} {message.target!r} was filtered as poisoned")
            return ALLOW
        if message.kind is Kind.RESULT and message.method in _LISTS:
            return self._check_list(message, ctx, _LISTS[message.method])
        return ALLOW

    def _check_list(self, message: Message, ctx: GuardContext, key: str) -> Verdict:
        items = message.result.get(key)
        if not isinstance(items, list):
            return ALLOW
        reasons = self._reasons(message)
        if key in ("tools", "prompts") and (self._contextual or self._learned is not None):
            reasons += self._judged(message, ctx, key, items, {p[2] for p, _ in reasons if len(p) > 2})
        if not reasons:
            self._remember(ctx, key, items, set())
            return ALLOW
        poisoned: dict[int, list[str]] = {}
        for path, why in reasons:
            if len(path) < 3 or path[:2] != ("result", key) or not isinstance(path[2], int):
                # Not inside an item (server instructions, say): nothing to filter, so nothing to keep.
                return deny(f"poisoned definitions: {why}")
            poisoned.setdefault(path[2], []).append(why)
        self._remember(ctx, key, items, set(poisoned))
        reason = "poisoned definitions: " + ", ".join(dict.fromkeys(w for ws in poisoned.values() for w in ws))
        if not self._filter:
            return deny(reason)
        kept = [item for i, item in enumerate(items) if i not in poisoned]
        return modify({**message.body, "result": {**message.body["result"], key: kept}}, reason)

    def _reasons(self, message: Message) -> list[tuple[tuple[str | int, ...], str]]:
        """(path, reason) of every finding in a definition that is acted upon."""
        out: list[tuple[tuple[str | int, ...], str]] = []
        for finding in scan(message).of("tool-poisoning/", "prompt-injection/"):
            rule = finding.rule
            if finding.segment.scope is Scope.TOOL_DEFINITION and self._acts(rule.id, rule.severity):
                out.append((finding.segment.path, describe([finding])))
        text = message_text(message)
        if text.hidden:  # smuggling hides text in invisible characters, so it is counted here too
            for segment in text.in_scope(Scope.TOOL_DEFINITION):
                out.extend((segment.path, f"{rule} at {segment.location}") for rule in self._signals(segment))
        return out

    def _judged(
        self, message: Message, ctx: GuardContext, key: str, items: list[Any], flagged: set[str | int]
    ) -> list[tuple[tuple[str | int, ...], str]]:
        """The contextual layer's and the learned tier's reasons, for items the rules did not flag."""
        out: list[tuple[tuple[str | int, ...], str]] = []
        own = frozenset(str(item.get("name")) for item in items if isinstance(item, dict))
        if key == "tools":
            self._catalog.update(ctx.server_id, own)
        others = {n: "well-known" for n in WELL_KNOWN_TOOLS} | self._catalog.others(ctx.server_id) | self._trusted
        others = {n: server for n, server in others.items() if n not in own and server != ctx.server_id}
        units = definition_units(message_text(message)) if self._learned is not None else {}
        # A listing seen before costs a hash per item: the contextual findings are cached by the item's
        # content and the names around it.
        around = hashlib.sha256(orjson.dumps([sorted(own), sorted(others.items())])).digest()
        for i, item in enumerate(items):
            if i in flagged or not isinstance(item, dict):
                continue
            path = ("result", key, i)
            where = f"result.{key}[{i}]"
            found = []
            if self._contextual:
                found = [
                    f.describe(where)
                    for f in self._context(item, own, others, around)
                    if self._acts(f.check, f.severity)
                ]
            if not found and self._learned is not None and path in units:
                score = self._learned.score("definition", units[path], cached=True)
                threshold = self._learned.model().heads["definition"].threshold[self._sensitivity]
                if score >= threshold and "learned.definition" not in self._ignore:
                    found = [
                        f"learned.definition at {where} (classifier score {score:.2f} over threshold {threshold:.2f})"
                    ]
            out.extend((path, why) for why in found)
        return out

    def _context(
        self, item: dict[str, Any], own: frozenset[str], others: dict[str, str], around: bytes
    ) -> list[ContextFinding]:
        key = hashlib.sha256(around + orjson.dumps(item, option=orjson.OPT_SORT_KEYS)).digest()
        found = self._context_cache.get(key)
        if found is None:
            found = check_definition(item, own, others, self._sensitivity)
            with self._cache_lock:
                if len(self._context_cache) >= _CONTEXT_CACHE:
                    self._context_cache.pop(next(iter(self._context_cache)))
                self._context_cache[key] = found
        return found

    def _signals(self, segment: Segment) -> list[str]:
        found = [_HIDDEN_SIGNALS[h] for h in (segment.hidden or {}) if h in _HIDDEN_SIGNALS]
        if segment.encoding in _SMUGGLED:
            found.append(_SMUGGLED[segment.encoding])
        return [rule for rule, severity in found if self._acts(rule, severity)]

    def _acts(self, rule: str, severity: str) -> bool:
        return rule not in self._ignore and at_least(severity, self._min)

    def _remember(self, ctx: GuardContext, key: str, items: list[Any], poisoned: set[int]) -> None:
        name_key = _KEYS.get(key)
        if name_key is None:
            return
        names = {i: item.get(name_key) for i, item in enumerate(items) if isinstance(item, dict)}
        flagged = {n for i, n in names.items() if i in poisoned and isinstance(n, str)}
        clean = {n for i, n in names.items() if i not in poisoned and isinstance(n, str)}
        self._store.update(ctx.server_id, key, flagged, clean - flagged)

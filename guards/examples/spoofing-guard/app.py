"""spoofing-guard: tools that collide with or imitate trusted servers' tools are filtered from
`tools/list` (or the listing denied) and their `tools/call` is denied.

A name imitates a trusted one when, after folding case, separators (`readFile` = `read-file` =
`READ_FILE`), Unicode look-alikes (Cyrillic `\u0430` for `a`, full-width letters) and ASCII look-alikes
(`0`/`o`, `1`/`l`/`i`, `rn`/`m`), it is equal, or within a small Damerau-Levenshtein distance.
The trusted server itself may of course list its own tools.

Config (JSON):
    trustedServers: [{"name": "<server id>", "tools": ["send_email", ...]}, ...]   (required)
    action: "filter" (default: drop imitating tools from the list) | "deny" (refuse the whole list)
    maxEditDistance: 0..3 (default 1; 0 turns the edit-distance check off)
    minLengthForEditDistance: >= 1 (default 5; shorter folded names are only compared exactly)
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from _confusables import FOLD  # type: ignore[import-not-found]  # generated at build time (gen_confusables.py)
from guardmesh_guard import ALLOW, ConfigError, Context, Message, Verdict, deny, export, log, modify
from guardmesh_guard import Guard as GuardBase

_MAX_NAME = 128  # longer names are cut first, so a hostile listing costs bounded time
_MEMO_LIMIT = 4096
_SEPARATORS = re.compile(r"[\W_]+")
_ASCII_ALIKE = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l"})
_KEYS = {"trustedServers", "action", "maxEditDistance", "minLengthForEditDistance"}


def skeleton(name: str) -> str:
    """The name's letters and digits with case, separators and look-alikes folded away."""
    text = name[:_MAX_NAME]
    if not text.isascii():  # most names are ASCII: skip the Unicode work for them
        text = unicodedata.normalize("NFKC", text).translate(FOLD)
    # Words are joined without separators, so camelCase needs no splitting: dropping case is enough.
    folded = _SEPARATORS.sub("", text).casefold()
    return folded.translate(_ASCII_ALIKE).replace("rn", "m").replace("vv", "w")


def within(a: str, b: str, limit: int) -> bool:
    """Whether the optimal-string-alignment distance of `a` and `b` is at most `limit` (stops early)."""
    if abs(len(a) - len(b)) > limit:
        return False
    before: list[int] = []
    above = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            best = min(above[j] + 1, row[j - 1] + 1, above[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, before[j - 2] + 1)
            row.append(best)
        if min(row) > limit:
            return False
        before, above = above, row
    return above[-1] <= limit


@dataclass(frozen=True, slots=True)
class Trusted:
    server: str
    name: str
    skeleton: str


def _config_error(text: str) -> ConfigError:
    return ConfigError(f"spoofing-guard config: {text}")


def _int(config: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _config_error(f"{key} must be an integer from {low} to {high}, not {value!r}")
    return value


class SpoofingGuard(GuardBase):
    def __init__(self, trusted: list[Trusted], *, filter_list: bool, max_distance: int, min_length: int) -> None:
        self.trusted = trusted
        self.filter_list = filter_list
        self.max_distance = max_distance
        self.min_length = min_length
        self._memo: dict[tuple[str, str], str | None] = {}

    @classmethod
    def configure(cls, config: Any) -> SpoofingGuard:
        if not isinstance(config, dict):
            raise _config_error("expected a JSON object")
        unknown = sorted(set(config) - _KEYS)
        if unknown:
            raise _config_error(f"unknown keys {', '.join(unknown)} (known: {', '.join(sorted(_KEYS))})")
        servers = config.get("trustedServers")
        if not isinstance(servers, list) or not servers:
            raise _config_error("trustedServers must be a non-empty list of {name, tools}")
        trusted: list[Trusted] = []
        for i, server in enumerate(servers):
            name = server.get("name") if isinstance(server, dict) else None
            tools = server.get("tools") if isinstance(server, dict) else None
            if not isinstance(name, str) or not name:
                raise _config_error(f"trustedServers[{i}].name must be a non-empty string")
            if not isinstance(tools, list) or not all(isinstance(t, str) and t for t in tools):
                raise _config_error(f"trustedServers[{i}].tools must be a list of non-empty strings")
            trusted.extend(Trusted(name, tool, skeleton(tool)) for tool in tools)
        action = config.get("action", "filter")
        if action not in ("filter", "deny"):
            raise _config_error(f"action must be 'filter' or 'deny', not {action!r}")
        guard = cls(
            trusted,
            filter_list=action == "filter",
            max_distance=_int(config, "maxEditDistance", 1, 0, 3),
            min_length=_int(config, "minLengthForEditDistance", 5, 1, 1000),
        )
        log.info(f"spoofing-guard: {len(trusted)} trusted tools of {len(servers)} servers")
        return guard

    def imitates(self, name: str, server_id: str) -> str | None:
        """Which trusted tool a tool `name` of `server_id` collides with or imitates, and how; None if none."""
        key = (server_id, name)
        if key in self._memo:
            return self._memo[key]
        found = self._imitates(name, server_id)
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = found
        return found

    def _imitates(self, name: str, server_id: str) -> str | None:
        own = skeleton(name)
        for trusted in self.trusted:
            if trusted.server == server_id:
                continue
            if name == trusted.name:
                return f"same name as {trusted.server}/{trusted.name}"
            if own == trusted.skeleton:
                return f"look-alike of {trusted.server}/{trusted.name}"
            if (
                self.max_distance
                and min(len(own), len(trusted.skeleton)) >= self.min_length
                and within(own, trusted.skeleton, self.max_distance)
            ):
                return f"near {trusted.server}/{trusted.name}"
        return None

    def evaluate(self, ctx: Context, message: Message) -> Verdict:
        if ctx.method == "tools/call" and ctx.phase == "request":
            name: Any = ctx.target
            if name is None:
                body = message.json
                params = body.get("params") if isinstance(body, dict) else None
                name = params.get("name") if isinstance(params, dict) else None
            if not isinstance(name, str) or (why := self.imitates(name, ctx.server_id)) is None:
                return ALLOW
            return deny("imitated-tool", f"tool {name[:_MAX_NAME]!r} imitates a trusted tool ({why})")
        if ctx.method == "tools/list" and ctx.phase == "response":
            return self._listing(ctx, message)
        return ALLOW

    def _listing(self, ctx: Context, message: Message) -> Verdict:
        # Parsing 4 KB of JSON costs ~90 us in a componentize-py guest; a scan of the text finds every
        # tool name (and a few more), so a listing with nothing suspicious is allowed without parsing.
        # A key may be written with \u escapes; such text is parsed whole.
        raw = message.raw
        if "\\u" not in raw and not any(self.imitates(name, ctx.server_id) for name in _names_in(raw)):
            return ALLOW
        body = message.json
        result = body.get("result") if isinstance(body, dict) else None
        tools = result.get("tools") if isinstance(result, dict) else None
        if not isinstance(body, dict) or not isinstance(result, dict) or not isinstance(tools, list):
            return ALLOW
        flagged: list[str] = []
        kept: list[Any] = []
        for tool in tools:
            name = tool.get("name") if isinstance(tool, dict) else None
            if isinstance(name, str) and (why := self.imitates(name, ctx.server_id)) is not None:
                flagged.append(f"{name[:_MAX_NAME]!r} ({why})")
            else:
                kept.append(tool)
        if not flagged:
            return ALLOW
        reason = "tools imitating trusted tools: " + ", ".join(flagged)
        log.warn(f"spoofing-guard: server {ctx.server_id}: {reason}")
        if not self.filter_list:
            return deny("imitating-tools", reason)
        return modify({**body, "result": {**result, "tools": kept}})


def _names_in(raw: str) -> Iterator[str]:
    """The string value of every `"name"` key in a message's text: a superset of the listed tools'
    names (a key of that name inside a schema counts too; quotes inside strings are escaped, so a
    description's text never does). By hand with `str.find`: a regex scan costs as much as parsing."""
    at = raw.find('"name"')
    while at >= 0:
        i = at + 6
        while i < len(raw) and raw[i] in " \t\r\n:":
            i += 1
        if i >= len(raw) or raw[i] != '"':
            at = raw.find('"name"', i)
            continue
        end = raw.find('"', i + 1)
        while end > 0 and _escaped(raw, end):
            end = raw.find('"', end + 1)
        if end < 0:
            return
        text = raw[i + 1 : end]
        name = _unescape(text) if "\\" in text else text
        if name is not None:
            yield name
        at = raw.find('"name"', end + 1)


def _unescape(text: str) -> str | None:
    try:
        value: str = json.loads(f'"{text}"')
    except ValueError:
        return None
    return value


def _escaped(raw: str, quote: int) -> bool:
    """Whether the quote at `quote` follows an odd run of backslashes."""
    start = quote
    while start > 0 and raw[start - 1] == "\\":
        start -= 1
    return (quote - start) % 2 == 1


Guard = export(SpoofingGuard)  # the `guard` interface componentize-py exports

"""server-spoofing: tools that collide with or imitate trusted servers' tools, or redirect calls meant for them."""

import re
from dataclasses import dataclass
from typing import Any, Final

from guardmesh.config.models import Phase
from guardmesh.config.native import ServerSpoofingSettings, TrustedTools
from guardmesh.engine import normalise
from guardmesh.guards.api import ALLOW, GuardContext, Verdict, deny, modify
from guardmesh.guards.native.tool_poisoning import FlaggedStore
from guardmesh.protocol.jsonrpc import Kind, Message

_MAX_NAME: Final = 128
"""Longer names are cut before comparison, so a hostile listing costs bounded time."""
_MAX_DESCRIPTION: Final = 8192
_CAMEL: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS: Final = re.compile(r"[\W_]+")
# ASCII look-alikes that survive Unicode folding; applied to both names, so only imitations meet.
_ASCII_LOOKALIKES: Final = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l"})
_REDIRECT: Final = re.compile(
    r"\b(?:instead\s+of|rather\s+than|in\s+place\s+of|replac(?:e|es|ing)|supersed(?:e|es|ing)|"
    r"overrid(?:e|es|ing)|deprecated|(?:do\s+not|don'?t|never|no\s+longer)\s+(?:use|call|invoke)|"
    r"(?:always|only)\s+use\s+this|use\s+this\s+(?:tool\s+)?(?:instead|for\s+all)|preferred\s+over|"
    r"redirect(?:s|ed)?|forward(?:s|ed)?\s+(?:to|all))\b",
    re.IGNORECASE,
)
_SENTENCE: Final = re.compile(r"[.!?](?:\s+|$)|\n+")


def words(name: str) -> tuple[str, ...]:
    """A name's words, look-alikes folded and case dropped: `readFile`, `read-file`, `READ_FILE` are alike."""
    text = normalise(name[:_MAX_NAME]).text
    return tuple(w.casefold() for w in _SEPARATORS.split(_CAMEL.sub(" ", text)) if w)


def skeleton(name_words: tuple[str, ...]) -> str:
    """The words joined, with ASCII look-alikes (0/o, 1/l/I, rn/m, vv/w) folded together."""
    return "".join(name_words).translate(_ASCII_LOOKALIKES).replace("rn", "m").replace("vv", "w")


def distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), or `limit + 1` once it must exceed `limit`.
    By hand: no pinned dependency computes it, and names are short."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], prev2[j - 2] + 1)
        if min(row) > limit:
            return limit + 1
        prev2, prev = prev, row
    return prev[-1]


@dataclass(frozen=True, slots=True)
class _Trusted:
    server: str
    name: str
    words: tuple[str, ...]
    skeleton: str


class ServerSpoofingGuard:
    kind = "server-spoofing"
    # Listings are judged on the way out; calls of what they flagged on the way in.
    interests = {Phase.RESPONSE: frozenset({"tools/list"}), Phase.REQUEST: frozenset({"tools/call"})}

    def __init__(self, settings: ServerSpoofingSettings, store: FlaggedStore) -> None:
        self._filter = settings.action == "filter"
        self._max_distance = settings.max_edit_distance
        self._min_length = settings.min_length_for_edit_distance
        self._descriptions = settings.check_descriptions
        self._store = store
        self._trusted = [
            _Trusted(server.name, tool, w, skeleton(w))
            for server in settings.trusted_servers
            for tool in server.tools
            if (w := words(tool))
        ]
        self._mentions = {server.name: _mention_pattern(server) for server in settings.trusted_servers}

    def check(self, message: Message, ctx: GuardContext) -> Verdict:
        if message.kind is Kind.REQUEST and message.method == "tools/call":
            tool = message.target
            if tool is not None and self._store.flagged(ctx.server_id, "tools", tool):
                return deny(f"tool {tool!r} was filtered as imitating a trusted server's tool")
            return ALLOW
        if message.kind is Kind.RESULT and message.method == "tools/list":
            return self._check_list(message, ctx)
        return ALLOW

    def imitates(self, name: str, description: str, server_id: str) -> str | None:
        """Why a tool of `server_id` named `name` imitates a trusted tool, or None when it does not."""
        own = words(name)
        own_skeleton = skeleton(own)
        for trusted in self._trusted:
            if trusted.server == server_id:
                continue  # the trusted server itself: its tools are legitimately these
            if name == trusted.name:
                return f"same name as {trusted.server}/{trusted.name}"
            if own_skeleton == trusted.skeleton:
                return f"look-alike of {trusted.server}/{trusted.name}"
            if (
                self._max_distance
                and min(len(own_skeleton), len(trusted.skeleton)) >= self._min_length
                and distance(own_skeleton, trusted.skeleton, self._max_distance) <= self._max_distance
            ):
                return f"near {trusted.server}/{trusted.name}"
            if len(trusted.words) >= 2 and len(own) > len(trusted.words) and _affix(own, trusted.words):
                return f"wraps {trusted.server}/{trusted.name}"
        if self._descriptions and description:
            return self._redirects(description[:_MAX_DESCRIPTION], server_id)
        return None

    def _redirects(self, description: str, server_id: str) -> str | None:
        text = normalise(description).text
        for sentence in _SENTENCE.split(text):
            if not _REDIRECT.search(sentence):
                continue
            for server, pattern in self._mentions.items():
                if server != server_id and pattern is not None and (found := pattern.search(sentence)):
                    return f"description redirects from {server}/{found.group()}"
        return None

    def _check_list(self, message: Message, ctx: GuardContext) -> Verdict:
        tools = message.result.get("tools")
        if not isinstance(tools, list) or (not self._trusted and not self._mentions):
            return ALLOW
        flagged: dict[int, str] = {}
        names: dict[int, str] = {}
        for i, tool in enumerate(tools):
            if isinstance(tool, dict) and isinstance(name := tool.get("name"), str):
                names[i] = name
                description = tool.get("description")
                why = self.imitates(name, description if isinstance(description, str) else "", ctx.server_id)
                if why is not None:
                    flagged[i] = f"{name} ({why})"
        bad = {names[i] for i in flagged}
        self._store.update(ctx.server_id, "tools", bad, set(names.values()) - bad)
        if not flagged:
            return ALLOW
        reason = "tools imitating trusted servers' tools: " + ", ".join(flagged.values())
        if not self._filter:
            return deny(reason)
        kept: list[Any] = [tool for i, tool in enumerate(tools) if i not in flagged]
        return modify({**message.body, "result": {**message.body["result"], "tools": kept}}, reason)


def _affix(own: tuple[str, ...], trusted: tuple[str, ...]) -> bool:
    """`github_create_issue` or `create_issue_v2` around a trusted `create_issue`, word for word."""
    return own[: len(trusted)] == trusted or own[-len(trusted) :] == trusted


def _mention_pattern(server: TrustedTools) -> re.Pattern[str] | None:
    """A regex finding any of the server's tool names, in any case or separator style, or `the <server> tool`."""
    options = []
    for tool in server.tools:
        tool_words = words(tool)
        if tool_words:
            options.append(r"[\s_\-.]*".join(re.escape(w) for w in tool_words))
    server_words = words(server.name)
    if server_words:
        name = r"[\s_\-.]*".join(re.escape(w) for w in server_words)
        options.append(rf"{name}(?:'s)?\s+(?:tools?|server)")
    if not options:
        return None
    return re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(options) + r")(?![A-Za-z0-9])", re.IGNORECASE)

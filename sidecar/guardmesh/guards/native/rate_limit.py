"""rate-limit: token buckets per tool, per client identity and per server; a call finding one empty is denied."""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Final

from guardmesh.config.models import Phase
from guardmesh.config.native import Rate, RateLimitSettings
from guardmesh.guards.api import ALLOW, GuardContext, Verdict, deny
from guardmesh.guards.native.globs import GlobSet
from guardmesh.protocol.jsonrpc import Kind, Message

Clock = Callable[[], float]
"""Seconds from a monotonic clock; tests pass a fake one."""

_MAX_TABLES: Final = 64
"""Bucket tables kept for settings no longer in use, so that reloads cannot grow memory without end."""

BucketKey = tuple[str, str, str]
"""(scope, server, identity): `tool` and the tool's name, `client` and its identity, or `server`."""


class Buckets:
    """Token buckets by key, least recently used forgotten first; a forgotten bucket starts full again."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._buckets: OrderedDict[BucketKey, tuple[float, float]] = OrderedDict()
        """Tokens left and when they were counted."""
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, wanted: list[tuple[BucketKey, Rate]], now: float) -> BucketKey | None:
        """Take one token from every bucket, or none when one is empty; returns the empty one's key."""
        with self._lock:
            levels = []
            for key, rate in wanted:
                tokens, then = self._buckets.get(key, (float(rate.burst), now))
                tokens = min(float(rate.burst), tokens + max(0.0, now - then) * rate.rate_per_second)
                if tokens < 1.0:
                    self._put(key, tokens, now)
                    return key
                levels.append((key, tokens))
            for key, tokens in levels:
                self._put(key, tokens - 1.0, now)
        return None

    def _put(self, key: BucketKey, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self.capacity:
            self._buckets.popitem(last=False)


class BucketStore:
    """Bucket tables by the settings that made them, shared by every connection and config reload."""

    def __init__(self) -> None:
        self._tables: OrderedDict[str, Buckets] = OrderedDict()
        self._lock = threading.Lock()

    def table(self, settings: RateLimitSettings) -> Buckets:
        """The table for these settings: the same settings after a reload find their buckets as they were."""
        key = settings.model_dump_json()
        with self._lock:
            table = self._tables.get(key)
            if table is None:
                table = self._tables[key] = Buckets(settings.max_buckets)
            self._tables.move_to_end(key)
            while len(self._tables) > _MAX_TABLES:
                self._tables.popitem(last=False)
        return table


class RateLimitGuard:
    kind = "rate-limit"

    def __init__(self, settings: RateLimitSettings, store: BucketStore, clock: Clock = time.monotonic) -> None:
        self._tools = [(GlobSet((glob,)), rate) for glob, rate in settings.per_tool.items()]
        self._client = settings.per_client
        self._server = settings.per_server
        self._all = settings.all_requests
        self._buckets = store.table(settings)
        self._clock = clock
        self.interests: dict[Phase, frozenset[str] | None] = {
            Phase.REQUEST: None if self._all else frozenset({"tools/call"})
        }

    def check(self, message: Message, ctx: GuardContext) -> Verdict:
        if message.kind is not Kind.REQUEST:
            return ALLOW
        is_call = message.method == "tools/call"
        if not (is_call or self._all):
            return ALLOW
        wanted: list[tuple[BucketKey, Rate]] = []
        tool = message.target if is_call else None
        if tool is not None:
            rate = next((rate for globs, rate in self._tools if tool in globs), None)
            if rate is not None:
                wanted.append((("tool", ctx.server_id, tool), rate))
        if self._client is not None:
            wanted.append((("client", ctx.server_id, ctx.client_id or ""), self._client))
        if self._server is not None:
            wanted.append((("server", ctx.server_id, ""), self._server))
        if not wanted:
            return ALLOW
        empty = self._buckets.take(wanted, self._clock())
        if empty is None:
            return ALLOW
        # The reason names the bucket, never the client's identity.
        scope = empty[0]
        if scope == "tool":
            return deny(f"rate limit of tool {tool!r} exceeded")
        if scope == "client":
            return deny("rate limit per client exceeded")
        return deny("rate limit of the server exceeded")

"""Tool definitions as values to pin: their canonical digest, a rename-proof digest, and what changed.

Shared by the sidecar (which pins and filters) and the operator (which records what sidecars saw and
what a reviewer must approve), so both compute the same hash and the same summary. Pure standard library.
"""

import hashlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

UNSHOWN = frozenset({"_meta"})
"""Fields of a tool a client does not show to the model; a change to them is not a change of the tool."""
MAX_PATHS = 8
"""Field paths named in one summary; the rest are counted."""
_MAX_KEY = 48


def canonical(tool: Mapping[str, Any], without: frozenset[str] = UNSHOWN) -> bytes:
    """The definition as compact JSON with sorted keys, the unshown fields left out."""
    shown = {k: v for k, v in tool.items() if k not in without}
    return json.dumps(shown, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def tool_digest(tool: Mapping[str, Any]) -> str:
    """sha256 of the canonical definition: what a ToolBaseline approves and a rug-pull pin holds."""
    return hashlib.sha256(canonical(tool)).hexdigest()


def body_digest(tool: Mapping[str, Any]) -> str:
    """sha256 of the definition without its name: equal for a tool that was only renamed."""
    return hashlib.sha256(canonical(tool, UNSHOWN | {"name"})).hexdigest()


def changed_paths(old: Any, new: Any, path: str = "") -> Iterator[str]:
    """Field paths that differ, each with what happened (`description changed`, `inputSchema.properties.to
    added`). Names fields and never values, so a summary cannot leak what a definition holds."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new), key=str):
            if key in UNSHOWN and not path:
                continue
            where = f"{path}.{_key(key)}" if path else _key(key)
            if key not in old:
                yield f"{where} added"
            elif key not in new:
                yield f"{where} removed"
            elif old[key] != new[key]:
                yield from changed_paths(old[key], new[key], where)
        return
    if old != new:
        yield f"{path or 'definition'} changed"


def summary(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> str:
    """One line saying which fields changed; without the old definition, only that the hash differs."""
    if old is None:
        return "definition differs from the approved sha256 (the approved definition is not on record)"
    paths = list(changed_paths(old, new))
    if not paths:
        return "no shown field changed"
    shown = paths[:MAX_PATHS]
    more = len(paths) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more else "")


def _key(key: object) -> str:
    """A field name fit for a log line: printable, bounded (property names come from the server)."""
    text = "".join(ch if ch.isprintable() and ch not in ";" else "?" for ch in str(key))
    return text if len(text) <= _MAX_KEY else text[: _MAX_KEY - 1] + "…"

"""Fold look-alike characters to the ASCII they imitate, from the Unicode confusables data (UTS #39).

The data comes from the pinned `confusable-homoglyphs` package (its `confusables.json`, generated from
Unicode's confusables.txt). Only its entries whose prototype is ASCII are read, by a scan of the raw
file: parsing the whole 900 KB of JSON would leave ~12 MB of freed small objects in the sidecar's heap.
"""

import functools
import importlib.resources
import re
import unicodedata

import orjson

_PACKAGE = "confusable_homoglyphs"
_DATA = "confusables.json"

# One `"<ascii prototype>": [ {...}, ... ]` entry of the file; keys of other entries are \u-escaped.
_ENTRY = re.compile(
    rb'(?:(?<=\], )|(?<=^\{))"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\/])+)": (\[(?:[^\]"]|"(?:[^"\\]|\\.)*")*\])'
)


def _target(source: str, prototype: str, singles: dict[str, str]) -> str | None:
    digit = unicodedata.decimal(source, None)
    if digit is not None:
        return str(digit)  # Arabic-Indic, Devanagari... digits fold to the digit, not to a letter shape
    if len(prototype) > 1:
        # Multi-character prototypes ("rn" for m, "''" for a curly quote) fold to their one-character
        # ASCII member when there is one; punctuation runs are left to NFKC.
        return singles.get(prototype) or (prototype if prototype.isalnum() else None)
    if prototype == "l" and source.isupper():
        return "I"  # UTS #39 folds I, l and 1 together; a capital look-alike is an I in words we match
    return prototype


@functools.cache
def fold_table() -> dict[int, str]:
    """`str.translate` table from each non-ASCII look-alike to its ASCII prototype."""
    raw = importlib.resources.files(_PACKAGE).joinpath(_DATA).read_bytes()
    entries: list[tuple[str, list[str]]] = []
    for found in _ENTRY.finditer(raw):
        prototype: str = orjson.loads(b'"' + found.group(1) + b'"')
        sources = [item["c"] for item in orjson.loads(found.group(2)) if isinstance(item.get("c"), str)]
        entries.append((prototype, sources))
    singles: dict[str, str] = {}
    for prototype, sources in entries:
        single = next((s for s in sources if len(s) == 1 and s.isascii()), None)
        if len(prototype) > 1 and single is not None:
            singles[prototype] = single
    table: dict[int, str] = {}
    for prototype, sources in entries:
        for source in sources:
            if len(source) != 1 or source.isascii():
                continue
            target = _target(source, prototype, singles)
            if target is not None:
                table[ord(source)] = target
    return table

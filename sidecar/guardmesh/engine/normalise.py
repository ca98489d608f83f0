"""Text normalisation, done once per string of a message before any rule sees it.

What an attacker hides, a rule cannot match: this removes invisible characters (counting them, since
their presence is itself a signal), brings out text smuggled in Unicode tag characters and in
variation-selector sequences, applies NFKC, folds look-alike letters to ASCII, and decodes embedded
base64, hex, %- and &#-encoded fragments. Every step is linear in its input and the callers bound
the input, so hostile strings (megabytes, binary, deep encodings) cost bounded time.
"""

import base64
import binascii
import html
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import unquote

import re2

from guardmesh.engine.confusables import fold_table


class Hidden(StrEnum):
    """Classes of invisible characters, removed from the text and counted."""

    ZERO_WIDTH = "zero-width"
    TAG = "tag"
    BIDI = "bidi"
    VARIATION_SELECTOR = "variation-selector"
    FORMAT = "format"
    """Other invisible format characters: soft hyphen, joiners, fillers, interlinear annotations."""


_CLASSES: dict[Hidden, str] = {
    Hidden.ZERO_WIDTH: "\u200b-\u200f\u2060-\u2064\ufeff",
    Hidden.TAG: "\U000e0000-\U000e007f",
    Hidden.BIDI: "\u202a-\u202e\u2066-\u2069\u061c",
    Hidden.VARIATION_SELECTOR: "\ufe00-\ufe0f\U000e0100-\U000e01ef\u180b-\u180f",
    Hidden.FORMAT: "\u00ad\u034f\u115f\u1160\u3164\uffa0\ufff9-\ufffb\u2065",
}
_CLASS_RE = {hidden: re.compile(f"[{chars}]") for hidden, chars in _CLASSES.items()}
_INVISIBLE = re.compile("[" + "".join(_CLASSES.values()) + "]+")
_TAG_RUN = re.compile("[\U000e0020-\U000e007e]+")
# Emoji steganography: each selector carries one byte (VS1-16: 0-15, VS17-256: 16-255).
_SELECTOR_RUN = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]{4,}")
_WORD_WITH_NON_ASCII = re.compile(r"\w*[^\x00-\x7f]\w*")
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_UNPRINTABLE = re.compile(r"[^\t\n\r\x20-\x7e\u00a0-\U0010ffff]|[\x7f-\x9f]")

_FOLD = fold_table()


class Encoding(StrEnum):
    """How text was hidden or encoded inside a string."""

    BASE64 = "base64"
    HEX = "hex"
    PERCENT = "percent"
    HTML = "html-entities"
    TAG = "tag-characters"
    SELECTORS = "variation-selectors"


@dataclass(frozen=True, slots=True)
class Normalised:
    """A string as rules see it, and what was hidden in it."""

    text: str
    hidden: dict[Hidden, int] | None = None
    """Invisible characters removed, by class; None when there were none."""
    smuggled: tuple[tuple[Encoding, str], ...] = ()
    """Text carried by tag characters or variation selectors, decoded; scanned as extra segments."""
    folded: int = 0
    """Look-alike characters folded to ASCII."""


def normalise(value: str) -> Normalised:
    """Normalise one string. ASCII, the common case, comes back untouched at the cost of one check."""
    if value.isascii():
        return Normalised(value)
    hidden: dict[Hidden, int] | None = None
    smuggled: list[tuple[Encoding, str]] = []
    text = _INVISIBLE.sub("", value)
    if len(text) != len(value):
        hidden = {}
        for cls, pattern in _CLASS_RE.items():
            count = len(pattern.findall(value))
            if count:
                hidden[cls] = count
        if Hidden.TAG in hidden:
            smuggled.extend((Encoding.TAG, t) for t in _decode_tags(value))
        if Hidden.VARIATION_SELECTOR in hidden:
            smuggled.extend((Encoding.SELECTORS, t) for t in _decode_selectors(value))
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    folded = 0
    if not text.isascii():
        text, folded = _fold(text)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: matchers need valid UTF-8
            text = _SURROGATE.sub("\ufffd", text)
    return Normalised(text, hidden, tuple(smuggled), folded)


def _decode_tags(value: str) -> list[str]:
    return ["".join(chr(ord(c) - 0xE0000) for c in run.group()) for run in _TAG_RUN.finditer(value)]


def _decode_selectors(value: str) -> list[str]:
    found = []
    for run in _SELECTOR_RUN.finditer(value):
        data = bytes(ord(c) - 0xFE00 if ord(c) < 0xFE10 else ord(c) - 0xE0100 + 16 for c in run.group())
        text = data.decode("utf-8", "replace")
        if _plausible(text):
            found.append(text)
    return found


def _fold(text: str) -> tuple[str, int]:
    """Fold look-alikes in words that mix scripts (a Latin word with one Cyrillic letter in it) or that
    are made only of look-alikes (Cyrillic letters spelling "ore"); a word of another script keeps its
    letters, so rules in other languages still match it."""
    folded = 0

    def fold_word(word: re.Match[str]) -> str:
        nonlocal folded
        original = word.group()
        changed = original.translate(_FOLD)
        if changed == original or not (changed.isascii() or _ASCII_ALNUM.search(original)):
            return original
        folded += sum(1 for a, b in zip(original, changed, strict=False) if a != b) or 1
        return changed

    return _WORD_WITH_NON_ASCII.sub(fold_word, text), folded


def _plausible(text: str, min_chars: int = 4) -> bool:
    """Decoded bytes that read as text (not binary noise) are worth scanning."""
    if len(text) < min_chars or "\ufffd" in text:
        return False
    noise = len(_UNPRINTABLE.findall(text))
    return noise * 10 <= len(text)


@dataclass(frozen=True, slots=True)
class Fragment:
    """Decoded text found in a string; `span` is where the encoded form sits in that string."""

    encoding: Encoding
    span: tuple[int, int]
    text: str


# RE2 so the finder is linear and runs over a whole message's text in one call.
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
# Base64 and hex runs are found by `base64_runs`; the rarer encodings by one RE2 finder each, run on
# UTF-8 bytes (RE2's str interface costs five times more) behind a count of a byte they need several of.
_FINDERS: tuple[tuple[str, bytes, int, Any], ...] = (
    ("esc", b"\\", 4, re2.compile(rb"(?:\\x[0-9A-Fa-f]{2}){4,}", _OPTIONS)),
    ("pct", b"%", 3, re2.compile(rb"[^\s%]*(?:%[0-9A-Fa-f]{2}[^\s%]*){3,}", _OPTIONS)),
    ("ent", b"&", 3, re2.compile(rb"(?:&#(?:[0-9]{1,7}|[xX][0-9A-Fa-f]{1,6});){3,}", _OPTIONS)),
)
_HEX_ONLY = re.compile(r"(?:[0-9A-Fa-f]{2})+")


def find_fragments(text: str, max_fragment: int = 65536) -> list[Fragment]:
    """Encoded fragments of `text` that decode to plausible text, each decoded once (not recursively)."""
    data = text.encode("utf-8")
    ascii_only = len(data) == len(text)
    found: list[Fragment] = []

    def keep(kind: str, start: int, end: int) -> None:
        # The finders' classes are ASCII except [^\s%], whose run is cut back to whole characters.
        encoded = data[start:end][:max_fragment].decode("utf-8", "ignore")
        decoded = decode_fragment(kind, encoded)
        if decoded is None:
            return
        if not ascii_only:
            start = len(data[:start].decode("utf-8", "ignore"))
            end = len(data[:end].decode("utf-8", "ignore"))
        found.append(Fragment(decoded[0], (start, end), decoded[1]))

    for start, end in base64_runs(data):
        keep("b64", start, end)
    for kind, marker, at_least, finder in _FINDERS:
        if marker in data and data.count(marker) >= at_least:  # `in` is a memchr; count is slower
            for match in finder.finditer(data):
                keep(kind, *match.span())
    found.sort(key=lambda f: f.span)
    return found


_B64_MIN_RUN = 20
_B64_CLASS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-"
_B64_MAP = bytes(0x41 if byte in _B64_CLASS else 0x20 for byte in range(256))
"""Every base64 (or URL-safe base64, or hex) character to `A`, every other byte to a space."""
_B64_RUN = b"A" * _B64_MIN_RUN


def base64_runs(data: bytes) -> Iterator[tuple[int, int]]:
    """Spans of the runs of 20 or more base64 characters in `data`, each with up to two `=` of padding
    (the regex `[A-Za-z0-9+/_-]{20,}={0,2}`, found with one C-speed translation and substring searches:
    RE2 took ~15 µs for this over 4 KB of prose, most of the engine's extraction cost)."""
    mapped = data.translate(_B64_MAP)
    pos = mapped.find(_B64_RUN)
    while pos >= 0:
        end = mapped.find(b" ", pos + _B64_MIN_RUN)
        if end < 0:
            end = len(mapped)
        stop = end
        while stop < len(data) and stop - end < 2 and data[stop] == 0x3D:  # "="
            stop += 1
        yield pos, stop
        pos = mapped.find(_B64_RUN, end)


def decode_fragment(kind: str, encoded: str) -> tuple[Encoding, str] | None:
    """Decode one candidate found by the fragment finder; None when it is not plausibly text."""
    if kind == "b64":
        if _HEX_ONLY.fullmatch(encoded) and len(encoded) >= 20:
            text = _bytes_text(bytes.fromhex(encoded))
            if text is not None:
                return Encoding.HEX, text
        body = encoded.rstrip("=")
        if len(body) % 4 == 1:  # never valid base64: the run overshot into a neighbouring word
            body = body[:-1]
        padded = body + "=" * (-len(body) % 4)
        try:
            raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            return None
        text = _bytes_text(raw)
        return None if text is None else (Encoding.BASE64, text)
    if kind == "esc":
        text = _bytes_text(bytes.fromhex(encoded.replace("\\x", "")))
        return None if text is None else (Encoding.HEX, text)
    if kind == "pct":
        text = unquote(encoded, errors="replace")
        return (Encoding.PERCENT, text) if text != encoded and _plausible(text) else None
    if kind == "ent":
        text = html.unescape(encoded)
        return (Encoding.HTML, text) if text != encoded and _plausible(text, 3) else None
    return None


def _bytes_text(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if _plausible(text) else None

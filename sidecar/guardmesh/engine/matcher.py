"""Multi-pattern matchers: every rule compiled once, a message's text scanned in one pass.

A matcher only says which rules fired somewhere in a message's text. The engine then runs each fired
rule's own RE2 regex to find spans, places and validated values, so every matcher gives the same
findings and differs only in speed. Hyperscan is the default where it is installed (x86-64 wheels
only); RE2's Set is the fallback. The others exist to be measured against (hack/bench/engine.py).
"""

import contextlib
import ctypes
import hashlib
import importlib
import importlib.metadata
import os
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import re2

from guardmesh.engine.rules import Rule, RuleSet, _sre
from guardmesh.engine.text import MessageText, Scope


class MatcherError(RuntimeError):
    """The rules could not be compiled into a matcher."""


class Matcher(Protocol):
    name: str

    def fired(self, text: MessageText) -> Sequence[int]:
        """Indices of the rules that may match somewhere in `text` (a superset of those that do)."""
        ...


def _set_match(matcher: Any, data: bytes) -> list[int]:
    """RE2 Set's matches (its typing stub has the return type wrong)."""
    found: list[int] | None = matcher.Match(data)
    return found or []


def _re2_options(max_mem: int = 64 << 20) -> Any:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = max_mem
    return options


class HyperscanMatcher:
    """Intel Hyperscan (SIMD automata); each rule reports at most once per scan.

    Hyperscan only prefilters (the engine verifies with RE2), so each rule is compiled in a cheaper
    form that matches a superset of what the rule matches; see `prefilter_form`. ASCII-only rules run
    on bytes, the others in UTF-8 mode without Unicode properties (UCP compiles ten times slower)."""

    name = "hyperscan"

    def __init__(self, rules: RuleSet, cache_dir: Path | None = None) -> None:
        hs: Any = importlib.import_module("hyperscan")
        self._hs = hs
        expressions, flags = [], []
        for rule in rules.rules:
            expression, caseless = hyperscan_expression(rule)
            flag = hs.HS_FLAG_SINGLEMATCH | hs.HS_FLAG_MULTILINE
            if caseless:
                flag |= hs.HS_FLAG_CASELESS
            if not expression.isascii():
                flag |= hs.HS_FLAG_UTF8
            expressions.append(expression.encode())
            flags.append(flag)
        # Two databases that split the rules: those that apply to arguments, and the rest. A tools/call
        # request, the commonest message, has arguments only, and fewer than half the rules apply there:
        # it is scanned by the first alone in about half the time; other messages are scanned by both.
        arguments = [i for i, r in enumerate(rules.rules) if r.scopes is None or Scope.ARGUMENT in r.scopes]
        others = sorted(set(range(len(expressions))) - set(arguments))
        self._dbs = [self._database(rules, expressions, flags, ids, cache_dir) for ids in (arguments, others) if ids]
        self._prototypes = [hs.Scratch(db) for db in self._dbs]
        self._local = threading.local()  # a scratch space may serve one scan at a time

    def _database(
        self, rules: RuleSet, expressions: list[bytes], flags: list[int], ids: list[int], cache_dir: Path | None
    ) -> Any:
        """The compiled database of the rules `ids` (which are also the ids it reports), from the disk cache
        when it holds it."""
        hs = self._hs
        chosen, chosen_flags = [expressions[i] for i in ids], [flags[i] for i in ids]
        cache = _database_path(cache_dir, chosen, chosen_flags, ids)
        db = _load_database(hs, cache)
        if db is None:
            db = hs.Database(mode=hs.HS_MODE_BLOCK)
            try:
                db.compile(expressions=chosen, ids=ids, flags=chosen_flags)
            except hs.error as exc:
                raise MatcherError(
                    _blame(rules, exc, lambda i: self._compile_one(hs, expressions[i], flags[i]))
                ) from None
            _store_database(hs, db, cache)
            return_freed_memory()
        return db

    @staticmethod
    def _compile_one(hs: Any, expression: bytes, flag: int) -> None:
        hs.Database(mode=hs.HS_MODE_BLOCK).compile(expressions=[expression], ids=[0], flags=[flag])

    def fired(self, text: MessageText) -> Sequence[int]:
        found: list[int] = []
        data = text.encoded
        if data:
            scratches = getattr(self._local, "scratches", None)
            if scratches is None:
                scratches = self._local.scratches = [p.clone() for p in self._prototypes]
            wanted = 1 if text.scopes == _ARGUMENTS_ONLY else len(self._dbs)
            for db, scratch in zip(self._dbs[:wanted], scratches, strict=False):
                db.scan(data, match_event_handler=_collect, context=found, scratch=scratch)
        return found


_ARGUMENTS_ONLY = frozenset({Scope.ARGUMENT})


LITERAL_GATE = 5
"""Rules with required literals scoring this much are prefiltered by those literals alone."""


def hyperscan_expression(rule: Rule) -> tuple[str, bool]:
    """What Hyperscan looks for to decide that `rule` may match, and whether case-insensitively.

    Where every match of the rule must contain one of a few distinctive words, the prefilter is just
    those words: Hyperscan's literal matchers find them at memory speed, whereas a rule that starts
    with a common word ("for every tool...") sends its automaton into every sentence. Other rules
    use `prefilter_form`."""
    literals = required_literals(rule.regex, LITERAL_GATE)
    if literals is not None:
        words = "|".join(re.escape(literal) for literal in sorted(literals))
        return prefilter_form(words, case_sensitive=False), True
    return prefilter_form(rule.regex, rule.case_sensitive), not rule.case_sensitive


_BOUNDED = re.compile(r"\{(\d+),(\d+)\}")


def _cases(char: str) -> str:
    """`char` and its other cases (single characters only), sorted."""
    variants = {char, char.lower(), char.upper(), char.casefold(), char.swapcase()}
    return "".join(sorted(v for v in variants if len(v) == 1))


def prefilter_form(pattern: str, case_sensitive: bool = True, limit: int = 8) -> str:
    """A cheaper pattern that matches a superset of what `pattern` matches, for Hyperscan:
    - bounded repeats `{m,n}` with n > limit become `{m,}` (large bounds make automata huge);
    - word boundaries are dropped (they cost Hyperscan a third of its time on our rules);
    - unless `case_sensitive`, non-ASCII letters get their other cases spelt out, as HS_FLAG_CASELESS
      covers ASCII only without the slow UCP mode (not for range ends: write non-ASCII ranges in both
      cases in rules)."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if in_class or pattern[i + 1 : i + 2] not in ("b", "B"):
                out.append(pattern[i : i + 2])
            i += 2
            continue
        in_range = in_class and (pattern[i + 1 : i + 2] == "-" or pattern[i - 1 : i] == "-")
        if not char.isascii() and not case_sensitive and not in_range:
            cases = _cases(char)
            out.append(cases if in_class or len(cases) == 1 else f"[{cases}]")
            i += 1
            continue
        if in_class:
            in_class = char != "]"
            out.append(char)
            i += 1
            continue
        if char == "[":
            in_class = True
            j = i + 1
            j += pattern[j : j + 1] == "^"
            j += pattern[j : j + 1] == "]"  # a leading ] is a literal
            out.append(pattern[i:j])
            i = j
            continue
        bounded = _BOUNDED.match(pattern, i) if char == "{" else None
        if bounded is not None and int(bounded.group(2)) > limit:
            out.append(f"{{{bounded.group(1)},}}")
            i = bounded.end()
            continue
        out.append(char)
        i += 1
    return "".join(out)


def default_cache_dir() -> Path:
    """Where compiled matcher databases are kept: `$GUARDMESH_CACHE_DIR/engine`, else ~/.cache/guardmesh/engine."""
    base = os.environ.get("GUARDMESH_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "guardmesh")
    return Path(base) / "engine"


def _database_path(cache_dir: Path | None, expressions: list[bytes], flags: list[int], ids: list[int]) -> Path | None:
    """The cache file for exactly these expressions, flags and ids compiled by this Hyperscan build."""
    if cache_dir is None:
        return None
    digest = hashlib.sha256(importlib.metadata.version("hyperscan").encode())
    for expression, flag, id_ in zip(expressions, flags, ids, strict=True):
        digest.update(b"%d\0%d\0%s\0" % (id_, flag, expression))
    return cache_dir / f"hyperscan-{digest.hexdigest()[:32]}.db"


def _load_database(hs: Any, path: Path | None) -> Any:
    """A database compiled earlier, or None. Hyperscan checks the file's version, platform and checksum;
    compiling takes seconds and leaves megabytes of freed heap behind, loading takes milliseconds."""
    if path is None:
        return None
    try:
        return hs.loadb(path.read_bytes(), hs.HS_MODE_BLOCK)
    except (OSError, hs.error):
        return None


def _store_database(hs: Any, db: Any, path: Path | None) -> None:
    """Keep a compiled database for the next start; a read-only or full disk only costs that start time."""
    if path is None:
        return
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(hs.dumpb(db))
        partial.replace(path)


def return_freed_memory() -> None:
    """Hyperscan's compiler (and rule loading) frees megabytes when done, which glibc keeps in the heap
    unless asked to give it back; the sidecar's memory budget is 60 MB. A no-op without malloc_trim."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def _collect(rule: int, start: int, end: int, flags: int, found: list[int]) -> None:
    found.append(rule)


class Re2SetMatcher:
    """RE2::Set: one automaton of all rules, run over the UTF-8 text."""

    name = "re2-set"

    def __init__(self, rules: RuleSet, max_mem: int = 64 << 20) -> None:
        self._set = re2.Set.SearchSet(_re2_options(max_mem))
        for rule in rules.rules:
            self._set.Add(rule.flagged_regex)
        self._set.Compile()

    def fired(self, text: MessageText) -> Sequence[int]:
        return _set_match(self._set, text.encoded)


class Re2FilterMatcher:
    """RE2's FilteredRE2: required literal atoms of each rule prefilter which rules RE2 then runs."""

    name = "re2-filter"

    def __init__(self, rules: RuleSet) -> None:
        self._filter = re2.Filter()
        options = _re2_options()
        for rule in rules.rules:
            self._filter.Add(rule.flagged_regex, options)
        self._filter.Compile()

    def fired(self, text: MessageText) -> Sequence[int]:
        return self._filter.Match(text.encoded) or ()


class PythonReMatcher:
    """The baseline: Python's `re`, rule after rule, over the whole text."""

    name = "python-re"

    def __init__(self, rules: RuleSet) -> None:
        self._patterns = [
            re.compile(
                r.regex,
                re.MULTILINE | (0 if r.case_sensitive else re.IGNORECASE) | (re.ASCII if r.regex.isascii() else 0),
            )
            for r in rules.rules
        ]

    def fired(self, text: MessageText) -> Sequence[int]:
        joined = text.joined
        return [i for i, p in enumerate(self._patterns) if p.search(joined)]


class AhoCorasickMatcher:
    """An Aho-Corasick automaton of each rule's required literals (lower-cased) gates which rules RE2
    runs; rules without a required literal of 3+ characters go to an RE2 Set run on every message."""

    name = "aho-corasick+re2"

    def __init__(self, rules: RuleSet) -> None:
        ahocorasick: Any = importlib.import_module("ahocorasick")
        self._automaton = ahocorasick.Automaton()
        gated: dict[str, list[int]] = {}
        self._ungated: list[int] = []
        for compiled in rules.compiled:
            atoms = required_literals(compiled.rule.regex)
            if atoms is None:
                self._ungated.append(compiled.index)
            else:
                for atom in atoms:
                    gated.setdefault(atom, []).append(compiled.index)
        for atom, indices in gated.items():
            self._automaton.add_word(atom, tuple(indices))
        self._automaton.make_automaton()
        self._gated_any = bool(gated)
        self._regex = [c.regex for c in rules.compiled]
        self._set = re2.Set.SearchSet(_re2_options())
        for index in self._ungated:
            self._set.Add(rules.rules[index].flagged_regex)
        self._set.Compile()

    def fired(self, text: MessageText) -> Sequence[int]:
        data = text.encoded
        found = [self._ungated[i] for i in _set_match(self._set, data)]
        if self._gated_any:
            candidates: set[int] = set()
            for _, indices in self._automaton.iter(text.joined.lower()):
                candidates.update(indices)
            found.extend(i for i in candidates if self._regex[i].search(data) is not None)
        return found


# Words too common in benign text to gate a rule on (they would fire it on most messages).
_COMMON = frozenset(
    {"the", "and", "for", "with", "this", "that", "from", "into", "your", "you", "user", "users", "tool", "tools",
     "file", "files", "data", "read", "send", "call", "use", "all", "any", "config", "value", "name", "path",
     "string", "list", "text", "what", "when", "then", "them", "will", "must", "should", "not", "are", "was",
     "were", "have", "has", "been", "other", "also", "only", "more", "new", "now", "each", "every", "its", "their",
     "there", "here", "about", "after", "before"}
)  # fmt: skip


def literal_score(literals: frozenset[str]) -> int:
    """How well a set of literals gates a rule: the weakest member's length, punctuation counting one
    extra (rarer in prose) and common words counting 1."""
    scores = []
    for literal in literals:
        word = literal.strip()
        scores.append(1 if word in _COMMON else len(literal) + (0 if word.isalnum() else 1))
    return min(scores, default=0)


def required_literals(pattern: str, min_score: int = 3) -> frozenset[str] | None:
    """Lower-cased literals one of which every match of `pattern` contains (the best-gating such set),
    or None when there is none scoring at least `min_score`."""
    return _required(_sre.parse(pattern), min_score)


def _required(items: Any, min_score: int) -> frozenset[str] | None:
    best: frozenset[str] | None = None
    run: list[str] = []

    def consider(candidate: frozenset[str] | None) -> None:
        nonlocal best
        score = literal_score(candidate) if candidate else 0
        if candidate and score >= min_score and (best is None or score > literal_score(best)):
            best = candidate

    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            run.append(chr(arg).lower())
            continue
        consider(frozenset({"".join(run)}) if run else None)
        run = []
        if name == "SUBPATTERN":
            consider(_required(arg[-1], min_score))
        elif name == "BRANCH":
            alternatives = [_required(branch, min_score) for branch in arg[1]]
            if all(alternatives):
                consider(frozenset().union(*(a for a in alternatives if a)))
        elif name in ("MAX_REPEAT", "MIN_REPEAT") and arg[0] >= 1:
            consider(_required(arg[2], min_score))
    consider(frozenset({"".join(run)}) if run else None)
    return best


def _blame(rules: RuleSet, exc: Exception, compile_one: Callable[[int], None]) -> str:
    """Name the rule that failed a whole-set compile, by compiling the rules one at a time."""
    for i, rule in enumerate(rules.rules):
        try:
            compile_one(i)
        except Exception as one:
            return f"rule {rule.id!r}: {one}"
    return f"the rule set does not compile: {exc}"


MATCHERS: dict[str, Callable[[RuleSet], Matcher]] = {
    "hyperscan": HyperscanMatcher,
    "re2-set": Re2SetMatcher,
    "re2-filter": Re2FilterMatcher,
    "aho-corasick+re2": AhoCorasickMatcher,
    "python-re": PythonReMatcher,
}


def hyperscan_available() -> bool:
    try:
        importlib.import_module("hyperscan")
    except ImportError:
        return False
    return True


def build_matcher(rules: RuleSet, name: str = "auto", cache_dir: Path | None = None) -> Matcher:
    """The named matcher, or with `auto` the fastest available one: Hyperscan, else an RE2 Set.
    Hyperscan keeps its compiled database in `cache_dir` when one is given."""
    if name == "auto":
        name = "hyperscan" if hyperscan_available() else "re2-set"
    if name not in MATCHERS:
        raise MatcherError(f"unknown matcher {name!r} (known: {', '.join(MATCHERS)})")
    if name == "hyperscan":
        return HyperscanMatcher(rules, cache_dir)
    return MATCHERS[name](rules)

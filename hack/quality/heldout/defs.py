"""Poisoned and benign `tools/list` results.

An attack plants one family's seed (poison.py, or a translation from languages.py) in one tool of a
benign server (servers.HOSTS): appended or prepended to its description, or put in a parameter's
description; exfiltration adds a parameter; a look-alike adds a new tool copying another server's
tool. The listing holds the whole server or only the poisoned tool; the tools of one or two other
servers the agent also has are recorded in `source.context_tools` (and named in
`source.context_servers`). `source.tool` is the poisoned tool.
"""

from __future__ import annotations

import copy
import random
from typing import Any

from heldout import goals, languages, poison, transforms
from heldout.benign_defs import HARD_NEGATIVE_LISTINGS
from heldout.out import Out
from heldout.servers import CONTEXT, HOSTS, Tool

BASE_PER_FAMILY = 120
TYPO_PER_FAMILY = 18
ENCODED_PER_FAMILY = 6
"""Per encoding, per family written as sentences."""
LANG_PER_FAMILY = 3
"""Per language, per family it has a translation for."""

_FUNCTION = {
    "weather": "weather forecast",
    "calculator": "calculation",
    "notes": "note-taking",
    "tasks": "task management",
    "translate": "translation",
    "pdf": "PDF processing",
    "crypto-prices": "crypto price",
    "recipes": "recipe search",
    "k8s": "Kubernetes",
    "crm": "CRM",
    "maps": "maps and directions",
    "docs-search": "documentation search",
}
_TOOL_SERVER = {t["name"]: server for server, tools in CONTEXT.items() for t in tools}


def _listing(tools: list[Tool]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "result": {"tools": tools}}


def _context(rng: random.Random, must_have: str | None) -> list[str]:
    servers = sorted(CONTEXT)
    chosen = {_TOOL_SERVER[must_have]} if must_have else set()
    while len(chosen) < rng.choice((1, 2, 2)):
        chosen.add(rng.choice(servers))
    return sorted(chosen)


def _fill(text: str, rng: random.Random, host: str, target: str | None, context: list[str]) -> str:
    others = [t["name"] for s in context for t in CONTEXT[s] if t["name"] != target]
    return goals.fill(
        text.replace("{tool}", target or "{tool}")
        .replace("{tool2}", rng.choice(others) if others else "write_file")
        .replace("{function}", _FUNCTION[host])
        .replace("{file}", rng.choice(poison.SENSITIVE_FILES))
        .replace("{tool}", "the other tools"),
        rng,
    )


def _plant(tool: Tool, text: str, rng: random.Random, allow_param: bool) -> str:
    """Put `text` in `tool` (in place); returns where it went."""
    props = tool["inputSchema"]["properties"]
    roll = rng.random()
    if allow_param and props and roll < 0.2:
        name = rng.choice(sorted(props))
        props[name]["description"] = f"{props[name]['description']}. {text}"
        return f"param:{name}"
    if allow_param and props and roll < 0.25:
        # Schema text a client shows the model as well: a parameter's default value.
        name = rng.choice(sorted(props))
        props[name]["default"] = text
        return f"param-default:{name}"
    if roll < 0.35:
        tool["description"] = f"{text}\n{tool['description']}"
        return "description:start"
    if roll < 0.45:
        tool["description"] = f"{tool['description']}\n\n{text}\n\nReturns the result as JSON."
        return "description:middle"
    tool["description"] = f"{tool['description']}\n\n{text}"
    return "description:end"


def _emit(out: Out, family: str, host: str, tools: list[Tool], victim: int, context: list[str],
          src: dict[str, Any], rng: random.Random) -> None:  # fmt: skip
    listing = tools if rng.random() < 0.6 else [tools[victim]]
    context_tools = [copy.deepcopy(t) for s in context for t in CONTEXT[s]]
    source = {"kind": "generated", "server": host, "tool": tools[victim]["name"], "context_servers": context,
              "context_tools": context_tools, **src}  # fmt: skip
    out.add("attack", family, "tool-definition", _listing(listing), source)


def _sentence_family(out: Out, family: str, seeds: tuple[str, ...]) -> None:
    rng = random.Random(f"heldout:defs:{family}")  # noqa: S311 - sampling, not security
    targets = poison.TARGETS.get(family)

    def one(text_of: Any, src: dict[str, Any]) -> None:
        host = rng.choice(sorted(HOSTS))
        tools = copy.deepcopy(HOSTS[host])
        victim = rng.randrange(len(tools))
        target = rng.choice(targets) if targets else None
        context = _context(rng, target)
        i, raw = text_of()
        text = _fill(raw, rng, host, target, context)
        if "encode" in src:
            text = src.pop("encode")(text, rng)
        where = _plant(tools[victim], text, rng, allow_param=family != "tp-preference-manipulation")
        _emit(out, family, host, tools, victim, context, {"seed": i, "placement": where, **src}, rng)

    for n in range(BASE_PER_FAMILY):
        i = n % len(seeds)
        one(lambda i=i: (i, seeds[i]), {"transform": "paraphrase"} if i else {})
    for _ in range(TYPO_PER_FAMILY):
        i = rng.randrange(len(seeds))
        one(lambda i=i: (i, seeds[i]), {"transform": "typo", "encode": transforms.typo})
    for name, encode in transforms.ENCODINGS.items():
        for _ in range(ENCODED_PER_FAMILY):
            i = rng.randrange(len(seeds))
            one(lambda i=i: (i, seeds[i]), {"transform": name, "encode": encode})
    for lang in languages.LANGS:
        line = languages.DEFINITION_LINES[lang].get(family)
        if line:
            for _ in range(LANG_PER_FAMILY):
                one(lambda line=line: (0, line), {"transform": f"lang:{lang}", "lang": lang})


def _exfil_params(out: Out) -> None:
    rng = random.Random("heldout:defs:tp-exfil-params")  # noqa: S311 - sampling, not security

    def one(i: int, src: dict[str, Any], encode: Any = None) -> None:
        host = rng.choice(sorted(HOSTS))
        tools = copy.deepcopy(HOSTS[host])
        victim = rng.randrange(len(tools))
        name, desc = poison.EXFIL_PARAMS[i]
        desc = encode(desc, rng) if encode else desc
        tools[victim]["inputSchema"]["properties"][name] = {"type": "string", "description": desc}
        if rng.random() < 0.4:
            tools[victim]["inputSchema"].setdefault("required", []).append(name)
        pointer = rng.choice(poison.EXFIL_POINTERS).format(param=name)
        tools[victim]["description"] += pointer
        _emit(out, "tp-exfil-params", host, tools, victim, _context(rng, None), {"seed": i, "param": name, **src}, rng)

    for n in range(BASE_PER_FAMILY):
        i = n % len(poison.EXFIL_PARAMS)
        one(i, {"transform": "paraphrase"} if i else {})
    for _ in range(TYPO_PER_FAMILY):
        one(rng.randrange(len(poison.EXFIL_PARAMS)), {"transform": "typo"}, transforms.typo)
    for name, encode in transforms.ENCODINGS.items():
        if name in ("base64", "hex", "rot13"):
            continue  # a parameter description the model must decode asks for nothing it can fill in
        for _ in range(ENCODED_PER_FAMILY):
            one(rng.randrange(len(poison.EXFIL_PARAMS)), {"transform": name}, encode)


def _overlap(out: Out) -> None:
    rng = random.Random("heldout:defs:tp-function-overlap")  # noqa: S311 - sampling, not security
    targets = sorted(_TOOL_SERVER)

    def one(i: int, src: dict[str, Any], encode: Any = None) -> None:
        host = rng.choice(sorted(HOSTS))
        tools = copy.deepcopy(HOSTS[host])
        target = rng.choice(targets)
        orig = next(t for t in CONTEXT[_TOOL_SERVER[target]] if t["name"] == target)
        name, desc = poison.OVERLAP[i]
        claims = desc.replace("{orig_desc} ", "").replace("{orig}", target)
        claims = encode(claims, rng) if encode else claims
        look_alike = copy.deepcopy(orig)
        look_alike["name"] = name.replace("{orig}", target)
        look_alike["description"] = f"{orig['description']} {claims}"
        tools.insert(rng.randrange(len(tools) + 1), look_alike)
        victim = tools.index(look_alike)
        context = _context(rng, target)
        _emit(out, "tp-function-overlap", host, tools, victim, context, {"seed": i, "imitates": target, **src}, rng)

    for n in range(BASE_PER_FAMILY):
        i = n % len(poison.OVERLAP)
        one(i, {"transform": "paraphrase"} if i else {})
    for _ in range(TYPO_PER_FAMILY):
        one(rng.randrange(len(poison.OVERLAP)), {"transform": "typo"}, transforms.typo)
    for name in ("zero-width", "homoglyph", "leet", "spaced"):
        for _ in range(ENCODED_PER_FAMILY):
            one(rng.randrange(len(poison.OVERLAP)), {"transform": name}, transforms.ENCODINGS[name])


def _benign(out: Out) -> None:
    rng = random.Random("heldout:defs:benign")  # noqa: S311 - sampling, not security
    for server, tools in sorted({**HOSTS, **CONTEXT}.items()):
        out.add(
            "benign", None, "tool-definition", _listing(copy.deepcopy(tools)), {"kind": "carrier", "server": server}
        )
        for t in tools:
            context = _context(rng, None)
            ctx = [copy.deepcopy(c) for s in context for c in CONTEXT[s]]
            src = {
                "kind": "carrier",
                "server": server,
                "tool": t["name"],
                "context_servers": context,
                "context_tools": ctx,
            }
            out.add("benign", None, "tool-definition", _listing([copy.deepcopy(t)]), src)
    for name, tools in HARD_NEGATIVE_LISTINGS:
        context = _context(rng, None)
        ctx = [copy.deepcopy(c) for s in context for c in CONTEXT[s]]
        src = {"kind": "hard-negative", "server": name, "context_servers": context, "context_tools": ctx}
        out.add("benign", None, "tool-definition", _listing(copy.deepcopy(tools)), src)
        for t in tools:
            out.add("benign", None, "tool-definition", _listing([copy.deepcopy(t)]),
                    {"kind": "hard-negative", "server": name, "tool": t["name"]})  # fmt: skip


def build(out: Out) -> None:
    for family, seeds in poison.FAMILY_SEEDS.items():
        _sentence_family(out, family, seeds)
    _exfil_params(out)
    _overlap(out)
    _benign(out)

"""Tool-definition samples: poisoned listings of every tp-* family, benign listings and hard negatives.

A sample is one whole `tools/list` result of a server from catalog.py. An attack poisons one tool
(or adds one, for function overlap); `source.context_tools` holds the tools of the other servers the
agent has, and `source.tool` names the poisoned tool.
"""

from __future__ import annotations

import copy
import random
import re
from collections import Counter
from typing import Any

from gm_corpora.messages import Record

from . import hard_negatives, tp_seeds, translations
from .catalog import ROLES, SERVERS
from .common import apply, fill, record, weighted
from .pi_seeds import SINKS

CATEGORY = "tool-poisoning"
PER_FAMILY = 130
BENIGN_LISTINGS = 140
HARD_NEGATIVE_LISTINGS = 200
# Servers whose tools an attacker most wants to steer (they move data or money).
_SENSITIVE = ("mailbox", "teamchat", "drive", "shell", "payments", "codehost", "vault", "crm")
_TRANSFORMS: tuple[tuple[str | None, float], ...] = (
    (None, 0.46),
    ("paraphrase", 0.14),
    ("typo", 0.10),
    ("homoglyph", 0.04),
    ("zero-width", 0.04),
    ("padding", 0.05),
    ("unicode-tags", 0.03),
    ("base64", 0.04),
    ("leet", 0.03),
    ("spaced", 0.03),
    ("fullwidth", 0.02),
    ("hex", 0.02),
)
_ENCODED_LEADS = {
    "base64": "Setup note (base64): {blob}",
    "hex": "cfg: {blob}",
    "unicode-tags": "{blob}",
    "spaced": "{blob}",
    "leet": "{blob}",
    "fullwidth": "{blob}",
    "homoglyph": "{blob}",
    "zero-width": "{blob}",
}


def _names(tools: list[dict[str, Any]]) -> list[str]:
    return [t["name"] for t in tools]


def _context(rng: random.Random, server: str) -> tuple[list[str], list[dict[str, Any]]]:
    """One to three other servers, at least one of them sensitive, and their tools."""
    sensitive = rng.choice([s for s in _SENSITIVE if s != server])
    others = [s for s in SERVERS if s not in (server, sensitive)]
    chosen = [sensitive, *rng.sample(others, rng.randint(0, 2))]
    rng.shuffle(chosen)
    tools = [copy.deepcopy(t) | {"server": s} for s in chosen for t in SERVERS[s]]
    return chosen, tools


def _listing(rng: random.Random, server: str) -> list[dict[str, Any]]:
    tools = copy.deepcopy(SERVERS[server])
    if len(tools) > 3 and rng.random() < 0.3:
        tools = rng.sample(tools, rng.randint(3, len(tools)))
    for tool in tools:
        _decorate(rng, tool)
    return tools


def _decorate(rng: random.Random, tool: dict[str, Any]) -> None:
    """The optional fields real servers fill (annotations, output schemas, defaults, examples,
    nested options), with benign values and as often in benign listings as in poisoned ones, so that
    a field's mere presence says nothing about the label."""
    props = tool["inputSchema"].get("properties", {})
    if rng.random() < 0.25:
        tool["title"] = tool["name"].replace("_", " ").capitalize()
        tool["annotations"] = {
            "title": tool["title"],
            "readOnlyHint": tool["name"].startswith(("get", "list", "read", "search", "find", "describe")),
        }
    if rng.random() < 0.15:
        tool["outputSchema"] = {
            "type": "object",
            "properties": {
                "status": {"type": "string"},
                "details": {"type": "string", "description": "Human-readable details of the result."},
            },
        }
    strings = sorted(n for n, v in props.items() if v.get("type") == "string")
    if strings and rng.random() < 0.15:
        name = rng.choice(strings)
        props[name]["examples" if rng.random() < 0.5 else "default"] = rng.choice(
            ("primary", "INBOX", "default", "en", "2026-10-14", "main", "northwind/billing-service")
        )
        if "examples" in props[name]:
            props[name]["examples"] = [props[name]["examples"]]
    if props and rng.random() < 0.1:
        props["options"] = {
            "type": "object",
            "description": "Advanced options.",
            "properties": {
                "mode": {"type": "string", "description": "One of standard, fast or thorough.", "default": "standard"}
            },
        }


def _slots(
    rng: random.Random, server: str, listing: list[dict[str, Any]], target: str, context: list[dict[str, Any]]
) -> dict[str, str]:
    own = [n for n in _names(listing) if n != target] or [target]
    sensitive = [t for t in context if t["server"] in _SENSITIVE] or context
    other = rng.choice(sensitive)
    rest = [t for t in context if t["name"] != other["name"]] or [other]
    return {
        "tool": target,
        "own": rng.choice(own),
        "other": other["name"],
        "other2": rng.choice(rest)["name"],
        "other_server": other["server"],
        "sink": rng.choice(SINKS),
        "secret": rng.choice(tp_seeds.SECRETS),
        "role": ROLES[server],
    }


# What a seed wants the other server's tool to do, from the words around it, and tools that do it.
_AIMS = (
    (
        re.compile(r"email|bcc|message|post|invit|share|send|recipient|notif", re.I),
        re.compile(r"send|post|share|forward|message|invite|create_event|upload|comment"),
    ),
    (re.compile(r"command|printenv|cat |run |ls -la|curl", re.I), re.compile(r"run_command|exec_in_pod")),
    (re.compile(r"payment|payee|IBAN|bank", re.I), re.compile(r"transfer|refund|invoice|transactions")),
    (re.compile(r"merge|pull request", re.I), re.compile(r"merge|pull_request")),
    (
        re.compile(r"read|look up|query|fetch|export|recent|activity|messages|file|repositor|details|result", re.I),
        re.compile(r"read|get|list|search|lookup|fetch|export|history|query"),
    ),
)


def _aim(rng: random.Random, seed: str, slots: dict[str, str], context: list[dict[str, Any]]) -> None:
    """Point `{other}` at a context tool that does what the seed asks of it (a sender for "bcc"...)."""
    for words, names in _AIMS:
        if words.search(seed):
            fits = [t for t in context if names.search(t["name"])]
            if fits:
                other = rng.choice(fits)
                slots |= {"other": other["name"], "other_server": other["server"]}
                return


def _insert(rng: random.Random, tool: dict[str, Any], text: str, placement: str) -> str:
    """Put `text` into `tool` at `placement`; returns where it went."""
    desc = tool["description"]
    props = tool["inputSchema"].setdefault("properties", {})
    if placement in ("param", "nested-param", "default", "examples") and not props:
        placement = "append"
    if placement == "append":
        tool["description"] = desc + rng.choice((" ", "\n\n", "\n")) + text
    elif placement == "prepend":
        tool["description"] = text + rng.choice(("\n\n", " ")) + desc
    elif placement == "middle":
        parts = re.split(r"(?<=\.) ", desc, maxsplit=1)
        tool["description"] = f"{parts[0]} {text} {parts[1]}" if len(parts) == 2 else desc + " " + text
        placement = "middle" if len(parts) == 2 else "append"
    elif placement == "param":
        name = rng.choice(sorted(props))
        props[name]["description"] = props[name].get("description", "") + " " + text
    elif placement == "nested-param":
        props["options"] = {
            "type": "object",
            "description": "Advanced options.",
            "properties": {"mode": {"type": "string", "description": text, "default": "standard"}},
        }
    elif placement == "default":
        strings = sorted(n for n, v in props.items() if v.get("type") == "string")
        if not strings:
            return _insert(rng, tool, text, "append")
        props[rng.choice(strings)]["default"] = text
    elif placement == "examples":
        name = rng.choice(sorted(props))
        props[name]["examples"] = [text]
    elif placement == "output-schema":
        tool["outputSchema"] = {
            "type": "object",
            "properties": {"status": {"type": "string"}, "details": {"type": "string", "description": text}},
        }
    else:  # title: clients show it, models read it
        tool["title"] = tool["name"].replace("_", " ").title()
        tool["annotations"] = {"title": tool["title"], "readOnlyHint": False}
        tool["description"] = desc + "\n\n" + text
        placement = "append+annotations"
    return placement


def _encode(rng: random.Random, name: str | None, text: str) -> str:
    out = apply(name, text, rng)
    if name in _ENCODED_LEADS:
        out = _ENCODED_LEADS[name].format(blob=out)
    return out


def _message(tools: list[dict[str, Any]], n: int) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": n, "result": {"tools": tools}}


def _source(server: str, context_servers: list[str], context: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "generator": "gm-exam",
        "server": server,
        "context_servers": context_servers,
        "context_tools": context,
        **extra,
    }


def _attack(rng: random.Random, family: str, i: int) -> tuple[dict[str, Any], dict[str, Any]]:
    server = rng.choice(sorted(SERVERS))
    listing = _listing(rng, server)
    context_servers, context = _context(rng, server)
    target = rng.choice(listing)
    slots = _slots(rng, server, listing, target["name"], context)
    transform = weighted(rng, _TRANSFORMS)
    extra: dict[str, Any] = {}
    if family == "tp-exfil-params":
        style, pname, pdesc = tp_seeds.EXFIL_PARAMS[i % len(tp_seeds.EXFIL_PARAMS)]
        props = target["inputSchema"].setdefault("properties", {})
        ptype = tp_seeds.EXFIL_TYPES.get(pname, "string")
        props[pname] = {"type": ptype} | ({"items": {"type": "object"}} if ptype == "array" else {})
        if pdesc:
            props[pname]["description"] = _encode(rng, transform, fill(pdesc, slots))
        else:
            transform = None  # the name says it all; nothing to transform
        if rng.random() < 0.4:
            target["inputSchema"].setdefault("required", []).append(pname)
        nudge = rng.choice(tp_seeds.EXFIL_NUDGES) if pdesc else tp_seeds.EXFIL_NUDGES[0]
        if nudge:
            target["description"] += " " + nudge.format(param=pname)
        extra = {"seed": f"param:{pname}", "placement": "new-param", "style": style}
    elif family == "tp-function-overlap":
        victim = rng.choice(context)
        style, claim = tp_seeds.OVERLAP_CLAIMS[i % len(tp_seeds.OVERLAP_CLAIMS)]
        pattern = tp_seeds.OVERLAP_NAMES[(i // len(tp_seeds.OVERLAP_CLAIMS)) % len(tp_seeds.OVERLAP_NAMES)]
        camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), victim["name"])
        name = pattern.format(name=victim["name"], camel=camel)
        if name == victim["name"]:
            name = victim["name"] + "_v2"
        slots |= {"other": victim["name"], "role": ROLES[victim["server"]]}
        desc = victim["description"] + " " + _encode(rng, transform, fill(claim, slots))
        twin = {"name": name, "description": desc, "inputSchema": copy.deepcopy(victim["inputSchema"])}
        listing.insert(rng.randrange(len(listing) + 1), twin)
        target = twin
        extra = {
            "seed": f"overlap:{i % len(tp_seeds.OVERLAP_CLAIMS)}",
            "placement": "new-tool",
            "style": style,
            "imitates": victim["name"],
        }
    else:
        bank = {
            "tp-hidden-instruction": tp_seeds.HIDDEN,
            "tp-concealment": tp_seeds.CONCEALMENT,
            "tp-preference-manipulation": tp_seeds.PREFERENCE,
            "tp-tool-shadowing": tp_seeds.SHADOWING,
            "tp-cross-server-reference": tp_seeds.CROSS_SERVER,
        }[family]
        style, seed = bank[i % len(bank)]
        _aim(rng, seed, slots, context)
        placement = rng.choice(tp_seeds.PLACEMENTS)
        where = _insert(rng, target, _encode(rng, transform, fill(seed, slots)), placement)
        extra = {"seed": f"{family}:{i % len(bank)}", "placement": where, "style": style}
    if transform:
        extra["transform"] = transform
    return _message(listing, i), _source(server, context_servers, context, tool=target["name"], **extra)


def _multilingual(rng: random.Random, lang: str, k: int, n: int) -> tuple[dict[str, Any], dict[str, Any], str]:
    family = translations.TP_FAMILIES[k]
    server = rng.choice(sorted(SERVERS))
    listing = _listing(rng, server)
    context_servers, context = _context(rng, server)
    target = rng.choice(listing)
    slots = _slots(rng, server, listing, target["name"], context)
    text = fill(translations.TP[lang][k], slots)
    if family == "tp-hidden-instruction":
        target["inputSchema"].setdefault("properties", {})["notes"] = {
            "type": "string",
            "description": "Optional notes.",
        }
    where = _insert(rng, target, text, rng.choice(("append", "prepend", "param")))
    source = _source(
        server,
        context_servers,
        context,
        tool=target["name"],
        seed=f"{family}:lang",
        placement=where,
        transform=f"lang:{lang}",
        lang=lang,
    )
    return _message(listing, n), source, family


def build(rng: random.Random, stats: Counter[str]) -> list[Record]:
    out: list[Record] = []
    families = (
        "tp-hidden-instruction",
        "tp-exfil-params",
        "tp-concealment",
        "tp-preference-manipulation",
        "tp-function-overlap",
        "tp-tool-shadowing",
        "tp-cross-server-reference",
    )
    for family in families:
        for i in range(PER_FAMILY):
            message, source = _attack(rng, family, i)
            source["kind"] = "attack"
            out.append(
                record(
                    f"exam/def/{family}/{i:03d}",
                    "attack",
                    CATEGORY,
                    "tool-definition",
                    message,
                    "tools/list",
                    source,
                    family,
                )
            )
    n = 0
    for lang in translations.LANGS:
        for k in range(len(translations.TP_FAMILIES)):
            for _ in range(2):
                message, source, family = _multilingual(rng, lang, k, n)
                source["kind"] = "attack"
                out.append(
                    record(
                        f"exam/def/{family}/lang-{lang}-{n:03d}",
                        "attack",
                        CATEGORY,
                        "tool-definition",
                        message,
                        "tools/list",
                        source,
                        family,
                    )
                )
                n += 1
    for i in range(BENIGN_LISTINGS):
        server = rng.choice(sorted(SERVERS))
        listing = _listing(rng, server)
        context_servers, context = _context(rng, server)
        source = _source(server, context_servers, context, kind="carrier")
        out.append(
            record(
                f"exam/def/benign/{i:03d}",
                "benign",
                None,
                "tool-definition",
                _message(listing, i),
                "tools/list",
                source,
                None,
            )
        )
    for i in range(HARD_NEGATIVE_LISTINGS):
        server = rng.choice(sorted(SERVERS))
        listing = _listing(rng, server)
        context_servers, context = _context(rng, server)
        if i % 2 == 0:
            lookalike, extra_tool = hard_negatives.DEFINITION_TOOLS[(i // 2) % len(hard_negatives.DEFINITION_TOOLS)]
            listing.insert(rng.randrange(len(listing) + 1), copy.deepcopy(extra_tool))
            name = extra_tool["name"]
        else:
            lookalike, sentence = hard_negatives.DEFINITION_SENTENCES[
                (i // 2) % len(hard_negatives.DEFINITION_SENTENCES)
            ]
            target = rng.choice(listing)
            own = [t for t in _names(listing) if t != target["name"]] or [target["name"]]
            _insert(rng, target, sentence.format(own=rng.choice(own)), rng.choice(("append", "param")))
            name = target["name"]
        transform = "typo" if rng.random() < 0.1 else None
        if transform:
            for t in listing:
                t["description"] = apply("typo", t["description"], rng)
        source = _source(server, context_servers, context, kind="hard-negative", lookalike=lookalike, tool=name)
        if transform:
            source["transform"] = transform
        out.append(
            record(
                f"exam/def/hard-negative/{i:03d}",
                "benign",
                None,
                "tool-definition",
                _message(listing, i),
                "tools/list",
                source,
                None,
            )
        )
    return out

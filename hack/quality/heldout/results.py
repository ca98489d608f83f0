"""Injected and benign tool results, resource contents and prompt messages.

Attack = a framing (framings.py, languages.py) completed with a goal (goals.py), optionally
transformed (transforms.py), placed inside a carrier (carriers.py). Benign = the same carriers
with nothing in them, or with a hard-negative passage (negatives.py) where an injection would go.
"""

from __future__ import annotations

import json
import random
from typing import Any

from gm_corpora.messages import Location

from heldout import carriers, framings, goals, languages, negatives, transforms
from heldout.out import Out
from heldout.people import person

# How many samples of each kind per family (each drawn from the seeds' cross product).
BASE_PER_FAMILY = 150
TYPO_PER_FAMILY = 20
LANG_PER_FRAMING = 4
"""Per language, per framing that language has."""
ENCODED_PER_FRAMING = 6
"""Per encoding, per English framing."""
BENIGN_PER_CARRIER = 16
HARD_NEGATIVES_PER_CARRIER = 14

_LEADS = ("Found 1 {}:", "Here is the {} you asked for.", "OK. Retrieved {} (1 item).", "Result ({}):")
_ASSISTANTS = ("Claude", "assistant", "AI", "ChatGPT", "Copilot", "agent", "AI assistant", "Gemini")
_RESOURCE_URIS = {
    "readme": "file:///workspace/README.md",
    "code": "file:///workspace/src/main.py",
    "wiki": "notion://page/onboarding",
    "log": "file:///var/log/app/app.log",
    "invoice": "file:///home/user/Downloads/invoice.pdf",
    "email": "mail://inbox/latest",
}


def _location(rng: random.Random, carrier: str) -> Location:
    roll = rng.random()
    if carrier in _RESOURCE_URIS and roll < 0.2:
        return "resource"
    if roll > 0.9:
        return "prompt"
    return "result"


def _message(location: Location, text: str, carrier: str, rng: random.Random) -> dict[str, Any]:
    id_ = rng.randrange(1, 500)
    if location == "resource":
        uri = _RESOURCE_URIS.get(carrier, "file:///workspace/notes.txt")
        mime = "text/markdown" if uri.endswith(".md") else "text/plain"
        return {"jsonrpc": "2.0", "id": id_, "result": {"contents": [{"uri": uri, "mimeType": mime, "text": text}]}}
    if location == "prompt":
        intro = rng.choice(("Summarise the following document for me:\n\n", "Review this and list action items:\n\n",
                            "Here is the context for the task:\n\n"))  # fmt: skip
        messages = [{"role": "user", "content": {"type": "text", "text": intro + text}}]
        return {"jsonrpc": "2.0", "id": id_, "result": {"description": f"{carrier} review", "messages": messages}}
    content: list[dict[str, Any]] = [{"type": "text", "text": text}]
    result: dict[str, Any] = {"content": content, "isError": False}
    roll = rng.random()
    if roll < 0.1:
        # A short lead part before the document, as many servers answer.
        content.insert(0, {"type": "text", "text": rng.choice(_LEADS).format(carrier)})
    elif roll < 0.35 and text.startswith(("{", "[")):
        # Servers that declare an output schema send the same object as structured content.
        result["structuredContent"] = json.loads(text)
    return {"jsonrpc": "2.0", "id": id_, "result": result}


def _emit(out: Out, rng: random.Random, family: str | None, payload: str | None, source: dict[str, Any]) -> None:
    carrier = source.get("carrier") or rng.choice(sorted(carriers.CARRIERS))
    tool, text = carriers.CARRIERS[carrier](rng, payload)
    location = _location(rng, carrier)
    method = {"result": "tools/call", "resource": "resources/read", "prompt": "prompts/get"}[location]
    src = {"carrier": carrier, "tool": tool, **source}
    out.add("attack" if family else "benign", family, location, _message(location, text, carrier, rng), src,
            method=method)  # fmt: skip


def _render(template: str, rng: random.Random) -> tuple[str, str]:
    kind, goal = goals.pick(rng)
    user = person(rng)
    text = template.format(goal=goal, Goal=goal[0].upper() + goal[1:], user=user, assistant=rng.choice(_ASSISTANTS))
    return kind, text


def _english(out: Out) -> None:
    for family, templates in framings.FRAMINGS.items():
        rng = random.Random(f"heldout:results:{family}")  # noqa: S311 - sampling, not security
        for n in range(BASE_PER_FAMILY):
            i = n % len(templates)
            kind, text = _render(templates[i], rng)
            src = {"kind": "generated", "framing": family, "seed": i, "goal": kind}
            if i:
                src["transform"] = "paraphrase"
            _emit(out, rng, family, text, src)
        for _ in range(TYPO_PER_FAMILY):
            i = rng.randrange(len(templates))
            kind, text = _render(templates[i], rng)
            src = {"kind": "generated", "framing": family, "seed": i, "goal": kind, "transform": "typo"}
            _emit(out, rng, family, transforms.typo(text, rng), src)


def _exfil_links(out: Out) -> None:
    rng = random.Random("heldout:results:pi-exfil-link")  # noqa: S311 - sampling, not security
    lead_ins = ("", "Note for the assistant: ", "IMPORTANT: ", "<!-- ", "P.S. ")
    for n in range(BASE_PER_FAMILY):
        i = n % len(framings.EXFIL_LINKS)
        lead = rng.choice(lead_ins)
        text = lead + goals.fill(framings.EXFIL_LINKS[i], rng) + (" -->" if lead == "<!-- " else "")
        src = {"kind": "generated", "framing": "pi-exfil-link", "seed": i, "goal": "exfil"}
        if i:
            src["transform"] = "paraphrase"
        _emit(out, rng, "pi-exfil-link", text, src)
    for _ in range(TYPO_PER_FAMILY):
        i = rng.randrange(len(framings.EXFIL_LINKS))
        text = transforms.typo(goals.fill(framings.EXFIL_LINKS[i], rng), rng)
        src = {"kind": "generated", "framing": "pi-exfil-link", "seed": i, "goal": "exfil", "transform": "typo"}
        _emit(out, rng, "pi-exfil-link", text, src)


def _multilingual(out: Out) -> None:
    for lang in languages.LANGS:
        rng = random.Random(f"heldout:results:lang:{lang}")  # noqa: S311 - sampling, not security
        lang_goals = languages.GOALS[lang]
        for framing, templates in languages.FRAMINGS[lang].items():
            for n in range(LANG_PER_FRAMING * len(templates)):
                i = n % len(templates)
                g = rng.randrange(len(lang_goals))
                goal = goals.fill(lang_goals[g], rng)
                text = templates[i].format(goal=goal, user=person(rng))
                src = {"kind": "generated", "framing": framing, "seed": i, "goal_index": g, "lang": lang,
                       "transform": f"lang:{lang}"}  # fmt: skip
                _emit(out, rng, "pi-multilingual", text, src)


def _encoded(out: Out) -> None:
    for name, encode in transforms.ENCODINGS.items():
        rng = random.Random(f"heldout:results:encoded:{name}")  # noqa: S311 - sampling, not security
        for framing, templates in framings.FRAMINGS.items():
            for _ in range(ENCODED_PER_FRAMING):
                i = rng.randrange(len(templates))
                kind, text = _render(templates[i], rng)
                src = {"kind": "generated", "framing": framing, "seed": i, "goal": kind, "transform": name}
                _emit(out, rng, "pi-encoded", encode(text, rng), src)


def _benign(out: Out) -> None:
    rng = random.Random("heldout:results:benign")  # noqa: S311 - sampling, not security
    for carrier in sorted(carriers.CARRIERS):
        for _ in range(BENIGN_PER_CARRIER):
            _emit(out, rng, None, None, {"kind": "carrier", "carrier": carrier})
        for _ in range(HARD_NEGATIVES_PER_CARRIER):
            group = rng.choice(sorted(negatives.PASSAGES))
            passage = rng.choice(negatives.PASSAGES[group])
            _emit(out, rng, None, passage, {"kind": "hard-negative", "carrier": carrier, "negative": group})
    for i, text in enumerate(negatives.STANDALONE):
        for location in ("result", "resource"):
            src = {"kind": "hard-negative", "carrier": "standalone", "negative": "security", "seed": i}
            method = "tools/call" if location == "result" else "resources/read"
            out.add("benign", None, location, _message(location, text, "standalone", rng), src, method=method)


def build(out: Out) -> None:
    _english(out)
    _exfil_links(out)
    _multilingual(out)
    _encoded(out)
    _benign(out)

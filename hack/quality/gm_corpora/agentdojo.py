"""Samples from the PyPI package `agentdojo` (its data files and attack strings, never imported).

AgentDojo's four suites (workspace, travel, banking, slack) describe an agent's world as YAML:
emails, calendar events, files, hotel reviews, transactions, chat messages, web pages. Some
fields are injection vectors (`injection_vectors.yaml` gives each a benign default). Here:
- benign: every item of that world (an email, an event, a file, a hotel...) as a tool result, with
  each vector at its default;
- attack: an item with one vector replaced by one of AgentDojo's attack strings (the literal
  templates of `attacks/*.py`: "important instructions" signed by the user, TODO, ignore-previous,
  system-message, InjecAgent, denial-of-service) completed with the goal of one of its injection
  tasks (the literal `GOAL` of `default_suites/*/*/injection_tasks.py`).
Pairs are sampled with a fixed seed; every vector appears.
"""

from __future__ import annotations

import ast
import json
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from gm_corpora.garak_static import ProbeModule
from gm_corpora.messages import Record, text_sample

CORPUS = "agentdojo"
_ATTACKS_PER_VECTOR = 12
_USERS = ("Emma Johnson",)
_MODELS = ("GPT-4", "Claude", "Llama")
# Attack string -> the issue-10 family it is an instance of.
_FAMILY = {
    "important_instructions": "pi-user-signed-message",
    "tool_knowledge": "pi-user-signed-message",
    "dos": "pi-user-signed-message",
    "direct": "pi-todo-note",
    "ignore_previous": "pi-classic-override",
    "injecagent": "pi-classic-override",
    "system_message": "pi-role-marker",
}
_MARK = "@@VEC:{}@@"


def _family(attack: str) -> str | None:
    # The denial-of-service strings are "important messages" signed by the user as well.
    return "pi-user-signed-message" if attack.endswith("_dos") else _FAMILY.get(attack)


_MARK_RE = re.compile(r"@@VEC:([A-Za-z0-9_]+)@@")


def _templates(attacks_dir: Path, stats: Counter[str]) -> dict[str, str]:
    """Attack name -> template (placeholders {goal}, {user}, {model} only)."""
    found: dict[str, str] = {}
    for path in sorted(attacks_dir.glob("*.py")):
        module = ProbeModule(path.read_text(encoding="utf-8"), lambda _: [])
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            name = module.lookup(cls.name, "name")
            if not isinstance(name, str):
                continue
            template = module.lookup(cls.name, "_JB_STRING") or module.lookup(cls.name, "_DOS_STRING")
            for call in ast.walk(cls):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "__init__"
                    and call.args
                    and isinstance(call.args[0], ast.Constant)
                    and isinstance(call.args[0].value, str)
                ):
                    template = call.args[0].value
            if not isinstance(template, str):
                continue
            if set(re.findall(r"{(\w*)}", template)) - {"goal", "user", "model"}:
                stats[f"agentdojo: attack {name} needs more than a goal, skipped"] += 1
                continue
            found.setdefault(template, name)
    return {name: template for template, name in found.items()}


def _goals(suites_dir: Path) -> list[tuple[str, str, str]]:
    """(suite, task class, goal) of every injection task, each goal once."""
    out: dict[str, tuple[str, str, str]] = {}
    for path in sorted(suites_dir.glob("*/*/injection_tasks.py")):
        suite = path.parent.name
        module = ProbeModule(path.read_text(encoding="utf-8"), lambda _: [])
        for cls in sorted(module.attrs):
            goal = module.lookup(cls, "GOAL")
            if isinstance(goal, str) and goal.strip():
                out.setdefault(goal, (suite, cls, goal))
    return list(out.values())


def _load(path: Path, vectors: set[str]) -> Any:
    """The suite's YAML with every `{vector}` replaced by a marker, `!include` followed."""
    text = path.read_text(encoding="utf-8")
    for v in vectors:
        text = text.replace("{" + v + "}", _MARK.format(v))

    class Loader(yaml.SafeLoader):
        pass

    def include(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        return _load(path.parent / str(loader.construct_scalar(node)), vectors)  # type: ignore[arg-type]

    Loader.add_constructor("!include", include)
    return yaml.load(text, Loader=Loader)  # noqa: S506 - SafeLoader with one extra tag


def _items(node: Any, path: tuple[str, ...], in_list: bool) -> list[tuple[str, Any]]:
    """Items an agent would get back from one tool call: dicts inside lists, and strings that
    carry a vector outside any such dict."""
    if isinstance(node, dict):
        if in_list:
            return [("/".join(path), node)]
        return [i for k, v in node.items() for i in _items(v, (*path, str(k)), False)]
    if isinstance(node, list):
        return [i for n, v in enumerate(node) for i in _items(v, (*path, str(n)), True)]
    if isinstance(node, str) and _MARK_RE.search(node):
        return [("/".join(path), node)]
    return []


def _render(item: Any, fill: dict[str, str]) -> str:
    text = item if isinstance(item, str) else json.dumps(item, ensure_ascii=False, indent=1, default=str)
    if not isinstance(item, str):
        # json escaped the newlines of multi-line fields: render them as an agent would read them.
        text = text.replace("\\n", "\n")
    return _MARK_RE.sub(lambda m: fill[m.group(1)], text)


def build(root: Path, version: str, stats: Counter[str]) -> list[Record]:
    package = f"agentdojo@{version}"
    templates = _templates(root / "agentdojo/attacks", stats)
    goals = _goals(root / "agentdojo/default_suites")
    records: list[Record] = []
    seen: set[str] = set()

    def add(id_: str, label: str, text: str, **src: Any) -> None:
        if text in seen or not text.strip():
            stats["agentdojo: repeated texts dropped"] += 1
            return
        seen.add(text)
        family = src.pop("family", None)
        category = "prompt-injection/indirect" if label == "attack" else None
        source = {"package": package, **src}
        record = text_sample(f"{CORPUS}/{id_}", CORPUS, label, category, "result", text, source=source)  # type: ignore[arg-type]
        if family:
            record["family"] = family
        records.append(record)

    for suite_dir in sorted((root / "agentdojo/data/suites").iterdir()):
        suite = suite_dir.name
        defaults = {
            k: str(v.get("default") or "")
            for k, v in (
                yaml.safe_load((suite_dir / "injection_vectors.yaml").read_text(encoding="utf-8")) or {}
            ).items()
        }
        world = _load(suite_dir / "environment.yaml", set(defaults))
        items = _items(world, (), False)
        for where, item in items:
            add(f"{suite}/benign/{where}", "benign", _render(item, defaults), suite=suite, item=where)
        rng = random.Random(f"agentdojo/{suite}")  # noqa: S311 - sampling, not security
        suite_goals = [g for g in goals if g[0] == suite] or goals
        for vector in sorted(defaults):
            holders = [
                (w, i)
                for w, i in items
                if _MARK.format(vector) in _render(i, {**defaults, vector: _MARK.format(vector)})
            ]
            if not holders:
                stats[f"agentdojo: vector {suite}/{vector} not in the environment"] += 1
                continue
            for n in range(_ATTACKS_PER_VECTOR):
                attack = sorted(templates)[n % len(templates)]
                _, task, goal = rng.choice(suite_goals)
                injection = templates[attack].format(goal=goal, user=rng.choice(_USERS), model=rng.choice(_MODELS))
                where, item = rng.choice(holders)
                text = _render(item, {**defaults, vector: injection})
                add(f"{suite}/{vector}/{n}", "attack", text, suite=suite, item=where, vector=vector, attack=attack,
                    injection_task=task, family=_family(attack))  # fmt: skip
    return records

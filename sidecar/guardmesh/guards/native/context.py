"""The contextual layer for definitions: a listing judged as a whole and against the pod's other servers.

Rules see one string at a time; these checks see a tool's whole definition (name, description and
parameters) next to the rest of its listing and to the tools other servers offer (the bundle's
`trustedServers`, and tools seen in other servers' listings). Each check names its evidence:

- `ctx.foreign-tool`: steers the use of a tool this server does not list, which another server owns;
- `ctx.model-directive`: orders aimed at the model joined to something only an attacker wants
  (secrets or files, other tools, outside addresses, keeping the user uninformed);
- `ctx.self-promotion`: advertises itself to the model (popularity, endorsements, "always choose this");
- `ctx.function-overlap`: imitates another server's tool under a new name and claims to replace it;
- `ctx.sensitive-parameter`: a parameter that asks the model for the conversation, the system prompt,
  credentials or files;
- `ctx.concealment`: keeps what it does from the user.

Pure functions over plain data; the tool-poisoning guard calls them once per definition content hash.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from guardmesh.engine import normalise

_MAX_TEXT: Final = 16384
_WORDS: Final = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_CAMEL: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SENTENCES: Final = re.compile(r"(?<=[.!?])\s+|\n+")

# Words that steer the use of a tool.
_STEER: Final = re.compile(
    r"\b(?:call|calls|calling|invoke|invoking|run|use|using|used|pass|send|forward|route|after|before|then|"
    r"also|whenever|when|first|next|instead|must|should|requires?|every)\b",
    re.IGNORECASE,
)
_MODEL: Final = re.compile(
    r"\b(?:the\s+)?(?:assistant|AI|LLM|language\s+model|model|agent|chatbot|claude|chatgpt|gpt|copilot)s?\b"
    r"|\byou\s+(?:must|should|need\s+to|have\s+to|are\s+required\s+to|also)\b"
    r"|^\W*(?:(?:first|then|also|next|once\s+you\s+have\s+the\s+result),?\s+)?(?:read|send|include|pass|forward|upload|"
    r"copy|paste|email|post|attach)\b",
    re.IGNORECASE,
)
# Control over another tool: its use is the trigger, or it is told what to do with its data.
_CONTROL: Final = re.compile(
    r"\b(?:when(?:ever)?|every|any|each|all|if)\b[^.\n]{0,60}\b(?:is|are|gets?)\s+(?:used|called|invoked|run|made)\b"
    r"|\bevery\s+(?:call|request|payment|message)\b|\b(?:must|always|also|instead\s+of\s+the\s+one)\b"
    r"|\bchanges\s+how\b|\b(?:after|before)\s+(?:using|calling|answering|reading)\b|\bthen\s+use\b"
    r"|\b(?:this\s+tool\s+)?requires\s+that\s+you\b|\bto\s+complete\s+the\s+request\b",
    re.IGNORECASE,
)
_ORDER: Final = re.compile(
    r"\b(?:must|should|shall|need\s+to|needs\s+to|have\s+to|has\s+to|required\s+to|is\s+required|are\s+required|"
    r"always|never|do\s+not|don'?t|make\s+sure|remember\s+to|mandatory|prerequisite|required\s+step|"
    r"before\s+(?:using|calling|answering|responding|returning)|once\s+you|then)\b",
    re.IGNORECASE,
)
_SENSITIVE: Final = re.compile(
    r"~/|/etc/(?:passwd|shadow)|\.ssh\b|id_rsa|\.env\b|\.aws\b|credentials?\b|api[\s_-]?keys?\b|secret|"
    r"passwords?\b|private\s+keys?|tokens?\b|environment\s+variables?|system\s+prompt|"
    r"(?:conversation|chat|message)\s+(?:history|so\s+far|log)|previous\s+messages|all\s+(?:previous|prior)\s+"
    r"messages|mcp\.json|config(?:uration)?\s+file|customer\s+database|every\s+file",
    re.IGNORECASE,
)
_OUTSIDE: Final = re.compile(
    r"https?://|\b[\w.+-]+@[\w-]+\.[\w.]+\b|\bbcc\b|\bupload|\bexfiltrat|\bproxy\b|\bwebhook\b|\baccount\s+[A-Z0-9]",
    re.IGNORECASE,
)
_CONCEAL: Final = re.compile(
    r"\b(?:do\s+not|don'?t|never|must\s+not|should\s+not|without)\s+(?:tell(?:ing)?|mention(?:ing)?|inform(?:ing)?|"
    r"reveal(?:ing)?|show(?:ing)?|notify(?:ing)?|alert(?:ing)?|let(?:ting)?)\b[^.\n]{0,40}\b(?:user|human|them)\b"
    r"|\buser\s+(?:must|should|does|need)\s*(?:not|n'?t)\s+(?:know|notice|be\s+(?:told|informed|aware))"
    r"|\b(?:secretly|covertly)\b|\b(?:silently|quietly|discreetly)\s+(?:send|forward|upload|read|copy|include|add|"
    r"exfiltrate|transmit|post|email|bcc|log|collect|record|share)|\bkeep\s+(?:this|it)\s+(?:secret|hidden|private)\b"
    r"|\bhide\s+(?:this|these|the)\b|\bso\s+(?:that\s+)?the\s+user\s+does\s*(?:not|n'?t)\s+notice",
    re.IGNORECASE,
)
# Self-promotion aimed at the model; the strong ones count twice.
_PROMOTE_STRONG: Final = re.compile(
    r"\b(?:always|only)\s+(?:choose|use|select|pick|prefer|call)\s+(?:this|me|it)\b"
    r"|\b(?:should|must)\s+(?:always\s+)?(?:prefer|choose|select|pick|use)\s+(?:this|it|me)\b"
    r"|\bprefer\s+(?:this|it)\s+(?:tool\s+)?(?:over|to)\b|\bthe\s+only\s+\w+(?:\s+\w+)?\s+tool\s+you\s+should\b"
    r"|\bother\s+[\w\s]{0,20}tools?\s+(?:are|is)\s+(?:unreliable|outdated|inferior|deprecated|unsafe|worse)"
    r"|\bignore\s+other\s+(?:servers|tools)\b|\b(?:models?|assistants?|agents?|AIs?|LLMs?)\s+(?:should|must|are\s+advised\s+to)\s+(?:always\s+)?(?:prefer|select|choose|pick|use)\b",
    re.IGNORECASE,
)
_PROMOTE: Final = re.compile(
    r"\b(?:most|highly)\s+(?:trusted|popular|reliable|accurate|recommended|secure)\b|#\s?1\b|\bnumber\s+one\b"
    r"|\bbest[\s-](?:in[\s-]class|rated)\b|\bthe\s+best\b|\b(?:certified|endorsed|verified|approved|recommended)\s+by\b"
    r"|\bused\s+by\s+(?:over\s+)?[\d,.]+\s*(?:k|m|million|thousand|billion)?\b|\baward[\s-]winning\b"
    r"|\bfortune\s+500\b|\benterprise[\s-]grade\b|\b99\.\d+\s*%|\bfar\s+(?:better|superior)\b|\bofficial\b"
    r"|\bsafest\b|\bworld[\s-]?wide\b|\bnever\s+fails\b|\bsmarter\b|\bpremium\b",
    re.IGNORECASE,
)
_REPLACES: Final = re.compile(
    r"\b(?:instead\s+of|rather\s+than|replac(?:e|es|ement\s+for)|supersed(?:e|es)|deprecated|better\s+than|"
    r"faster\s+than|improved\s+version\s+of|enhanced|outdated\s+cop(?:y|ies)|works\s+like|use\s+this\s+instead)\b",
    re.IGNORECASE,
)
_PARAM_ASK: Final = re.compile(
    r"\b(?:include|paste|copy|provide|pass|fill\s+in|read|dump|send|attach|enter|put|give|supply)\b",
    re.IGNORECASE,
)
WELL_KNOWN_TOOLS: Final = frozenset(
    {
        "send_email", "read_file", "write_file", "execute_command", "run_command", "http_request", "fetch",
        "create_issue", "slack_post_message", "post_message", "transfer_funds", "git_commit", "git_push",
        "list_channels", "query", "refund", "browser", "list_directory", "search_files", "delete_file",
    }
)  # fmt: skip
"""Tools of common MCP servers, counted as another server's when a listing does not have them itself."""


@dataclass(frozen=True, slots=True)
class ContextFinding:
    check: str
    """`ctx.foreign-tool`, `ctx.model-directive`, ..."""
    evidence: str
    """What was found, in words (never the matched text)."""
    severity: str = "high"

    def describe(self, where: str) -> str:
        return f"{self.check} at {where} (contextual layer: {self.evidence})"


@functools.lru_cache(maxsize=8192)
def name_words(name: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in _WORDS.findall(_CAMEL.sub(" ", name.replace(".", " ").replace("/", " "))))


def definition_text(item: Mapping[str, Any]) -> tuple[str, list[tuple[str, str]]]:
    """A definition's description (normalised) and its parameters as (name, normalised description)."""
    description = item.get("description")
    text = normalise(description[:_MAX_TEXT]).text if isinstance(description, str) else ""
    params: list[tuple[str, str]] = []
    schema = item.get("inputSchema") or item.get("arguments")
    props = schema.get("properties") if isinstance(schema, dict) else None
    if isinstance(props, dict):
        for pname, spec in list(props.items())[:64]:
            pdesc = spec.get("description") if isinstance(spec, dict) else None
            params.append((str(pname), normalise(pdesc[:_MAX_TEXT]).text if isinstance(pdesc, str) else ""))
    elif isinstance(schema, list):  # prompts list their arguments
        for arg in schema[:64]:
            if isinstance(arg, dict):
                pdesc = arg.get("description")
                params.append((str(arg.get("name")), normalise(pdesc).text if isinstance(pdesc, str) else ""))
    return text, params


@functools.lru_cache(maxsize=8192)
def _phrase(name: str) -> str | None:
    """` send email ` for `send_email`; None for one short word (`query`, `fetch`): too common in prose to
    count as naming a tool."""
    words = name_words(name)
    return f" {' '.join(words)} " if len(words) >= 2 or (words and len(words[0]) >= 6) else None


def _mentions(text: str, names: Iterable[str]) -> list[str]:
    """Which of `names` the text mentions (any separator or case: `send_email`, `send-email`, `sendEmail`)."""
    padded = f" {' '.join(_WORDS.findall(_CAMEL.sub(' ', text.replace('.', ' ').replace('/', ' ')))).lower()} "
    return [name for name in names if (phrase := _phrase(name)) is not None and phrase in padded]


def check_definition(
    item: Mapping[str, Any], own: frozenset[str], others: Mapping[str, str], sensitivity: str = "medium"
) -> list[ContextFinding]:
    """Contextual findings for one tool (or prompt) of a listing.

    `own`: the names this server lists; `others`: tool name -> the server that owns it (trusted servers,
    other servers seen, and well-known tools under `well-known`), never containing `own` names."""
    name = str(item.get("name") or "")
    description, params = definition_text(item)
    whole = "\n".join([description, *(f"{p}: {d}" for p, d in params)])
    out: list[ContextFinding] = []
    sentences = [s for s in _SENTENCES.split(whole) if s.strip()]

    foreign = [n for n in _mentions(whole, others) if n not in own and n != name]
    steering = [
        n
        for n in foreign
        for s in sentences
        if _mentions(s, [n]) and _STEER.search(s) and (_CONTROL.search(s) or _OUTSIDE.search(s) or _SENSITIVE.search(s))
    ]
    steering = list(dict.fromkeys(steering))
    if steering:
        owners = sorted({others[n] for n in steering})
        out.append(ContextFinding("ctx.foreign-tool", f"steers {', '.join(steering[:3])} of {', '.join(owners[:3])}"))

    conceal = bool(_CONCEAL.search(whole))
    if conceal:
        out.append(ContextFinding("ctx.concealment", "keeps an action from the user"))

    for sentence in sentences:
        if _MODEL.search(sentence) and _ORDER.search(sentence):
            risky = [
                what
                for what, pattern in (("secrets or files", _SENSITIVE), ("an outside address", _OUTSIDE))
                if pattern.search(sentence)
            ]
            if foreign and _mentions(sentence, foreign):
                risky.append("another server's tool")
            if risky:
                out.append(ContextFinding("ctx.model-directive", "orders the model to involve " + " and ".join(risky)))
                break

    strong = len(_PROMOTE_STRONG.findall(whole))
    weak = len(_PROMOTE.findall(whole))
    needed = {"low": 3, "medium": 2, "high": 1}.get(sensitivity, 2)
    if strong * 2 + weak >= needed and (strong or weak >= 2):
        out.append(ContextFinding("ctx.self-promotion", f"{strong} appeal(s) to choose it, {weak} boast(s)"))

    base = _overlaps(name, own, others)
    if base is not None and (_REPLACES.search(whole) or _PROMOTE.search(whole) or _PROMOTE_STRONG.search(whole)):
        out.append(
            ContextFinding(
                "ctx.function-overlap", f"imitates {base} ({others.get(base, 'this listing')}) and claims to replace it"
            )
        )

    for pname, pdesc in params:
        text = f"{pname.replace('_', ' ')}: {pdesc}"
        if _SENSITIVE.search(text) and (_PARAM_ASK.search(pdesc) or _MODEL.search(pdesc)):
            if re.search(r"\b(?:masked|redacted|never\s+(?:pass|include|send))\b", pdesc, re.IGNORECASE):
                continue
            out.append(
                ContextFinding(
                    "ctx.sensitive-parameter", f"parameter {pname!r} asks for secrets, files or the conversation"
                )
            )
            break
    return out


def _overlaps(name: str, own: frozenset[str], others: Mapping[str, str]) -> str | None:
    """The other server's tool this name wraps (`read_file_pro`, `better_read_file`, `read_file_v2`)."""
    words = name_words(name)
    if len(words) < 2:
        return None
    for other in others:
        if other in own or other == name:
            continue
        base = name_words(other)
        if len(base) < 2 or len(words) <= len(base):
            continue
        if words[: len(base)] == base or words[-len(base) :] == base:
            return other
    return None

"""Real MCP servers whose tool, prompt and resource definitions are benign samples.

`SERVERS` says how to start each one over stdio (capture_servers.py runs them and stores what they
list); `build` turns the stored listings into samples: one `tools/list` result per tool, one
`prompts/list` / `resources/list` / `resources/templates/list` result per entry, and the text of
prompts (`prompts/get`) and resources (`resources/read`) the server returned without arguments.
Credentials some servers insist on at start-up are placeholders: listing never uses them.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gm_corpora.messages import Location, Record, sample

CORPUS = "mcp-servers"
_PLACEHOLDER = "placeholder-not-a-credential"


@dataclass(frozen=True)
class Server:
    name: str
    package: str
    registry: Literal["npm", "pypi"]
    args: tuple[str, ...] = ()
    """Arguments after the entry point; `{tmp}` is a fresh empty directory (a git repo for git)."""
    env: dict[str, str] = field(default_factory=dict)


SERVERS = (
    Server("server-everything", "@modelcontextprotocol/server-everything", "npm", ("stdio",)),
    Server("server-filesystem", "@modelcontextprotocol/server-filesystem", "npm", ("{tmp}",)),
    Server(
        "server-memory", "@modelcontextprotocol/server-memory", "npm", env={"MEMORY_FILE_PATH": "{tmp}/memory.jsonl"}
    ),
    Server("server-sequential-thinking", "@modelcontextprotocol/server-sequential-thinking", "npm"),
    Server(
        "server-github",
        "@modelcontextprotocol/server-github",
        "npm",
        env={"GITHUB_PERSONAL_ACCESS_TOKEN": _PLACEHOLDER},
    ),
    Server(
        "server-gitlab",
        "@modelcontextprotocol/server-gitlab",
        "npm",
        env={"GITLAB_PERSONAL_ACCESS_TOKEN": _PLACEHOLDER, "GITLAB_API_URL": "https://gitlab.invalid/api/v4"},
    ),
    Server(
        "server-slack",
        "@modelcontextprotocol/server-slack",
        "npm",
        env={"SLACK_BOT_TOKEN": _PLACEHOLDER, "SLACK_TEAM_ID": "T00000000"},
    ),
    Server(
        "server-brave-search", "@modelcontextprotocol/server-brave-search", "npm", env={"BRAVE_API_KEY": _PLACEHOLDER}
    ),
    Server(
        "server-google-maps",
        "@modelcontextprotocol/server-google-maps",
        "npm",
        env={"GOOGLE_MAPS_API_KEY": _PLACEHOLDER},
    ),
    Server("mcp-server-fetch", "mcp-server-fetch", "pypi"),
    Server("mcp-server-time", "mcp-server-time", "pypi", ("--local-timezone", "UTC")),
    Server("mcp-server-git", "mcp-server-git", "pypi", ("--repository", "{tmp}")),
    Server("mcp-server-sqlite", "mcp-server-sqlite", "pypi", ("--db-path", "{tmp}/quality.db")),
)

# Listing key in a capture -> (list method, result key, location).
_LISTS: tuple[tuple[str, str, str, Location], ...] = (
    ("tools", "tools/list", "tools", "tool-definition"),
    ("prompts", "prompts/list", "prompts", "prompt"),
    ("resources", "resources/list", "resources", "resource"),
    ("resourceTemplates", "resources/templates/list", "resourceTemplates", "resource"),
)


def _entry_id(entry: dict[str, Any]) -> str:
    return str(entry.get("name") or entry.get("uri") or entry.get("uriTemplate"))


def _capture_samples(capture: dict[str, Any]) -> list[Record]:
    server = str(capture["server"])
    source = {"package": capture["package"], "server": server}
    out: list[Record] = []
    for key, method, result_key, location in _LISTS:
        for entry in capture.get(key) or []:
            message = {"jsonrpc": "2.0", "id": 1, "result": {result_key: [entry]}}
            id_ = f"mcp/{server}/{key}/{_entry_id(entry)}"
            out.append(sample(id_, CORPUS, "benign", None, location, message, method=method, source=source))
    for name, result in sorted((capture.get("promptMessages") or {}).items()):
        message = {"jsonrpc": "2.0", "id": 1, "result": result}
        out.append(sample(f"mcp/{server}/prompt/{name}", CORPUS, "benign", None, "prompt", message, source=source))
    for uri, result in sorted((capture.get("resourceContents") or {}).items()):
        message = {"jsonrpc": "2.0", "id": 1, "result": result}
        out.append(sample(f"mcp/{server}/read/{uri}", CORPUS, "benign", None, "resource", message, source=source))
    return out


def build(captures_dir: Path, stats: Counter[str]) -> list[Record]:
    """Samples from every capture in `captures_dir` (servers that failed to start have none)."""
    out: list[Record] = []
    for path in sorted(captures_dir.glob("*.json")):
        capture = json.loads(path.read_text(encoding="utf-8"))
        if capture.get("error"):
            stats[f"mcp-servers: {capture['server']} not captured"] += 1
            continue
        out.extend(_capture_samples(capture))
    return out

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
ADDED = "mcp-servers-added"
"""The servers added for issue 10: a corpus of their own until the quality floors are pinned on them
(the floors of the first thirteen servers stay comparable)."""
_PLACEHOLDER = "placeholder-not-a-credential"
# A cluster that does not answer (the discard port on loopback): enough for a client to start.
_KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: placeholder
  cluster: {server: "https://127.0.0.1:9"}
users:
- name: placeholder
  user: {token: placeholder-not-a-credential}
contexts:
- name: placeholder
  context: {cluster: placeholder, user: placeholder}
current-context: placeholder
"""


@dataclass(frozen=True)
class Server:
    name: str
    package: str
    registry: Literal["npm", "pypi"]
    args: tuple[str, ...] = ()
    """Arguments after the entry point; `{tmp}` is a fresh empty directory (a git repo for git)."""
    env: dict[str, str] = field(default_factory=dict)
    entry: str | None = None
    """A PyPI server's console script when it is not named like the package."""
    files: dict[str, str] = field(default_factory=dict)
    """Files written into `{tmp}` before the server starts (name -> content)."""


_FIRST = 13
"""The servers of `CORPUS`: the first entries of `SERVERS`."""
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
    # Issue 10: forty-odd more, from npm and PyPI. A server that needs a service to list anything
    # gets a placeholder address that does not answer (listing failures are recorded, not faked).
    Server("server-puppeteer", "@modelcontextprotocol/server-puppeteer", "npm"),
    Server(
        "server-aws-kb-retrieval",
        "@modelcontextprotocol/server-aws-kb-retrieval",
        "npm",
        env={"AWS_ACCESS_KEY_ID": _PLACEHOLDER, "AWS_SECRET_ACCESS_KEY": _PLACEHOLDER, "AWS_REGION": "us-east-1"},
    ),
    Server("server-everart", "@modelcontextprotocol/server-everart", "npm", env={"EVERART_API_KEY": _PLACEHOLDER}),
    Server(
        "server-postgres", "@modelcontextprotocol/server-postgres", "npm", ("postgresql://127.0.0.1:9/placeholder",)
    ),
    Server("playwright-mcp", "@playwright/mcp", "npm", ("--headless",)),
    Server("context7-mcp", "@upstash/context7-mcp", "npm"),
    Server("firecrawl-mcp", "firecrawl-mcp", "npm", env={"FIRECRAWL_API_KEY": "fc-" + _PLACEHOLDER}),
    Server("notion-mcp-server", "@notionhq/notion-mcp-server", "npm", env={"NOTION_TOKEN": _PLACEHOLDER}),
    Server("tavily-mcp", "tavily-mcp", "npm", env={"TAVILY_API_KEY": "tvly-" + _PLACEHOLDER}),
    Server("exa-mcp-server", "exa-mcp-server", "npm", env={"EXA_API_KEY": _PLACEHOLDER}),
    Server("supabase-mcp", "@supabase/mcp-server-supabase", "npm", ("--access-token", _PLACEHOLDER)),
    Server("sentry-mcp", "@sentry/mcp-server", "npm", ("--access-token", _PLACEHOLDER)),
    Server(
        "mcp-server-kubernetes",
        "mcp-server-kubernetes",
        "npm",
        env={"KUBECONFIG": "{tmp}/kubeconfig"},
        files={"kubeconfig": _KUBECONFIG},
    ),
    Server("stripe-mcp", "@stripe/mcp", "npm", ("--tools=all", "--api-key=sk_test_" + _PLACEHOLDER)),
    Server("hubspot-mcp", "@hubspot/mcp-server", "npm", env={"PRIVATE_APP_ACCESS_TOKEN": _PLACEHOLDER}),
    Server("mongodb-mcp-server", "mongodb-mcp-server", "npm"),
    Server("desktop-commander", "@wonderwhy-er/desktop-commander", "npm"),
    Server("playwright-mcp-server", "@executeautomation/playwright-mcp-server", "npm"),
    Server("figma-developer-mcp", "figma-developer-mcp", "npm", ("--figma-api-key=" + _PLACEHOLDER, "--stdio")),
    Server("chrome-devtools-mcp", "chrome-devtools-mcp", "npm"),
    Server("mcp-server-chart", "@antv/mcp-server-chart", "npm"),
    Server("youtube-transcript", "@kimtaeyoon83/mcp-server-youtube-transcript", "npm"),
    Server("perplexity-mcp", "@perplexity-ai/mcp-server", "npm", env={"PERPLEXITY_API_KEY": _PLACEHOLDER}),
    Server("brightdata-mcp", "@brightdata/mcp", "npm", env={"API_TOKEN": _PLACEHOLDER}),
    Server(
        "elasticsearch-mcp",
        "@elastic/mcp-server-elasticsearch",
        "npm",
        env={"ES_URL": "http://127.0.0.1:9", "ES_API_KEY": _PLACEHOLDER},
    ),
    Server("circleci-mcp", "@circleci/mcp-server-circleci", "npm", env={"CIRCLECI_TOKEN": _PLACEHOLDER}),
    Server("currents-mcp", "@currents/mcp", "npm", env={"CURRENTS_API_KEY": _PLACEHOLDER}),
    Server("pinecone-mcp", "@pinecone-database/mcp", "npm"),
    Server("mcp-server-code-runner", "mcp-server-code-runner", "npm"),
    Server("mcp-server-sentry", "mcp-server-sentry", "pypi", ("--auth-token", _PLACEHOLDER)),
    Server("duckduckgo-mcp-server", "duckduckgo-mcp-server", "pypi"),
    Server("arxiv-mcp-server", "arxiv-mcp-server", "pypi", ("--storage-path", "{tmp}/papers")),
    Server("mcp-server-calculator", "mcp-server-calculator", "pypi"),
    Server("mcp-server-motherduck", "mcp-server-motherduck", "pypi", ("--db-path", ":memory:", "--read-write")),
    Server("wikipedia-mcp", "wikipedia-mcp", "pypi"),
    Server("mcp-shell-server", "mcp-shell-server", "pypi", env={"ALLOW_COMMANDS": "ls,cat,echo"}),
    Server("excel-mcp-server", "excel-mcp-server", "pypi", ("stdio",)),
    Server(
        "mcp-neo4j-memory",
        "mcp-neo4j-memory",
        "pypi",
        env={"NEO4J_URL": "bolt://127.0.0.1:9", "NEO4J_USERNAME": "neo4j", "NEO4J_PASSWORD": _PLACEHOLDER},
    ),
    Server("mcp-obsidian", "mcp-obsidian", "pypi", env={"OBSIDIAN_API_KEY": _PLACEHOLDER}),
    Server("mcp-pandoc", "mcp-pandoc", "pypi"),
    Server(
        "mcp-clickhouse",
        "mcp-clickhouse",
        "pypi",
        env={
            "CLICKHOUSE_HOST": "127.0.0.1",
            "CLICKHOUSE_PORT": "9",
            "CLICKHOUSE_USER": "default",
            "CLICKHOUSE_PASSWORD": _PLACEHOLDER,
            "CLICKHOUSE_SECURE": "false",
        },
    ),
    Server("mcp-youtube-transcript", "mcp-youtube-transcript", "pypi"),
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


def _capture_samples(capture: dict[str, Any], corpus: str) -> list[Record]:
    server = str(capture["server"])
    source = {"package": capture["package"], "server": server, "kind": "real-server"}
    out: list[Record] = []
    for key, method, result_key, location in _LISTS:
        for entry in capture.get(key) or []:
            message = {"jsonrpc": "2.0", "id": 1, "result": {result_key: [entry]}}
            id_ = f"mcp/{server}/{key}/{_entry_id(entry)}"
            out.append(sample(id_, corpus, "benign", None, location, message, method=method, source=source))
    for name, result in sorted((capture.get("promptMessages") or {}).items()):
        message = {"jsonrpc": "2.0", "id": 1, "result": result}
        out.append(sample(f"mcp/{server}/prompt/{name}", corpus, "benign", None, "prompt", message, source=source))
    for uri, result in sorted((capture.get("resourceContents") or {}).items()):
        message = {"jsonrpc": "2.0", "id": 1, "result": result}
        out.append(sample(f"mcp/{server}/read/{uri}", corpus, "benign", None, "resource", message, source=source))
    return out


def build(captures_dir: Path, stats: Counter[str]) -> dict[str, list[Record]]:
    """Samples from every capture in `captures_dir` (servers that failed to start have none), by
    corpus: the first thirteen servers in `CORPUS`, the others in `ADDED`."""
    first = {s.name for s in SERVERS[:_FIRST]}
    out: dict[str, list[Record]] = {CORPUS: [], ADDED: []}
    for path in sorted(captures_dir.glob("*.json")):
        capture = json.loads(path.read_text(encoding="utf-8"))
        if capture.get("error"):
            stats[f"mcp-servers: {capture['server']} not captured"] += 1
            continue
        corpus = CORPUS if capture["server"] in first else ADDED
        out[corpus].extend(_capture_samples(capture, corpus))
    return out

"""Real MCP servers of the final exam (`mcp-servers-exam`): none of them is in gm_corpora.servers.

They are started and listed exactly like the development corpora's servers (capture_servers.capture,
over stdio with the Python SDK client) by `python -m exam.capture`; `build` turns the captures into
benign samples with gm_corpora.servers' own message shapes. Credentials are placeholders that listing
never uses; a server that needs its service to list anything gets an address that does not answer,
and its failure is recorded, never faked.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from gm_corpora.messages import Record
from gm_corpora.servers import Server
from gm_corpora.servers import _capture_samples as capture_samples

CORPUS = "mcp-servers-exam"
_PLACEHOLDER = "placeholder-not-a-credential"
_NOWHERE = "http://127.0.0.1:9"
"""The discard port on loopback: a service address that never answers."""

SERVERS = (
    # npm (hack/quality/exam/package.json)
    Server(
        "exam-git-mcp-server",
        "@cyanheads/git-mcp-server",
        "npm",
        env={"MCP_TRANSPORT_TYPE": "stdio", "MCP_LOG_LEVEL": "error", "GIT_BASE_DIR": "{tmp}"},
    ),
    Server("exam-eslint-mcp", "@eslint/mcp", "npm"),
    Server("exam-launchdarkly-mcp", "@launchdarkly/mcp-server", "npm", ("start", "--api-key", _PLACEHOLDER)),
    Server(
        "exam-line-bot-mcp",
        "@line/line-bot-mcp-server",
        "npm",
        env={"CHANNEL_ACCESS_TOKEN": _PLACEHOLDER, "DESTINATION_USER_ID": "U00000000000000000000000000000000"},
    ),
    Server("exam-mapbox-mcp", "@mapbox/mcp-server", "npm", env={"MAPBOX_ACCESS_TOKEN": "pk." + _PLACEHOLDER}),
    Server("exam-airbnb-mcp", "@openbnb/mcp-server-airbnb", "npm", ("--ignore-robots-txt",)),
    Server("exam-asana-mcp", "@roychri/mcp-server-asana", "npm", env={"ASANA_ACCESS_TOKEN": _PLACEHOLDER}),
    Server("exam-shortcut-mcp", "@shortcut/mcp", "npm", env={"SHORTCUT_API_TOKEN": _PLACEHOLDER}),
    Server(
        "exam-datadog-mcp",
        "@winor30/mcp-server-datadog",
        "npm",
        env={"DATADOG_API_KEY": _PLACEHOLDER, "DATADOG_APP_KEY": _PLACEHOLDER, "DATADOG_SITE": "datadoghq.invalid"},
    ),
    Server(
        "exam-gitlab-mcp",
        "@zereight/mcp-gitlab",
        "npm",
        env={"GITLAB_PERSONAL_ACCESS_TOKEN": _PLACEHOLDER, "GITLAB_API_URL": _NOWHERE + "/api/v4"},
    ),
    Server("exam-airtable-mcp", "airtable-mcp-server", "npm", env={"AIRTABLE_API_KEY": _PLACEHOLDER}),
    Server(
        "exam-argocd-mcp",
        "argocd-mcp",
        "npm",
        ("stdio",),
        env={"ARGOCD_BASE_URL": _NOWHERE, "ARGOCD_API_TOKEN": _PLACEHOLDER},
    ),
    Server("exam-deepwiki-mcp", "mcp-deepwiki", "npm"),
    Server("exam-searxng-mcp", "mcp-searxng", "npm", env={"SEARXNG_URL": _NOWHERE}),
    Server("exam-reddit-mcp-buddy", "reddit-mcp-buddy", "npm"),
    # PyPI (hack/quality/exam/requirements/*.txt, one venv each)
    Server(
        "exam-aws-documentation-mcp",
        "awslabs-aws-documentation-mcp-server",
        "pypi",
        env={"FASTMCP_LOG_LEVEL": "ERROR", "AWS_DOCUMENTATION_PARTITION": "aws"},
        entry="awslabs.aws-documentation-mcp-server",
    ),
    Server(
        "exam-aws-pricing-mcp",
        "awslabs-aws-pricing-mcp-server",
        "pypi",
        env={
            "FASTMCP_LOG_LEVEL": "ERROR",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": _PLACEHOLDER,
            "AWS_SECRET_ACCESS_KEY": _PLACEHOLDER,
        },
        entry="awslabs.aws-pricing-mcp-server",
    ),
    Server(
        "exam-cli-mcp-server",
        "cli-mcp-server",
        "pypi",
        # PYTHONHASHSEED: it lists the allowed commands in set order, which would change on every capture.
        env={
            "ALLOWED_DIR": "{tmp}",
            "ALLOWED_COMMANDS": "ls,cat,pwd",
            "ALLOWED_FLAGS": "-l,--help",
            "PYTHONHASHSEED": "0",
        },
    ),
    Server("exam-grafana-mcp", "mcp-grafana", "pypi", env={"GRAFANA_URL": _NOWHERE, "GRAFANA_API_KEY": _PLACEHOLDER}),
    Server("exam-scholarly-mcp", "mcp-scholarly", "pypi"),
    Server("exam-duckdb-mcp", "mcp-server-duckdb", "pypi", ("--db-path", "{tmp}/exam.duckdb")),
    Server("exam-yahoo-finance-mcp", "mcp-yahoo-finance", "pypi"),
    Server(
        "exam-mysql-mcp",
        "mysql-mcp-server",
        "pypi",
        env={
            "MYSQL_HOST": "127.0.0.1",
            "MYSQL_PORT": "9",
            "MYSQL_USER": "exam",
            "MYSQL_PASSWORD": _PLACEHOLDER,
            "MYSQL_DATABASE": "exam",
        },
        entry="mysql_mcp_server",
    ),
    Server("exam-powerpoint-mcp", "office-powerpoint-mcp-server", "pypi", entry="ppt_mcp_server"),
    Server("exam-word-mcp", "office-word-mcp-server", "pypi", entry="word_mcp_server"),
)


def build(captures_dir: Path, stats: Counter[str]) -> list[Record]:
    """Benign samples of every exam server that listed its tools (failures contribute none)."""
    out: list[Record] = []
    for path in sorted(captures_dir.glob("*.json")):
        capture: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if capture.get("error"):
            stats[f"{CORPUS}: {capture['server']} not captured"] += 1
            continue
        out.extend(capture_samples(capture, CORPUS))
    return out


def captured(captures_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(server -> package@version or error, server -> failure) for the manifest."""
    servers, failures = {}, {}
    for path in sorted(captures_dir.glob("*.json")):
        capture = json.loads(path.read_text(encoding="utf-8"))
        servers[capture["server"]] = capture["error"] or capture["package"]
        if capture["error"]:
            failures[capture["server"]] = f"{capture['package']}: {capture['error']}"
    return servers, failures

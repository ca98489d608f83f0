"""Benign text from real documentation: docstrings and READMEs of pinned Python packages and the
standard library, read with `ast` (nothing imported). Functions become tool definitions (name, first
paragraph of the docstring, parameters with their documented meaning); module and class docstrings and
package READMEs become tool results. It is ordinary technical prose, full of imperatives ("Use this
...", "Do not call ... before ..."), security words (token, password, credentials) and names of other
functions: the benign side the generated templates alone lack.
"""

from __future__ import annotations

import ast
import random
import re
from collections.abc import Iterator
from email.parser import Parser
from pathlib import Path
from typing import Any

# Packages of the project's venv (pinned by uv.lock) and standard-library modules, read in this order.
PACKAGES = (
    "aiohttp", "anyio", "attr", "click", "cryptography", "dateutil", "fsspec", "google/protobuf", "grpc",
    "httpcore2", "httpx2", "huggingface_hub", "jsonschema", "jwt", "kopf", "kubernetes/client/api",
    "markdown_it", "matplotlib", "mcp", "multidict", "mypy", "numpy", "oauthlib", "opentelemetry", "packaging",
    "pluggy", "prometheus_client", "pydantic", "pygments", "pyparsing", "requests", "referencing", "_pytest",
    "yaml", "yarl",
)  # fmt: skip
STDLIB = (
    "argparse.py", "asyncio", "base64.py", "calendar.py", "collections", "concurrent", "csv.py", "datetime.py",
    "difflib.py", "email", "ftplib.py", "getpass.py", "glob.py", "gzip.py", "hashlib.py", "hmac.py", "http",
    "imaplib.py", "json", "logging", "mailbox.py", "os.py", "pathlib.py", "pickle.py", "poplib.py", "secrets.py",
    "shutil.py", "smtplib.py", "socket.py", "sqlite3", "ssl.py", "statistics.py", "subprocess.py", "tarfile.py",
    "tempfile.py", "textwrap.py", "threading.py", "unittest", "urllib", "uuid.py", "venv", "xml", "zipfile",
)  # fmt: skip
_PARAM = re.compile(r"^\s*(?::param\s+(?:\w+\s+)?(\w+):|(\w+)\s*(?:\([^)]*\))?\s*:)\s*(.+)$")
_MAX_FILES = 4000


def _files(root: Path, names: tuple[str, ...]) -> Iterator[tuple[str, Path]]:
    for name in names:
        base = root / name
        paths = [base] if base.is_file() else sorted(base.rglob("*.py")) if base.is_dir() else []
        for path in paths[:_MAX_FILES]:
            if "/tests/" not in str(path) and "/test_" not in str(path):
                yield name.split("/")[0].removesuffix(".py"), path


def _first_paragraph(doc: str) -> str:
    return re.split(r"\n\s*\n", doc.strip(), maxsplit=1)[0].strip()


def _params(doc: str, args: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in doc.splitlines():
        m = _PARAM.match(line)
        if m:
            name = m.group(1) or m.group(2)
            if name in args and name not in found:
                found[name] = m.group(3).strip()[:200]
    return {a: found.get(a, f"The {a.replace('_', ' ')}.") for a in args}


def harvest(site: Path, stdlib: Path) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """(functions as tools, (package, prose) chunks), in a fixed order."""
    tools: list[dict[str, Any]] = []
    prose: list[tuple[str, str]] = []
    for package, path in [*_files(site, PACKAGES), *_files(stdlib, STDLIB)]:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_"):
                doc = ast.get_docstring(node)
                if not doc or len(_first_paragraph(doc)) < 30:
                    continue
                args = [a.arg for a in node.args.args if a.arg not in ("self", "cls")][:5]
                tools.append(
                    {
                        "package": package,
                        "name": node.name,
                        "description": _first_paragraph(doc)[:700],
                        "params": _params(doc, args),
                    }
                )
            elif isinstance(node, ast.Module | ast.ClassDef):
                doc = ast.get_docstring(node)
                if doc and len(doc) >= 120:
                    prose.append((package, doc[:3000]))
    return tools, prose


def readmes(site: Path) -> list[tuple[str, str]]:
    """Package descriptions (their READMEs) from the venv's METADATA files."""
    out = []
    for meta in sorted(site.glob("*.dist-info/METADATA")):
        message = Parser().parsestr(meta.read_text(encoding="utf-8", errors="replace"))
        body = message.get_payload()
        if isinstance(body, str) and len(body) > 200:
            out.append((str(message.get("Name", meta.parent.name)), body))
    return out


def chunks(rng: random.Random, text: str) -> Iterator[str]:
    """Pieces of 200-1,500 characters, cut at paragraph ends."""
    paras = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    buf = ""
    limit = rng.randrange(200, 1500)
    for p in paras:
        buf = f"{buf}\n\n{p}" if buf else p
        if len(buf) >= limit:
            yield buf[:2000]
            buf = ""
            limit = rng.randrange(200, 1500)
    if len(buf) >= 200:
        yield buf[:2000]

"""Start each real MCP server of gm_corpora.servers over stdio and store what it lists.

Run by corpora.sh with the quality tools venv (it has the `mcp` client). For every server it
writes `<out>/<server>.json`: package and version, `tools`, `prompts`, `resources`,
`resourceTemplates` (every page), the results of `prompts/get` for prompts that need no arguments
and of `resources/read` for the first few resources, or `error` when the server could not be run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
from gm_corpora.servers import SERVERS, Server
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPError
from mcp.types import METHOD_NOT_FOUND
from pydantic import BaseModel

_TIMEOUT_S = 60.0
_READS = 10
"""Resources read per server: their contents are benign resource samples; a few per server is plenty."""


def _dump(model: BaseModel) -> dict[str, Any]:
    dumped: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return dumped


def _version(server: Server, npm: Path, venvs: Path) -> tuple[list[str], str]:
    """The command that starts `server` and its installed version."""
    if server.registry == "npm":
        pkg_dir = npm / "node_modules" / server.package
        meta = json.loads((pkg_dir / "package.json").read_text(encoding="utf-8"))
        bin_ = meta["bin"] if isinstance(meta["bin"], str) else next(iter(meta["bin"].values()))
        return ["node", str(pkg_dir / bin_)], str(meta["version"])
    venv = venvs / server.package
    dist = server.package.replace("-", "_")
    infos = sorted(venv.glob(f"lib/python*/site-packages/{dist}-*.dist-info"))
    if not infos:
        raise FileNotFoundError(f"{server.package} is not installed in {venv}")
    return [str(venv / "bin" / (server.entry or server.package))], infos[0].name.removesuffix(".dist-info").split("-")[
        1
    ]


async def _pages(fetch: Callable[..., Awaitable[Any]], key: str) -> list[dict[str, Any]]:
    """Every page of a listing; none when the server does not implement it (older servers lack
    resources/templates/list although they declare resources)."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        try:
            page = await fetch(cursor=cursor)
        except MCPError as exc:
            if exc.code == METHOD_NOT_FOUND:
                return items
            raise
        items += [_dump(i) for i in getattr(page, key)]
        cursor = page.next_cursor
        if not cursor:
            return items


async def _capture(argv: list[str], env: dict[str, str], cwd: str, errlog: Any) -> dict[str, Any]:
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=env, cwd=cwd)
    out: dict[str, Any] = {}
    with anyio.fail_after(_TIMEOUT_S):
        async with Client(stdio_client(params, errlog=errlog), mode="legacy", cache=None) as client:
            await _list(client, out)
    return out


async def _list(client: Client, out: dict[str, Any]) -> None:
    """What the server lists. A listing that fails (a database server that cannot reach its
    database to list tables as resources) is recorded in `listErrors`; the others are kept."""
    caps = client.server_capabilities
    info = client.server_info
    out["serverInfo"] = _dump(info) if info else None
    errors: dict[str, str] = {}
    out["listErrors"] = errors

    async def attempt(key: str, call: Awaitable[Any], default: Any) -> Any:
        try:
            return await call
        except (MCPError, OSError, TimeoutError) as exc:
            errors[key] = _describe(exc)
            return default

    out["tools"] = await attempt("tools", _pages(client.list_tools, "tools"), []) if caps.tools else []
    out["prompts"] = await attempt("prompts", _pages(client.list_prompts, "prompts"), []) if caps.prompts else []
    out["resources"], out["resourceTemplates"] = [], []
    if caps.resources is not None:
        out["resources"] = await attempt("resources", _pages(client.list_resources, "resources"), [])
        templates = _pages(client.list_resource_templates, "resource_templates")
        out["resourceTemplates"] = await attempt("resourceTemplates", templates, [])
    out["promptMessages"] = {}
    for prompt in out["prompts"]:
        if not any(a.get("required") for a in prompt.get("arguments") or []):
            name = prompt["name"]
            got = await attempt(f"prompt:{name}", client.get_prompt(name), None)
            if got is not None:
                out["promptMessages"][name] = _dump(got)
    out["resourceContents"] = {}
    for resource in out["resources"][:_READS]:
        uri = resource["uri"]
        got = await attempt(f"read:{uri}", client.read_resource(uri), None)
        if got is None:
            continue
        result = _dump(got)
        if all("text" in c for c in result.get("contents", [])):
            out["resourceContents"][uri] = result


def _describe(exc: BaseException) -> str:
    """The innermost errors of an exception (task groups wrap the one that matters)."""
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in exc.exceptions)
    return f"{type(exc).__name__}: {exc}"


@contextlib.contextmanager
def _scratch(name: str) -> Iterator[str]:
    """An empty directory with the same path on every run: some servers print their working or
    home directory in a definition, and a random name would change the samples on every capture.
    (corpora.sh holds a lock, so no two captures share it.)"""
    path = Path(tempfile.gettempdir()) / f"gm-capture-{name}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(mode=0o700)
    try:
        yield str(path)
    finally:
        shutil.rmtree(path, ignore_errors=True)


def capture(server: Server, npm: Path, venvs: Path, log_dir: Path) -> dict[str, Any]:
    record: dict[str, Any] = {"server": server.name, "package": server.package, "error": None}
    try:
        argv, version = _version(server, npm, venvs)
    except (OSError, KeyError, ValueError) as exc:
        return record | {"error": f"not installed: {exc}"}
    record["package"] = f"{server.package}@{version}"
    with _scratch(server.name) as tmp:
        if server.name == "mcp-server-git":  # it serves one existing repository
            subprocess.run(["git", "init", "-q", tmp], check=True)
        for name, content in server.files.items():
            (Path(tmp) / name).write_text(content, encoding="utf-8")
        argv += [a.replace("{tmp}", tmp) for a in server.args]
        # HOME in the scratch directory: servers that write settings or caches there leave nothing behind.
        env = {"HOME": tmp, **{k: v.replace("{tmp}", tmp) for k, v in server.env.items()}}
        with (log_dir / f"{server.name}.log").open("w", encoding="utf-8") as errlog:
            try:
                listed = anyio.run(_capture, argv, env, tmp, errlog)
            except Exception as exc:
                return record | {"error": _describe(exc)}
    if "tools" in listed["listErrors"]:
        # A server whose tools cannot be listed without its service is not captured.
        return record | {"error": f"tools/list failed: {listed['listErrors']['tools']}"}
    return record | listed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--npm", type=Path, required=True, help="npm install dir (holds node_modules/)")
    parser.add_argument("--venvs", type=Path, required=True, help="dir of one venv per PyPI server, by package")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for server in SERVERS:
        result = capture(server, args.npm, args.venvs, args.out)
        (args.out / f"{server.name}.json").write_text(json.dumps(result, indent=1, sort_keys=True), encoding="utf-8")
        counts = ", ".join(f"{len(result.get(k) or [])} {k}" for k in ("tools", "prompts", "resources"))
        print(f"{server.name}: {result.get('error') or counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

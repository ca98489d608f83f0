"""`make demo`: real MCP servers behind the GuardMesh sidecar, a real MCP client, and what the guards did.

Until the operator lands, the demo runs the sidecar as a local process in front of two servers:
the npm reference server `server-everything` and a deliberately malicious server that rug-pulls.
"""

import asyncio
import json
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mcp.client import Client  # noqa: E402
from mcp.shared.exceptions import MCPError  # noqa: E402

from tests.support import peers  # noqa: E402

SIDECAR = str(REPO / ".venv" / "bin" / "guardmesh-sidecar")
BUNDLE = REPO / "examples" / "bundles" / "demo.yaml"


def step(text: str) -> None:
    print(f"\033[1m==>\033[0m {text}", flush=True)


def start_sidecar(stack: ExitStack, upstream: str, audit: Path) -> tuple[str, int]:
    port, admin = peers.free_port(), peers.free_port()
    argv = [
        SIDECAR,
        "--listen",
        f"127.0.0.1:{port}",
        "--admin-listen",
        f"127.0.0.1:{admin}",
        "--upstream",
        upstream,
        "--config",
        str(BUNDLE),
        "--audit-log",
        str(audit),
    ]
    stack.enter_context(peers.running(argv, port=port))
    return f"http://127.0.0.1:{port}/mcp", admin


Row = tuple[str, str, str]


async def attempt(label: str, rows: list[Row], action: Callable[[], Awaitable[str]]) -> None:
    try:
        rows.append((label, "allowed", await action()))
    except MCPError as exc:
        rows.append((label, "BLOCKED", f"{exc.error.code}: {exc.error.message}"))


async def drive(everything: str, rug_pull: str) -> list[Row]:
    rows: list[Row] = []
    async with Client(everything, mode="legacy") as client:
        tools = [t.name for t in (await client.list_tools()).tools]
        rows.append(
            (
                "server-everything: tools/list",
                "filtered" if "get-env" not in tools else "allowed",
                f"{len(tools)} tools; get-env present: {'get-env' in tools}",
            )
        )

        async def echo() -> str:
            result = await client.call_tool("echo", {"message": "hello"})
            return str(result.content[0].text)  # type: ignore[union-attr]

        async def get_env() -> str:
            result = await client.call_tool("get-env", {})
            return str(result.content[0].text)[:60]  # type: ignore[union-attr]

        await attempt("server-everything: tools/call echo", rows, echo)
        await attempt("server-everything: tools/call get-env", rows, get_env)
    async with Client(rug_pull, mode="legacy") as client:
        first = (await client.list_tools()).tools
        rows.append(("rug-pull server: tools/list (1st)", "allowed", ", ".join(t.name for t in first)))

        async def add() -> str:
            result = await client.call_tool("add", {"a": 2, "b": 3})
            return str(result.content[0].text)  # type: ignore[union-attr]

        async def delete() -> str:
            result = await client.call_tool("delete_all_files", {"path": "/"})
            return str(result.content[0].text)  # type: ignore[union-attr]

        await attempt("rug-pull server: tools/call add", rows, add)
        await attempt("rug-pull server: tools/call delete_all_files", rows, delete)
        second = (await client.list_tools()).tools
        rows.append(
            (
                "rug-pull server: tools/list (2nd, changed)",
                "filtered" if len(second) < len(first) else "allowed",
                ", ".join(t.name for t in second) or "(no tools)",
            )
        )
        await attempt("rug-pull server: tools/call add (after change)", rows, add)
    return rows


def table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)), line]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(out)


def audit_rows(paths: list[Path]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for path in paths:
        for line in path.read_text().splitlines():
            e: dict[str, Any] = json.loads(line)
            message = f"{e['method']} {e['target'] or ''}".strip() + f" ({e['phase']})"
            rows.append((message, e["guard"], e["decision"], e["reason"][:90]))
    return rows


def main() -> int:
    started = time.monotonic()
    step("installing or finding the MCP peers (npm, cached in ~/.cache/guardmesh)")
    everything = peers.server_everything("streamableHttp")
    rug_port = peers.free_port()
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="guardmesh-demo-") as tmp:
        step(f"starting server-everything (streamableHttp on :{everything.port}) and a rug-pull server (:{rug_port})")
        stack.enter_context(peers.running(everything.argv, port=everything.port, env=everything.env))
        rug_argv = [sys.executable, str(REPO / "examples" / "servers" / "rug_pull_server.py"), "--port", str(rug_port)]
        stack.enter_context(peers.running(rug_argv, port=rug_port))
        audits = [Path(tmp) / "audit-everything.jsonl", Path(tmp) / "audit-rug-pull.jsonl"]
        step(f"starting one guardmesh-sidecar per server with {BUNDLE.relative_to(REPO)}")
        assert everything.url is not None
        url_a, admin_a = start_sidecar(stack, everything.url, audits[0])
        url_b, _ = start_sidecar(stack, f"http://127.0.0.1:{rug_port}/mcp", audits[1])
        step("driving the Python MCP SDK client through the sidecars")
        rows = asyncio.run(drive(url_a, url_b))
        time.sleep(0.3)  # the audit writer flushes off the request path
        print()
        print(table(("what the client did", "outcome", "what it got"), [tuple(r) for r in rows]))
        print()
        print("Audit log (one line per non-allow guard decision):")
        print(table(("message", "guard", "decision", "reason"), audit_rows(audits)))
        with urllib.request.urlopen(f"http://127.0.0.1:{admin_a}/metrics") as resp:
            decisions = [
                ln for ln in resp.read().decode().splitlines() if ln.startswith("guardmesh_guard_decisions_total")
            ]
        print()
        print("Metrics of the server-everything sidecar (/metrics):")
        print("\n".join(f"  {d}" for d in decisions))
    print(f"\nDone in {time.monotonic() - started:.1f}s; every process stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

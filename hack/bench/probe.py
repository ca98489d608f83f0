"""The prober of hack/bench/overload.py: what a kubelet and an ordinary client see while wrk floods.

    probe.py ADMIN_URL MCP_URL PID SECONDS OUT_JSON

Every 100 ms, on a new connection each (as the kubelet probes): GET /healthz, and a small tools/call
from another client address (127.0.0.2); the sidecar's VmRSS is sampled at the same time. A tenth of
a second apart, this is no load generator: wrk makes the load.
"""

import http.client
import json
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

SMALL = json.dumps(
    {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "echo", "arguments": {"message": "hi"}}}
).encode()


def timed(url: str, method: str, body: bytes | None, source: str | None) -> tuple[float, int]:
    parts = urlsplit(url)
    started = time.perf_counter()
    try:
        conn = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=10, source_address=(source, 0) if source else None
        )
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        conn.request(method, parts.path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        status = response.status
        conn.close()
    except (TimeoutError, OSError, http.client.HTTPException):
        status = 0
    return (time.perf_counter() - started) * 1000, status


def rss_mib(pid: int) -> float:
    """The process's RSS with its children's (the sidecar's admin front): what a container limit counts."""
    total = 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    except OSError:
        return total
    return total + sum(rss_mib(int(child)) for child in children)


def main() -> None:
    admin, mcp, pid, seconds, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    health: list[tuple[float, int]] = []
    small: list[tuple[float, int]] = []
    rss: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        tick = time.monotonic()
        health.append(timed(admin + "/healthz", "GET", None, None))
        small.append(timed(mcp, "POST", SMALL, "127.0.0.2"))
        rss.append(rss_mib(pid))
        time.sleep(max(0.0, 0.1 - (time.monotonic() - tick)))
    Path(out).write_text(json.dumps({"health": health, "small": small, "rss": rss}))


if __name__ == "__main__":
    main()

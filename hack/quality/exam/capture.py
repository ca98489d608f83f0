"""List the final exam's real MCP servers (exam/servers.py) with capture_servers.capture.

Run by corpora.sh from hack/quality as `python -m exam.capture`, with the quality tools venv.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from capture_servers import capture

from exam.servers import SERVERS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--npm", type=Path, required=True, help="npm install dir of exam/package-lock.json")
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

"""`guardmesh`: tools around the sidecar — `check` judges recorded messages offline, `scan` a live server."""

import sys

USAGE = """usage: guardmesh COMMAND [ARGS...]

commands:
  check    run the guards of a bundle over JSON-RPC messages read from stdin, one decision per line
  scan     list a live MCP server's tools, prompts and resources and report what the guards find
  guard    `guard run MODULE --config FILE`: run one WebAssembly guard over messages from stdin
"""


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, end="")
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "check":
        from guardmesh.cli.check import main as check

        return check(rest)
    if command == "scan":
        from guardmesh.cli.scan import main as scan

        return scan(rest)
    if command == "guard":
        from guardmesh.cli.guard import main as guard

        return guard(rest)
    print(f"guardmesh: unknown command {command!r}\n\n{USAGE}", end="", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

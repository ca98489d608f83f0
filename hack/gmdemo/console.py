"""What the demo prints: progress lines and plain-text tables."""

import sys
import time

_START = time.monotonic()


def step(text: str) -> None:
    """One progress line, with the seconds since the demo started."""
    bold = "\033[1m==>\033[0m" if sys.stdout.isatty() else "==>"
    print(f"{bold} [{time.monotonic() - _START:5.1f}s] {text}", flush=True)


def note(text: str) -> None:
    print(f"    {text}", flush=True)


def table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """Columns padded to their widest cell; the last column is not padded."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(), line]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(out)

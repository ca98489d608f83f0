"""Turn hack/bench results (results.json) into docs/bench/latency.png and docs/benchmarks.md."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BUDGET: dict[str, float] = {
    "added_p50_ms": 0.25,
    "added_p99_ms": 0.6,
    "cpu_us_per_request": 150.0,
    "rss_mib": 60.0,
}
"""DESIGN.md "Performance budget": default guards at 1,000 req/s."""
BUDGET_SCENARIO = "rate-1000"

TARGET_LABELS = {
    "direct": "direct",
    "bare-relay": "none: bare aiohttp relay",
    "sidecar": "default guards",
    "sidecar-full": "all native guards",
}


def _runs(data: dict[str, Any]) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = data["runs"]
    return runs


def _find(data: dict[str, Any], upstream: str, scenario: str, target: str) -> dict[str, Any] | None:
    for run in _runs(data):
        if (run["upstream"], run["scenario"], run["target"]) == (upstream, scenario, target):
            return run
    return None


def _upstreams(data: dict[str, Any]) -> list[str]:
    return list(dict.fromkeys(r["upstream"] for r in _runs(data)))


def _scenarios(data: dict[str, Any]) -> list[dict[str, Any]]:
    scenarios: list[dict[str, Any]] = data["meta"]["scenarios"]
    return scenarios


def pairs(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(upstream, scenario, direct run, sidecar run) for every sidecar run that has its baseline."""
    for upstream in _upstreams(data):
        for scenario in _scenarios(data):
            direct = _find(data, upstream, scenario["name"], "direct")
            for target in ("bare-relay", "sidecar", "sidecar-full"):
                via = _find(data, upstream, scenario["name"], target)
                if direct is not None and via is not None:
                    yield upstream, scenario, direct, via


def added_ms(direct: dict[str, Any], via: dict[str, Any], pct: str) -> float:
    return float(via["latency_us"][pct] - direct["latency_us"][pct]) / 1000


def _measured(data: dict[str, Any], upstream: str, target: str) -> dict[str, float] | None:
    direct = _find(data, upstream, BUDGET_SCENARIO, "direct")
    via = _find(data, upstream, BUDGET_SCENARIO, target)
    if direct is None or via is None:
        return None
    peak = max(
        (r["sidecar"]["hwm_mib"] for r in _runs(data) if r["upstream"] == upstream and r["target"] == target),
        default=0.0,
    )
    return {
        "added_p50_ms": added_ms(direct, via, "p50"),
        "added_p99_ms": added_ms(direct, via, "p99"),
        "cpu_us_per_request": float(via["sidecar"]["cpu_us_per_request"]),
        "rss_mib": float(peak),
    }


def budget_checks(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The budget lines for the default guards at 1,000 req/s, one set per upstream, with the bare relay's
    figures beside them (None when it was not run)."""
    checks: list[dict[str, Any]] = []
    for upstream in _upstreams(data):
        measured = _measured(data, upstream, "sidecar")
        if measured is None:
            continue
        bare = _measured(data, upstream, "bare-relay")
        for key, limit in BUDGET.items():
            checks.append(
                {
                    "upstream": upstream,
                    "what": key,
                    "budget": limit,
                    "measured": measured[key],
                    "bare_relay": None if bare is None else bare[key],
                }
            )
    return checks


# --- plot -------------------------------------------------------------------------------------


def plot(data: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    upstreams = _upstreams(data)
    scenarios = _scenarios(data)
    targets = [t for t in TARGET_LABELS if any(r["target"] == t for r in _runs(data))]
    colors = {"direct": "#8c8c8c", "bare-relay": "#2ca02c", "sidecar": "#1f77b4", "sidecar-full": "#ff7f0e"}
    fig, axes = plt.subplots(
        2, len(upstreams), figsize=(6.5 * len(upstreams), 8), squeeze=False, constrained_layout=True
    )
    width = 0.8 / max(len(targets), 1)
    for col, upstream in enumerate(upstreams):
        for row, pct in enumerate(("p50", "p99")):
            ax = axes[row][col]
            for i, target in enumerate(targets):
                xs, ys = [], []
                for j, scenario in enumerate(scenarios):
                    run = _find(data, upstream, scenario["name"], target)
                    if run is not None:
                        xs.append(j + (i - (len(targets) - 1) / 2) * width)
                        ys.append(run["latency_us"][pct] / 1000)
                bars = ax.bar(xs, ys, width, label=TARGET_LABELS[target], color=colors[target])
                ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
            ax.set_xticks(range(len(scenarios)))
            ax.set_xticklabels([s["label"].replace(", ", "\n") for s in scenarios], fontsize=8)
            ax.set_yscale("log")
            plain = FuncFormatter(lambda value, _pos: f"{value:g}")
            ax.yaxis.set_major_formatter(plain)
            ax.yaxis.set_minor_formatter(FuncFormatter(lambda _value, _pos: ""))
            ax.set_ylabel(f"{pct} latency (ms, log scale)")
            ax.set_title(f"upstream {upstream}: {pct}", fontsize=10)
            ax.grid(axis="y", which="both", alpha=0.3)
            if row == 0 and col == 0:
                ax.legend(fontsize=8)
    fig.suptitle(f"GuardMesh sidecar latency vs direct ({data['meta']['date']})", fontsize=11)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- profile ----------------------------------------------------------------------------------


def _frame_parts(frame: str) -> tuple[str, str]:
    """'func (path/file.py:12)' -> ('func', 'path/file.py'); native frames name a library or C file."""
    name, _, where = frame.rpartition(" (")
    where = where.removesuffix(")")
    path, sep, line = where.rpartition(":")
    return (name or frame), (path if sep and line.lstrip("-").isdigit() else where)


_MULTIDICT_C = ("_multidict.c", "bulk_update.h", "hashtable.h", "htkeys.h", "iter.h", "views.h", "identity.h")
_AIOHTTP_C = ("_http_parser.c", "llhttp.c", "_http_writer.c", "_helpers_c.c", "_find_header.c", "api.c", "http.c")
_LIBUV_C = ("loop.c", "core.c", "stream.c", "linux.c", "tcp.c", "timer.c", "uv-common.c", "handles.c")


def _component(path: str) -> str:
    """Which part of the stack a frame belongs to, from its file (py-spy prints paths without site-packages)."""
    name = Path(path).name
    for package in ("guardmesh", "aiohttp", "asyncio", "uvloop", "multidict", "yarl", "prometheus_client", "orjson"):
        if path.startswith(f"{package}/") or f"/{package}/" in path:
            return package
    if name in _AIOHTTP_C:
        return "aiohttp"
    if name in _MULTIDICT_C:
        return "multidict"
    if name in _LIBUV_C:
        return "uvloop"
    if name == "_asynciomodule.c":
        return "asyncio"
    if name.startswith("libc.so"):
        return "libc (system calls)"
    if name.startswith("libpython") or name.endswith((".h", ".c")):
        return "CPython interpreter"
    if name.endswith(".py") or name.startswith("<"):
        return "Python standard library"
    return "other"


def summarize_profile(raw: Path) -> dict[str, Any]:
    """Self time by package and by function (innermost frame), and inclusive time of guardmesh functions."""
    own: Counter[str] = Counter()
    component: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if " (" in f and not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += count
        name, path = _frame_parts(frames[-1])
        own[f"{name} ({path})"] += count
        component[_component(path)] += count
        seen: set[str] = set()
        for frame in frames:
            fname, fpath = _frame_parts(frame)
            if _component(fpath) == "guardmesh":
                key = f"{fname} ({fpath})"
                if key not in seen:
                    seen.add(key)
                    inclusive[key] += count

    for key in [k for k, v in inclusive.items() if v >= total]:
        del inclusive[key]  # the entry point: always on the stack

    def share(counter: Counter[str], n: int) -> list[list[Any]]:
        return [[k, round(v * 100 / max(total, 1), 1)] for k, v in counter.most_common(n)]

    return {
        "samples": total,
        "self_by_package": share(component, 12),
        "self_by_function": share(own, 15),
        "inclusive_guardmesh": share(inclusive, 20),
        "raw_file": raw.name,
    }


# --- markdown ---------------------------------------------------------------------------------


def _ms(us: float) -> str:
    return f"{us / 1000:.3f}"


def _signed(ms: float) -> str:
    return f"{ms:+.3f}"


def _verdict(measured: float, limit: float) -> str:
    return "within" if measured <= limit else "**over**"


def markdown(data: dict[str, Any], plot_rel: str) -> str:
    meta = data["meta"]
    machine = meta["machine"]
    lines: list[str] = [
        "# Benchmarks",
        "",
        "<!-- Generated by hack/bench/run.py from docs/bench/results.json; edit the generator, not this page. -->",
        "",
        "The sidecar's added latency, CPU and memory, each taken beside its own direct baseline in one run of",
        "`make bench` (`hack/bench/run.py`), against the budget in DESIGN.md.",
        "",
        f"- Command: `{meta['command']}` ({meta['duration_s']:g} s per measured run after {meta['warmup_s']:g} s"
        f" of warm-up; the whole run took {meta['wall_time_s'] / 60:.1f} min)",
        f"- Date: {meta['date']}",
        f"- Machine: {machine['nproc']} CPUs, {machine['cpu_model']}, {machine['memory_gib']} GiB,"
        f" Linux {machine['kernel']}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        "",
        "## Against the budget (default guards, 1,000 req/s)",
        "",
        "| upstream | what | budget | sidecar | | bare aiohttp relay, for scale |",
        "|---|---|---|---|---|---|",
    ]
    names = {
        "added_p50_ms": ("added p50", "ms"),
        "added_p99_ms": ("added p99", "ms"),
        "cpu_us_per_request": ("sidecar CPU per request", "µs"),
        "rss_mib": ("sidecar RSS, peak over all its runs", "MiB"),
    }
    for check in budget_checks(data):
        label, unit = names[check["what"]]
        measured, bare = check["measured"], check["bare_relay"]
        fmt = "{:.3f} " + unit if unit == "ms" else "{:.1f} " + unit
        lines.append(
            f"| {check['upstream']} | {label} | ≤ {check['budget']:g} {unit} | {fmt.format(measured)}"
            f" | {_verdict(measured, check['budget'])} | {'-' if bare is None else fmt.format(bare)} |"
        )
    limit = float(meta.get("noise_limit_percent", 10))
    for upstream in _upstreams(data):
        pair = [_find(data, upstream, BUDGET_SCENARIO, t) for t in ("direct", "sidecar")]
        background = max((r["background_cpu_percent"] for r in pair if r is not None), default=0.0)
        if background > limit:
            lines += [
                "",
                f"Caution ({upstream}): other processes used up to {background:.0f}% of the CPUs during these"
                ' runs (see the background CPU and "waited for a CPU" columns); tail latency above all is'
                " inflated. Run `make bench` again on a quiet machine for budget figures.",
            ]
    lines += [
        "",
        "Added latency is the sidecar run's percentile minus the direct run's, at the same target rate.",
        "The nginx rows are the budget's measure: nginx answers in microseconds, so the difference is the",
        "proxy's. The server-everything rows show a real MCP server whose SSE replies the sidecar parses",
        "event by event; its own latency varies by milliseconds from run to run, so differences",
        "there, negative ones included, are mostly its noise. For scale, a bare aiohttp relay",
        "(`hack/bench/bare_relay.py`: read the body, forward it over a pooled keep-alive connection, send",
        "the answer back; no JSON parsing, guards, metrics or sessions) is measured the same way beside the",
        "sidecar: roughly what the simplest Python proxy on aiohttp and uvloop costs on this machine.",
        "",
        "## Results",
        "",
    ]
    labels = {u["name"]: u for u in meta.get("upstreams", [])}
    for upstream in _upstreams(data):
        title = labels[upstream]["label"] if upstream in labels else upstream
        lines += [
            f"### {title}",
            "",
            "| scenario | guards | req/s direct → sidecar | direct p50 / p99 (ms) | sidecar p50 / p99 (ms)"
            " | added p50 / p99 (ms) | sidecar CPU µs/req | sidecar waited for a CPU µs/req"
            " | sidecar RSS / peak (MiB) | upstream CPU µs/req direct → sidecar | background CPU |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for up, scenario, direct, via in pairs(data):
            if up != upstream:
                continue
            d, v, car = direct["latency_us"], via["latency_us"], via["sidecar"]
            errors = sum(direct["errors"].values()) + sum(via["errors"].values())
            rate = f"{direct['achieved_rps']:,.0f} → {via['achieved_rps']:,.0f}"
            if errors:
                rate += f" ({errors} errors)"
            lines.append(
                f"| {scenario['label']} | {TARGET_LABELS[via['target']]} | {rate}"
                f" | {_ms(d['p50'])} / {_ms(d['p99'])} | {_ms(v['p50'])} / {_ms(v['p99'])}"
                f" | {_signed(added_ms(direct, via, 'p50'))} / {_signed(added_ms(direct, via, 'p99'))}"
                f" | {car['cpu_us_per_request']:.0f} | {car.get('runqueue_wait_us_per_request', float('nan')):.0f}"
                f" | {car['rss_mib']:.1f} / {car['hwm_mib']:.1f}"
                f" | {direct['upstream_cpu_us_per_request']:.0f} → {via['upstream_cpu_us_per_request']:.0f}"
                f" | {max(direct['background_cpu_percent'], via['background_cpu_percent']):.0f}% |"
            )
        lines.append("")
    lines += [
        f"![p50 and p99 latency, direct and through the sidecar, per scenario]({plot_rel})",
        "",
        "Full percentiles (p50, p75, p90, p99, p99.9, max), error counts and per-run CPU figures are in",
        "[`bench/results.json`](bench/results.json).",
        "",
    ]
    profile = data.get("profile")
    if profile:
        lines += [
            "## Where the sidecar's CPU goes (py-spy, nginx saturation run)",
            "",
            f"{profile['samples']} samples of the default sidecar at saturation (py-spy with `--native`;"
            " idle time excluded; raw stacks in"
            f" [`bench/{profile['raw_file']}`](bench/{profile['raw_file']})). Self time by package of the"
            " innermost frame:",
            "",
            "| package | self % |",
            "|---|---|",
            *[f"| {name} | {pct} |" for name, pct in profile["self_by_package"]],
            "",
            "Top functions by self time:",
            "",
            "| function | self % |",
            "|---|---|",
            *[f"| `{name}` | {pct} |" for name, pct in profile["self_by_function"]],
            "",
            "guardmesh functions by inclusive time (their callees included):",
            "",
            "| function | inclusive % |",
            "|---|---|",
            *[f"| `{name}` | {pct} |" for name, pct in profile["inclusive_guardmesh"]],
            "",
        ]
    pin = meta.get("pinning")
    pin_text = (
        f"wrk and the upstream were pinned to CPU {pin['wrk']} and the sidecars to CPU {pin['sidecar']} with"
        " `taskset`, so the proxy never competes with the load generator, and the direct baseline keeps the"
        " same placement for wrk and the upstream."
        if pin
        else "No CPU pinning."
    )
    nice = meta.get("nice", 0)
    if nice:
        pin_text += (
            f" All of them (wrk, upstreams, relay, sidecars) ran at nice {nice}, so other processes on a"
            " shared machine rarely delay them; every target gets the same treatment."
        )
    lines += engine_section(data.get("engine"))
    lines += [
        "## How it is measured",
        "",
        "- Upstreams: nginx (one worker, `return 200` of a canned 1.7 KB tools/call result as"
        " `application/json`), and npm `@modelcontextprotocol/server-everything` in `streamableHttp` mode"
        " (stateful: each run opens its own session with `initialize` + `notifications/initialized` and"
        " one `tools/list`, through whatever wrk targets, and deletes it afterwards), calling its `echo`"
        " tool. A sidecar with the default guards (no config: `sidecar/guardmesh/config/default-bundle.yaml`)"
        " and one with every native guard (the defaults plus rate-limit, tool-access enforced with"
        " allow/deny globs, trusted servers declared; `full_bundle` in results.json) run in front of each upstream,"
        " with `--audit-log none` and no OTEL_* variables (no tracing).",
        "- Load: `wrk` with `hack/bench/post.lua`, which POSTs a JSON-RPC `tools/call` with"
        " `Content-Type: application/json` and `Accept: application/json, text/event-stream` (plus"
        " `Mcp-Session-Id` and `MCP-Protocol-Version` for server-everything, whose requests also get"
        " unique ids). For each scenario the direct run and the sidecar runs follow each other. One"
        " answer per run is checked for the expected content before and after the load; wrk itself"
        " counts HTTP errors (none unless shown).",
        "- Fixed rates: wrk has no rate option; the script's `delay()` hook hands each connection the"
        " next free send slot of a per-thread schedule (slots 1/rate apart; a slot missed is dropped, not"
        " made up). The achieved rate is shown in the req/s column. Latency is wrk's own: from writing the"
        " request to the end of the response, never including the pacing wait.",
        f"- Pinning: {pin_text}",
        "- Sidecar CPU per request: utime + stime of the sidecar process from `/proc/<pid>/stat` before"
        f" and after the run, over the requests wrk completed. Ticks are {machine['clock_ticks_per_s']}/s"
        " (10 ms), but the kernel scales them to its nanosecond run time, which agrees to within a"
        " microsecond per request (`cpu_us_per_request_schedstat` in results.json, from"
        ' `/proc/<pid>/task/*/schedstat`). "Waited for a CPU" is schedstat\'s run delay over the'
        " requests: time the sidecar was runnable while its CPU ran something else. More than a few"
        " µs/request means it shared its CPU, and its tail latency shows it. Memory: VmRSS and VmHWM from"
        " `/proc/<pid>/status` after the run.",
        "- Background CPU: CPU time of everything other than wrk, the upstream and the sidecar during"
        " the run (from `/proc/stat`), as a share of all cores; more than a few percent means the machine"
        " was shared and the figures are noisier. Before each scenario's group of runs (direct, relay,"
        f" sidecars) the harness waits up to {meta.get('quiet_wait_s', 30):g} s for the machine to fall"
        f" under {meta.get('noise_limit_percent', 10):g}%; when a run of the group still saw more, the group"
        f" was measured again (at most {meta.get('noise_retries', 2)} times) and the quietest group kept."
        " The column shows the higher value of the pair.",
        "- Profile: with `--py-spy PATH` the harness also samples the default sidecar through one extra"
        " nginx saturation run (not one of the measured runs: py-spy stops the process for each sample)."
        " py-spy is not a project dependency; `pip install py-spy` into any virtualenv.",
        "",
    ]
    return "\n".join(lines)


ENGINE_BUDGET_US = 25.0
"""DESIGN.md: the native rule engine on a 4 KB message with >= 250 rules, p50."""


def engine_section(engine: dict[str, Any] | None) -> list[str]:
    """The in-process figures of hack/bench/engine.py, taken on the sidecar's CPU in the same run."""
    if not engine:
        return []
    lines = [
        "## Detection engine and default guards, in-process",
        "",
        f"`{engine['command']}`, on the sidecar's CPU after the runs above: {engine['rules']} rules"
        f" (loaded and validated in {engine['load_ms']} ms), {engine['iterations']} iterations per figure;"
        " p50 / p99 in µs.",
        "",
        "| message | bytes | strings | extract + normalise | Hyperscan pass + RE2 confirmation | engine total"
        " | JSON parse only | default guards (parse included) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, m in engine["messages"].items():
        ext, scan = m["extract_us"], m["scan_us"]["hyperscan"]
        total = ext[0] + scan[0]
        lines.append(
            f"| {label} | {m['bytes']:,} | {m['segments']} | {ext[0]:.1f} / {ext[1]:.1f}"
            f" | {scan[0]:.1f} / {scan[1]:.1f} | {total:.1f} | {m['parse_us'][0]:.1f} / {m['parse_us'][1]:.1f}"
            f" | {m['default_guards_us'][0]:.1f} / {m['default_guards_us'][1]:.1f} |"
        )
    call = engine["messages"].get("tools/call 4 KB")
    if call is not None:
        total = call["extract_us"][0] + call["scan_us"]["hyperscan"][0]
        lines += [
            "",
            f"Against the budget: the engine on a 4 KB tools/call costs {total:.1f} µs at p50"
            f" (≤ {ENGINE_BUDGET_US:g} µs: {_verdict(total, ENGINE_BUDGET_US)}). The default guards column is"
            " what the sidecar's guards add per message besides its transport: parsing, classification and"
            " every default guard for the message's phase, which share one extraction and one engine pass.",
        ]
    return [*lines, ""]


def write_outputs(data: dict[str, Any], out: Path, doc: Path | None) -> None:
    png = out / "latency.png"
    plot(data, png)
    if doc is not None:
        doc.write_text(markdown(data, os.path.relpath(png, doc.parent)), encoding="utf-8")

"""The suite's figures as Markdown: the tables, targets and checks of RESULTS.md."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import breakdown
import secondary
from figures import OURS, OURS_ON, Figures, check_lines, num, ratio, verdict
from modes import MAIN_MODES, PEERS
from workloads import WORKLOADS

BEGIN = "<!-- benchmarks/suite.py: generated section, begin -->"
END = "<!-- benchmarks/suite.py: generated section, end -->"
PEER_TARGET, FLOOR_M_TARGET = 0.5, 1.25
COMMAND = ".venv-bench/bin/python benchmarks/suite.py"


def _peer_cell(f: Figures, w: str, m: str) -> str:
    o = f.overhead(w, m)
    if o is None:
        return "-"
    return num(o) + ("" if f.traces_every_run(w, m) else " †")


def overhead_table(f: Figures, content: str, present: set[str]) -> list[str]:
    ours = OURS if content == "off" else OURS_ON
    peers = [p for p in PEERS if f"{p} (content {content})" in present]
    head = ["workload", "none (total)", "floor", "floor M", f"ours (content {content})"]
    head += [*peers, "ours / best peer", "ours / floor M", "ours / floor"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for w, (label, _) in WORKLOADS.items():
        if f.get(w, "none") is None:
            continue
        best = f.best_peer(w, content)
        o = f.overhead(w, ours)
        cells = [label, num(f.per_invoke(w, "none")), num(f.overhead(w, "floor"))]
        cells += [num(f.overhead(w, "floor M")), f"**{num(o)}**"]
        cells += [_peer_cell(f, w, f"{p} (content {content})") for p in peers]
        cells += [
            ratio(o, best[1] if best else None) + (f" ({best[0]})" if best else ""),
            ratio(o, f.overhead(w, "floor M")),
            ratio(o, f.overhead(w, "floor")),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def targets(f: Figures) -> list[str]:
    lines = []
    for content, ours in (("off", OURS), ("on", OURS_ON)):
        peer_ok, floor_ok, rows = True, True, []
        for w, (label, _) in WORKLOADS.items():
            o, best, fm = f.overhead(w, ours), f.best_peer(w, content), f.overhead(w, "floor M")
            if o is None:
                continue
            if best:
                peer_ok &= o <= PEER_TARGET * best[1]
            if fm:
                floor_ok &= o <= FLOOR_M_TARGET * fm
            rows.append(f"{label} {ratio(o, best[1] if best else None)} / {ratio(o, fm)}")
        lines.append(
            f"- content {content}: ours <= {PEER_TARGET}x best peer: {verdict(peer_ok)}; "
            f"ours <= {FLOOR_M_TARGET}x floor M: {verdict(floor_ok)} "
            f"(ours / best peer and ours / floor M per workload: {'; '.join(rows)})"
        )
    return lines


def _room(cap: float | None, bound: float, runs: float) -> str:
    if cap is None:
        return "-"
    if cap < bound:
        return f"none: {bound - cap:,.0f} below the bound"
    return f"{(cap - bound) / runs:,.1f} per run"


def bound_lines(f: Figures) -> list[str]:
    """The least any handler recording the contract's spans and metrics pays the SDK.

    floor M records the contract's metric series the cheapest way but starts bare
    spans; the contract's span attributes cost the SDK more on top of that, whoever
    computes them (``regions:attrs``, ours minus floor M's). A target below that
    bound cannot be met through this SDK; above it, the room left is what a
    handler's own code (names, attributes, context, registry) may spend per run.
    """
    lines = [
        "| workload | floor M | SDK cost of the contract's span attributes | bound | "
        f"{FLOOR_M_TARGET}x floor M | room under it for a handler's own code | "
        f"{PEER_TARGET}x best peer | room under it | ours | ours above the bound, per run |",
        "|---|---:|---:|---:|---:|---|---:|---|---:|---:|",
    ]
    for w, (label, _) in WORKLOADS.items():
        fm, o, r = f.overhead(w, "floor M"), f.overhead(w, OURS), f.get(w, OURS)
        mine = breakdown.regions(f, w, OURS, "regions:attrs")
        theirs = breakdown.regions(f, w, "floor M", "regions:attrs")
        if fm is None or o is None or r is None or not mine or not theirs:
            continue
        attrs = sum(mine.values()) - sum(theirs.values())
        bound, runs = fm + attrs, r["runs_per_unit"] / r["invokes_per_unit"]
        best = f.best_peer(w, "off")
        floor_cap, peer_cap = FLOOR_M_TARGET * fm, PEER_TARGET * best[1] if best else None
        lines.append(
            f"| {label} | {num(fm)} | {num(attrs)} | {num(bound)} | {num(floor_cap)} | "
            f"{_room(floor_cap, bound, runs)} | {num(peer_cap)} | "
            f"{_room(peer_cap, bound, runs)} | **{num(o)}** | {(o - bound) / runs:,.1f} |"
        )
    if len(lines) == 2:
        return ["(not measured)"]
    return lines


def spans_table(f: Figures, present: list[str]) -> list[str]:
    shown = [m for m in present if m != "none"]
    head = ["workload", "runs", *shown]
    lines = [
        "| " + " | ".join(head) + " |",
        "|---|" + "---:|" * (len(head) - 1),
    ]
    for w, (label, _) in WORKLOADS.items():
        r0 = f.get(w, "none")
        if r0 is None:
            continue
        n = r0["invokes_per_unit"]
        cells = [label, f"{r0['runs_per_unit'] / n:g}"]
        for m in shown:
            r = f.get(w, m)
            cells.append("-" if r is None else f"{r['spans_per_unit'] / n:g}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def points_table(f: Figures) -> list[str]:
    shown = ["floor M", OURS]
    lines = ["| workload | mode | histogram points per invoke | series with data |"]
    lines.append("|---|---|---|---|")
    for w, (label, _) in WORKLOADS.items():
        for m in shown:
            r = f.get(w, m)
            if r is None:
                continue
            n = r["invokes_per_unit"]
            points = ", ".join(
                f"{k} {v / n:g}" for k, v in sorted(r["points_per_unit"].items()) if v
            )
            lines.append(f"| {label} | {m} | {points or '-'} | {', '.join(r['series'])} |")
    return lines


def depth_lines(f: Figures) -> list[str]:
    lines = [
        "| mode | per span, 20 lambdas in sequence (depth 1) "
        "| per span, 20 nested (depth 1-20) | nested / sequence |"
    ]
    lines.append("|---|---:|---:|---:|")
    for m in ("floor", "floor M", OURS, OURS_ON):
        per = []
        for w in ("seq20", "nested20"):
            r, o = f.get(w, m), f.overhead(w, m)
            spans = r["runs_per_unit"] / r["invokes_per_unit"] if r else 0
            per.append(o / spans if o is not None and spans else None)
        lines.append(f"| {m} | {num(per[0])} | {num(per[1])} | {ratio(per[1], per[0])} |")
    return lines


def stream_lines(f: Figures) -> list[str]:
    n20, n1 = f.per_invoke("stream20", "none"), f.per_invoke("stream1", "none")
    if n20 is None or n1 is None:
        return ["(not measured)"]
    untraced = (n20 - n1) / 19
    floor = f.overhead("stream20", "floor"), f.overhead("stream1", "floor")
    dispatch = (floor[0] - floor[1]) / 19 if None not in floor else None  # type: ignore[operator]
    lines = [
        f"Untraced: {untraced:,.1f} k-instructions per chunk (stream of 20 chunks minus "
        "stream of 1, / 19). The floor has no `on_llm_new_token` of its own, so its "
        "per-chunk cost is LangChain's: dispatching each chunk to one handler.",
        "",
        "| mode | overhead per chunk (k-instr) | % of untraced per chunk | beyond the floor "
        "(k-instr) | % of untraced | < 2% |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for m in ("floor", "floor M", OURS, OURS_ON):
        o20, o1 = f.overhead("stream20", m), f.overhead("stream1", m)
        if o20 is None or o1 is None:
            continue
        per = (o20 - o1) / 19
        beyond = per - dispatch if dispatch is not None and m != "floor" else None
        pct = 100 * per / untraced
        cells = [m, f"{per:,.1f}", f"{pct:.1f}%"]
        if beyond is None:
            cells += ["-", "-", verdict(pct < 2)]
        else:
            cells += [f"{beyond:,.1f}", f"{100 * beyond / untraced:.1f}%"]
            cells.append(
                verdict(pct < 2) + f" (beyond the floor: {verdict(beyond < 0.02 * untraced)})"
            )
        lines.append("| " + " | ".join(cells) + " |")
    hook = breakdown.regions(f, "stream20", OURS, "regions:sdk").get("hook: on_llm_new_token")
    if hook is not None:  # 21 calls: 20 chunks and LangChain's closing empty chunk
        lines += [
            "",
            f"Ours' `on_llm_new_token` alone (inclusive): {hook / 21:,.1f} k-instr per call.",
        ]
    return lines


def repeat_lines(f: Figures) -> list[str]:
    lines = ["| workload | mode | run 1 (k-instr / invoke) | run 2 | difference |"]
    lines.append("|---|---|---:|---:|---:|")
    worst = 0.0
    for w, m, tag in sorted(f.raw):
        if tag != "repeat":
            continue
        a, b = f.per_invoke(w, m), f.per_invoke(w, m, "repeat")
        if a is None or b is None:
            continue
        diff = 100 * (b - a) / a
        worst = max(worst, abs(diff))
        lines.append(f"| {WORKLOADS[w][0]} | {m} | {a:,.1f} | {b:,.1f} | {diff:+.3f}% |")
    return [f"Largest difference between two runs of the same process: {worst:.3f}%.", "", *lines]


def _present(f: Figures) -> list[str]:
    return [m for m in MAIN_MODES if any(k[1] == m for k in f.raw)]


def _command(argv: list[str]) -> str:
    """The command as run, without the options that only name local files or print."""
    shown, skip = [COMMAND], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--json", "--results", "--from-json"):
            skip = True
        elif arg != "--no-write" and not arg.startswith(
            ("--json=", "--results=", "--from-json=", "--keep")
        ):
            shown.append(f'"{arg}"' if " " in arg else arg)
    return " ".join(shown)


def _header(data: dict[str, Any]) -> list[str]:
    v, t = data["versions"], data["timings"]
    stages = ", ".join(f"{k} {s // 60} min {s % 60} s" for k, s in t.items())
    peers = ", ".join(f"{p} {v.get(pkg, '-')}" for p, (_, pkg) in PEERS.items())
    lines = [
        f"Handler code (`otel_langchain/`) at commit {data['commit']}, "
        f"{data.get('date') or date.today().isoformat()}; "
        f"CPython {v['python']}, "
        f"langchain-core {v['langchain-core']}, langgraph {v['langgraph']}, langchain "
        f"{v['langchain']}, opentelemetry-sdk {v['opentelemetry-sdk']}; peers: {peers}; "
        f"{v['valgrind']}. Command: `{_command(data['argv'])}` "
        f"(time taken: {stages}).",
    ]
    if data.get("machine"):
        m = data["machine"]
        lines.append(f"Machine: {m['nproc']} vCPUs, {m['cpu']} (instruction counts do not "
                     "depend on it; the CPU times do).")  # fmt: skip
    if data.get("skipped_modes"):
        lines.append(f"Not installed, skipped: {', '.join(data['skipped_modes'])}.")
    units = ", ".join(f"{w} {n}" for w, n in data["cg_units"].items())
    lines += [
        "",
        "Figures are callgrind instruction counts of the measured loop only (client requests "
        "around it, after the warm-up; one process per workload x mode), in thousands per "
        f"invoke; overhead = mode minus `none`. Measured units per process: {units} "
        f"(x {data['scale']:g}). Pipeline in every mode: SDK TracerProvider + "
        "SimpleSpanProcessor into a counting exporter, MeterProvider + InMemoryMetricReader, "
        "default (trace-based) exemplar filter. `floor` = run id -> span, parent from "
        "`parent_run_id`, end; `floor M` = floor plus the contract's metric series recorded "
        "the cheapest correct way (see `benchmarks/floor.py`). † = the peer does not make a "
        "span for every run of this workload (not counted as best peer).",
    ]
    return lines


def render(data: dict[str, Any]) -> str:
    """The generated section of RESULTS.md."""
    f = Figures(data)
    present = _present(f)
    bad, notes = check_lines(f, data)
    out = [BEGIN, "## Suite results (generated by `benchmarks/suite.py`)", "", *_header(data)]
    if bad:
        out += ["", "**Failed checks (the figures below are not valid):**", ""]
        out += [f"- {b}" for b in bad]
    for content in ("off", "on"):
        out += ["", f"### Overhead, content {content} (k-instructions per invoke over `none`)", ""]
        out += overhead_table(f, content, set(present))
    out += ["", "### Targets", "", *targets(f)]
    out += ["", "### The bound under the targets (content off, k-instructions per invoke)", ""]
    out += [
        "floor M's spans carry no attributes; the contract's span attributes cost the SDK "
        "more (`BoundedAttributes` at span start, `Span.set_attributes` later: ours' count "
        "minus floor M's, only those two functions wrapped). floor M plus that is the least "
        "any handler that records the contract's spans and metrics pays the SDK and "
        "LangChain, before its own code runs; a target below it cannot be met through "
        "this SDK.",
        "",
    ]
    out += bound_lines(f)
    out += ["", "### Per-span cost with depth (overhead / spans, k-instructions)", ""]
    out += depth_lines(f)
    out += ["", "### Streaming: cost per chunk", "", *stream_lines(f)]
    out += ["", "### Repeatability", "", *repeat_lines(f)]
    out += ["", "### Spans per invoke", "", *spans_table(f, present)]
    out += ["", "### Metric points per invoke (floor M and ours)", "", *points_table(f)]
    out += ["", "### CPU time, secondary (us per invoke; each process's fastest timed block; "
            "overhead = median over rounds of the paired difference to `none` of the same "
            "round, ± the median absolute deviation of those differences; a ratio whose "
            "overheads are not both above twice their deviation says `noise`)", ""]  # fmt: skip
    out += secondary.cpu_lines(f, data)
    for w in data.get("breakdown") or ("chain4", "agent"):
        label = WORKLOADS[w][0]
        out += ["", f"### Breakdown: {label}, ours (content off)", "", "By ablation:", ""]
        out += breakdown.ablation_lines(f, w)
        out += ["", "By cost region (inclusive instructions of each function, one process):", ""]
        out += breakdown.region_lines(f, w)
        out += ["", "Our functions (inclusive, every function of `otel_langchain` wrapped):", ""]
        out += breakdown.ours_function_lines(f, w)
    out += ["", "### Memory over 100k run trees", "", *secondary.memory_lines(data)]
    out += ["", "### Checks", ""]
    if not bad:
        out.append(
            "All passed: each floor, floor M and ours process exported one span per "
            "LangChain run, left no run open, recorded content only with content capture on "
            "(workloads whose input holds text), and floor M and ours recorded one "
            "operation-duration and two token-usage points per model call."
        )
    if notes:
        out += ["", "Peers, what they leave out:", "", *(f"- {n}" for n in notes)]
    out.append(END)
    return "\n".join(out) + "\n"


def write_section(path: Path, section: str) -> None:
    """Replace the generated section of ``path`` (or insert it after the title)."""
    text = path.read_text() if path.exists() else "# Results\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section.rstrip("\n") + rest.split(END, 1)[1]
    else:
        title, _, body = text.partition("\n")
        text = f"{title}\n\n{section}\n{body.lstrip(chr(10))}"
    path.write_text(text)

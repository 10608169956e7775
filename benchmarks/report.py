"""The suite's figures as Markdown: the tables, targets and checks of RESULTS.md."""

from __future__ import annotations

import statistics
from datetime import date
from pathlib import Path
from typing import Any

from modes import ABLATIONS, EXACT_SPANS, MAIN_MODES, NO_SPANS, PEERS
from workloads import WORKLOADS

BEGIN = "<!-- benchmarks/suite.py: generated section, begin -->"
END = "<!-- benchmarks/suite.py: generated section, end -->"
OURS, OURS_ON = "ours (content off)", "ours (content on)"
PEER_TARGET, FLOOR_M_TARGET = 0.5, 1.25
COMMAND = ".venv-bench/bin/python benchmarks/suite.py"


class Figures:
    """Per-invoke instruction counts (and the raw results) by (workload, mode, tag)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.raw: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.errors: list[str] = []
        for got in (data.get("cg") or {}).values():
            meta = got["job"]["meta"]
            key = (meta["workload"], meta["mode"], meta["tag"])
            if "error" in got:
                self.errors.append(f"{key}: {got['error'].strip().splitlines()[-1]}")
                continue
            self.raw[key] = got["results"][meta["workload"]]

    def get(self, w: str, m: str, tag: str = "") -> dict[str, Any] | None:
        return self.raw.get((w, m, tag))

    def per_invoke(self, w: str, m: str, tag: str = "") -> float | None:
        r = self.get(w, m, tag)
        if r is None:
            return None
        return float(r["instructions"] / r["units"] / r["invokes_per_unit"] / 1000)

    def overhead(self, w: str, m: str, tag: str = "") -> float | None:
        total, base = self.per_invoke(w, m, tag), self.per_invoke(w, "none")
        return None if total is None or base is None else total - base

    def traces_every_run(self, w: str, m: str) -> bool:
        r = self.get(w, m)
        return r is not None and r["spans_per_unit"] >= r["runs_per_unit"] > 0

    def best_peer(self, w: str, content: str) -> tuple[str, float] | None:
        found = [
            (p, o)
            for p in PEERS
            if (o := self.overhead(w, f"{p} (content {content})")) is not None
            and self.traces_every_run(w, f"{p} (content {content})")
        ]
        return min(found, key=lambda x: x[1]) if found else None


def _k(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or not b else f"{a / b:.2f}"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _peer_cell(f: Figures, w: str, m: str) -> str:
    o = f.overhead(w, m)
    if o is None:
        return "-"
    return _k(o) + ("" if f.traces_every_run(w, m) else " †")


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
        cells = [label, _k(f.per_invoke(w, "none")), _k(f.overhead(w, "floor"))]
        cells += [_k(f.overhead(w, "floor M")), f"**{_k(o)}**"]
        cells += [_peer_cell(f, w, f"{p} (content {content})") for p in peers]
        cells += [
            _ratio(o, best[1] if best else None) + (f" ({best[0]})" if best else ""),
            _ratio(o, f.overhead(w, "floor M")),
            _ratio(o, f.overhead(w, "floor")),
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
            rows.append(f"{label} {_ratio(o, best[1] if best else None)} / {_ratio(o, fm)}")
        lines.append(
            f"- content {content}: ours <= {PEER_TARGET}x best peer: {_verdict(peer_ok)}; "
            f"ours <= {FLOOR_M_TARGET}x floor M: {_verdict(floor_ok)} "
            f"(ours / best peer and ours / floor M per workload: {'; '.join(rows)})"
        )
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
        lines.append(f"| {m} | {_k(per[0])} | {_k(per[1])} | {_ratio(per[1], per[0])} |")
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
            cells += ["-", "-", _verdict(pct < 2)]
        else:
            cells += [f"{beyond:,.1f}", f"{100 * beyond / untraced:.1f}%"]
            cells.append(
                _verdict(pct < 2) + f" (beyond the floor: {_verdict(beyond < 0.02 * untraced)})"
            )
        lines.append("| " + " | ".join(cells) + " |")
    hook = _regions(f, "stream20", OURS, "regions:sdk").get("hook: on_llm_new_token")
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


def cpu_lines(f: Figures, data: dict[str, Any], present: list[str]) -> list[str]:
    runs: dict[tuple[str, str, int], float] = {}
    for got in (data.get("cpu") or {}).values():
        meta = got["job"]["meta"]
        for w, r in (got.get("results") or {}).items():
            runs[(w, meta["mode"], meta["round"])] = (
                r["cpu_ns"] / r["units"] / r["invokes_per_unit"] / 1000
            )
    if not runs:
        return ["(not measured)"]
    rounds = sorted({k[2] for k in runs})
    shown = [m for m in present if m != "none"]
    head = ["workload", "none (total)", *shown, "ours / best peer (off)", "ours / floor M"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for w, (label, _) in WORKLOADS.items():
        base = [runs.get((w, "none", r)) for r in rounds]
        if None in base:
            continue
        over = {}
        for m in shown:
            vals = [runs.get((w, m, r)) for r in rounds]
            if None not in vals:
                over[m] = statistics.median(v - b for v, b in zip(vals, base))  # type: ignore[operator]
        peers = [
            over[m]
            for p in PEERS
            if (m := f"{p} (content off)") in over and f.traces_every_run(w, m)
        ]
        cells = [label, f"{statistics.median(base):,.0f}"]  # type: ignore[type-var]
        cells += [f"{over[m]:,.0f}" if m in over else "-" for m in shown]
        cells += [
            _ratio(over.get(OURS), min(peers) if peers else None),
            _ratio(over.get(OURS), over.get("floor M")),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


# --- the breakdown ----------------------------------------------------------------------

TOP_SDK = [  # SDK calls made from our code; none of them calls another of these
    "sdk span: Tracer.start_span", "sdk span: Span.set_attributes", "sdk span: Span.set_attribute",
    "sdk span: Span.add_event", "sdk span: Span.set_status", "sdk span: Span.update_name",
    "sdk span: Span.end", "sdk metric: Histogram.record", "sdk metric: Counter.add",
]  # fmt: skip


def ablation_lines(f: Figures, w: str) -> list[str]:
    o = {m: f.overhead(w, m) for m in [*ABLATIONS, OURS]}
    if None in o.values():
        return ["(not measured)"]
    parts = [
        ("LangChain's dispatch to one inline handler", o["empty handler"], "empty handler"),
        ("our own Python (context, attributes, registry, usage, cost)",
         o["ours, no-op tracer and meter"] - o["empty handler"],
         "no-op tracer and meter - empty handler"),
        ("SDK spans (start, attributes, events, end, export)",
         o["ours, no-op meter"] - o["ours, no-op tracer and meter"],
         "no-op meter - no-op tracer and meter"),
        ("SDK metric points", o[OURS] - o["ours, no-op meter"], "ours - no-op meter"),
        ("  of which exemplars", o[OURS] - o["ours, exemplars off"], "ours - exemplars off"),
    ]  # fmt: skip
    total = o[OURS] or 1
    lines = ["| part | k-instr / invoke | share of ours | derived as |", "|---|---:|---:|---|"]
    lines += [f"| {p} | {_k(v)} | {100 * v / total:.0f}% | {how} |" for p, v, how in parts]
    lines.append(f"| **ours, overhead** | **{_k(total)}** | 100% | ours - none |")
    return lines


def _regions(f: Figures, w: str, m: str, tag: str) -> dict[str, float]:
    r = f.get(w, m, tag)
    if r is None or "regions" not in r:
        return {}
    n = r["units"] * r["invokes_per_unit"] * 1000
    return {label: v / n for label, v in r["regions"].items()}


def _per_call(f: Figures, w: str, reg: dict[str, float]) -> list[str]:
    r = f.get(w, OURS, "regions:sdk")
    if r is None:
        return []
    n = r["invokes_per_unit"]
    spans, points = r["spans_per_unit"] / n, sum(r["points_per_unit"].values()) / n
    start, end = reg.get("sdk span: Tracer.start_span", 0), reg.get("sdk span: Span.end", 0)
    record = reg.get("sdk metric: Histogram.record", 0)
    return [
        f"Per call: `Tracer.start_span` {start / spans:,.1f} k-instr per span, `Span.end` "
        f"(with the processor's export) {end / spans:,.1f} per span ({spans:g} spans per "
        f"invoke); `Histogram.record` {record / points:,.1f} per point ({points:g} histogram "
        "points per invoke).",
        "",
    ]


def region_lines(f: Figures, w: str) -> list[str]:
    reg, total = _regions(f, w, OURS, "regions:sdk"), f.overhead(w, OURS)
    if not reg or not total:
        return ["(not measured)"]
    hooks = sum(v for k, v in reg.items() if k.startswith("hook: "))
    sdk = sum(reg.get(k, 0.0) for k in TOP_SDK)
    dispatch = reg.get("langchain: handle_event", 0.0) + reg.get("langchain: ahandle_event", 0.0)
    rows = [
        ("our hooks, all `on_*` together", hooks),
        ("- SDK calls made from them (span start/methods/end, record/add)", sdk),
        ("- our own code (hooks minus those SDK calls)", hooks - sdk),
        ("LangChain `handle_event` minus our hooks (dispatch)", dispatch - hooks),
    ]
    rows += sorted(
        ((k, v) for k, v in reg.items() if not k.startswith("hook: ")), key=lambda x: -x[1]
    )
    rows += sorted(((k, v) for k, v in reg.items() if k.startswith("hook: ")), key=lambda x: -x[1])
    lines = []
    plain, wrapped = f.per_invoke(w, OURS), f.per_invoke(w, OURS, "regions:sdk")
    if plain and wrapped:
        lines += [
            f"Wrapping these {len(reg)} functions costs {wrapped - plain:,.0f} k-instr / invoke "
            f"({100 * (wrapped - plain) / total:.0f}% of the overhead; included in the counts "
            "of the regions that call them).",
            "",
        ]
    lines += _per_call(f, w, reg)
    lines += [
        "| region (inclusive) | k-instr / invoke | share of ours' overhead |",
        "|---|---:|---:|",
    ]
    lines += [f"| {k} | {v:,.1f} | {100 * v / total:.1f}% |" for k, v in rows if v >= 0.05]
    return lines


def ours_function_lines(f: Figures, w: str, top: int = 20) -> list[str]:
    off, on = _regions(f, w, OURS, "regions:ours"), _regions(f, w, OURS_ON, "regions:ours")
    if not off:
        return ["(not measured)"]
    keys = sorted(off, key=lambda k: -off[k])[:top]
    keys += [k for k in sorted(on, key=lambda k: -on[k])[:top] if k not in keys]
    keys = [k for k in keys if ".on_" not in k]
    lines = []
    for m, tag in ((OURS, "content off"), (OURS_ON, "content on")):
        plain, wrapped = f.per_invoke(w, m), f.per_invoke(w, m, "regions:ours")
        if plain and wrapped:
            share = 100 * (wrapped - plain) / (f.overhead(w, m) or 1)
            lines.append(
                f"- {tag}: wrapping every function costs {wrapped - plain:,.0f} k-instr / "
                f"invoke ({share:.0f}% of the overhead); the counts below include it for "
                "their callees"
            )
    lines += ["", "| function (inclusive) | content off | content on |", "|---|---:|---:|"]
    for k in keys:
        name = k.replace("otel_langchain.", "")
        lines.append(f"| `{name}` | {off.get(k, 0):,.1f} | {on.get(k, 0):,.1f} |")
    return lines


# --- memory, checks, the section -----------------------------------------------------


def memory_lines(data: dict[str, Any]) -> list[str]:
    mem = data.get("memory")
    if not mem:
        return ["(not measured)"]
    lines = [
        "`memory.py --probe objects`: after a warm-up block, blocks of workload items (each "
        "8 run trees: invoke, batch of 2, failing invoke, stream, abandoned stream, ainvoke, "
        "astream, abandoned astream; spans through a BatchSpanProcessor), a checkpoint after "
        "each block (after a flush and `gc.collect()`): the interpreter's allocated memory "
        "blocks, gc-tracked objects, RSS.",
        "",
        "| configuration | run trees measured | allocated blocks, first -> last checkpoint "
        "| per 1000 run trees | gc objects, first -> last | RSS KiB, first -> last "
        "| open runs at the end |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in mem["results"].items():
        a = mem["args"][name]
        trees = a["blocks"] * a["items"] * 8
        b, o, rss = (r[f"checkpoints_{k}"] for k in ("allocated_blocks", "gc_objects", "rss_kib"))
        per = (b[-1] - b[0]) / trees * 1000
        runs = "-" if r["open_runs"] is None else r["open_runs"]
        lines.append(
            f"| {name} | {trees:,} | {b[0]:,} -> {b[-1]:,} | {per:+.1f} | {o[0]:,} -> {o[-1]:,} "
            f"| {rss[0]:,} -> {rss[-1]:,} | {runs} |"
        )
    if mem.get("bound"):
        lines += ["", f"Bound on runs the app never ends (`max_open_runs=1000`): {mem['bound']}."]
    return lines


def check_lines(f: Figures, data: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Failed checks (the figures are not valid), and notes on what peers do not trace."""
    bad, notes = list(f.errors), []
    for (w, m, tag), r in sorted(f.raw.items()):
        where = f"{w} / {m}{' / ' + tag if tag else ''}"
        peer = m.partition(" (content ")[0] in PEERS
        if m in EXACT_SPANS and r["spans_per_unit"] != r["runs_per_unit"]:
            bad.append(f"{where}: {r['spans_per_unit']:g} span(s) for {r['runs_per_unit']} runs")
        if peer and r["spans_per_unit"] < r["runs_per_unit"]:
            notes.append(f"{where}: {r['spans_per_unit']:g} span(s) for {r['runs_per_unit']} runs")
        elif m not in NO_SPANS and r["spans_per_unit"] == 0:
            bad.append(f"{where}: no span exported")
        if r.get("open_runs"):
            bad.append(f"{where}: {r['open_runs']} runs left open")
        content, seen = MAIN_MODES.get(m), r.get("content_seen")
        if content is not None and seen is not None and seen != content:
            text = f"{where}: content {'recorded' if seen else 'not recorded'}"
            (notes if peer and r["spans_per_unit"] < r["runs_per_unit"] else bad).append(text)
        if m in ("floor M", OURS):
            models, pts = r["model_runs_per_unit"], r["points_per_unit"]
            duration = pts.get("gen_ai.client.operation.duration", 0)
            if duration != models or pts.get("gen_ai.client.token.usage", 0) != 2 * models:
                bad.append(f"{where}: metric points {pts} for {models} model runs")
    for got in (data.get("cpu") or {}).values():
        if "error" in got:
            bad.append(f"cpu {got['job']['meta']}: {got['error'].strip().splitlines()[-1]}")
    return bad, notes


def _present(f: Figures) -> list[str]:
    return [m for m in MAIN_MODES if any(k[1] == m for k in f.raw)]


def _command(argv: list[str]) -> str:
    """The command as run, without the options that only name local files."""
    shown, skip = [COMMAND], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--json", "--results", "--from-json"):
            skip = True
        elif not arg.startswith(("--json=", "--results=", "--from-json=", "--keep")):
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
    out += ["", "### Per-span cost with depth (overhead / spans, k-instructions)", ""]
    out += depth_lines(f)
    out += ["", "### Streaming: cost per chunk", "", *stream_lines(f)]
    out += ["", "### Repeatability", "", *repeat_lines(f)]
    out += ["", "### Spans per invoke", "", *spans_table(f, present)]
    out += ["", "### Metric points per invoke (floor M and ours)", "", *points_table(f)]
    out += ["", "### CPU time, secondary (us per invoke; overhead = median over rounds of "
            "the paired difference to `none` of the same round)", ""]  # fmt: skip
    out += cpu_lines(f, data, present)
    for w in ("chain4", "agent"):
        label = WORKLOADS[w][0]
        out += ["", f"### Breakdown: {label}, ours (content off)", "", "By ablation:", ""]
        out += ablation_lines(f, w)
        out += ["", "By cost region (inclusive instructions of each function, one process):", ""]
        out += region_lines(f, w)
        out += ["", "Our functions (inclusive, every function of `otel_langchain` wrapped):", ""]
        out += ours_function_lines(f, w)
    out += ["", "### Memory over 100k run trees", "", *memory_lines(data)]
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

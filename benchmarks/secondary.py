"""The secondary figures: CPU time (interleaved rounds) and memory over a long run."""

from __future__ import annotations

import statistics
from typing import Any

from figures import OURS, Figures, ratio
from modes import MAIN_MODES, PEERS
from workloads import WORKLOADS


def _per_invoke_us(r: dict[str, Any]) -> float:
    """A process's time per invoke: its fastest block (older results: all its units)."""
    if r.get("block_ns"):
        return float(min(r["block_ns"]) / r["units_per_block"] / r["invokes_per_unit"] / 1000)
    return float(r["cpu_ns"] / r["units"] / r["invokes_per_unit"] / 1000)


def _ratio(over: dict[str, float], spread: dict[str, float], a: str, b: str | None) -> str:
    """``a / b``, or ``noise`` when either overhead is within two deviations of zero."""
    if b is None or a not in over or b not in over:
        return "-"
    if any(over[m] <= 2 * spread[m] for m in (a, b)):
        return "noise"
    return ratio(over[a], over[b])


def cpu_lines(f: Figures, data: dict[str, Any]) -> list[str]:
    runs: dict[tuple[str, str, int], float] = {}
    for got in (data.get("cpu") or {}).values():
        meta = got["job"]["meta"]
        for w, r in (got.get("results") or {}).items():
            runs[(w, meta["mode"], meta["round"])] = _per_invoke_us(r)
    if not runs:
        return ["(not measured)"]
    rounds = sorted({k[2] for k in runs})
    timed = {k[1] for k in runs}
    shown = [m for m in MAIN_MODES if m in timed and m != "none"]
    head = ["workload", "none (total)", *shown, "ours / best peer (off)", "ours / floor M"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for w, (label, _) in WORKLOADS.items():
        base = [runs.get((w, "none", r)) for r in rounds]
        if None in base:
            continue
        over: dict[str, float] = {}
        spread: dict[str, float] = {}
        for m in shown:
            vals = [runs.get((w, m, r)) for r in rounds]
            if None not in vals:
                paired = [v - b for v, b in zip(vals, base)]  # type: ignore[operator]
                over[m] = statistics.median(paired)
                spread[m] = statistics.median(abs(d - over[m]) for d in paired)
        peers = [
            m for p in PEERS if (m := f"{p} (content off)") in over and f.traces_every_run(w, m)
        ]
        best = min(peers, key=over.__getitem__) if peers else None
        cells = [label, f"{statistics.median(base):,.0f}"]  # type: ignore[type-var]
        cells += [f"{over[m]:,.0f} ±{spread[m]:,.0f}" if m in over else "-" for m in shown]
        cells += [_ratio(over, spread, OURS, best), _ratio(over, spread, OURS, "floor M")]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


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

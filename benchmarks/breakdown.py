"""The breakdown tables: where ours' instructions go (ablations, cost regions, functions)."""

from __future__ import annotations

from figures import OURS, OURS_ON, Figures, num
from modes import ABLATIONS

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
    lines += [f"| {p} | {num(v)} | {100 * v / total:.0f}% | {how} |" for p, v, how in parts]
    lines.append(f"| **ours, overhead** | **{num(total)}** | 100% | ours - none |")
    return lines


def regions(f: Figures, w: str, m: str, tag: str) -> dict[str, float]:
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
    reg, total = regions(f, w, OURS, "regions:sdk"), f.overhead(w, OURS)
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
    off, on = regions(f, w, OURS, "regions:ours"), regions(f, w, OURS_ON, "regions:ours")
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

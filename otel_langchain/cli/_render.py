"""Terminal rendering shared by ``view`` and ``demo``: trace trees and the usage table."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from otel_langchain import _semconv as sc
from otel_langchain.cli._summary import ModelRow, Summary, is_model_span, subtree_usage
from otel_langchain.cli._trace_model import Span, SpanLink, Trace

#: (trace id, span id) -> span: where link targets are looked up.
SpanIndex = Mapping[tuple[str, str], Span]

# Events already shown another way (errors) or too chatty for a tree line.
_HIDDEN_EVENTS = frozenset({"exception", sc.EVENT_FIRST_CHUNK})
_PIPE_WIDTH = 120


def make_console(*, no_color: bool = False, file: TextIO | None = None) -> Console:
    """A console on stdout (or ``file``) honouring ``--no-color`` and ``NO_COLOR``."""
    off = no_color or bool(os.environ.get("NO_COLOR"))
    out = file or sys.stdout
    # Piped or captured output gets a width that fits the usage table on one line.
    width = None if out.isatty() or os.environ.get("COLUMNS") else _PIPE_WIDTH
    return Console(
        file=out,
        no_color=off,
        highlight=False,
        color_system=None if off else "auto",
        width=width,
    )


def format_duration(seconds: float) -> str:
    """``12.3 ms`` below a second, ``1.23 s`` above."""
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def format_cost(usd: float) -> str:
    """Dollars with enough decimals for sub-cent LLM calls."""
    return f"${usd:.4f}" if usd >= 0.01 else f"${usd:.6f}"


def format_usage(row: ModelRow) -> str:
    """``in→out tok · $cost`` (cost ``?`` when some call had no known price)."""
    if not row.calls:
        return ""
    text = f"{row.input_tokens:,}→{row.output_tokens:,} tok"
    if row.cost_unknown_calls and not row.cost_usd:
        return text + " · cost ?"
    return text + f" · {format_cost(row.cost_usd)}"


def span_index(traces: Iterable[Trace]) -> dict[tuple[str, str], Span]:
    """Every span of ``traces`` by (trace id, span id)."""
    return {(s.trace_id, s.span_id): s for t in traces for s in t.spans}


def link_target(link: SpanLink, source: Span, index: SpanIndex) -> str:
    """The linked span's name, with its trace when that is another one."""
    target = index.get((link.trace_id, link.span_id))
    where = "" if link.trace_id == source.trace_id else f" (trace {link.trace_id[:16]})"
    if target is None:
        return f"span {link.span_id[:16]}{where}, not in this file"
    return target.name + where


def links_text(span: Span, index: SpanIndex) -> str:
    """``⇠ tool_call: chat gpt-4o`` per link type, the targets of each type in order."""
    by_type: dict[str, list[str]] = {}
    for link in span.links:
        by_type.setdefault(link.link_type, []).append(link_target(link, span, index))
    return "  ".join(f"⇠ {kind}: {', '.join(names)}" for kind, names in by_type.items())


def _span_label(span: Span, index: SpanIndex) -> Text:
    label = Text()
    label.append(span.name, style="bold red" if span.is_error else "bold")
    label.append(f"  {format_duration(span.duration_s)}", style="cyan")
    if is_model_span(span):
        usage = ModelRow(model=span.model)
        usage.add(span)
        label.append(f"  {format_usage(usage)}", style="green")
    events = [e.name for e in span.events if e.name not in _HIDDEN_EVENTS]
    if events:
        label.append(f"  [{', '.join(events)}]", style="magenta")
    if span.is_error:
        label.append(f"  ✗ {span.error_text}", style="red")
    if span.links:  # after the error, which a narrow terminal must not cut off
        label.append(f"  {links_text(span, index)}", style="yellow")
    return label


def _add_children(node: Tree, span: Span, index: SpanIndex) -> None:
    for child in span.children:
        _add_children(node.add(_span_label(child, index)), child, index)


def trace_title(trace: Trace) -> Text:
    """One line for a trace: id, service, duration, span count, usage, errors."""
    usage = ModelRow(model="trace")
    for root in trace.roots:
        usage.merge(subtree_usage(root))
    errors = sum(1 for s in trace.spans if s.is_error)
    title = Text()
    title.append(f"trace {trace.trace_id[:16]}", style="bold blue")
    parts = [trace.service or "(no service.name)"]
    parts.append(format_duration((trace.end_ns - trace.start_ns) / 1e9))
    parts.append(f"{len(trace.spans)} spans")
    if usage.calls:
        parts.append(format_usage(usage))
    title.append("  " + " · ".join(parts))
    if errors:
        title.append(f" · {errors} error{'s' if errors > 1 else ''}", style="red")
    return title


def trace_tree(trace: Trace, index: SpanIndex | None = None) -> Tree:
    """The trace as a rich tree; several roots hang under the title line.

    Span links are marked on the span that carries them, naming the linked spans
    found in ``index`` (default: this trace's spans).
    """
    if index is None:
        index = span_index([trace])
    tree = Tree(trace_title(trace), guide_style="dim")
    for root in trace.roots:
        _add_children(tree.add(_span_label(root, index)), root, index)
    return tree


def summary_table(summary: Summary) -> Table:
    """Usage and cost per model, with a total row."""
    table = Table(title="Usage and cost by model", title_justify="left")
    table.add_column("model", no_wrap=True)
    for name in ("calls", "errors", "input tok", "output tok", "cached tok", "cost (USD)"):
        table.add_column(name, justify="right", no_wrap=True)
    for row in [*summary.rows, summary.total]:
        cost = format_cost(row.cost_usd)
        if row.cost_unknown_calls:
            cost += f" + {row.cost_unknown_calls} unpriced"
        table.add_row(
            row.model,
            str(row.calls),
            str(row.errors),
            f"{row.input_tokens:,}",
            f"{row.output_tokens:,}",
            f"{row.cache_read_tokens:,}",
            cost,
            style="bold" if row is summary.total else None,
            end_section=row is summary.rows[-1] if summary.rows else False,
        )
    return table


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def summary_line(summary: Summary) -> str:
    """Counts over the whole file in one line."""
    return ", ".join(
        (
            _count(summary.traces, "trace"),
            _count(summary.spans, "span"),
            _count(summary.error_spans, "error span"),
            _count(summary.metric_points, "metric point"),
        )
    )


def print_report(
    console: Console, traces: list[Trace], summary: Summary, index: SpanIndex | None = None
) -> None:
    """Print every trace tree, then the usage table and the counts line.

    Link targets are looked up in ``index`` (default: the spans of ``traces``).
    """
    if index is None:
        index = span_index(traces)
    for trace in traces:
        console.print(trace_tree(trace, index))
        console.print()
    console.print(summary_table(summary))
    console.print(summary_line(summary))

"""The self-contained HTML report: a waterfall per trace and the usage table.

The page loads nothing from the network: styles, script and data are inline,
and its Content-Security-Policy forbids fetches.
"""

from __future__ import annotations

import html
import json
import math
import re
from importlib import resources
from typing import Any

from otel_langchain import _semconv as sc
from otel_langchain.cli._render import (
    SpanIndex,
    format_cost,
    format_duration,
    format_usage,
    link_target,
    span_index,
    summary_line,
)
from otel_langchain.cli._summary import ModelRow, Summary, is_model_span, subtree_usage, summarize
from otel_langchain.cli._trace_model import Span, Trace, TraceFile

_PLACEHOLDER = re.compile(r"__(TITLE|COUNTS|USAGE|DATA)__")
_CATEGORIES = {
    sc.OP_EXECUTE_TOOL: "tool",
    sc.OP_RETRIEVAL: "retrieval",
    sc.OP_INVOKE_AGENT: "agent",
}


def _category(span: Span) -> str:
    if is_model_span(span):
        return "model"
    op = span.attributes.get(sc.GEN_AI_OPERATION_NAME)
    return _CATEGORIES.get(str(op), "chain")


def _links(span: Span, index: SpanIndex) -> list[dict[str, Any]]:
    """The span's links, each with its type and the linked span's name and trace."""
    return [
        {
            "type": link.link_type,
            "trace_id": link.trace_id,
            "span_id": link.span_id,
            "target": link_target(link, span, index),
            "same_trace": link.trace_id == span.trace_id,
            "found": (link.trace_id, link.span_id) in index,
            "attributes": link.attributes,
        }
        for link in span.links
    ]


def _span_dict(span: Span, depth: int, origin_ns: int, index: SpanIndex) -> dict[str, Any]:
    return {
        "id": span.span_id,
        "name": span.name,
        "depth": depth,
        "category": _category(span),
        "start_ms": (span.start_ns - origin_ns) / 1e6,
        "dur_ms": max(span.end_ns - span.start_ns, 0) / 1e6,
        "error": span.is_error,
        "error_text": span.error_text if span.is_error else "",
        "attributes": span.attributes,
        "events": [
            {"name": e.name, "t_ms": (e.time_ns - origin_ns) / 1e6, "attributes": e.attributes}
            for e in span.events
        ],
        "links": _links(span, index),
    }


def _flatten(trace: Trace, index: SpanIndex) -> list[dict[str, Any]]:
    """Spans in tree order (depth first), each with its depth."""
    origin = trace.start_ns
    rows: list[dict[str, Any]] = []
    stack: list[tuple[Span, int]] = [(root, 0) for root in reversed(trace.roots)]
    while stack:
        span, depth = stack.pop()
        rows.append(_span_dict(span, depth, origin, index))
        stack.extend((child, depth + 1) for child in reversed(span.children))
    return rows


def _trace_dict(trace: Trace, index: SpanIndex) -> dict[str, Any]:
    usage = ModelRow(model="trace")
    for root in trace.roots:
        usage.merge(subtree_usage(root))
    root_name = trace.roots[0].name if trace.roots else ""
    meta = [
        trace.service or "(no service.name)",
        f"trace {trace.trace_id[:16]}",
        format_duration((trace.end_ns - trace.start_ns) / 1e9),
        f"{len(trace.spans)} spans",
    ]
    if usage.calls:
        meta.append(format_usage(usage))
    return {
        "id": trace.trace_id,
        "title": root_name,
        "meta": " · ".join(meta),
        "errors": sum(1 for s in trace.spans if s.is_error),
        "duration_ms": (trace.end_ns - trace.start_ns) / 1e6,
        "spans": _flatten(trace, index),
    }


def _usage_table(summary: Summary) -> str:
    head = "".join(
        f'<th class="num">{name}</th>'
        for name in ("calls", "errors", "input tok", "output tok", "cached tok", "cost (USD)")
    )
    rows = []
    for row in [*summary.rows, summary.total]:
        cost = format_cost(row.cost_usd)
        if row.cost_unknown_calls:
            cost += f" (+{row.cost_unknown_calls} unpriced)"
        cells = [
            str(row.calls),
            str(row.errors),
            f"{row.input_tokens:,}",
            f"{row.output_tokens:,}",
            f"{row.cache_read_tokens:,}",
            cost,
        ]
        css = ' class="total"' if row is summary.total else ""
        tds = "".join(f'<td class="num">{html.escape(c)}</td>' for c in cells)
        rows.append(f"<tr{css}><td>{html.escape(row.model)}</td>{tds}</tr>")
    return f'<table class="usage"><tr><th>model</th>{head}</tr>{"".join(rows)}</table>'


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities as strings, which JSON cannot hold."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _script_json(value: object) -> str:
    """JSON safe to place inside a <script> element."""
    text = json.dumps(_finite(value), ensure_ascii=False, allow_nan=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(data: TraceFile, *, title: str) -> str:
    """The report page for ``data`` as one HTML string."""
    summary = summarize(data)
    index = span_index(data.traces)
    payload = {
        "span_count": summary.spans,
        "link_count": sum(len(span.links) for span in data.spans),
        "traces": [_trace_dict(trace, index) for trace in data.traces],
    }
    fills = {
        "TITLE": html.escape(title),
        "COUNTS": html.escape(summary_line(summary)),
        "USAGE": _usage_table(summary),
        "DATA": _script_json(payload),
    }
    template = resources.files("otel_langchain.cli").joinpath("report.html").read_text("utf-8")
    return _PLACEHOLDER.sub(lambda m: fills[m.group(1)], template)

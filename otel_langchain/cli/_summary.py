"""Usage and cost per model, summed over the model spans of a trace file."""

from __future__ import annotations

from dataclasses import dataclass

from otel_langchain import _semconv as sc
from otel_langchain.cli._trace_model import Span, TraceFile

_MODEL_OPERATIONS = frozenset({sc.OP_CHAT, sc.OP_TEXT_COMPLETION})
_MODEL_RUN_TYPES = frozenset({"llm", "chat_model"})


def _tokens(span: Span, key: str) -> int:
    """A ``gen_ai.usage.*`` count, or its ``langchain.llm.usage.*`` form (see _dedupe)."""
    return span.int_attr(key) or span.int_attr(
        sc.LANGCHAIN_USAGE_PREFIX + key.removeprefix("gen_ai.usage.")
    )


def _recorded_twice(span: Span, deduped: set[str]) -> bool:
    """A provider instrumentation's span of a model call one of our spans already has."""
    return span.parent_id in deduped and sc.LANGCHAIN_RUN_TYPE not in span.attributes


@dataclass
class ModelRow:
    """Totals for one model (or for all models, as the last row)."""

    model: str
    calls: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float = 0.0
    cost_unknown_calls: int = 0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def add(self, span: Span) -> None:
        """Add one model span's usage and cost."""
        self.calls += 1
        self.errors += int(span.is_error)
        self.input_tokens += _tokens(span, sc.GEN_AI_USAGE_INPUT_TOKENS)
        self.output_tokens += _tokens(span, sc.GEN_AI_USAGE_OUTPUT_TOKENS)
        self.cache_read_tokens += _tokens(span, sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS)
        cost = span.float_attr(sc.LANGCHAIN_COST_USD)
        if cost is None:
            self.cost_unknown_calls += 1
        else:
            self.cost_usd += cost

    def merge(self, other: ModelRow) -> None:
        """Add another row's totals to this one."""
        self.calls += other.calls
        self.errors += other.errors
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_read_tokens += other.cache_read_tokens
        self.cost_usd += other.cost_usd
        self.cost_unknown_calls += other.cost_unknown_calls


@dataclass
class Summary:
    """Per-model rows, their total, and counts over the whole file."""

    rows: list[ModelRow]
    total: ModelRow
    traces: int
    spans: int
    error_spans: int
    metric_points: int


def is_model_span(span: Span) -> bool:
    """True for chat / text-completion spans (by operation or run type)."""
    op = span.attributes.get(sc.GEN_AI_OPERATION_NAME)
    run_type = span.attributes.get(sc.LANGCHAIN_RUN_TYPE)
    return op in _MODEL_OPERATIONS or run_type in _MODEL_RUN_TYPES


def summarize(data: TraceFile) -> Summary:
    """Sum usage and cost per model over every model span in ``data``."""
    rows: dict[str, ModelRow] = {}
    spans = data.spans
    deduped = {s.span_id for s in spans if sc.LANGCHAIN_USAGE_RECORDED_BY in s.attributes}
    for span in spans:
        if is_model_span(span) and not _recorded_twice(span, deduped):
            name = span.model or "(unknown model)"
            rows.setdefault(name, ModelRow(model=name)).add(span)
    total = ModelRow(model="total")
    for row in rows.values():
        total.merge(row)
    return Summary(
        rows=sorted(rows.values(), key=lambda r: (-r.cost_usd, r.model)),
        total=total,
        traces=len(data.traces),
        spans=len(spans),
        error_spans=sum(1 for s in spans if s.is_error),
        metric_points=data.metric_points,
    )


def subtree_usage(span: Span) -> ModelRow:
    """Usage and cost of the model spans in ``span``'s subtree (itself included)."""
    row = ModelRow(model=span.name)
    stack = [span]
    while stack:
        node = stack.pop()
        if is_model_span(node):
            row.add(node)
        if sc.LANGCHAIN_USAGE_RECORDED_BY in node.attributes:  # its provider span: the same call
            stack.extend(c for c in node.children if not _recorded_twice(c, {node.span_id}))
        else:
            stack.extend(node.children)
    return row

"""``record_feedback()``: evaluation scores and user feedback on a run's trace.

Follows the GenAI evaluation conventions: a ``gen_ai.evaluation.result`` event
with ``gen_ai.evaluation.name``, ``gen_ai.evaluation.score.value``,
``gen_ai.evaluation.score.label`` and ``gen_ai.evaluation.explanation``,
parented to the span it evaluates:

- a run still open gets the event on its own span;
- a run that has ended (or a span of another process) gets a short child span
  ``evaluation {name}``, carrying the same attributes and the event. Jaeger and
  Tempo show it inside the evaluated trace, under the evaluated span; a linked
  span would be a trace of its own, one click away.

Every numeric score is also a ``langchain.feedback.score`` histogram point by
``gen_ai.evaluation.name``. Open runs are found by run id; ended ones if they
were root runs (an invocation's top run: the ``run_id`` passed in its config),
among the ``ENDED_RUNS`` (10,000) most recently ended per handler.
"""

from __future__ import annotations

import math
import threading
import weakref
from typing import Any
from uuid import UUID

from opentelemetry import metrics, trace
from opentelemetry.metrics import Histogram, MeterProvider
from opentelemetry.trace import (
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    TraceFlags,
    Tracer,
    TracerProvider,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from otel_langchain import _record as record
from otel_langchain import _semconv as sc
from otel_langchain._content import ContentPolicy, safe_str
from otel_langchain._metrics import feedback_histogram
from otel_langchain._safety import report, warn_once
from otel_langchain.runs._base import Run
from otel_langchain.runs.registry import RunRegistry
from otel_langchain.version import __version__

_W3C = TraceContextTextMapPropagator()
_MAX_NAME = 128
_MAX_LABEL = 256


class FeedbackSink:
    """Where one handler's feedback goes: its runs, tracer, content policy and histogram."""

    __slots__ = ("__weakref__", "content", "histogram", "runs", "tracer")

    def __init__(
        self,
        runs: RunRegistry | None,
        tracer: Tracer,
        content: ContentPolicy,
        histogram: Histogram,
    ) -> None:
        self.runs = runs
        self.tracer = tracer
        self.content = content
        self.histogram = histogram


_sinks: list[weakref.ref[FeedbackSink]] = []
_lock = threading.Lock()
# Sinks for explicit or global providers, made once each (instruments are made once).
_provider_sinks: dict[tuple[int, int], tuple[Any, Any, FeedbackSink]] = {}


def register(sink: FeedbackSink) -> FeedbackSink:
    """Make a handler's runs findable by ``record_feedback()`` (weakly held)."""
    with _lock:
        _sinks[:] = [ref for ref in _sinks if ref() is not None]
        _sinks.append(weakref.ref(sink))
    return sink


def _live_sinks() -> list[FeedbackSink]:
    """Registered sinks, the newest first."""
    return [s for s in (ref() for ref in reversed(_sinks)) if s is not None]


def _provider_sink(
    tracer_provider: TracerProvider | None, meter_provider: MeterProvider | None
) -> FeedbackSink:
    tp = tracer_provider if tracer_provider is not None else trace.get_tracer_provider()
    mp = meter_provider if meter_provider is not None else metrics.get_meter_provider()
    key = (id(tp), id(mp))
    with _lock:
        found = _provider_sinks.get(key)
        if found is not None and found[0] is tp and found[1] is mp:
            return found[2]
        tracer = trace.get_tracer("otel_langchain", __version__, tracer_provider=tp)
        meter = metrics.get_meter("otel_langchain.feedback", __version__, meter_provider=mp)
        content = ContentPolicy(enabled=None, redact=None, limit=None)
        sink = FeedbackSink(None, tracer, content, feedback_histogram(meter))
        if len(_provider_sinks) >= 16:  # providers are few; never grow without bound
            _provider_sinks.clear()
        _provider_sinks[key] = (tp, mp, sink)
        return sink


# -- arguments ---------------------------------------------------------------------------


def _target(target: Any) -> tuple[UUID | None, SpanContext | None]:
    """A run id, or the span context of a span of this or another process."""
    if isinstance(target, UUID):
        return target, None
    if isinstance(target, str):
        try:
            return UUID(target), None
        except ValueError:
            pass
        # Parsed by the SDK's own W3C propagator (versions, flags, all-zero ids).
        carrier = {"traceparent": target.strip().lower()}
        context = trace.get_current_span(_W3C.extract(carrier)).get_span_context()
        if not context.is_valid:
            raise ValueError(
                f"target {target!r} is neither a run id (UUID) nor a W3C traceparent "
                "('00-<32 hex trace id>-<16 hex span id>-<2 hex flags>')"
            )
    elif isinstance(target, SpanContext):
        context = target
    elif isinstance(target, Span):
        context = target.get_span_context()
    else:
        raise ValueError(
            "target must be a run id (UUID or str), a traceparent string, a SpanContext or a "
            f"Span, got {type(target).__name__}"
        )
    if not context.is_valid:
        raise ValueError(f"target {target!r} is not a valid span context")
    if context.is_remote and not context.trace_flags.sampled:
        # Rebuilt by hand from ids: the evaluated trace was recorded, so is its feedback.
        context = SpanContext(
            context.trace_id,
            context.span_id,
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED),
            trace_state=context.trace_state,
        )
    return None, context


def _score(value: Any, label: Any) -> tuple[float | None, str | None]:
    if label is not None and (not isinstance(label, str) or not label.strip()):
        raise ValueError(f"label must be a non-empty string, got {label!r}")
    if isinstance(value, str):
        if label is not None:
            raise ValueError("value is a label already; give label= only with a numeric value")
        if not value.strip():
            raise ValueError("value must be a number, a bool or a non-empty label string")
        return None, value[:_MAX_LABEL]
    if isinstance(value, bool):
        return (1.0 if value else 0.0), label
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value), label[:_MAX_LABEL] if label else label
    if value is None and label is not None:
        return None, label[:_MAX_LABEL]
    raise ValueError(f"value must be a finite number, a bool or a label string, got {value!r}")


def _attributes(
    name: str, score: float | None, label: str | None, comment: str | None, content: ContentPolicy
) -> dict[str, Any]:
    attrs: dict[str, Any] = {sc.GEN_AI_EVALUATION_NAME: name}
    if score is not None:
        attrs[sc.GEN_AI_EVALUATION_SCORE_VALUE] = score
    if label is not None:
        attrs[sc.GEN_AI_EVALUATION_SCORE_LABEL] = label
    if comment is not None and content.enabled:  # free text from a user: content
        attrs[sc.GEN_AI_EVALUATION_EXPLANATION] = content.text(comment)
    return attrs


# -- recording ---------------------------------------------------------------------------


def record_feedback(
    target: UUID | str | SpanContext | Span,
    name: str,
    value: float | bool | str | None = None,
    comment: str | None = None,
    *,
    label: str | None = None,
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
) -> bool:
    """Record an evaluation score or user feedback on a run's trace.

    Safe anywhere, async code included: it never blocks on I/O of its own and
    never raises, except ``ValueError`` for a bad argument.

    Args:
        target: The run id (``UUID`` or its string) of a run traced in this
            process: any open run, or a root run (the ``run_id`` given in an
            invocation's config) among the last 10,000 ended per handler; or, from any
            process, the evaluated span as a ``SpanContext``, a ``Span`` or a W3C
            ``traceparent`` string.
        name: What is evaluated, e.g. ``"helpfulness"`` or ``"user_thumbs"``
            (``gen_ai.evaluation.name``; keep it low-cardinality).
        value: A number (``score.value``), a bool (1.0 / 0.0) or a label string
            such as ``"pass"`` (``score.label``).
        comment: Free text (``gen_ai.evaluation.explanation``): content, recorded
            only with content capture on, credential-scrubbed and redacted.
        label: A label to record with a numeric ``value``.
        tracer_provider / meter_provider: Where to record; default: those of the
            handler that traced the run (else the newest handler's, else global).

    Returns:
        True if the feedback was attached to the target's trace; False for a run
        id this process does not know (the score still counts in the histogram).
    """
    run_id, context = _target(target)
    if not isinstance(name, str) or not name.strip() or len(name) > _MAX_NAME:
        raise ValueError(f"name must be a non-empty string of at most {_MAX_NAME} characters")
    score, label = _score(value, label)
    if comment is not None and not isinstance(comment, str):
        raise ValueError(f"comment must be a string or None, got {type(comment).__name__}")
    try:
        return _record(
            run_id, context, name, score, label, comment, tracer_provider, meter_provider
        )
    except Exception as exc:  # never the app's problem
        report("record_feedback", exc)
        return False


def _find(run_id: UUID) -> tuple[FeedbackSink | None, Run | None, SpanContext | None]:
    for sink in _live_sinks():
        runs = sink.runs
        if runs is None:
            continue
        state = runs.get(run_id)
        if state is not None:
            return sink, state, None
        context = runs.ended.get(run_id)
        if context is not None:
            return sink, None, context
    return None, None, None


def _record(
    run_id: UUID | None,
    context: SpanContext | None,
    name: str,
    score: float | None,
    label: str | None,
    comment: str | None,
    tracer_provider: TracerProvider | None,
    meter_provider: MeterProvider | None,
) -> bool:
    state: Run | None = None
    sink: FeedbackSink | None = None
    if run_id is not None:
        sink, state, context = _find(run_id)
    if tracer_provider is not None or meter_provider is not None:
        sink = _provider_sink(tracer_provider, meter_provider)
    elif sink is None:
        live = _live_sinks()
        sink = live[0] if live else _provider_sink(None, None)
    if score is not None:
        record.record(sink.histogram, score, {sc.GEN_AI_EVALUATION_NAME: name})
    if state is None and context is None:
        warn_once(
            "feedback-unknown-run",
            "record_feedback(): run %s is not known here (not traced by this process, not a "
            "root run, or ended before the last 10,000 root runs); only the score histogram "
            "has it",
            run_id,
        )
        return False
    attrs = _attributes(name, score, label, comment, sink.content)
    if state is not None:
        span = state.span
        if span.is_recording():
            record.add_event(span, sc.EVENT_EVALUATION_RESULT, attrs)
            return True
        context = span.get_span_context()
    if context is None:
        return False
    parent = trace.set_span_in_context(NonRecordingSpan(context))
    child_attrs = dict(attrs)
    if run_id is not None:
        child_attrs[sc.LANGCHAIN_RUN_ID] = safe_str(run_id)
    child = record.start_span(
        sink.tracer, f"evaluation {name}", context=parent, kind=SpanKind.INTERNAL, attrs=child_attrs
    )
    try:
        record.add_event(child, sc.EVENT_EVALUATION_RESULT, attrs)
    finally:
        child.end()
    return True

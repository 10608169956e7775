"""Model runs: ``chat {model}`` / ``text_completion {model}`` client spans, usage, cost and metrics.

Per call: one ``gen_ai.client.operation.duration`` point,
``gen_ai.client.operation.time_to_first_chunk`` when streamed, one
``gen_ai.client.token.usage`` point per reported token type, and the cost added
to the series' ``langchain.llm.cost`` totals (``_metrics``).
No ``langchain.run.duration``: the operation duration covers model runs (unless
``run_duration="all"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from time import perf_counter
from typing import TYPE_CHECKING, Any
from uuid import UUID

from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind, TracerProvider

from otel_langchain import _attributes as attributes
from otel_langchain import _dedupe as dedupe
from otel_langchain import _llm_result as result
from otel_langchain import _messages as messages
from otel_langchain import _record as record
from otel_langchain import _semconv as sc
from otel_langchain._links import ToolCalls
from otel_langchain._metrics import NO_EXEMPLAR, ModelSeries
from otel_langchain._secrets import learn_from_model
from otel_langchain._token_types import token_points
from otel_langchain._tracking import active_trackers
from otel_langchain.runs import budget
from otel_langchain.runs._base import Run, Tracing

_CLIENT = SpanKind.CLIENT  # an enum member read once (3.11: 1 k instructions a read)

if TYPE_CHECKING:
    from otel_langchain.usage import Usage


def attach_dedupe(tracing: Tracing, provider: TracerProvider | None) -> None:
    """Watch the provider's spans for other instrumentations' GenAI spans (``_dedupe``)."""
    watch = dedupe.attach(provider if provider is not None else trace.get_tracer_provider())
    if watch is not None:
        tracing.dedupe = watch
        tracing.dedupe_pending = False
    elif provider is not None:  # an explicit provider that takes no span processors
        tracing.dedupe_pending = False


class ModelRun(Run):
    """A chat model or text LLM call."""

    __slots__ = ("first_chunk_at", "model", "operation", "provider", "trackers", "watched")

    def __init__(
        self,
        tracing: Tracing,
        run_id: UUID,
        parent_run_id: UUID | None,
        *,
        operation: str,
        serialized: dict[str, Any] | None,
        prompt: Any,
        tags: list[str] | None,
        metadata: dict[str, Any] | None,
        name: str | None,
        invocation: Any,
    ) -> None:
        """Start the span; ``prompt`` is the chat messages or the text prompts of the call."""
        learn_from_model(serialized)
        chat = operation == sc.OP_CHAT
        run_type = "chat_model" if chat else "llm"
        if type(invocation) is not dict and not isinstance(invocation, Mapping):
            invocation = None
        self.operation = operation
        self.provider = attributes.provider_name(metadata, invocation)
        self.model = attributes.request_model(metadata, invocation)
        self.first_chunk_at: float | None = None
        #: The span id watched for another instrumentation's child span (``_dedupe``).
        self.watched: int | None = None
        name = attributes.run_name(serialized, name, run_type)
        attrs = attributes.common(run_id, run_type, name, tags, metadata, tracing.user_ids)
        attrs[sc.GEN_AI_OPERATION_NAME] = operation
        if self.provider:
            attrs[sc.GEN_AI_PROVIDER_NAME] = self.provider
        if self.model:
            attrs[sc.GEN_AI_REQUEST_MODEL] = self.model
        attrs.update(attributes.request_params(metadata, invocation))
        Run.__init__(
            self,
            tracing,
            run_id,
            parent_run_id,
            span_name=f"{operation} {self.model}" if self.model else operation,
            kind=_CLIENT,
            run_type=run_type,
            name=name,
            attrs=attrs,
            tags=tags,
            metadata=metadata,
            inputs=prompt,
        )
        trackers: tuple[Usage, ...] = active_trackers()
        self.trackers = trackers
        if trackers:
            budget.enforce(self, run_id)
        if tracing.dedupe_pending:
            attach_dedupe(tracing, None)
        watch = tracing.dedupe
        if watch is not None and self.span.is_recording():
            self.watched = self.span.get_span_context().span_id
            watch.watch(self.watched)

    def input_content(self, attrs: dict[str, Any], inputs: Any) -> None:
        """``gen_ai.input.messages``: the chat messages (a withheld tool's result left out)."""
        tracing = self.tracing
        attrs[sc.GEN_AI_INPUT_MESSAGES] = (
            messages.input_messages(inputs, tracing.content, tracing.capture.withheld)
            if self.operation == sc.OP_CHAT
            else messages.prompt_messages(inputs, tracing.content)
        )

    def start_links(
        self, calls: ToolCalls, attrs: dict[str, Any], inputs: Any
    ) -> list[Link] | None:
        """``tool_result`` links to the tool spans whose results this chat call reads."""
        if self.operation != sc.OP_CHAT:
            return None
        return calls.results_read(inputs) or None

    def first_chunk(self) -> None:
        """A streamed chunk: the first one gets an event and the time to it."""
        if self.first_chunk_at is None:
            self.first_chunk_at = perf_counter()
            record.add_event(self.span, sc.EVENT_FIRST_CHUNK)

    def timed(self) -> bool:
        """``gen_ai.client.operation.duration`` covers model runs."""
        return False

    # -- ending ------------------------------------------------------------------------------

    def finish(self, outputs: Any) -> None:
        """The response: its facts, usage and cost on the span; the GenAI metrics."""
        response = outputs
        extra: dict[str, Any] | None = None
        try:
            facts = result.Response(response)
            response_model = facts.model
            series = self._series(response_model)
            recorded_by, their_metrics = self._recorded_by()
            extra = self._timing(series.attrs, duration=not their_metrics)
            counts = facts.usage
            if counts.reported and not their_metrics:
                self._record_tokens(series, counts)
            cost = self._cost(series, response_model, counts)
            if self.trackers:
                self._track(response_model, counts, cost)
            for totals in self.rollup:
                totals.add(counts, cost)
            call_ids = facts.tool_call_ids
            if call_ids:  # the tool runs answering them link back to this span
                extra[sc.LANGCHAIN_LLM_TOOL_CALL_IDS] = call_ids
                owner = self.owner
                if owner.tool_calls is None:
                    owner.tool_calls = ToolCalls()
                owner.tool_calls.asked(self.span.get_span_context(), call_ids)
            if self.span.is_recording():
                self._response_attributes(extra, response, facts, cost)
                if recorded_by is not None:
                    dedupe.move_usage(extra, recorded_by)
        finally:
            try:
                if extra and self.span.is_recording():
                    record.set_attributes(self.span, extra)
            finally:
                self.close(None)

    def fail(self, error: BaseException) -> None:
        """A failed call; its duration point carries ``error.type``."""
        error_type = None
        try:
            error_type = self.record_error(error)
            series = self._series(None)
            attrs = series.attrs if error_type is None else series.with_error(error_type)
            extra = self._timing(attrs, duration=not self._recorded_by()[1])
            if extra and self.span.is_recording():
                record.set_attributes(self.span, extra)
        finally:
            self.close(error_type)

    def release(self) -> None:
        """Stop watching for another instrumentation's span under ours; end the span."""
        try:
            watch = self.tracing.dedupe
            if watch is not None and self.watched is not None:
                watch.unwatch(self.watched)
                self.watched = None
        finally:
            Run.release(self)

    # -- parts ---------------------------------------------------------------------------------

    def _series(self, response_model: str | None) -> ModelSeries:
        return self.tracing.metrics.series(
            self.operation,
            provider=self.provider,
            request_model=self.model,
            response_model=response_model,
        )

    def _timing(self, attrs: dict[str, Any], *, duration: bool) -> dict[str, Any]:
        """The duration and time-to-first-chunk points; the span's streaming attributes."""
        metrics = self.tracing.metrics
        if duration:  # exemplars link to the model span, wherever the end callback runs
            record.point(metrics.duration, perf_counter() - self.started_at, attrs, self.ctx)
        if self.first_chunk_at is None:
            return {}
        ttfc = self.first_chunk_at - self.started_at
        record.point(metrics.ttfc, ttfc, attrs, self.ctx)
        return {sc.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: ttfc, sc.GEN_AI_REQUEST_STREAM: True}

    def _record_tokens(self, series: ModelSeries, counts: result.TokenCounts) -> None:
        """One point per reported token type, or per part of it (``_token_types``).

        No exemplar: the duration point has one.
        """
        tokens = self.tracing.metrics.tokens
        for part, value in token_points(counts):
            record.point(tokens, value, series.part_attrs(part), NO_EXEMPLAR)

    def _recorded_by(self) -> tuple[str | None, bool]:
        """Another instrumentation's scope that recorded this call, and whether its metrics did."""
        watch = self.tracing.dedupe
        if watch is None:
            return None, False
        span = self.span
        scope = None
        if self.watched is not None:
            scope = watch.unwatch(self.watched)
            self.watched = None
        if scope is not None:
            return scope, dedupe.records_metrics(scope)
        if not span.is_recording():  # no children seen when unsampled: ask the instrumentors
            return None, dedupe.instrumentor_active(self.provider) is not None
        return None, False

    def _cost(
        self, series: ModelSeries, response_model: str | None, counts: result.TokenCounts
    ) -> float | None:
        """The call's cost (None when unreported or unpriced), added to the series' totals."""
        if not counts.reported:
            return None
        found = self.tracing.prices.lookup(response_model, self.model)
        if found is None:
            return None
        # Per token type (input incl. cache reads/writes, output), as tokens are.
        input_cost, output_cost = found[1].split(
            counts.input or 0,
            counts.output or 0,
            counts.cache_read or 0,
            counts.cache_creation or 0,
        )
        self.tracing.metrics.add_cost(series, input_cost, output_cost)
        return input_cost + output_cost

    def _track(
        self, response_model: str | None, counts: result.TokenCounts, cost: float | None
    ) -> None:
        """Count the call in the ``track_usage()`` blocks active when it started."""
        model = response_model or self.model or "unknown"
        for tracker in self.trackers:
            tracker.record(
                model,
                input_tokens=counts.input or 0,
                output_tokens=counts.output or 0,
                cache_read=counts.cache_read or 0,
                cost=cost,
            )

    def _response_attributes(
        self, attrs: dict[str, Any], response: Any, facts: result.Response, cost: float | None
    ) -> None:
        """Add the response's facts, usage and cost (and, captured, its messages) to ``attrs``."""
        if facts.model:
            attrs[sc.GEN_AI_RESPONSE_MODEL] = facts.model
        if facts.id:
            attrs[sc.GEN_AI_RESPONSE_ID] = facts.id
        reasons = facts.finish_reasons
        counts = facts.usage
        if reasons:
            attrs[sc.GEN_AI_RESPONSE_FINISH_REASONS] = reasons
        for attr, value in (
            (sc.GEN_AI_USAGE_INPUT_TOKENS, counts.input),
            (sc.GEN_AI_USAGE_OUTPUT_TOKENS, counts.output),
            (sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, counts.cache_read),
            (sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, counts.cache_creation),
            (sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, counts.reasoning),
        ):
            if value is not None:
                attrs[attr] = value
        if cost is None:
            attrs[sc.LANGCHAIN_COST_UNKNOWN] = True
        else:
            attrs[sc.LANGCHAIN_COST_USD] = cost
        if self.capture.on:
            attrs[sc.GEN_AI_OUTPUT_MESSAGES] = messages.output_messages(
                response, reasons, self.tracing.content
            )

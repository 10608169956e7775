"""Ending runs: status, errors, usage, cost and metrics, then the span ends. Always."""

from __future__ import annotations

from asyncio import CancelledError
from time import perf_counter
from typing import Any

from otel_langchain import _llm_result as result
from otel_langchain import _messages as messages
from otel_langchain import _record as record
from otel_langchain import _semconv as sc
from otel_langchain._content import ContentPolicy, safe_str
from otel_langchain._context import leave_run
from otel_langchain._dedupe import (
    ProviderSpanWatch,
    instrumentor_active,
    move_usage,
    records_metrics,
)
from otel_langchain._events import exception_attributes
from otel_langchain._metrics import Instruments
from otel_langchain._runs import (
    EVICTED,
    EXPIRED,
    HANDLER_CLOSED,
    HANDLER_COLLECTED,
    RunState,
)
from otel_langchain.pricing import PriceTable

# LangGraph steers graphs with exceptions (interrupts, Command(graph=PARENT));
# they bubble through runs but are not failures.
_CONTROL_FLOW = frozenset({"GraphBubbleUp", "GraphInterrupt", "NodeInterrupt", "ParentCommand"})
_CANCELLED = (GeneratorExit, CancelledError)
# The status message of a run ended by us, by reason (its error.type, see _runs).
_END_REASONS = {
    EVICTED: "run evicted: the oldest open run when max_open_runs was exceeded",
    EXPIRED: "run expired: still open after max_run_age",
    HANDLER_CLOSED: "run ended: still open when its handler was closed",
    HANDLER_COLLECTED: "run ended: still open when its handler was garbage collected",
}


def is_cancellation(error: BaseException) -> bool:
    """A stream closed by its consumer or a cancelled task: the run was abandoned."""
    return isinstance(error, _CANCELLED)


def _is_control_flow(error: BaseException) -> bool:
    return any(cls.__name__ in _CONTROL_FLOW for cls in type(error).__mro__)


class Finisher:
    """Ends run spans and records their metrics."""

    __slots__ = ("_content", "_metrics", "_prices", "dedupe")

    def __init__(self, metrics: Instruments, prices: PriceTable, content: ContentPolicy) -> None:
        self._metrics = metrics
        self._prices = prices
        self._content = content
        #: Set when other instrumentations' GenAI spans are watched for (see ``_dedupe``).
        self.dedupe: ProviderSpanWatch | None = None

    @property
    def metrics(self) -> Instruments:
        """The handler's instruments."""
        return self._metrics

    def close(
        self, state: RunState, error: BaseException | None, extra: dict[str, Any] | None
    ) -> None:
        """Set the outcome, record ``langchain.run.duration``, revert context, end the span."""
        error_type: str | None = None
        try:
            if extra and state.span.is_recording():
                record.set_attributes(state.span, extra)
            if error is not None:
                error_type = self._record_error(state, error)
        finally:
            self._end(state, error_type)

    def _end(self, state: RunState, error_type: str | None) -> None:
        """Record ``langchain.run.duration``, then revert the context and end the span."""
        try:
            attrs = {sc.LANGCHAIN_RUN_TYPE: state.run_type, sc.LANGCHAIN_RUN_NAME: state.name}
            if error_type is not None:
                attrs[sc.ERROR_TYPE] = error_type
            record.record(self._metrics.run_duration, perf_counter() - state.started_at, attrs)
        finally:
            if self.dedupe is not None and state.operation is not None:
                self.dedupe.unwatch(state.span.get_span_context().span_id)
            leave_run(state.ctx, state.previous, state.token)
            state.span.end()

    def _record_error(self, state: RunState, error: BaseException) -> str | None:
        span = state.span
        if is_cancellation(error):
            record.set_attribute(span, sc.LANGCHAIN_RUN_CANCELLED, True)
            return None
        error_type = type(error).__name__
        if _is_control_flow(error):
            record.set_attribute(span, sc.LANGCHAIN_RUN_CONTROL_FLOW, error_type)
            return None
        record.set_attribute(span, sc.ERROR_TYPE, error_type)
        record.set_error(span, f"{error_type}: {safe_str(error)}")
        if span.is_recording():
            record.add_event(span, sc.EVENT_EXCEPTION, exception_attributes(error))
        return error_type

    def evict(self, state: RunState, reason: str) -> None:
        """End a run LangChain did not end, for ``reason``: ERROR, ``error.type`` = reason."""
        span = state.span
        try:
            record.set_attribute(span, sc.ERROR_TYPE, reason)
            record.set_error(span, _END_REASONS.get(reason, reason))
        finally:
            if self.dedupe is not None and state.operation is not None:
                self.dedupe.unwatch(span.get_span_context().span_id)
            leave_run(state.ctx, state.previous, state.token)
            span.end()

    # -- model runs ------------------------------------------------------------------

    def _model_attrs(self, state: RunState, response_model: str | None) -> dict[str, Any]:
        attrs: dict[str, Any] = {sc.GEN_AI_OPERATION_NAME: state.operation}
        if state.provider:
            attrs[sc.GEN_AI_PROVIDER_NAME] = state.provider
        if state.model:
            attrs[sc.GEN_AI_REQUEST_MODEL] = state.model
        if response_model:
            attrs[sc.GEN_AI_RESPONSE_MODEL] = response_model
        return attrs

    def _record_timing(
        self, state: RunState, attrs: dict[str, Any], duration: bool = True
    ) -> float:
        now = perf_counter()
        if duration:
            record.record(self._metrics.duration, now - state.started_at, attrs)
        if state.first_chunk_at is not None:
            ttfc = state.first_chunk_at - state.started_at
            record.record(self._metrics.ttfc, ttfc, attrs)
            if state.span.is_recording():
                record.set_attributes(
                    state.span,
                    {sc.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: ttfc, sc.GEN_AI_REQUEST_STREAM: True},
                )
        return now

    def close_model(self, state: RunState, response: Any) -> None:
        """End a model run: response facts, usage, cost, GenAI metrics."""
        extra: dict[str, Any] = {}
        try:
            response_model = result.response_model(response)
            attrs = self._model_attrs(state, response_model)
            recorded_by, their_metrics = self._recorded_by(state)
            self._record_timing(state, attrs, duration=not their_metrics)
            usage = result.usage(response)
            if usage.reported and not their_metrics:
                self._metrics.record_tokens(usage, attrs)
            cost = self._cost(state, response_model, usage, attrs)
            self._track(state, response_model, usage, cost)
            if state.span.is_recording():
                extra = self._response_attributes(response, response_model, usage, cost)
                if recorded_by is not None:
                    move_usage(extra, recorded_by)
        finally:
            self.close(state, None, extra)

    def close_model_error(self, state: RunState, error: BaseException) -> None:
        """End a failed model run; the duration metric carries ``error.type``."""
        error_type = None
        try:
            error_type = self._record_error(state, error)
            attrs = self._model_attrs(state, None)
            if error_type is not None:
                attrs[sc.ERROR_TYPE] = error_type
            self._record_timing(state, attrs, duration=not self._recorded_by(state)[1])
        finally:
            self._end(state, error_type)

    def _recorded_by(self, state: RunState) -> tuple[str | None, bool]:
        """Another instrumentation's scope that recorded this call, and whether its metrics did."""
        if self.dedupe is None:
            return None, False
        span = state.span
        scope = self.dedupe.unwatch(span.get_span_context().span_id)
        if scope is not None:
            return scope, records_metrics(scope)
        if not span.is_recording():  # no children seen when unsampled: ask the instrumentors
            return None, instrumentor_active(state.provider) is not None
        return None, False

    def _cost(
        self,
        state: RunState,
        response_model: str | None,
        usage: result.Usage,
        attrs: dict[str, Any],
    ) -> float | None:
        if not usage.reported:
            return None
        found = self._prices.lookup(response_model, state.model)
        if found is None:
            return None
        # Recorded per token type (input incl. cache reads/writes, output), as tokens are.
        price = found[1]
        input_cost = price.cost(
            input_tokens=usage.input or 0,
            output_tokens=0,
            cache_read_tokens=usage.cache_read or 0,
            cache_write_tokens=usage.cache_creation or 0,
        )
        output_cost = price.cost(input_tokens=0, output_tokens=usage.output or 0)
        record.add(
            self._metrics.cost, input_cost, {**attrs, sc.GEN_AI_TOKEN_TYPE: sc.TOKEN_TYPE_INPUT}
        )
        record.add(
            self._metrics.cost, output_cost, {**attrs, sc.GEN_AI_TOKEN_TYPE: sc.TOKEN_TYPE_OUTPUT}
        )
        return input_cost + output_cost

    @staticmethod
    def _track(
        state: RunState, response_model: str | None, usage: result.Usage, cost: float | None
    ) -> None:
        if not state.trackers:
            return
        model = response_model or state.model or "unknown"
        for tracker in state.trackers:
            tracker.record(
                model,
                input_tokens=usage.input or 0,
                output_tokens=usage.output or 0,
                cache_read=usage.cache_read or 0,
                cost=cost,
            )

    def _response_attributes(
        self, response: Any, response_model: str | None, usage: result.Usage, cost: float | None
    ) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        if response_model:
            attrs[sc.GEN_AI_RESPONSE_MODEL] = response_model
        response_id = result.response_id(response)
        if response_id:
            attrs[sc.GEN_AI_RESPONSE_ID] = response_id
        reasons = result.finish_reasons(response)
        if reasons:
            attrs[sc.GEN_AI_RESPONSE_FINISH_REASONS] = reasons
        for attr, value in (
            (sc.GEN_AI_USAGE_INPUT_TOKENS, usage.input),
            (sc.GEN_AI_USAGE_OUTPUT_TOKENS, usage.output),
            (sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, usage.cache_read),
            (sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, usage.cache_creation),
            (sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, usage.reasoning),
        ):
            if value is not None:
                attrs[attr] = value
        if cost is None:
            attrs[sc.LANGCHAIN_COST_UNKNOWN] = True
        else:
            attrs[sc.LANGCHAIN_COST_USD] = cost
        if self._content.enabled:
            attrs[sc.GEN_AI_OUTPUT_MESSAGES] = messages.output_messages(
                response, reasons, self._content
            )
        return attrs

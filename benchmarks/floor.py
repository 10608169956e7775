"""The yardsticks: bare handlers doing the least that produces the same telemetry.

``Floor`` maps every run (chain, prompt, parser, model, tool, retriever) to a span
parented by ``parent_run_id`` and ends it: no attributes, no context propagation,
no metrics. ``FloorM`` is the floor plus the contract's metric series, recorded the
cheapest correct way through the SDK, with attribute dicts computed once per series:

- model runs: one ``gen_ai.client.operation.duration`` point (exemplar linked to the
  model span through an explicit context), ``gen_ai.client.operation.time_to_first_chunk``
  when streamed, two ``gen_ai.client.token.usage`` points (input, output);
  ``langchain.llm.cost`` is an observable counter over per-series totals kept in
  process (the contract allows a cheaper instrument of the same kind to the reader);
  no ``langchain.run.duration`` point (operation duration covers model runs);
- ``langchain.run.duration`` only for root runs, LangGraph nodes (a run whose name
  is its ``langgraph_node`` metadata), tools and retrievers; the inner steps of a
  chain (prompts, parsers, lambdas, a node's inner runnables) get none, as the
  contract allows by default.

Metric names, units, buckets and attribute keys are the contract's, spelled out
here so that the yardstick does not move when the handler's code does. The hooks
name every keyword argument LangChain passes them, as the handler's do: a keyword
left to ``**kw`` costs CPython a dict insert per callback (about 5k instructions a
chain run for LangChain's usual six).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from time import perf_counter
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from opentelemetry import trace
from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation
from opentelemetry.trace import TracerProvider

DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48]
DURATION_BUCKETS += [40.96, 81.92]
TOKEN_BUCKETS = [4**i for i in range(14)]  # 1, 4, 16, ... 67108864
# USD per 1M tokens (input, output): the built-in price of the benchmark's model.
PRICES = {"gpt-4o-mini": (0.15, 0.6)}


class Floor(BaseCallbackHandler):
    """Run id -> span, parent from ``parent_run_id``, end. Nothing else."""

    run_inline = True

    def __init__(self, tracer_provider: TracerProvider) -> None:
        self._tracer = tracer_provider.get_tracer("floor")
        self._spans: dict[UUID, trace.Span] = {}

    def _start(self, name: str, run_id: UUID, parent_run_id: UUID | None) -> None:
        parent = self._spans.get(parent_run_id) if parent_run_id else None
        ctx = trace.set_span_in_context(parent) if parent is not None else None
        self._spans[run_id] = self._tracer.start_span(name, context=ctx)

    def _end(self, run_id: UUID, *_: Any) -> None:
        span = self._spans.pop(run_id, None)
        if span is not None:
            span.end()

    def on_chain_start(
        self,
        serialized: Any,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: Any = None,
        metadata: Any = None,
        name: Any = None,
        run_type: Any = None,
        **kw: Any,
    ) -> None:
        self._start(name or "chain", run_id, parent_run_id)

    def on_chat_model_start(
        self,
        serialized: Any,
        messages: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: Any = None,
        metadata: Any = None,
        invocation_params: Any = None,
        options: Any = None,
        name: Any = None,
        batch_size: Any = None,
        **kw: Any,
    ) -> None:
        self._start("chat", run_id, parent_run_id)

    def on_llm_start(
        self,
        serialized: Any,
        prompts: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: Any = None,
        metadata: Any = None,
        invocation_params: Any = None,
        options: Any = None,
        name: Any = None,
        batch_size: Any = None,
        **kw: Any,
    ) -> None:
        self._start("text_completion", run_id, parent_run_id)

    def on_tool_start(
        self,
        serialized: Any,
        input_str: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: Any = None,
        metadata: Any = None,
        inputs: Any = None,
        name: Any = None,
        color: Any = None,
        tool_call_id: Any = None,
        **kw: Any,
    ) -> None:
        self._start("execute_tool", run_id, parent_run_id)

    def on_retriever_start(
        self,
        serialized: Any,
        query: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: Any = None,
        metadata: Any = None,
        name: Any = None,
        **kw: Any,
    ) -> None:
        self._start("retrieval", run_id, parent_run_id)

    def on_chain_end(
        self,
        outputs: Any,
        *,
        run_id: UUID,
        parent_run_id: Any = None,
        tags: Any = None,
        color: Any = None,
        name: Any = None,
        **kw: Any,
    ) -> None:
        self._end(run_id)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kw: Any) -> None:
        self._end(run_id, error)

    on_llm_end = on_tool_end = on_retriever_end = on_chain_end
    on_llm_error = on_tool_error = on_retriever_error = on_chain_error


class _Series:
    """Attribute dicts and cost totals of one (operation, provider, request, response model)."""

    __slots__ = ("costs", "duration", "price", "tokens_in", "tokens_out")

    def __init__(
        self, operation: str, provider: str | None, request: str | None, response: str | None
    ) -> None:
        attrs = {"gen_ai.operation.name": operation}
        for key, value in (
            ("gen_ai.provider.name", provider),
            ("gen_ai.request.model", request),
            ("gen_ai.response.model", response),
        ):
            if value:
                attrs[key] = value
        self.duration = attrs
        self.tokens_in = {**attrs, "gen_ai.token.type": "input"}
        self.tokens_out = {**attrs, "gen_ai.token.type": "output"}
        model = response or request or ""
        known = [m for m in PRICES if model.startswith(m)]
        self.price = PRICES[max(known, key=len)] if known else None
        self.costs = [0.0, 0.0]  # input, output: USD so far


class _ModelRun:
    __slots__ = ("first_chunk", "operation", "provider", "request", "span", "started")

    def __init__(
        self, span: trace.Span, operation: str, provider: str | None, request: str | None
    ) -> None:
        self.span = span
        self.operation = operation
        self.provider = provider
        self.request = request
        self.started = perf_counter()
        self.first_chunk: float | None = None


def _usage_and_model(response: Any) -> tuple[dict[str, Any] | None, str | None]:
    """``usage_metadata`` and the response model of a chat result (ChatOpenAI's shape)."""
    try:
        message = response.generations[0][0].message
    except (AttributeError, IndexError):
        llm_output = getattr(response, "llm_output", None) or {}
        return None, llm_output.get("model_name")
    return message.usage_metadata, message.response_metadata.get("model_name")


class FloorM(Floor):
    """The floor plus the contract's metric series (see the module docstring)."""

    def __init__(self, tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
        super().__init__(tracer_provider)
        meter = meter_provider.get_meter("floor_m")
        seconds = {"unit": "s", "explicit_bucket_boundaries_advisory": DURATION_BUCKETS}
        self._op_duration = meter.create_histogram("gen_ai.client.operation.duration", **seconds)
        self._ttfc = meter.create_histogram(
            "gen_ai.client.operation.time_to_first_chunk", **seconds
        )
        self._run_duration = meter.create_histogram("langchain.run.duration", **seconds)
        self._tokens = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS,
        )
        meter.create_observable_counter(
            "langchain.llm.cost", callbacks=[self._observe_costs], unit="{USD}"
        )
        self._series: dict[tuple[str, str | None, str | None, str | None], _Series] = {}
        self._cost_lock = threading.Lock()
        # Chain-like runs: (started, langchain.run.duration attributes or None).
        self._timed: dict[UUID, tuple[float, dict[str, str] | None]] = {}
        self._models: dict[UUID, _ModelRun] = {}
        self._run_attrs: dict[tuple[str, str], dict[str, str]] = {}

    # -- chains, tools, retrievers: langchain.run.duration for the runs that get it ------

    def _start_timed(
        self, run_type: str, name: str, run_id: UUID, parent_run_id: UUID | None, timed: bool
    ) -> None:
        self._start(name, run_id, parent_run_id)
        attrs = None
        if timed:
            attrs = self._run_attrs.get((run_type, name))
            if attrs is None:
                attrs = {"langchain.run.type": run_type, "langchain.run.name": name}
                self._run_attrs[(run_type, name)] = attrs
        self._timed[run_id] = (perf_counter(), attrs)

    def _end_timed(self, run_id: UUID, error: BaseException | None = None) -> None:
        started, attrs = self._timed.pop(run_id, (0.0, None))
        if attrs is not None:
            if error is not None:
                attrs = {**attrs, "error.type": type(error).__name__}
            self._run_duration.record(perf_counter() - started, attrs)
        self._end(run_id)

    def on_chain_start(
        self,
        serialized: Any,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        tags: Any = None,
        name: Any = None,
        run_type: Any = None,
        **kw: Any,
    ) -> None:
        name = name or "chain"
        node = parent_run_id is None or (
            metadata is not None and metadata.get("langgraph_node") == name
        )
        self._start_timed(run_type or "chain", name, run_id, parent_run_id, node)

    def on_tool_start(
        self,
        serialized: Any,
        input_str: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: Any = None,
        metadata: Any = None,
        inputs: Any = None,
        name: Any = None,
        color: Any = None,
        tool_call_id: Any = None,
        **kw: Any,
    ) -> None:
        name = name or (serialized or {}).get("name") or "tool"
        self._start_timed("tool", name, run_id, parent_run_id, True)

    def on_retriever_start(
        self,
        serialized: Any,
        query: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: Any = None,
        metadata: Any = None,
        name: Any = None,
        **kw: Any,
    ) -> None:
        name = name or (serialized or {}).get("name") or "retriever"
        self._start_timed("retriever", name, run_id, parent_run_id, True)

    def on_chain_end(
        self,
        outputs: Any,
        *,
        run_id: UUID,
        parent_run_id: Any = None,
        tags: Any = None,
        color: Any = None,
        name: Any = None,
        **kw: Any,
    ) -> None:
        self._end_timed(run_id)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kw: Any) -> None:
        self._end_timed(run_id, error)

    on_tool_end = on_retriever_end = on_chain_end
    on_tool_error = on_retriever_error = on_chain_error

    # -- models: operation duration, time to first chunk, tokens, cost --------------------

    def _start_model(
        self, operation: str, run_id: UUID, parent_run_id: UUID | None, metadata: Any
    ) -> None:
        self._start(operation, run_id, parent_run_id)
        meta = metadata or {}
        self._models[run_id] = _ModelRun(
            self._spans[run_id], operation, meta.get("ls_provider"), meta.get("ls_model_name")
        )

    def on_chat_model_start(
        self,
        serialized: Any,
        messages: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        tags: Any = None,
        invocation_params: Any = None,
        options: Any = None,
        name: Any = None,
        batch_size: Any = None,
        **kw: Any,
    ) -> None:
        self._start_model("chat", run_id, parent_run_id, metadata)

    def on_llm_start(
        self,
        serialized: Any,
        prompts: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        tags: Any = None,
        invocation_params: Any = None,
        options: Any = None,
        name: Any = None,
        batch_size: Any = None,
        **kw: Any,
    ) -> None:
        self._start_model("text_completion", run_id, parent_run_id, metadata)

    def on_llm_new_token(
        self,
        token: str,
        *,
        chunk: Any = None,
        run_id: UUID,
        parent_run_id: Any = None,
        tags: Any = None,
        **kw: Any,
    ) -> None:
        run = self._models.get(run_id)
        if run is not None and run.first_chunk is None:
            run.first_chunk = perf_counter()

    def _series_for(self, run: _ModelRun, response_model: str | None) -> _Series:
        key = (run.operation, run.provider, run.request, response_model)
        series = self._series.get(key)
        if series is None:
            series = self._series.setdefault(key, _Series(*key))
        return series

    def on_llm_end(
        self,
        response: Any,
        *,
        run_id: UUID,
        parent_run_id: Any = None,
        tags: Any = None,
        **kw: Any,
    ) -> None:
        run = self._models.pop(run_id, None)
        if run is None:
            return
        usage, response_model = _usage_and_model(response)
        series = self._series_for(run, response_model)
        context = trace.set_span_in_context(run.span)  # the exemplar links to the model span
        self._op_duration.record(perf_counter() - run.started, series.duration, context)
        if run.first_chunk is not None:
            self._ttfc.record(run.first_chunk - run.started, series.duration, context)
        if usage:
            tokens_in, tokens_out = usage.get("input_tokens", 0), usage.get("output_tokens", 0)
            self._tokens.record(tokens_in, series.tokens_in)
            self._tokens.record(tokens_out, series.tokens_out)
            if series.price is not None:
                with self._cost_lock:
                    series.costs[0] += tokens_in * series.price[0] / 1e6
                    series.costs[1] += tokens_out * series.price[1] / 1e6
        self._end(run_id)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kw: Any) -> None:
        run = self._models.pop(run_id, None)
        if run is not None:
            attrs = {**self._series_for(run, None).duration, "error.type": type(error).__name__}
            self._op_duration.record(perf_counter() - run.started, attrs)
        self._end(run_id)

    def _observe_costs(self, options: CallbackOptions) -> Iterable[Observation]:
        with self._cost_lock:
            totals = [(s, list(s.costs)) for s in self._series.values() if s.price is not None]
        for series, (cost_in, cost_out) in totals:
            yield Observation(cost_in, series.tokens_in)
            yield Observation(cost_out, series.tokens_out)

"""The metric instruments, created once per meter provider, and their cheap record paths.

Every model call adds to the series of its (operation, provider, request model,
response model): the attribute dicts of a series are built, and scrubbed, once
and reused for every point. ``langchain.llm.cost`` is summed per series in
process and read by an observable counter when the reader collects: the same
name, unit and attributes as a counter, with no SDK call per model call.
``langchain.run.duration`` attributes are built once per run type and name.

Exemplars are offered only where a trace link is worth it: the duration of a
model call, its time to first chunk, and the duration of the runs that get
``langchain.run.duration`` (roots, agents, graph nodes, tools, retrievers), each
recorded in the run's own context so the exemplar links to the run's span.
Token-usage points are recorded in ``NO_EXEMPLAR``, a context whose span is
invalid, so the SDK's trace-based exemplar filter declines them without
sampling (an always-on filter a user chose still samples them, without a trace).
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Iterable
from typing import Any, Literal

from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.metrics import CallbackOptions, Histogram, Meter, MeterProvider, Observation

from otel_langchain import _record as record
from otel_langchain import _semconv as sc
from otel_langchain._token_types import PARTS

logger = logging.getLogger(__name__)

# Distinct series kept with cached attributes and cost totals (two attribute sets each,
# within the SDK's default cardinality limit of 2000 per instrument); past this, a call's
# attributes are built per call and its cost goes to the overflow series, as the
# SDK does past its cardinality limit.
MAX_SERIES = 1000

#: Recorded in this context, a point is offered to no exemplar reservoir by the
#: trace-based filter. An empty ``Context()`` would not do: the SDK reads an empty
#: (falsy) context as "none given" and samples against the current one.
NO_EXEMPLAR: Context = trace.set_span_in_context(trace.INVALID_SPAN, Context())
_OVERFLOW_ATTRS = {"otel.metric.overflow": True}

RUN_DURATION_ENV = "OTEL_LANGCHAIN_RUN_DURATION"
RunDuration = Literal["default", "all"]
_RUN_DURATION: tuple[RunDuration, ...] = ("default", "all")


def run_duration_setting(explicit: str | None) -> RunDuration:
    """``run_duration``: explicit argument, else ``OTEL_LANGCHAIN_RUN_DURATION``, else default.

    ``"default"``: root runs, agents, LangGraph nodes, tools and retrievers get a
    ``langchain.run.duration`` point; model runs (``gen_ai.client.operation.duration``
    covers them) and the inner steps of a chain do not. ``"all"``: every run.
    """
    if explicit is not None:
        for value in _RUN_DURATION:
            if explicit == value:
                return value
        raise ValueError(f"run_duration must be 'default', 'all' or None, got {explicit!r}")
    raw = os.environ.get(RUN_DURATION_ENV, "").strip().lower()
    for value in _RUN_DURATION:
        if raw == value:
            return value
    if raw:
        logger.warning("%s=%r is not 'default' or 'all'; using 'default'", RUN_DURATION_ENV, raw)
    return "default"


def feedback_histogram(meter: Meter) -> Histogram:
    """``langchain.feedback.score``: evaluation scores and user feedback, by name."""
    return meter.create_histogram(
        sc.METRIC_FEEDBACK_SCORE,
        unit=sc.UNIT_SCORE,
        description="Evaluation scores and user feedback recorded with record_feedback().",
        explicit_bucket_boundaries_advisory=list(sc.FEEDBACK_BUCKETS),
    )


class ModelSeries:
    """The metric attributes of one (operation, provider, request model, response model).

    ``attrs`` for the duration points, ``input_attrs`` / ``output_attrs`` for the
    token and cost points of each token type; all scrubbed once. ``cost`` holds
    the USD so far per token type and the number of priced calls (input, output,
    calls); a series past ``MAX_SERIES`` shares the overflow series' list.
    """

    __slots__ = ("attrs", "cost", "input_attrs", "output_attrs", "parts")

    def __init__(self, attrs: dict[str, Any], cost: list[float] | None = None) -> None:
        self.attrs = record.clean(attrs)
        self.input_attrs = {**self.attrs, sc.GEN_AI_TOKEN_TYPE: sc.TOKEN_TYPE_INPUT}
        self.output_attrs = {**self.attrs, sc.GEN_AI_TOKEN_TYPE: sc.TOKEN_TYPE_OUTPUT}
        self.cost = cost if cost is not None else [0.0, 0.0, 0.0]
        #: The token-usage attributes of each part (``_token_types.PARTS``), built on first use.
        self.parts: dict[str, dict[str, Any]] = {
            "input": self.input_attrs,
            "output": self.output_attrs,
        }

    def part_attrs(self, part: str) -> dict[str, Any]:
        """The token-usage attributes of a point of ``part`` (``_token_types.PARTS``)."""
        found = self.parts.get(part)
        if found is None:
            found = self.parts[part] = record.clean({**self.attrs, **PARTS[part]})
        return found

    def with_error(self, error_type: str) -> dict[str, Any]:
        """The duration attributes of a failed call."""
        return record.clean({**self.attrs, sc.ERROR_TYPE: error_type})


def _model_attrs(
    operation: str, provider: str | None, request_model: str | None, response_model: str | None
) -> dict[str, Any]:
    attrs: dict[str, Any] = {sc.GEN_AI_OPERATION_NAME: operation}
    if provider:
        attrs[sc.GEN_AI_PROVIDER_NAME] = provider
    if request_model:
        attrs[sc.GEN_AI_REQUEST_MODEL] = request_model
    if response_model:
        attrs[sc.GEN_AI_RESPONSE_MODEL] = response_model
    return attrs


class Instruments:
    """GenAI client metrics, ``langchain.llm.cost``, ``langchain.run.duration`` and the rest.

    One per meter provider (see ``instruments``): the SDK keeps one instrument per
    name and scope, and one observable counter's callback, so every handler of a
    provider adds to the same series and cost totals.
    """

    __slots__ = (
        "__weakref__",
        "_lock",
        "_overflow",
        "_run_attrs",
        "_series",
        "budget_exceeded",
        "duration",
        "feedback",
        "run_duration",
        "tokens",
        "ttfc",
    )

    def __init__(self, meter_provider: MeterProvider | None, version: str) -> None:
        meter = metrics.get_meter("otel_langchain", version, meter_provider=meter_provider)
        self._lock = threading.Lock()
        self._series: dict[tuple[str, str | None, str | None, str | None], ModelSeries] = {}
        self._run_attrs: dict[tuple[str, str], dict[str, Any]] = {}
        self._overflow = ModelSeries(dict(_OVERFLOW_ATTRS))
        self.tokens = meter.create_histogram(
            sc.METRIC_TOKEN_USAGE,
            unit=sc.UNIT_TOKEN,
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=list(sc.TOKEN_BUCKETS),
        )
        self.duration = meter.create_histogram(
            sc.METRIC_OPERATION_DURATION,
            unit=sc.UNIT_SECONDS,
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=list(sc.DURATION_BUCKETS),
        )
        self.ttfc = meter.create_histogram(
            sc.METRIC_TIME_TO_FIRST_CHUNK,
            unit=sc.UNIT_SECONDS,
            description="Time to receive the first chunk of a streamed response.",
            explicit_bucket_boundaries_advisory=list(sc.DURATION_BUCKETS),
        )
        meter.create_observable_counter(
            sc.METRIC_LLM_COST,
            callbacks=[_cost_callback(self)],
            unit=sc.UNIT_USD,
            description="Cost of model calls in US dollars, from the price table.",
        )
        self.run_duration = meter.create_histogram(
            sc.METRIC_RUN_DURATION,
            unit=sc.UNIT_SECONDS,
            description=(
                "Duration of LangChain runs: roots, agents, graph nodes, tools and "
                "retrievers (every run with run_duration='all')."
            ),
            explicit_bucket_boundaries_advisory=list(sc.DURATION_BUCKETS),
        )
        self.budget_exceeded = meter.create_counter(
            sc.METRIC_BUDGET_EXCEEDED,
            unit=sc.UNIT_CALL,
            description="Model calls that started with a track_usage() budget reached.",
        )
        self.feedback = feedback_histogram(meter)

    # -- model series ----------------------------------------------------------------------

    def series(
        self,
        operation: str,
        *,
        provider: str | None,
        request_model: str | None,
        response_model: str | None,
    ) -> ModelSeries:
        """The series of a model call: looked up once per call, built once per series."""
        key = (operation, provider, request_model, response_model)
        found = self._series.get(key)
        if found is not None:
            return found
        attrs = _model_attrs(operation, provider, request_model, response_model)
        with self._lock:
            if len(self._series) >= MAX_SERIES:
                return ModelSeries(attrs, self._overflow.cost)
            found = self._series.get(key)
            if found is None:
                found = self._series[key] = ModelSeries(attrs)
            return found

    def add_cost(self, series: ModelSeries, input_cost: float, output_cost: float) -> None:
        """Add one priced call to its series' totals (read by the observable counter)."""
        cost = series.cost
        with self._lock:
            cost[0] += input_cost
            cost[1] += output_cost
            cost[2] += 1

    def costs(self) -> list[tuple[float, dict[str, Any]]]:
        """The totals of every priced series, per token type: what the cost counter reports."""
        with self._lock:
            priced = [(s, s.cost[0], s.cost[1]) for s in self._series.values() if s.cost[2]]
            if self._overflow.cost[2]:
                priced.append((self._overflow, self._overflow.cost[0], self._overflow.cost[1]))
        out: list[tuple[float, dict[str, Any]]] = []
        for series, input_cost, output_cost in priced:
            out.append((input_cost, series.input_attrs))
            out.append((output_cost, series.output_attrs))
        return out

    # -- langchain.run.duration -------------------------------------------------------------

    def run_attrs(self, run_type: str, name: str, error_type: str | None) -> dict[str, Any]:
        """``langchain.run.duration`` attributes, built and scrubbed once per run type and name."""
        if error_type is not None:
            return record.clean(
                {
                    sc.LANGCHAIN_RUN_TYPE: run_type,
                    sc.LANGCHAIN_RUN_NAME: name,
                    sc.ERROR_TYPE: error_type,
                }
            )
        key = (run_type, name)
        found = self._run_attrs.get(key)
        if found is None:
            found = record.clean({sc.LANGCHAIN_RUN_TYPE: run_type, sc.LANGCHAIN_RUN_NAME: name})
            if len(self._run_attrs) < MAX_SERIES:
                self._run_attrs[key] = found
        return found


def _cost_callback(instruments: Instruments) -> Any:
    """The observable counter's callback; holds the instruments weakly."""
    ref = weakref.ref(instruments)

    def observe(options: CallbackOptions) -> Iterable[Observation]:
        live = ref()
        if live is None:
            return []
        return [record.observation(value, attrs) for value, attrs in live.costs()]

    return observe


_shared: weakref.WeakKeyDictionary[Any, Instruments] = weakref.WeakKeyDictionary()
_shared_lock = threading.Lock()


def instruments(meter_provider: MeterProvider | None, version: str) -> Instruments:
    """The instruments of ``meter_provider`` (the global one when None), made once."""
    provider = meter_provider if meter_provider is not None else metrics.get_meter_provider()
    with _shared_lock:
        try:
            found = _shared.get(provider)
        except TypeError:  # not weakly referenceable or not hashable: one set per handler
            return Instruments(provider, version)
        if found is None:
            found = _shared[provider] = Instruments(provider, version)
        return found

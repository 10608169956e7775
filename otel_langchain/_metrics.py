"""The metric instruments, created once per handler, and their record helpers."""

from __future__ import annotations

import logging
import os
from typing import Any, Literal

from opentelemetry.metrics import Histogram, Meter, MeterProvider, get_meter

from otel_langchain import _semconv as sc
from otel_langchain._llm_result import TokenCounts
from otel_langchain._record import record

logger = logging.getLogger(__name__)

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


class Instruments:
    """GenAI client metrics plus ``langchain.llm.cost`` and ``langchain.run.duration``."""

    __slots__ = (
        "budget_exceeded",
        "cost",
        "duration",
        "feedback",
        "run_duration",
        "tokens",
        "ttfc",
    )

    def __init__(self, meter_provider: MeterProvider | None, version: str) -> None:
        meter = get_meter("otel_langchain", version, meter_provider=meter_provider)
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
        self.cost = meter.create_counter(
            sc.METRIC_LLM_COST,
            unit=sc.UNIT_USD,
            description="Cost of model calls in US dollars, from the price table.",
        )
        self.run_duration = meter.create_histogram(
            sc.METRIC_RUN_DURATION,
            unit=sc.UNIT_SECONDS,
            description=(
                "Duration of LangChain runs: root runs, agents, graph nodes, tools and "
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

    def record_tokens(self, usage: TokenCounts, attrs: dict[str, Any]) -> None:
        """One token-usage point per reported token type."""
        if usage.input is not None:
            record(self.tokens, usage.input, {**attrs, sc.GEN_AI_TOKEN_TYPE: sc.TOKEN_TYPE_INPUT})
        if usage.output is not None:
            record(self.tokens, usage.output, {**attrs, sc.GEN_AI_TOKEN_TYPE: sc.TOKEN_TYPE_OUTPUT})

"""Exemplars: durations link to their run's span wherever the end callback runs; tokens: none."""

from __future__ import annotations

from typing import Any

from conftest import Telemetry
from fakes import FakeOpenAIChat
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from opentelemetry.sdk.metrics import AlwaysOnExemplarFilter, MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from otel_langchain import OTelCallbackHandler


def _chain() -> Any:
    prompt = ChatPromptTemplate.from_messages([("human", "{q}")])
    return prompt | FakeOpenAIChat() | StrOutputParser()


def _exemplars(points: dict[str, list[Any]], name: str) -> list[Any]:
    """The exemplars of one metric, from one collection (a collection takes them)."""
    return [e for p in points.get(name, []) for e in p.exemplars]


def _assert_links(exemplars: list[Any], span: Any) -> None:
    assert exemplars, "no exemplar"
    for exemplar in exemplars:
        assert exemplar.span_id == span.context.span_id
        assert exemplar.trace_id == span.context.trace_id


def test_operation_duration_exemplar_links_to_the_model_span(telemetry: Telemetry) -> None:
    """gen_ai.client.operation.duration's exemplar is the model call's span."""
    _chain().invoke({"q": "hi"}, config={"callbacks": [telemetry.handler()]})

    _assert_links(
        _exemplars(telemetry.metrics(), "gen_ai.client.operation.duration"),
        telemetry.span("chat gpt-4o-mini"),
    )


async def test_exemplars_link_to_the_run_under_ainvoke(telemetry: Telemetry) -> None:
    """Under ainvoke, where end callbacks run in a copy of the caller's context, still the run."""
    await _chain().ainvoke({"q": "hi"}, config={"callbacks": [telemetry.handler()]})

    points = telemetry.metrics()
    _assert_links(
        _exemplars(points, "gen_ai.client.operation.duration"),
        telemetry.span("chat gpt-4o-mini"),
    )
    _assert_links(_exemplars(points, "langchain.run.duration"), telemetry.span("RunnableSequence"))


def test_streamed_call_links_time_to_first_chunk(telemetry: Telemetry) -> None:
    """gen_ai.client.operation.time_to_first_chunk's exemplar is the streamed call's span."""
    list(FakeOpenAIChat().stream("a", config={"callbacks": [telemetry.handler()]}))

    _assert_links(
        _exemplars(telemetry.metrics(), "gen_ai.client.operation.time_to_first_chunk"),
        telemetry.span("chat gpt-4o-mini"),
    )


def test_token_usage_points_have_no_exemplar(telemetry: Telemetry) -> None:
    """With the default (trace-based) filter and a sampled span, token points get no exemplar."""
    _chain().invoke({"q": "hi"}, config={"callbacks": [telemetry.handler()]})

    points = telemetry.metrics()
    assert len(points["gen_ai.client.token.usage"]) == 2
    assert _exemplars(points, "gen_ai.client.operation.duration")  # the call is sampled
    assert _exemplars(points, "gen_ai.client.token.usage") == []


def test_an_always_on_filter_still_samples_token_points(telemetry: Telemetry) -> None:
    """A user's always-on exemplar filter samples token points too (without a trace link)."""
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader], exemplar_filter=AlwaysOnExemplarFilter())
    handler = OTelCallbackHandler(
        tracer_provider=telemetry.tracer_provider, meter_provider=provider
    )
    try:
        _chain().invoke({"q": "hi"}, config={"callbacks": [handler]})
        data = reader.get_metrics_data()
        assert data is not None
        tokens = [
            e
            for rm in data.resource_metrics
            for sm in rm.scope_metrics
            for m in sm.metrics
            if m.name == "gen_ai.client.token.usage"
            for p in m.data.data_points
            for e in p.exemplars
        ]
        assert len(tokens) == 2
        assert all(not e.span_id for e in tokens)
    finally:
        provider.shutdown()

"""Model metric series: cost totals read by an observable counter, shared per provider, bounded."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from conftest import Telemetry
from fakes import FakeOpenAIChat
from opentelemetry.sdk.metrics import Counter, MeterProvider, ObservableCounter
from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader

from otel_langchain import OTelCallbackHandler
from otel_langchain import _metrics as metrics_module
from otel_langchain.pricing import default_table

BASE = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
}


def _call_cost(inp: int = 12, out: int = 7) -> tuple[float, float]:
    found = default_table().lookup("gpt-4o-mini-2024-07-18", "gpt-4o-mini")
    assert found is not None
    return inp * found[1].input / 1e6, out * found[1].output / 1e6


def _cost_points(reader: InMemoryMetricReader) -> list[Any]:
    data = reader.get_metrics_data()
    return [
        point
        for rm in (data.resource_metrics if data else ())
        for sm in rm.scope_metrics
        for metric in sm.metrics
        if metric.name == "langchain.llm.cost"
        for point in metric.data.data_points
    ]


def _by_type(points: list[Any]) -> dict[str, float]:
    return {p.attributes["gen_ai.token.type"]: p.value for p in points}


def test_cost_totals_add_up_over_calls_in_many_threads(telemetry: Telemetry) -> None:
    """Concurrent model calls from 8 threads add up to exactly their summed cost."""
    handler = telemetry.handler()
    model = FakeOpenAIChat()

    def work() -> None:
        for _ in range(25):
            model.invoke("a", config={"callbacks": [handler]})

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    points = _cost_points(telemetry.reader)
    input_cost, output_cost = _call_cost()
    assert _by_type(points) == {
        "input": pytest.approx(200 * input_cost),
        "output": pytest.approx(200 * output_cost),
    }
    for point in points:
        assert dict(point.attributes) == {
            **BASE,
            "gen_ai.token.type": point.attributes["gen_ai.token.type"],
        }
    tokens = telemetry.metrics()["gen_ai.client.token.usage"]
    assert sum(p.count for p in tokens) == 400


def test_two_handlers_of_one_provider_add_to_the_same_series(telemetry: Telemetry) -> None:
    """Handlers sharing a meter provider report one cost series, the sum of both."""
    model = FakeOpenAIChat()
    for handler in (telemetry.handler(), telemetry.handler()):
        model.invoke("a", config={"callbacks": [handler]})

    input_cost, output_cost = _call_cost()
    assert _by_type(_cost_points(telemetry.reader)) == {
        "input": pytest.approx(2 * input_cost),
        "output": pytest.approx(2 * output_cost),
    }


def test_a_delta_reader_gets_the_cost_since_its_last_collection(telemetry: Telemetry) -> None:
    """With delta temporality each collection reports the cost added since the previous one."""
    delta = AggregationTemporality.DELTA
    reader = InMemoryMetricReader(preferred_temporality={Counter: delta, ObservableCounter: delta})
    provider = MeterProvider(metric_readers=[reader])
    handler = OTelCallbackHandler(
        tracer_provider=telemetry.tracer_provider, meter_provider=provider
    )
    model = FakeOpenAIChat()
    input_cost, output_cost = _call_cost()
    try:
        model.invoke("a", config={"callbacks": [handler]})
        model.invoke("a", config={"callbacks": [handler]})
        assert _by_type(_cost_points(reader)) == {
            "input": pytest.approx(2 * input_cost),
            "output": pytest.approx(2 * output_cost),
        }
        model.invoke("a", config={"callbacks": [handler]})
        assert _by_type(_cost_points(reader)) == {
            "input": pytest.approx(input_cost),
            "output": pytest.approx(output_cost),
        }
    finally:
        provider.shutdown()


def test_series_past_the_bound_add_their_cost_to_the_overflow_series(
    telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_SERIES, a call's cost goes to otel.metric.overflow; its tokens keep their labels."""
    monkeypatch.setattr(metrics_module, "MAX_SERIES", 1)
    handler = telemetry.handler()
    FakeOpenAIChat().invoke("a", config={"callbacks": [handler]})
    FakeOpenAIChat(response_model="gpt-4o-mini-2024-09-01").invoke(
        "a", config={"callbacks": [handler]}
    )

    points = _cost_points(telemetry.reader)
    input_cost, output_cost = _call_cost()
    by_attrs = {tuple(sorted(p.attributes.items())): p.value for p in points}
    assert by_attrs == {
        tuple(sorted({**BASE, "gen_ai.token.type": "input"}.items())): pytest.approx(input_cost),
        tuple(sorted({**BASE, "gen_ai.token.type": "output"}.items())): pytest.approx(output_cost),
        (("gen_ai.token.type", "input"), ("otel.metric.overflow", True)): pytest.approx(input_cost),
        (("gen_ai.token.type", "output"), ("otel.metric.overflow", True)): pytest.approx(
            output_cost
        ),
    }
    models = {
        p.attributes["gen_ai.response.model"]
        for p in telemetry.metrics()["gen_ai.client.token.usage"]
    }
    assert models == {"gpt-4o-mini-2024-07-18", "gpt-4o-mini-2024-09-01"}


def test_an_unpriced_model_reports_no_cost(telemetry: Telemetry) -> None:
    """A model without a price records tokens but no langchain.llm.cost point."""
    model = FakeOpenAIChat(model_name="in-house-llm", response_model="in-house-llm-v2")
    model.invoke("a", config={"callbacks": [telemetry.handler()]})

    assert _cost_points(telemetry.reader) == []
    assert len(telemetry.metrics()["gen_ai.client.token.usage"]) == 2

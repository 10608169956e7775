"""Model spans and GenAI metrics: names, attributes, usage, cost, streaming, errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fakes import FakeAnthropicChat, FakeOpenAIChat, FakeOpenAILLM
from langchain_core.language_models.chat_models import LangSmithParams
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes
from opentelemetry.semconv._incubating.metrics import gen_ai_metrics
from opentelemetry.semconv.attributes import error_attributes, exception_attributes
from opentelemetry.trace import SpanKind, StatusCode

from otel_langchain import _semconv as sc
from otel_langchain.pricing import default_table

# Bucket boundaries advised by the GenAI semantic conventions (gen-ai-metrics.md).
SEMCONV_DURATION_BUCKETS = [
    0.01,
    0.02,
    0.04,
    0.08,
    0.16,
    0.32,
    0.64,
    1.28,
    2.56,
    5.12,
    10.24,
    20.48,
    40.96,
    81.92,
]
SEMCONV_TOKEN_BUCKETS = [
    1,
    4,
    16,
    64,
    256,
    1024,
    4096,
    16384,
    65536,
    262144,
    1048576,
    4194304,
    16777216,
    67108864,
]

OPENAI_METRIC_ATTRS = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
}


def _chain(model: Any) -> Any:
    prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "{q}")])
    return prompt | model | StrOutputParser()


def _points(telemetry: Any, name: str) -> list[Any]:
    return telemetry.metrics().get(name, [])


def _cost_by_type(telemetry: Any) -> dict[str, float]:
    """langchain.llm.cost per gen_ai.token.type (the counter carries the token attributes)."""
    return {
        p.attributes["gen_ai.token.type"]: p.value for p in _points(telemetry, "langchain.llm.cost")
    }


def _expected_cost(
    model: str, request_model: str, *, inp: int, out: int, cache_read: int = 0, cache_write: int = 0
) -> float:
    found = default_table().lookup(model, request_model)
    assert found is not None
    price = found[1]
    read = price.input if price.cache_read is None else price.cache_read
    write = price.input if price.cache_write is None else price.cache_write
    uncached = inp - cache_read - cache_write
    return (
        uncached * price.input + cache_read * read + cache_write * write + out * price.output
    ) / 1e6


# -- chat spans ---------------------------------------------------------------------------


def test_chat_span_name_kind_and_attributes(telemetry: Any) -> None:
    """A chat model run is a CLIENT span `chat {model}` with every CONTRACT attribute."""
    model = FakeOpenAIChat(cache_read=4, reasoning=3)
    model.invoke("hi", config={"callbacks": [telemetry.handler()]})

    span = telemetry.span("chat gpt-4o-mini")
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attrs = dict(span.attributes or {})
    expected = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 256,
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 7,
        "gen_ai.usage.cache_read.input_tokens": 4,
        "gen_ai.usage.reasoning.output_tokens": 3,
        "langchain.run.type": "chat_model",
        "langchain.run.name": "FakeOpenAIChat",
    }
    assert {k: attrs.get(k) for k in expected} == expected
    assert attrs["gen_ai.response.id"].startswith("chatcmpl-")
    assert attrs["langchain.run.id"]
    assert "gen_ai.usage.cache_creation.input_tokens" not in attrs
    cost = _expected_cost("gpt-4o-mini-2024-07-18", "gpt-4o-mini", inp=12, out=7, cache_read=4)
    assert attrs["langchain.llm.cost_usd"] == pytest.approx(cost)
    assert "langchain.llm.cost_unknown" not in attrs


def test_chat_span_records_stop_sequences_passed_at_call_time(telemetry: Any) -> None:
    """`stop=` passed at invocation becomes gen_ai.request.stop_sequences."""
    FakeOpenAIChat().invoke("hi", stop=["END"], config={"callbacks": [telemetry.handler()]})

    attrs = telemetry.span("chat gpt-4o-mini").attributes
    assert attrs["gen_ai.request.stop_sequences"] == ("END",)


def test_tool_call_response_reports_tool_calls_finish_reason(telemetry: Any) -> None:
    """A response that calls tools reports finish reason `tool_calls`."""
    from langchain_core.messages import AIMessage

    call = {"name": "lookup", "args": {"q": "x"}, "id": "call_1", "type": "tool_call"}
    model = FakeOpenAIChat(responses=[AIMessage(content="", tool_calls=[call])])
    model.invoke("hi", config={"callbacks": [telemetry.handler()]})

    span = telemetry.span("chat gpt-4o-mini")
    assert span.attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)


def test_anthropic_cache_tokens_and_cost_use_cache_prices(telemetry: Any) -> None:
    """Anthropic cache read/creation tokens are recorded and priced at the cache prices."""
    model = FakeAnthropicChat(
        input_tokens=20, output_tokens=10, cache_read=1000, cache_creation=500
    )
    model.invoke("hi", config={"callbacks": [telemetry.handler()]})

    span = telemetry.span("chat claude-sonnet-4-5")
    attrs = span.attributes
    assert attrs["gen_ai.provider.name"] == "anthropic"
    assert attrs["gen_ai.response.model"] == "claude-sonnet-4-5-20250929"
    assert attrs["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert attrs["gen_ai.response.id"].startswith("msg_")
    # The normalised input count includes the cached parts.
    assert attrs["gen_ai.usage.input_tokens"] == 1520
    assert attrs["gen_ai.usage.output_tokens"] == 10
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 1000
    assert attrs["gen_ai.usage.cache_creation.input_tokens"] == 500

    price = default_table().lookup("claude-sonnet-4-5-20250929")
    assert price is not None
    assert price[1].cache_read is not None and price[1].cache_read != price[1].input
    assert price[1].cache_write is not None and price[1].cache_write != price[1].input
    expected = _expected_cost(
        "claude-sonnet-4-5-20250929",
        "claude-sonnet-4-5",
        inp=1520,
        out=10,
        cache_read=1000,
        cache_write=500,
    )
    assert attrs["langchain.llm.cost_usd"] == pytest.approx(expected)
    naive = (1520 * price[1].input + 10 * price[1].output) / 1e6
    assert attrs["langchain.llm.cost_usd"] != pytest.approx(naive)
    by_type = _cost_by_type(telemetry)
    assert sum(by_type.values()) == pytest.approx(expected)
    assert by_type["output"] == pytest.approx(10 * price[1].output / 1e6)


def test_text_llm_span_uses_llm_output_usage(telemetry: Any) -> None:
    """A text LLM run is `text_completion {model}` with usage from llm_output only."""
    FakeOpenAILLM().invoke("Tell a story", config={"callbacks": [telemetry.handler()]})

    span = telemetry.span("text_completion gpt-3.5-turbo-instruct")
    assert span.kind is SpanKind.CLIENT
    attrs = span.attributes
    assert attrs["gen_ai.operation.name"] == "text_completion"
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.request.model"] == "gpt-3.5-turbo-instruct"
    assert attrs["gen_ai.response.model"] == "gpt-3.5-turbo-instruct"
    assert attrs["gen_ai.request.temperature"] == 0.7
    assert attrs["gen_ai.request.max_tokens"] == 64
    assert attrs["gen_ai.usage.input_tokens"] == 5
    assert attrs["gen_ai.usage.output_tokens"] == 4
    assert attrs["langchain.run.type"] == "llm"
    points = _points(telemetry, "gen_ai.client.token.usage")
    by_type = {p.attributes["gen_ai.token.type"]: p.sum for p in points}
    assert by_type == {"input": 5, "output": 4}
    assert all(p.attributes["gen_ai.operation.name"] == "text_completion" for p in points)


# -- usage and cost -----------------------------------------------------------------------


def test_missing_usage_records_no_usage_and_cost_unknown(telemetry: Any) -> None:
    """Without reported usage: no usage attributes, no token points, cost unknown, no cost."""
    FakeOpenAIChat(report_usage=False).invoke("hi", config={"callbacks": [telemetry.handler()]})

    attrs = telemetry.span("chat gpt-4o-mini").attributes
    assert not [k for k in attrs if k.startswith("gen_ai.usage.")]
    assert attrs["langchain.llm.cost_unknown"] is True
    assert "langchain.llm.cost_usd" not in attrs
    assert _points(telemetry, "gen_ai.client.token.usage") == []
    assert _points(telemetry, "langchain.llm.cost") == []
    assert len(_points(telemetry, "gen_ai.client.operation.duration")) == 1


def test_unknown_model_has_cost_unknown_and_no_cost_metric(telemetry: Any) -> None:
    """A model missing from the price table: cost_unknown true, tokens yes, cost no."""
    model = FakeOpenAIChat(model_name="acme-brain-7", response_model="acme-brain-7-0611")
    model.invoke("hi", config={"callbacks": [telemetry.handler()]})

    attrs = telemetry.span("chat acme-brain-7").attributes
    assert attrs["langchain.llm.cost_unknown"] is True
    assert "langchain.llm.cost_usd" not in attrs
    assert attrs["gen_ai.usage.input_tokens"] == 12
    assert _points(telemetry, "langchain.llm.cost") == []
    assert len(_points(telemetry, "gen_ai.client.token.usage")) == 2


def test_prices_argument_overrides_builtin_table(telemetry: Any) -> None:
    """`prices=` entries win over the built-in table."""
    handler = telemetry.handler(prices={"gpt-4o-mini": {"input": 100.0, "output": 200.0}})
    FakeOpenAIChat().invoke("hi", config={"callbacks": [handler]})

    expected = (12 * 100.0 + 7 * 200.0) / 1e6
    assert telemetry.span("chat gpt-4o-mini").attributes["langchain.llm.cost_usd"] == (
        pytest.approx(expected)
    )
    assert _cost_by_type(telemetry) == {
        "input": pytest.approx(12 * 100.0 / 1e6),
        "output": pytest.approx(7 * 200.0 / 1e6),
    }


def test_prices_env_file_is_used(
    telemetry: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OTEL_LANGCHAIN_PRICES names a JSON file whose prices are used; prices= beats it."""
    path = tmp_path / "prices.json"
    path.write_text(
        json.dumps(
            {
                "acme-brain-7": {"input": 1.0, "output": 2.0},
                "acme-brain-8": {"input": 1.0, "output": 2.0},
            }
        )
    )
    monkeypatch.setenv("OTEL_LANGCHAIN_PRICES", str(path))
    handler = telemetry.handler(prices={"acme-brain-8": {"input": 10.0, "output": 20.0}})

    for name in ("acme-brain-7", "acme-brain-8"):
        FakeOpenAIChat(model_name=name, response_model=name).invoke(
            "hi", config={"callbacks": [handler]}
        )

    assert telemetry.span("chat acme-brain-7").attributes["langchain.llm.cost_usd"] == (
        pytest.approx((12 * 1.0 + 7 * 2.0) / 1e6)
    )
    assert telemetry.span("chat acme-brain-8").attributes["langchain.llm.cost_usd"] == (
        pytest.approx((12 * 10.0 + 7 * 20.0) / 1e6)
    )


@pytest.mark.parametrize(
    ("prices", "fragment"),
    [
        ({"gpt-x": {"input": "cheap", "output": 1.0}}, "'input'"),
        ({"gpt-x": {"input": 1.0}}, "'output'"),
        ({"gpt-x": {"input": -1.0, "output": 1.0}}, "'input'"),
        ({"gpt-x": {"input": 1.0, "output": 1.0, "cached": 0.5}}, "'cached'"),
        ({"gpt-x": 3.0}, "gpt-x"),
    ],
)
def test_malformed_prices_raise_value_error_at_construction(
    telemetry: Any, prices: dict[str, Any], fragment: str
) -> None:
    """A malformed `prices=` entry raises a ValueError naming the entry, at construction."""
    with pytest.raises(ValueError, match="gpt-x") as info:
        telemetry.handler(prices=prices)
    assert fragment in str(info.value)
    assert "prices=" in str(info.value)


# -- streaming ----------------------------------------------------------------------------


def test_model_stream_usage_first_chunk_event_and_ttfc(telemetry: Any) -> None:
    """model.stream: usage from the last chunk, one first-chunk event, a TTFC point."""
    model = FakeOpenAIChat(responses=["one two three four"], input_tokens=30, output_tokens=4)
    chunks = list(model.stream("hi", config={"callbacks": [telemetry.handler()]}))
    assert "".join(str(c.content) for c in chunks) == "one two three four"

    span = telemetry.span("chat gpt-4o-mini")
    attrs = span.attributes
    assert attrs["gen_ai.usage.input_tokens"] == 30
    assert attrs["gen_ai.usage.output_tokens"] == 4
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
    assert [e.name for e in span.events] == ["gen_ai.first_chunk"]
    [ttfc] = _points(telemetry, "gen_ai.client.operation.time_to_first_chunk")
    assert ttfc.count == 1
    assert dict(ttfc.attributes) == OPENAI_METRIC_ATTRS
    [duration] = _points(telemetry, "gen_ai.client.operation.duration")
    assert ttfc.sum <= duration.sum


def test_chain_stream_usage_and_first_chunk(telemetry: Any) -> None:
    """chain.stream streams through the model: same usage, first-chunk event and TTFC."""
    chain = _chain(FakeOpenAIChat(responses=["a b c"]))
    out = "".join(chain.stream({"q": "hi"}, config={"callbacks": [telemetry.handler()]}))
    assert out == "a b c"

    span = telemetry.span("chat gpt-4o-mini")
    assert span.attributes["gen_ai.usage.input_tokens"] == 12
    assert span.attributes["gen_ai.usage.output_tokens"] == 7
    assert [e.name for e in span.events] == ["gen_ai.first_chunk"]
    assert len(_points(telemetry, "gen_ai.client.operation.time_to_first_chunk")) == 1


def test_every_streamed_call_marks_its_own_first_chunk(telemetry: Any) -> None:
    """Calls streamed one after another, and two interleaved, each get their first chunk."""
    handler = telemetry.handler()
    model = FakeOpenAIChat(responses=["a b c"])
    for _ in range(2):
        list(model.stream("hi", config={"callbacks": [handler]}))
    first = model.stream("hi", config={"callbacks": [handler]})
    second = model.stream("hi", config={"callbacks": [handler]})
    next(first), next(second)
    list(first), list(second)

    spans = [s for s in telemetry.spans() if s.name == "chat gpt-4o-mini"]
    assert len(spans) == 4
    for span in spans:
        assert [e.name for e in span.events] == ["gen_ai.first_chunk"]
        assert span.attributes["gen_ai.request.stream"] is True
    [ttfc] = _points(telemetry, "gen_ai.client.operation.time_to_first_chunk")
    assert ttfc.count == 4


def test_no_time_to_first_chunk_without_streaming(telemetry: Any) -> None:
    """invoke (not streamed) records no first-chunk event and no TTFC metric."""
    _chain(FakeOpenAIChat()).invoke({"q": "hi"}, config={"callbacks": [telemetry.handler()]})

    span = telemetry.span("chat gpt-4o-mini")
    assert not [e for e in span.events if e.name == "gen_ai.first_chunk"]
    assert "gen_ai.response.time_to_first_chunk" not in span.attributes
    assert _points(telemetry, "gen_ai.client.operation.time_to_first_chunk") == []


# -- metrics ------------------------------------------------------------------------------


def test_token_usage_metric_points_and_attributes(telemetry: Any) -> None:
    """gen_ai.client.token.usage: one input and one output point with the CONTRACT attributes."""
    handler = telemetry.handler()
    model = FakeOpenAIChat(input_tokens=100, output_tokens=40)
    model.invoke("a", config={"callbacks": [handler]})
    model.invoke("b", config={"callbacks": [handler]})

    points = _points(telemetry, "gen_ai.client.token.usage")
    assert len(points) == 2
    by_type = {p.attributes["gen_ai.token.type"]: p for p in points}
    assert set(by_type) == {"input", "output"}
    for token_type, point in by_type.items():
        assert dict(point.attributes) == {**OPENAI_METRIC_ATTRS, "gen_ai.token.type": token_type}
        assert point.count == 2
    assert by_type["input"].sum == 200
    assert by_type["output"].sum == 80


def test_operation_duration_metric_attributes(telemetry: Any) -> None:
    """gen_ai.client.operation.duration: the token attributes minus the token type."""
    FakeOpenAIChat().invoke("a", config={"callbacks": [telemetry.handler()]})

    [point] = _points(telemetry, "gen_ai.client.operation.duration")
    assert dict(point.attributes) == OPENAI_METRIC_ATTRS
    assert point.count == 1
    assert point.sum >= 0


def test_operation_duration_on_failure_carries_error_type(telemetry: Any) -> None:
    """A failed model call still records the duration, with error.type."""
    model = FakeOpenAIChat(error=TimeoutError("upstream slow"))
    with pytest.raises(TimeoutError):
        model.invoke("a", config={"callbacks": [telemetry.handler()]})

    [point] = _points(telemetry, "gen_ai.client.operation.duration")
    assert dict(point.attributes) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "error.type": "TimeoutError",
    }
    assert _points(telemetry, "gen_ai.client.token.usage") == []
    # A model run has no langchain.run.duration by default: the operation duration covers it.
    assert _points(telemetry, "langchain.run.duration") == []


def test_failed_model_run_duration_carries_error_type_with_run_duration_all(
    telemetry: Any,
) -> None:
    """With run_duration='all' a failed model call's langchain.run.duration carries error.type."""
    model = FakeOpenAIChat(error=TimeoutError("upstream slow"))
    with pytest.raises(TimeoutError):
        model.invoke("a", config={"callbacks": [telemetry.handler(run_duration="all")]})

    [run] = _points(telemetry, "langchain.run.duration")
    assert run.attributes["error.type"] == "TimeoutError"


def test_cost_counter_attributes(telemetry: Any) -> None:
    """langchain.llm.cost is a monotonic sum per token type with the token-usage attributes."""
    FakeOpenAIChat().invoke("a", config={"callbacks": [telemetry.handler()]})

    data = telemetry.reader.get_metrics_data()
    [metric] = [
        m
        for rm in data.resource_metrics
        for s in rm.scope_metrics
        for m in s.metrics
        if m.name == "langchain.llm.cost"
    ]
    assert metric.unit == "{USD}"
    assert metric.data.is_monotonic
    points = metric.data.data_points
    assert sorted(dict(p.attributes)["gen_ai.token.type"] for p in points) == ["input", "output"]
    for point in points:
        token_type = point.attributes["gen_ai.token.type"]
        assert dict(point.attributes) == {**OPENAI_METRIC_ATTRS, "gen_ai.token.type": token_type}
    assert sum(p.value for p in points) == pytest.approx(
        _expected_cost("gpt-4o-mini-2024-07-18", "gpt-4o-mini", inp=12, out=7)
    )


def test_run_duration_only_for_the_root_of_a_chain_by_default(telemetry: Any) -> None:
    """By default langchain.run.duration skips a chain's inner steps and model runs."""
    _chain(FakeOpenAIChat()).invoke({"q": "hi"}, config={"callbacks": [telemetry.handler()]})

    [point] = _points(telemetry, "langchain.run.duration")
    assert dict(point.attributes) == {
        "langchain.run.type": "chain",
        "langchain.run.name": "RunnableSequence",
    }
    assert point.count == 1
    assert len(telemetry.spans()) == 4


def test_run_duration_recorded_for_every_run(telemetry: Any) -> None:
    """With run_duration='all' langchain.run.duration gets a point for every run."""
    handler = telemetry.handler(run_duration="all")
    _chain(FakeOpenAIChat()).invoke({"q": "hi"}, config={"callbacks": [handler]})

    points = _points(telemetry, "langchain.run.duration")
    seen = {
        (p.attributes["langchain.run.type"], p.attributes["langchain.run.name"]): p.count
        for p in points
    }
    assert seen == {
        ("chain", "RunnableSequence"): 1,
        ("prompt", "ChatPromptTemplate"): 1,
        ("chat_model", "FakeOpenAIChat"): 1,
        ("parser", "StrOutputParser"): 1,
    }
    assert all("error.type" not in p.attributes for p in points)
    assert len(telemetry.spans()) == 4


def test_metric_units_and_bucket_boundaries_follow_semconv(telemetry: Any) -> None:
    """Units and histogram bucket boundaries equal the GenAI semconv advice."""
    assert list(sc.DURATION_BUCKETS) == SEMCONV_DURATION_BUCKETS
    assert list(sc.TOKEN_BUCKETS) == SEMCONV_TOKEN_BUCKETS
    handler = telemetry.handler(run_duration="all")  # the model run gets langchain.run.duration
    list(FakeOpenAIChat().stream("a", config={"callbacks": [handler]}))

    data = telemetry.reader.get_metrics_data()
    metrics = {
        m.name: m for rm in data.resource_metrics for s in rm.scope_metrics for m in s.metrics
    }
    expected = {
        "gen_ai.client.token.usage": ("{token}", SEMCONV_TOKEN_BUCKETS),
        "gen_ai.client.operation.duration": ("s", SEMCONV_DURATION_BUCKETS),
        "gen_ai.client.operation.time_to_first_chunk": ("s", SEMCONV_DURATION_BUCKETS),
        "langchain.run.duration": ("s", SEMCONV_DURATION_BUCKETS),
    }
    for name, (unit, buckets) in expected.items():
        metric = metrics[name]
        assert metric.unit == unit, name
        for point in metric.data.data_points:
            assert list(point.explicit_bounds) == buckets, name


# -- errors -------------------------------------------------------------------------------


class QuotaError(Exception):
    """An application-defined error raised by a model."""


def test_model_error_span_and_exception_passthrough(telemetry: Any) -> None:
    """A model error: span ERROR, error.type, exception event; the app gets the same object."""
    err = QuotaError("quota exceeded for project p-1")
    model = FakeOpenAIChat(error=err)
    with pytest.raises(QuotaError) as info:
        model.invoke("hi", config={"callbacks": [telemetry.handler()]})
    assert info.value is err

    span = telemetry.span("chat gpt-4o-mini")
    assert span.status.status_code is StatusCode.ERROR
    assert "quota exceeded for project p-1" in (span.status.description or "")
    assert span.attributes["error.type"] == "QuotaError"
    [event] = [e for e in span.events if e.name == "exception"]
    assert event.attributes["exception.type"].endswith("QuotaError")
    assert event.attributes["exception.message"] == "quota exceeded for project p-1"
    stack = event.attributes["exception.stacktrace"]
    assert "Traceback" in stack and "QuotaError" in stack and "_next" in stack
    assert not [k for k in span.attributes if k.startswith("gen_ai.usage.")]


def test_model_error_inside_chain_propagates_unchanged(telemetry: Any) -> None:
    """A model error inside a chain reaches the caller unchanged; every span is ERROR."""
    err = QuotaError("nope")
    with pytest.raises(QuotaError) as info:
        _chain(FakeOpenAIChat(error=err)).invoke(
            {"q": "hi"}, config={"callbacks": [telemetry.handler()]}
        )
    assert info.value is err
    for name in ("chat gpt-4o-mini", "RunnableSequence"):
        span = telemetry.span(name)
        assert span.status.status_code is StatusCode.ERROR
        assert span.attributes["error.type"] == "QuotaError"


# -- provider mapping ---------------------------------------------------------------------


class ProviderChat(FakeOpenAIChat):
    """A chat model reporting an arbitrary ``ls_provider``."""

    provider: str = "openai"

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = self.provider
        return params


@pytest.mark.parametrize(
    ("ls_provider", "semconv"),
    [
        ("openai", "openai"),
        ("anthropic", "anthropic"),
        ("amazon_bedrock", "aws.bedrock"),
        ("azure", "azure.ai.openai"),
        ("google_vertexai", "gcp.vertex_ai"),
        ("google_genai", "gcp.gen_ai"),
        ("mistralai", "mistral_ai"),
        ("cohere", "cohere"),
        ("groq", "groq"),
        ("deepseek", "deepseek"),
        ("xai", "x_ai"),
    ],
)
def test_provider_name_mapped_from_ls_provider(
    telemetry: Any, ls_provider: str, semconv: str
) -> None:
    """LangChain's ls_provider maps to the semconv gen_ai.provider.name value."""
    ProviderChat(provider=ls_provider).invoke("hi", config={"callbacks": [telemetry.handler()]})

    span = telemetry.span("chat gpt-4o-mini")
    assert span.attributes["gen_ai.provider.name"] == semconv
    [point] = _points(telemetry, "gen_ai.client.operation.duration")
    assert point.attributes["gen_ai.provider.name"] == semconv
    known = {v.value for v in gen_ai_attributes.GenAiProviderNameValues}
    assert semconv in known


def test_provider_table_values_are_semconv_values() -> None:
    """Every value of the ls_provider mapping is a semconv gen_ai.provider.name value."""
    known = {v.value for v in gen_ai_attributes.GenAiProviderNameValues}
    assert set(sc.PROVIDER_NAMES.values()) <= known


# -- semconv names ------------------------------------------------------------------------


def _constants(module: Any, prefix: str) -> dict[str, str]:
    return {
        n: getattr(module, n)
        for n in dir(module)
        if n.startswith(prefix) and isinstance(getattr(module, n), str)
    }


def test_attribute_names_equal_installed_semconv() -> None:
    """Every GEN_AI_* name in _semconv exists in the installed semconv package, same value."""
    ours = _constants(sc, "GEN_AI_")
    theirs = _constants(gen_ai_attributes, "GEN_AI_")
    assert set(ours) <= set(theirs), sorted(set(ours) - set(theirs))
    assert {n: ours[n] for n in ours} == {n: theirs[n] for n in ours}
    assert sc.ERROR_TYPE == error_attributes.ERROR_TYPE
    assert sc.EXCEPTION_TYPE == exception_attributes.EXCEPTION_TYPE
    assert sc.EXCEPTION_MESSAGE == exception_attributes.EXCEPTION_MESSAGE
    assert sc.EXCEPTION_STACKTRACE == exception_attributes.EXCEPTION_STACKTRACE


def test_operation_and_token_type_values_are_semconv_values() -> None:
    """gen_ai.operation.name and gen_ai.token.type values are semconv enum members."""
    ops = {v.value for v in gen_ai_attributes.GenAiOperationNameValues}
    ours = {sc.OP_CHAT, sc.OP_TEXT_COMPLETION, sc.OP_EXECUTE_TOOL, sc.OP_INVOKE_AGENT}
    assert ours <= ops
    types = {v.value for v in gen_ai_attributes.GenAiTokenTypeValues}
    assert {sc.TOKEN_TYPE_INPUT, sc.TOKEN_TYPE_OUTPUT} <= types


def test_metric_names_equal_installed_semconv() -> None:
    """GenAI metric names equal the installed semconv package's gen_ai_metrics constants."""
    assert sc.METRIC_TOKEN_USAGE == gen_ai_metrics.GEN_AI_CLIENT_TOKEN_USAGE
    assert sc.METRIC_OPERATION_DURATION == gen_ai_metrics.GEN_AI_CLIENT_OPERATION_DURATION
    assert sc.METRIC_TIME_TO_FIRST_CHUNK == (
        gen_ai_metrics.GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK
    )


def _all_spans_ended(spans: list[ReadableSpan]) -> bool:
    return all(s.end_time is not None for s in spans)


def test_spans_of_a_chain_all_end(telemetry: Any) -> None:
    """Every span of a traced chain ends, and the model span is a child of the chain."""
    handler = telemetry.handler()
    _chain(FakeOpenAIChat()).invoke({"q": "hi"}, config={"callbacks": [handler]})

    assert _all_spans_ended(telemetry.spans())
    assert telemetry.tree()["chat gpt-4o-mini"] == "RunnableSequence"
    assert handler.open_runs == 0

"""No double counting when a provider SDK or instrumentation records the same model call."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Telemetry
from fakes import FakeOpenAIChat
from langchain_openai import ChatOpenAI
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import SpanKind

from otel_langchain import OTelCallbackHandler, track_usage
from otel_langchain import _semconv as sc
from otel_langchain.cli._summary import subtree_usage, summarize
from otel_langchain.cli._trace_model import read_trace_file
from otel_langchain.exporters.file import OTLPJsonFileSpanExporter

from .scripted_api import INPUT_TOKENS, OUTPUT_TOKENS, ScriptedAPI

TESTS = Path(__file__).parent.parent
OURS = "otel_langchain"


@pytest.fixture
def api() -> Iterator[ScriptedAPI]:
    """A local OpenAI- and Anthropic-compatible API."""
    with ScriptedAPI() as server:
        yield server


@pytest.fixture
def openai_v2(telemetry: Telemetry) -> Iterator[OpenAIInstrumentor]:
    """The real opentelemetry-instrumentation-openai-v2, on the test's providers."""
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(
        tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider
    )
    yield instrumentor
    instrumentor.uninstrument()


def _points_by_scope(telemetry: Telemetry) -> dict[tuple[str, str], list[Any]]:
    """(scope, metric) -> data points."""
    out: dict[tuple[str, str], list[Any]] = {}
    data = telemetry.reader.get_metrics_data()
    for rm in data.resource_metrics if data else ():
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                out.setdefault((sm.scope.name, metric.name), []).extend(metric.data.data_points)
    return out


def _trace_usage_sum(spans: list[Any], key: str) -> int:
    return sum(int(s.attributes.get(key, 0)) for s in spans)


def _openai(api: ScriptedAPI) -> ChatOpenAI:
    return ChatOpenAI(model="gpt-4o-mini", base_url=api.openai_url, api_key="sk-test-local")


def test_openai_v2_instrumentor_counts_the_call_once(
    telemetry: Telemetry, api: ScriptedAPI, openai_v2: OpenAIInstrumentor
) -> None:
    """With openai-v2 on: one gen_ai.usage.* per trace, their token/duration points, our cost."""
    handler = telemetry.handler()
    with track_usage() as usage:
        _openai(api).invoke("hi", config={"callbacks": [handler]})
    ours = next(s for s in telemetry.spans() if s.instrumentation_scope.name == OURS)
    (theirs,) = [s for s in telemetry.spans() if s.instrumentation_scope.name != OURS]
    assert theirs.parent is not None and theirs.parent.span_id == ours.context.span_id
    assert theirs.kind is SpanKind.CLIENT
    scope = theirs.instrumentation_scope.name
    spans = telemetry.spans()
    assert _trace_usage_sum(spans, sc.GEN_AI_USAGE_INPUT_TOKENS) == INPUT_TOKENS
    assert _trace_usage_sum(spans, sc.GEN_AI_USAGE_OUTPUT_TOKENS) == OUTPUT_TOKENS
    assert ours.attributes["langchain.llm.usage.input_tokens"] == INPUT_TOKENS
    assert ours.attributes[sc.LANGCHAIN_USAGE_RECORDED_BY] == scope
    assert ours.attributes[sc.LANGCHAIN_COST_USD] > 0
    points = _points_by_scope(telemetry)
    assert (OURS, sc.METRIC_TOKEN_USAGE) not in points
    assert (OURS, sc.METRIC_OPERATION_DURATION) not in points
    assert (
        sum(p.sum for p in points[(scope, sc.METRIC_TOKEN_USAGE)]) == INPUT_TOKENS + OUTPUT_TOKENS
    )
    assert len(points[(OURS, sc.METRIC_LLM_COST)]) == 2  # cost is ours alone: kept
    assert usage.total_tokens == INPUT_TOKENS + OUTPUT_TOKENS  # track_usage is unaffected


def test_dedupe_off_records_everything(
    telemetry: Telemetry, api: ScriptedAPI, openai_v2: OpenAIInstrumentor
) -> None:
    """dedupe=False: our span and metrics keep their gen_ai names (counted twice, by choice)."""
    _openai(api).invoke("hi", config={"callbacks": [telemetry.handler(dedupe=False)]})
    ours = next(s for s in telemetry.spans() if s.instrumentation_scope.name == OURS)
    assert ours.attributes[sc.GEN_AI_USAGE_INPUT_TOKENS] == INPUT_TOKENS
    assert sc.LANGCHAIN_USAGE_RECORDED_BY not in ours.attributes
    assert (OURS, sc.METRIC_TOKEN_USAGE) in _points_by_scope(telemetry)


def test_env_var_turns_dedupe_off(
    telemetry: Telemetry,
    api: ScriptedAPI,
    openai_v2: OpenAIInstrumentor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """OTEL_LANGCHAIN_DEDUPE=false is dedupe=False."""
    monkeypatch.setenv("OTEL_LANGCHAIN_DEDUPE", "false")
    _openai(api).invoke("hi", config={"callbacks": [telemetry.handler()]})
    ours = next(s for s in telemetry.spans() if s.instrumentation_scope.name == OURS)
    assert ours.attributes[sc.GEN_AI_USAGE_INPUT_TOKENS] == INPUT_TOKENS


class _ChildSpanChat(FakeOpenAIChat):
    """A chat model whose client call makes a span of another instrumentation scope."""

    child_scope: str = "opentelemetry.instrumentation.httpx"
    child_attributes: dict[str, Any] = {}
    tracer_provider: Any = None

    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        tracer = self.tracer_provider.get_tracer(self.child_scope)
        with tracer.start_as_current_span(
            "child", kind=SpanKind.CLIENT, attributes=self.child_attributes
        ):
            return super()._generate(*args, **kwargs)


def test_a_plain_http_client_span_is_not_a_duplicate(telemetry: Telemetry) -> None:
    """An HTTP client span under our model span (no gen_ai attributes) changes nothing."""
    model = _ChildSpanChat(
        tracer_provider=telemetry.tracer_provider, child_attributes={"http.request.method": "POST"}
    )
    model.invoke("hi", config={"callbacks": [telemetry.handler()]})
    ours = telemetry.span("chat gpt-4o-mini")
    assert ours.attributes[sc.GEN_AI_USAGE_INPUT_TOKENS] == 12
    assert (OURS, sc.METRIC_TOKEN_USAGE) in _points_by_scope(telemetry)


def test_a_spans_only_genai_instrumentation_keeps_our_metrics(telemetry: Telemetry) -> None:
    """A GenAI span of a scope not known to record metrics: our span moves, our metrics stay."""
    model = _ChildSpanChat(
        tracer_provider=telemetry.tracer_provider,
        child_scope="com.example.sdk",
        child_attributes={"gen_ai.operation.name": "chat"},
    )
    model.invoke("hi", config={"callbacks": [telemetry.handler()]})
    ours = telemetry.span("chat gpt-4o-mini")
    assert sc.GEN_AI_USAGE_INPUT_TOKENS not in ours.attributes
    assert ours.attributes[sc.LANGCHAIN_USAGE_RECORDED_BY] == "com.example.sdk"
    points = _points_by_scope(telemetry)
    assert sum(p.sum for p in points[(OURS, sc.METRIC_TOKEN_USAGE)]) == 19


def test_unsampled_call_asks_the_active_instrumentor(
    telemetry: Telemetry, api: ScriptedAPI
) -> None:
    """An unsampled model span sees no children: an active openai-v2 then decides for metrics."""
    unsampled = TracerProvider(sampler=ALWAYS_OFF)
    handler = OTelCallbackHandler(
        tracer_provider=unsampled, meter_provider=telemetry.meter_provider
    )
    model = _openai(api)
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=unsampled, meter_provider=telemetry.meter_provider)
    try:
        model.invoke("hi", config={"callbacks": [handler]})
    finally:
        instrumentor.uninstrument()
    assert (OURS, sc.METRIC_TOKEN_USAGE) not in _points_by_scope(telemetry)
    model.invoke("hi", config={"callbacks": [handler]})  # instrumentor off: ours count
    assert (OURS, sc.METRIC_TOKEN_USAGE) in _points_by_scope(telemetry)


_ANTHROPIC_APP = textwrap.dedent(
    """
    import json, os, sys
    sys.path.insert(0, os.environ["TESTS_DIR"])
    from conftest import Telemetry
    from opentelemetry import trace
    telemetry = Telemetry()
    trace.set_tracer_provider(telemetry.tracer_provider)  # as configure() does
    from langchain_anthropic import ChatAnthropic
    from otel_langchain import OTelCallbackHandler
    handler = OTelCallbackHandler(meter_provider=telemetry.meter_provider)
    model = ChatAnthropic(
        model="claude-sonnet-4-5", base_url=os.environ["API_URL"], api_key="sk-ant-test-local"
    )
    model.invoke("hi", config={"callbacks": [handler]})
    for _ in model.stream("hi", config={"callbacks": [handler]}):
        pass
    spans = [
        {
            "name": s.name,
            "scope": s.instrumentation_scope.name,
            "id": s.context.span_id,
            "parent": s.parent.span_id if s.parent else None,
            "attributes": dict(s.attributes),
        }
        for s in telemetry.spans()
    ]
    tokens = {
        scope: sum(p.sum for p in points)
        for (scope, points) in [
            (sm.scope.name, [p for m in sm.metrics if m.name == "gen_ai.client.token.usage"
                             for p in m.data.data_points])
            for rm in telemetry.reader.get_metrics_data().resource_metrics
            for sm in rm.scope_metrics
        ]
        if points
    }
    print(json.dumps({"spans": spans, "tokens": tokens}))
    """
)


def _run_anthropic_app(api: ScriptedAPI, **env: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", _ANTHROPIC_APP],
        env={**os.environ, "TESTS_DIR": str(TESTS), "API_URL": api.anthropic_url, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_anthropic_sdk_spans_count_the_call_once(api: ScriptedAPI) -> None:
    """anthropic 2.x's own spans (global provider): usage once per call, our metrics kept."""
    result = _run_anthropic_app(api)
    spans = result["spans"]
    ours = [s for s in spans if s["scope"] == OURS]
    theirs = [s for s in spans if s["scope"] == "com.anthropic.sdk.python"]
    assert len(ours) == len(theirs) == 2  # invoke and stream
    for sdk_span in theirs:
        parent = next(s for s in ours if s["id"] == sdk_span["parent"])
        assert sdk_span["name"] == "anthropic.messages.create"
        assert sdk_span["attributes"][sc.GEN_AI_USAGE_INPUT_TOKENS] == INPUT_TOKENS
        assert parent["attributes"][sc.LANGCHAIN_USAGE_RECORDED_BY] == "com.anthropic.sdk.python"
        assert parent["attributes"]["langchain.llm.usage.output_tokens"] == OUTPUT_TOKENS
        assert sc.GEN_AI_USAGE_INPUT_TOKENS not in parent["attributes"]
    total_in = sum(s["attributes"].get(sc.GEN_AI_USAGE_INPUT_TOKENS, 0) for s in spans)
    assert total_in == 2 * INPUT_TOKENS
    # The SDK records no metrics: ours are the only token metrics, each call once.
    assert result["tokens"] == {OURS: 2 * (INPUT_TOKENS + OUTPUT_TOKENS)}


def test_anthropic_sdk_tracing_off_leaves_our_span_whole(api: ScriptedAPI) -> None:
    """ANTHROPIC_OPEN_TELEMETRY=false: no SDK span, so our span keeps gen_ai.usage.*."""
    result = _run_anthropic_app(api, ANTHROPIC_OPEN_TELEMETRY="false")
    spans = result["spans"]
    assert {s["scope"] for s in spans} == {OURS}
    model_spans = [s for s in spans if s["name"].startswith("chat ")]
    assert [s["attributes"][sc.GEN_AI_USAGE_INPUT_TOKENS] for s in model_spans] == [
        INPUT_TOKENS,
        INPUT_TOKENS,
    ]


def test_cli_summary_counts_a_deduplicated_call_once(
    telemetry: Telemetry, api: ScriptedAPI, openai_v2: OpenAIInstrumentor, tmp_path: Path
) -> None:
    """otel-langchain view sums each call once: ours (moved usage), not the provider span too."""
    out = tmp_path / "traces.jsonl"
    exporter = OTLPJsonFileSpanExporter(out)
    telemetry.tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    _openai(api).invoke("hi", config={"callbacks": [telemetry.handler()]})
    telemetry.tracer_provider.force_flush()
    summary = summarize(read_trace_file(out))
    assert summary.spans == 2
    assert (summary.total.calls, summary.total.input_tokens) == (1, INPUT_TOKENS)
    assert summary.total.output_tokens == OUTPUT_TOKENS
    assert summary.total.cost_usd > 0
    ((root,),) = [t.roots for t in read_trace_file(out).traces]
    row = subtree_usage(root)
    assert (row.calls, row.input_tokens, row.output_tokens) == (1, INPUT_TOKENS, OUTPUT_TOKENS)

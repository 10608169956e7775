"""Regenerate ``data/small.jsonl`` from a real OpenTelemetry SDK run.

Run ``python tests/cli/make_fixture.py``. The spans mimic what the handler
emits for a small agent (a model call, a failing then retried tool, a
retrieval, the links between tool calls and the model calls around them, and
a second run that resumes the first) and are encoded the way the SDK's OTLP
exporters encode them, then printed with protobuf's JSON mapping and hex ids,
as the Collector writes them.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode

OUT = Path(__file__).parent / "data" / "small.jsonl"


def _hex_ids(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: base64.b64decode(v).hex()
            if k in ("traceId", "spanId", "parentSpanId")
            else _hex_ids(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_hex_ids(v) for v in node]
    return node


def _link(context: SpanContext, link_type: str) -> Link:
    return Link(context, {"langchain.link.type": link_type})


def _chat(
    tracer: Any, tokens: tuple[int, int], cost: float | None, links: list[Link]
) -> SpanContext:
    with tracer.start_as_current_span(
        "chat gpt-4o-mini", kind=SpanKind.CLIENT, links=links
    ) as span:
        span.set_attributes(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                "gen_ai.usage.input_tokens": tokens[0],
                "gen_ai.usage.output_tokens": tokens[1],
                "langchain.run.type": "chat_model",
            }
        )
        if cost is None:
            span.set_attribute("langchain.llm.cost_unknown", True)
        else:
            span.set_attribute("langchain.llm.cost_usd", cost)
        time.sleep(0.003)
    return span.get_span_context()


def _agent_run(tracer: Any, fail_tool: bool, resumes: SpanContext | None) -> SpanContext:
    links = [] if resumes is None else [_link(resumes, "resume")]
    with tracer.start_as_current_span("invoke_agent support_agent", links=links) as agent:
        agent.set_attributes(
            {"gen_ai.operation.name": "invoke_agent", "langchain.run.type": "chain"}
        )
        asked = _chat(tracer, (120, 18), 0.0000288, [])
        if fail_tool:
            with tracer.start_as_current_span(
                "execute_tool get_weather", record_exception=False, set_status_on_exception=False
            ) as tool:
                tool.set_attributes(
                    {
                        "gen_ai.operation.name": "execute_tool",
                        "gen_ai.tool.name": "get_weather",
                        "error.type": "ConnectionError",
                    }
                )
                tool.record_exception(ConnectionError("weather service timed out"))
                tool.set_status(Status(StatusCode.ERROR, "weather service timed out"))
            agent.add_event("retry", {"attempt": 1})
        with tracer.start_as_current_span(
            "execute_tool search_docs", links=[_link(asked, "tool_call")]
        ) as tool:
            tool.set_attributes(
                {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search_docs"}
            )
            tool.add_event("progress", {"step": "retrieving"})
            with tracer.start_as_current_span("retrieval docs") as ret:
                ret.set_attributes(
                    {"gen_ai.operation.name": "retrieval", "langchain.run.type": "retriever"}
                )
                time.sleep(0.001)
        result = _link(tool.get_span_context(), "tool_result")
        _chat(tracer, (210, 42), None if fail_tool else 0.0000567, [result])
    return agent.get_span_context()


def main() -> None:
    exporter = InMemorySpanExporter()
    resource = Resource.create({"service.name": "fixture-service"})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meters = MeterProvider(resource=resource, metric_readers=[reader])
    tracer = provider.get_tracer("otel_langchain", "0.1.0")
    meters.get_meter("otel_langchain").create_counter("langchain.llm.cost", unit="{USD}").add(
        0.0001
    )
    first = _agent_run(tracer, fail_tool=True, resumes=None)
    _agent_run(tracer, fail_tool=False, resumes=first)
    spans = MessageToDict(encode_spans(exporter.get_finished_spans()))
    metrics = MessageToDict(encode_metrics(reader.get_metrics_data()))
    OUT.write_text(json.dumps(_hex_ids(spans)) + "\n" + json.dumps(metrics) + "\n")


if __name__ == "__main__":
    main()

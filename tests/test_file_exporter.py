"""The OTLP/JSON Lines file exporters and their reader."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.metrics import Counter, MeterProvider
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    InMemoryMetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from otel_langchain.exporters import (
    OTLPJsonFileMetricExporter,
    OTLPJsonFileSpanExporter,
    json_to_metrics_request,
    json_to_trace_request,
    read_otlp_json,
)

RESOURCE = Resource.create({"service.name": "file-test"})


def _spans() -> list[ReadableSpan]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=RESOURCE)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("tests")
    with tracer.start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT) as parent:
        parent.set_attribute("gen_ai.usage.input_tokens", 12)
        parent.set_attribute("gen_ai.response.finish_reasons", ["stop"])
        with tracer.start_as_current_span("execute_tool search") as child:
            child.add_event("retry", {"attempt": 1})
            child.set_status(Status(StatusCode.ERROR, "boom"))
    provider.shutdown()
    return list(memory.get_finished_spans())


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_spans_are_written_as_one_otlp_json_line_per_batch(tmp_path: Path) -> None:
    """A span batch becomes one resourceSpans line with hex ids, int enums and string int64s."""
    path = tmp_path / "out.jsonl"
    spans = _spans()
    OTLPJsonFileSpanExporter(path).export(spans)

    (line,) = _lines(path)
    exported = line["resourceSpans"][0]["scopeSpans"][0]["spans"]
    by_name = {span["name"]: span for span in exported}
    child, parent = by_name["execute_tool search"], by_name["chat gpt-4o"]
    assert parent["traceId"] == format(spans[1].context.trace_id, "032x")
    assert parent["spanId"] == format(spans[1].context.span_id, "016x")
    assert child["parentSpanId"] == parent["spanId"]
    assert parent["kind"] == 3  # SPAN_KIND_CLIENT, as an integer
    assert child["status"] == {"code": 2, "message": "boom"}
    assert isinstance(parent["startTimeUnixNano"], str)
    attributes = {a["key"]: a["value"] for a in parent["attributes"]}
    assert attributes["gen_ai.usage.input_tokens"] == {"intValue": "12"}
    resource = {a["key"]: a["value"] for a in line["resourceSpans"][0]["resource"]["attributes"]}
    assert resource["service.name"] == {"stringValue": "file-test"}


def test_span_file_round_trips_to_the_same_export_request(tmp_path: Path) -> None:
    """read_otlp_json -> json_to_trace_request gives back exactly what an OTLP exporter sends."""
    path = tmp_path / "out.jsonl"
    spans = _spans()
    OTLPJsonFileSpanExporter(path).export(spans)

    (obj,) = list(read_otlp_json(path))
    assert json_to_trace_request(obj) == encode_spans(spans)


def test_metrics_are_written_and_round_trip(tmp_path: Path) -> None:
    """A metrics collection becomes one resourceMetrics line that decodes to the same request."""
    path = tmp_path / "out.jsonl"
    memory = InMemoryMetricReader()
    provider = MeterProvider(resource=RESOURCE, metric_readers=[memory])
    histogram = provider.get_meter("tests").create_histogram("gen_ai.client.operation.duration")
    histogram.record(0.25, {"gen_ai.operation.name": "chat"})
    provider.get_meter("tests").create_counter("langchain.llm.cost").add(3)
    data = memory.get_metrics_data()
    assert data is not None
    OTLPJsonFileMetricExporter(path).export(data)
    provider.shutdown()

    (obj,) = list(read_otlp_json(path))
    metrics = obj["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]
    names = {metric["name"] for metric in metrics}
    assert names == {"gen_ai.client.operation.duration", "langchain.llm.cost"}
    histogram_json = next(m for m in metrics if m["name"] == "gen_ai.client.operation.duration")
    assert histogram_json["histogram"]["aggregationTemporality"] == 2  # cumulative
    assert histogram_json["histogram"]["dataPoints"][0]["count"] == "1"
    assert json_to_metrics_request(obj) == encode_metrics(data)


def _temporality_written(exporter: OTLPJsonFileMetricExporter) -> int:
    reader = PeriodicExportingMetricReader(exporter, 60_000)
    provider = MeterProvider(resource=RESOURCE, metric_readers=[reader])
    provider.get_meter("tests").create_counter("langchain.llm.cost").add(1)
    provider.shutdown()
    (obj,) = list(read_otlp_json(exporter.path))
    metric = obj["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]
    temporality: int = metric["sum"]["aggregationTemporality"]
    return temporality


def test_metric_exporter_defaults_to_cumulative_and_honours_delta(tmp_path: Path) -> None:
    """The metric file exporter writes cumulative sums by default and delta when asked."""
    default = OTLPJsonFileMetricExporter(tmp_path / "a.jsonl")
    delta = OTLPJsonFileMetricExporter(
        tmp_path / "b.jsonl", preferred_temporality={Counter: AggregationTemporality.DELTA}
    )

    assert _temporality_written(default) == AggregationTemporality.CUMULATIVE.value
    assert _temporality_written(delta) == AggregationTemporality.DELTA.value


def test_spans_and_metrics_share_one_file(tmp_path: Path) -> None:
    """Span and metric exporters on the same path append their own lines to one file."""
    path = tmp_path / "nested" / "both.jsonl"
    OTLPJsonFileSpanExporter(path).export(_spans())
    reader = PeriodicExportingMetricReader(OTLPJsonFileMetricExporter(path), 60_000)
    provider = MeterProvider(resource=RESOURCE, metric_readers=[reader])
    provider.get_meter("tests").create_counter("langchain.llm.cost").add(1)
    provider.shutdown()

    kinds = [next(iter(obj)) for obj in read_otlp_json(path)]
    assert kinds == ["resourceSpans", "resourceMetrics"]


def test_concurrent_writers_keep_every_line_whole(tmp_path: Path) -> None:
    """Exporters on several threads writing to one file never split or interleave lines."""
    path = tmp_path / "busy.jsonl"
    spans = _spans()
    exporters = [OTLPJsonFileSpanExporter(path) for _ in range(4)]

    def write(exporter: OTLPJsonFileSpanExporter) -> None:
        for _ in range(50):
            exporter.export(spans)

    threads = [threading.Thread(target=write, args=(exporter,)) for exporter in exporters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    objects = list(read_otlp_json(path))
    assert len(objects) == 200
    assert all(json_to_trace_request(obj) == encode_spans(spans) for obj in objects)


def test_bad_line_names_the_file_and_line(tmp_path: Path) -> None:
    """A line that is not OTLP/JSON raises ValueError naming the file and line number."""
    path = tmp_path / "bad.jsonl"
    OTLPJsonFileSpanExporter(path).export(_spans())
    with path.open("a", encoding="utf-8") as out:
        out.write("\n{not json\n")

    with pytest.raises(ValueError, match=rf"{path.name}:3: not valid JSON"):
        list(read_otlp_json(path))


def test_json_without_otlp_keys_is_rejected(tmp_path: Path) -> None:
    """Valid JSON that is not an OTLP object is rejected with its line number."""
    path = tmp_path / "other.jsonl"
    path.write_text('{"hello": 1}\n', encoding="utf-8")

    with pytest.raises(ValueError, match=r"other.jsonl:1: not an OTLP/JSON object"):
        list(read_otlp_json(path))


def test_bad_hex_id_is_a_value_error() -> None:
    """An id that is not hex cannot be decoded into a request."""
    obj = {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz", "name": "x"}]}]}]}

    with pytest.raises(ValueError, match="ExportTraceServiceRequest"):
        json_to_trace_request(obj)


def test_exporters_refuse_batches_after_shutdown(tmp_path: Path) -> None:
    """After shutdown the file exporters write nothing more."""
    path = tmp_path / "closed.jsonl"
    exporter = OTLPJsonFileSpanExporter(path)
    exporter.shutdown()

    assert exporter.export(_spans()).name == "FAILURE"
    assert not path.exists()

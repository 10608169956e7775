"""One exporter per chosen destination (console, file, OTLP), wrapped to count delivery."""

from __future__ import annotations

from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, MetricExporter
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SpanExporter

from otel_langchain._settings import _Otlp, _Settings
from otel_langchain.exporters._delivery import _CountingMetricExporter, _CountingSpanExporter
from otel_langchain.exporters.file import OTLPJsonFileMetricExporter, OTLPJsonFileSpanExporter


def _span_exporter(name: str, settings: _Settings) -> _CountingSpanExporter:
    inner: SpanExporter
    if name == "console":
        inner, label = ConsoleSpanExporter(), "console"
    elif name == "file":
        inner = OTLPJsonFileSpanExporter(settings.file)
        label = f"file {inner.path}"
    else:
        otlp = settings.traces_otlp
        assert otlp is not None  # resolved whenever "otlp" is chosen
        inner, label = _otlp_span_exporter(otlp), otlp.label
    return _CountingSpanExporter(inner, label)


def _metric_exporter(name: str, settings: _Settings) -> _CountingMetricExporter:
    inner: MetricExporter
    temporality = dict(settings.temporality)
    if name == "console":
        inner, label = ConsoleMetricExporter(preferred_temporality=temporality), "console"
    elif name == "file":
        inner = OTLPJsonFileMetricExporter(settings.file, preferred_temporality=temporality)
        label = f"file {inner.path}"
    else:
        otlp = settings.metrics_otlp
        assert otlp is not None  # resolved whenever "otlp" is chosen
        inner, label = _otlp_metric_exporter(otlp, settings), otlp.label
    return _CountingMetricExporter(inner, label)


def _otlp_span_exporter(otlp: _Otlp) -> SpanExporter:
    if otlp.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=otlp.endpoint, headers=otlp.headers, timeout=otlp.timeout)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HTTPSpanExporter,
    )

    return HTTPSpanExporter(endpoint=otlp.endpoint, headers=otlp.headers, timeout=otlp.timeout)


def _otlp_metric_exporter(otlp: _Otlp, settings: _Settings) -> MetricExporter:
    temporality = dict(settings.temporality)
    if otlp.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

        return OTLPMetricExporter(
            endpoint=otlp.endpoint,
            headers=otlp.headers,
            timeout=otlp.timeout,
            preferred_temporality=temporality,
        )
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
        OTLPMetricExporter as HTTPMetricExporter,
    )

    return HTTPMetricExporter(
        endpoint=otlp.endpoint,
        headers=otlp.headers,
        timeout=otlp.timeout,
        preferred_temporality=temporality,
    )

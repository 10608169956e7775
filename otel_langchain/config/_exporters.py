"""One exporter per chosen destination (console, file, OTLP), wrapped to count delivery."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, MetricExporter
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SpanExporter

from otel_langchain.config._checks import shown
from otel_langchain.config._delivery import CountingMetricExporter, CountingSpanExporter
from otel_langchain.config._otlp import Otlp
from otel_langchain.config._settings import Settings
from otel_langchain.exporters.file import OTLPJsonFileMetricExporter, OTLPJsonFileSpanExporter

_E = TypeVar("_E")


def span_exporter(name: str, settings: Settings) -> CountingSpanExporter:
    """The span exporter for destination ``name``, counting what it delivers."""
    inner: SpanExporter
    if name == "console":
        inner, label = ConsoleSpanExporter(), "console"
    elif name == "file":
        file_spans = _in_file(settings, lambda: OTLPJsonFileSpanExporter(settings.file))
        inner, label = file_spans, f"file {file_spans.path}"
    else:
        otlp = settings.traces_otlp
        assert otlp is not None  # resolved whenever "otlp" is chosen
        inner, label = otlp_span_exporter(otlp), otlp.label
    return CountingSpanExporter(inner, label)


def metric_exporter(name: str, settings: Settings) -> CountingMetricExporter:
    """The metric exporter for destination ``name``, counting what it delivers."""
    inner: MetricExporter
    temporality = dict(settings.temporality)
    if name == "console":
        inner, label = ConsoleMetricExporter(preferred_temporality=temporality), "console"
    elif name == "file":
        file_metrics = _in_file(
            settings,
            lambda: OTLPJsonFileMetricExporter(settings.file, preferred_temporality=temporality),
        )
        inner, label = file_metrics, f"file {file_metrics.path}"
    else:
        otlp = settings.metrics_otlp
        assert otlp is not None  # resolved whenever "otlp" is chosen
        inner, label = otlp_metric_exporter(otlp, settings), otlp.label
    return CountingMetricExporter(inner, label)


def _in_file(settings: Settings, build: Callable[[], _E]) -> _E:
    """Build a file exporter; a directory that cannot be created fails at configure()."""
    try:
        return build()
    except OSError as exc:
        raise ValueError(
            f"{settings.file_from}={shown(settings.file)}: cannot create its directory "
            f"({exc.strerror or exc})"
        ) from None


def otlp_span_exporter(otlp: Otlp) -> SpanExporter:
    """The SDK's OTLP span exporter for ``otlp`` (gRPC or HTTP/protobuf)."""
    if otlp.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=otlp.url, headers=otlp.headers, timeout=otlp.timeout)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HTTPSpanExporter,
    )

    return HTTPSpanExporter(endpoint=otlp.url, headers=otlp.headers, timeout=otlp.timeout)


def otlp_metric_exporter(otlp: Otlp, settings: Settings) -> MetricExporter:
    """The SDK's OTLP metric exporter for ``otlp``, with the configured temporality."""
    temporality = dict(settings.temporality)
    if otlp.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

        return OTLPMetricExporter(
            endpoint=otlp.url,
            headers=otlp.headers,
            timeout=otlp.timeout,
            preferred_temporality=temporality,
        )
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
        OTLPMetricExporter as HTTPMetricExporter,
    )

    return HTTPMetricExporter(
        endpoint=otlp.url,
        headers=otlp.headers,
        timeout=otlp.timeout,
        preferred_temporality=temporality,
    )

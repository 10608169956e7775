"""configure(): global OpenTelemetry providers and exporters from arguments or env."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.util.types import AttributeValue

from otel_langchain._secrets import register_headers
from otel_langchain.config._delivery import EndedSpans
from otel_langchain.config._exporters import metric_exporter, span_exporter
from otel_langchain.config._settings import Settings, resolve_settings
from otel_langchain.config._telemetry import Telemetry

logger = logging.getLogger(__name__)


def configure(
    *,
    service_name: str | None = None,
    exporter: str | Sequence[str] | None = None,
    endpoint: str | None = None,
    protocol: str | None = None,
    headers: Mapping[str, str] | str | None = None,
    file: str | os.PathLike[str] | None = None,
    resource_attributes: Mapping[str, AttributeValue] | None = None,
    metric_interval: float | None = None,
    metrics_exporter: str | Sequence[str] | None = None,
    temporality: str | None = None,
    flush_on_signals: bool | None = None,
) -> Telemetry:
    """Set up global TracerProvider and MeterProvider with batching exporters.

    Every argument falls back to the standard environment variable, read with
    the SDK's semantics, then to a default.

    Args:
        service_name: ``service.name``; else ``OTEL_SERVICE_NAME``, else
            ``OTEL_RESOURCE_ATTRIBUTES``, else the SDK's ``unknown_service``.
        exporter: ``otlp``, ``console``, ``file`` or ``none``, or several (a
            list or a comma-separated string), for traces and, unless
            ``metrics_exporter`` is given, metrics. Else ``OTEL_TRACES_EXPORTER``
            (``OTEL_METRICS_EXPORTER`` for metrics). Default: ``otlp`` when an
            OTLP endpoint is configured (argument or env), else ``console``.
        endpoint: OTLP base URL, e.g. ``http://localhost:4317`` (gRPC) or
            ``http://localhost:4318`` (HTTP; ``/v1/traces`` and ``/v1/metrics``
            are appended). Else ``OTEL_EXPORTER_OTLP_{TRACES,METRICS}_ENDPOINT``
            (used as given), then ``OTEL_EXPORTER_OTLP_ENDPOINT``. For gRPC a
            bare ``host:port`` means TLS unless ``OTEL_EXPORTER_OTLP_INSECURE=true``.
        protocol: ``grpc`` or ``http/protobuf``; else
            ``OTEL_EXPORTER_OTLP_{TRACES,METRICS}_PROTOCOL``, then
            ``OTEL_EXPORTER_OTLP_PROTOCOL``, else ``grpc`` (the Python SDK's default).
        headers: mapping or ``"k1=v1,k2=v2"`` (percent-decoded; names are
            lowercased); else ``OTEL_EXPORTER_OTLP_{TRACES,METRICS}_HEADERS``,
            then ``OTEL_EXPORTER_OTLP_HEADERS``.
        file: OTLP/JSON Lines file for the ``file`` exporter (spans and
            metrics); else ``OTEL_LANGCHAIN_FILE``, else ``otel-langchain-traces.jsonl``.
        resource_attributes: merged over ``OTEL_RESOURCE_ATTRIBUTES``.
        metric_interval: seconds between metric exports; else
            ``OTEL_METRIC_EXPORT_INTERVAL`` (milliseconds), else 60 s.
        metrics_exporter: exporters for metrics only, as ``exporter``.
        temporality: ``cumulative`` (default, what Prometheus needs), ``delta``
            or ``lowmemory``; else ``OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE``.
        flush_on_signals: on SIGTERM, flush (bounded) before the process ends,
            then run the previous handler or the default action; else
            ``OTEL_LANGCHAIN_FLUSH_ON_SIGNALS`` (true/false), else off: SIGTERM
            ends the process at once and spans still buffered are lost.
            Installed only when ``configure()`` runs in the main thread.

    Returns:
        The providers, with ``shutdown()``, ``force_flush()`` and
        ``delivery()`` (what each destination accepted and lost). If global
        providers were already set (say, by an earlier call), a warning is
        logged and the returned providers work but are not global.

    Raises:
        ValueError: a bad argument, or an environment variable that decides
            where data goes; the message names the setting and the allowed
            values. A bad tuning variable (a timeout, an interval) logs one
            warning naming it and the default used instead.
    """
    register_headers(headers)  # header values (API keys) are masked in all telemetry
    settings = resolve_settings(
        service_name=service_name,
        exporter=exporter,
        endpoint=endpoint,
        protocol=protocol,
        headers=headers,
        file=file,
        resource_attributes=resource_attributes,
        metric_interval=metric_interval,
        metrics_exporter=metrics_exporter,
        temporality=temporality,
        flush_on_signals=flush_on_signals,
    )
    telemetry = build_telemetry(settings)
    _install_globally(telemetry)
    return telemetry


def build_telemetry(settings: Settings) -> Telemetry:
    """Build providers and exporters from resolved settings, without touching globals."""
    span_exporters = [span_exporter(name, settings) for name in settings.traces]
    metric_exporters = [metric_exporter(name, settings) for name in settings.metrics]
    ended = EndedSpans()
    tracer_provider = TracerProvider(resource=settings.resource, shutdown_on_exit=False)
    tracer_provider.add_span_processor(ended)
    batching = settings.batching
    for exporter in span_exporters:
        tracer_provider.add_span_processor(
            BatchSpanProcessor(
                exporter,
                max_queue_size=batching.max_queue_size,
                schedule_delay_millis=batching.schedule_delay_millis,
                max_export_batch_size=batching.max_export_batch_size,
                export_timeout_millis=batching.export_timeout_millis,
            )
        )
    readers: list[MetricReader] = [
        PeriodicExportingMetricReader(
            exporter,
            export_interval_millis=settings.interval_millis,
            export_timeout_millis=settings.metric_timeout_millis,
        )
        for exporter in metric_exporters
    ]
    meter_provider = MeterProvider(
        resource=settings.resource, metric_readers=readers, shutdown_on_exit=False
    )
    return Telemetry(
        tracer_provider,
        meter_provider,
        span_exporters=span_exporters,
        metric_exporters=metric_exporters,
        ended=ended,
        flush_on_signals=settings.flush_on_signals,
    )


def _install_globally(telemetry: Telemetry) -> None:
    """Make the providers global; OTel allows that once per process."""
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        trace.set_tracer_provider(telemetry.tracer_provider)
    if not isinstance(metrics.get_meter_provider(), MeterProvider):
        metrics.set_meter_provider(telemetry.meter_provider)
    tracing_global = trace.get_tracer_provider() is telemetry.tracer_provider
    metrics_global = metrics.get_meter_provider() is telemetry.meter_provider
    if not (tracing_global and metrics_global):
        logger.warning(
            "Global OpenTelemetry providers were already set (configure() called twice?); "
            "the providers returned by this call work but are not global, "
            "so pass them explicitly where they are needed"
        )

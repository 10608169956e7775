"""configure(): global OpenTelemetry providers and exporters from arguments or env."""

from __future__ import annotations

import atexit
import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.util.types import AttributeValue

from otel_langchain._destinations import _metric_exporter, _span_exporter
from otel_langchain._settings import _resolve_settings, _Settings
from otel_langchain.exporters._delivery import (
    _CountingMetricExporter,
    _CountingSpanExporter,
    _EndedSpans,
)

__all__ = ["Telemetry", "configure"]

logger = logging.getLogger(__name__)

_SHUTDOWN_TIMEOUT_MILLIS = 8_000
_ABORT_GRACE_SECONDS = 1.0


class Telemetry:
    """The providers and exporters set up by :func:`configure`.

    ``shutdown()`` (or leaving a ``with`` block) flushes and stops them within
    a bounded time, then logs once per destination what could not be delivered.
    It also runs at interpreter exit, once.
    """

    def __init__(
        self,
        tracer_provider: TracerProvider,
        meter_provider: MeterProvider,
        *,
        span_exporters: Sequence[_CountingSpanExporter] = (),
        metric_exporters: Sequence[_CountingMetricExporter] = (),
        ended: _EndedSpans | None = None,
    ) -> None:
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self._span_exporters = tuple(span_exporters)
        self._metric_exporters = tuple(metric_exporters)
        self._ended = ended
        self._lock = threading.Lock()
        self._stopped = False
        atexit.register(self.shutdown)

    def force_flush(self, timeout_millis: int = 10_000) -> bool:
        """Export everything buffered now; False if a provider did not finish."""
        traces_ok = self.tracer_provider.force_flush(timeout_millis)
        try:
            metrics_ok = self.meter_provider.force_flush(timeout_millis)
        except Exception as exc:  # the SDK raises when a reader times out
            logger.warning("Flushing metrics failed: %s", exc)
            metrics_ok = False
        return traces_ok and metrics_ok

    def shutdown(self, timeout_millis: int = _SHUTDOWN_TIMEOUT_MILLIS) -> None:
        """Flush and stop both providers; returns within about ``timeout_millis``.

        Traces and metrics shut down in parallel. Once shutdown starts, a
        destination that already failed is not retried, and when the time is
        up, exports still retrying are cancelled.
        """
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        atexit.unregister(self.shutdown)
        exporters: tuple[_CountingSpanExporter | _CountingMetricExporter, ...] = (
            *self._span_exporters,
            *self._metric_exporters,
        )
        for exporter in exporters:
            exporter.delivery.closing = True
        workers = [
            _start_quietly(self.tracer_provider.shutdown, "traces"),
            _start_quietly(
                functools.partial(self.meter_provider.shutdown, timeout_millis), "metrics"
            ),
        ]
        deadline = time.monotonic() + timeout_millis / 1000
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        if any(worker.is_alive() for worker in workers):
            for exporter in exporters:
                exporter.abort()
            for worker in workers:
                worker.join(_ABORT_GRACE_SECONDS)
        self._report_losses()

    def _report_losses(self) -> None:
        ended = self._ended.count if self._ended is not None else 0
        for span_exporter in self._span_exporters:
            lost = ended - span_exporter.delivery.ok
            if lost > 0:
                logger.warning(
                    "%d of %d spans were not exported to %s",
                    lost,
                    ended,
                    span_exporter.delivery.label,
                )
        for metric_exporter in self._metric_exporters:
            if metric_exporter.delivery.failed:
                logger.warning(
                    "%d metric data points were not exported to %s",
                    metric_exporter.delivery.failed,
                    metric_exporter.delivery.label,
                )

    def __enter__(self) -> Telemetry:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.shutdown()


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
            are appended). Else ``OTEL_EXPORTER_OTLP_ENDPOINT`` and the
            per-signal variables, read by the SDK exporters.
        protocol: ``grpc`` or ``http/protobuf``; else
            ``OTEL_EXPORTER_OTLP_{TRACES,METRICS}_PROTOCOL``, then
            ``OTEL_EXPORTER_OTLP_PROTOCOL``, else ``grpc`` (the Python SDK's default).
        headers: mapping or ``"k1=v1,k2=v2"``; else ``OTEL_EXPORTER_OTLP_HEADERS``.
        file: OTLP/JSON Lines file for the ``file`` exporter (spans and
            metrics); else ``OTEL_LANGCHAIN_FILE``, else ``otel-langchain-traces.jsonl``.
        resource_attributes: merged over ``OTEL_RESOURCE_ATTRIBUTES``.
        metric_interval: seconds between metric exports; else
            ``OTEL_METRIC_EXPORT_INTERVAL`` (milliseconds), else 60 s.
        metrics_exporter: exporters for metrics only, as ``exporter``.
        temporality: ``cumulative`` (default, what Prometheus needs), ``delta``
            or ``lowmemory``; else ``OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE``.

    Returns:
        The providers, with ``shutdown()`` and ``force_flush()``. If global
        providers were already set (say, by an earlier call), a warning is
        logged and the returned providers work but are not global.

    Raises:
        ValueError: a bad argument or environment variable; the message names
            the setting and the allowed values.
    """
    settings = _resolve_settings(
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
    )
    telemetry = _build_telemetry(settings)
    _install_globally(telemetry)
    return telemetry


def _build_telemetry(settings: _Settings) -> Telemetry:
    """Build providers and exporters from resolved settings, without touching globals."""
    ended = _EndedSpans()
    tracer_provider = TracerProvider(resource=settings.resource, shutdown_on_exit=False)
    tracer_provider.add_span_processor(ended)
    span_exporters = [_span_exporter(name, settings) for name in settings.traces]
    for span_exporter in span_exporters:
        tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
    metric_exporters = [_metric_exporter(name, settings) for name in settings.metrics]
    readers: list[MetricReader] = [
        PeriodicExportingMetricReader(metric_exporter, settings.interval_millis)
        for metric_exporter in metric_exporters
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


def _start_quietly(stop: Callable[[], object], signal: str) -> threading.Thread:
    def run() -> None:
        try:
            stop()
        except Exception as exc:  # the SDK raises when a metric reader fails to stop
            logger.warning("Shutting down %s failed: %s", signal, exc)

    worker = threading.Thread(target=run, name=f"otel-langchain-shutdown-{signal}", daemon=True)
    worker.start()
    return worker

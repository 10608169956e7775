"""Exporter wrappers that count what each destination accepted, for the shutdown report."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, MetricsData
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

logger = logging.getLogger(__name__)


class _Delivery:
    """What one destination accepted; losses are reported once, at shutdown."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.ok = 0
        self.failed = 0
        self.closing = False
        self._last_failed = False
        self._lock = threading.Lock()

    @property
    def give_up(self) -> bool:
        """During shutdown, a destination that just failed is not retried."""
        return self.closing and self._last_failed

    def record(self, ok: bool, count: int) -> None:
        with self._lock:
            if ok:
                self.ok += count
            else:
                self.failed += count
            self._last_failed = not ok


class _EndedSpans(SpanProcessor):
    """Counts sampled spans that ended: what every span exporter should receive."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def on_end(self, span: ReadableSpan) -> None:
        if span.context is not None and span.context.trace_flags.sampled:
            with self._lock:
                self.count += 1


class _CountingSpanExporter(SpanExporter):
    """Wraps a span exporter to count what it delivered."""

    def __init__(self, inner: SpanExporter, label: str) -> None:
        self.inner = inner
        self.delivery = _Delivery(label)
        self._stop_once = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        result = SpanExportResult.FAILURE
        if not self.delivery.give_up:
            try:
                result = self.inner.export(spans)
            except Exception:
                logger.debug("Span exporter %s raised", self.delivery.label, exc_info=True)
        self.delivery.record(result is SpanExportResult.SUCCESS, len(spans))
        return result

    def shutdown(self) -> None:
        if self._stop_once.acquire(blocking=False):
            self.inner.shutdown()

    abort = shutdown

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.inner.force_flush(timeout_millis)


class _CountingMetricExporter(MetricExporter):
    """Wraps a metric exporter to count the data points it failed to deliver."""

    def __init__(self, inner: MetricExporter, label: str) -> None:
        super().__init__(
            preferred_temporality=inner._preferred_temporality,
            preferred_aggregation=inner._preferred_aggregation,
        )
        self.inner = inner
        self.delivery = _Delivery(label)
        self._stop_once = threading.Lock()

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        result = MetricExportResult.FAILURE
        if not self.delivery.give_up:
            try:
                result = self.inner.export(metrics_data, timeout_millis=timeout_millis)
            except Exception:
                logger.debug("Metric exporter %s raised", self.delivery.label, exc_info=True)
        points = sum(
            len(getattr(metric.data, "data_points", ()))
            for resource in metrics_data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
        )
        self.delivery.record(result is MetricExportResult.SUCCESS, points)
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self.inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        if self._stop_once.acquire(blocking=False):
            self.inner.shutdown(timeout_millis=timeout_millis)

    def abort(self) -> None:
        self.shutdown(timeout_millis=0)

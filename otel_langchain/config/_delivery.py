"""Delivery counting: what each destination accepted and lost, by reason.

Every exporter configure() builds is wrapped in a counting exporter; a span
processor counts the spans that ended, so spans that never reached an exporter
(a full batch queue, a shutdown that ran out of time) are counted too.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, MetricsData
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

logger = logging.getLogger(__name__)

# Why data was lost; the keys of Delivery.lost_by_reason.
EXPORT_FAILED = "export_failed"
SHUTDOWN_SKIPPED = "shutdown_skipped"
SHUTDOWN_TIMEOUT = "shutdown_timeout"
QUEUE_FULL = "queue_full"
ENDED_AFTER_SHUTDOWN = "ended_after_shutdown"


@dataclass(frozen=True)
class Delivery:
    """What one destination of one signal accepted and lost so far.

    Attributes:
        signal: ``"traces"`` (counts are spans) or ``"metrics"`` (metric data points).
        destination: e.g. ``"OTLP/grpc http://collector:4317"``, ``"file /tmp/t.jsonl"``.
        exported: accepted by the destination.
        lost: not delivered and never will be; the sum of ``lost_by_reason``.
        lost_by_reason: ``export_failed`` (the exporter reported failure: the
            destination was unreachable, refused or timed out), a write error
            such as ``write_failed:ENOSPC`` (file), an exception class name (the
            exporter raised), ``shutdown_skipped`` (not retried during shutdown
            after a failure), ``shutdown_timeout`` (still queued or in flight
            when shutdown's time ran out), ``queue_full`` (spans dropped by the
            batch queue before export), ``ended_after_shutdown``.
        pending: spans ended but not yet handed to the exporter (queued, or
            dropped by a full queue: known at shutdown); 0 for metrics.
    """

    signal: str
    destination: str
    exported: int
    lost: int
    lost_by_reason: Mapping[str, int] = field(default_factory=dict)
    pending: int = 0


class DeliveryCounter:
    """The running counts of one destination."""

    def __init__(self, label: str, signal: str) -> None:
        self.label = label
        self.signal = signal
        self.exported = 0
        self.in_flight = 0
        self.lost: collections.Counter[str] = collections.Counter()
        self.closing = False
        self._last_failed = False
        # Reentrant: the SIGTERM handler runs in the main thread, which may hold it.
        self._lock = threading.RLock()

    @property
    def give_up(self) -> bool:
        """During shutdown, a destination that just failed is not retried."""
        return self.closing and self._last_failed

    @property
    def lost_total(self) -> int:
        """Everything lost so far."""
        with self._lock:
            return sum(self.lost.values())

    def start(self, count: int) -> None:
        """``count`` items were handed to the exporter."""
        with self._lock:
            self.in_flight += count

    def finish(self, count: int, reason: str | None) -> None:
        """The exporter returned: delivered (``reason`` None) or lost for ``reason``."""
        with self._lock:
            self.in_flight -= count
            if reason is None:
                self.exported += count
            else:
                self.lost[reason] += count
            self._last_failed = reason is not None

    def add_lost(self, reason: str, count: int) -> None:
        """Count ``count`` items lost without reaching the exporter."""
        if count > 0:
            with self._lock:
                self.lost[reason] += count

    def snapshot(self, pending: int = 0, also_lost: Mapping[str, int] | None = None) -> Delivery:
        """The counts now, as a Delivery (``also_lost``: losses counted elsewhere)."""
        with self._lock:
            merged = self.lost + collections.Counter(also_lost or {})
            lost = {reason: n for reason, n in sorted(merged.items()) if n}
            return Delivery(
                signal=self.signal,
                destination=self.label,
                exported=self.exported,
                lost=sum(lost.values()),
                lost_by_reason=lost,
                pending=pending,
            )


def _failure_reason(inner: object) -> str:
    reason = getattr(inner, "failure_reason", None)
    return reason if isinstance(reason, str) and reason else EXPORT_FAILED


class EndedSpans(SpanProcessor):
    """Counts sampled spans that ended: what every span exporter should receive."""

    def __init__(self) -> None:
        self.count = 0
        self.after_shutdown = 0
        self.closed = False
        # Reentrant: the SIGTERM handler runs in the main thread, which may hold it.
        self._lock = threading.RLock()

    def close(self) -> None:
        """From now on, spans that end are counted as ended after shutdown."""
        with self._lock:
            self.closed = True

    def on_end(self, span: ReadableSpan) -> None:
        if span.context is not None and span.context.trace_flags.sampled:
            with self._lock:
                if self.closed:
                    self.after_shutdown += 1
                else:
                    self.count += 1


class CountingSpanExporter(SpanExporter):
    """Wraps a span exporter to count what it delivered and lost."""

    def __init__(self, inner: SpanExporter, label: str) -> None:
        self.inner = inner
        self.delivery = DeliveryCounter(label, "traces")
        self._stop_once = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self.delivery.give_up:
            self.delivery.add_lost(SHUTDOWN_SKIPPED, len(spans))
            return SpanExportResult.FAILURE
        self.delivery.start(len(spans))
        reason: str | None = EXPORT_FAILED
        try:
            if self.inner.export(spans) is SpanExportResult.SUCCESS:
                reason = None
            else:
                reason = _failure_reason(self.inner)
        except Exception as exc:
            logger.debug("Span exporter %s raised", self.delivery.label, exc_info=True)
            reason = type(exc).__name__
        finally:
            self.delivery.finish(len(spans), reason)
        return SpanExportResult.SUCCESS if reason is None else SpanExportResult.FAILURE

    def shutdown(self) -> None:
        if self._stop_once.acquire(blocking=False):
            self.inner.shutdown()

    abort = shutdown

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.inner.force_flush(timeout_millis)


def point_count(metrics_data: MetricsData) -> int:
    """How many data points a collection holds."""
    return sum(
        len(getattr(metric.data, "data_points", ()))
        for resource in metrics_data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    )


class CountingMetricExporter(MetricExporter):
    """Wraps a metric exporter to count the data points it delivered and lost."""

    def __init__(self, inner: MetricExporter, label: str) -> None:
        super().__init__(
            preferred_temporality=inner._preferred_temporality,
            preferred_aggregation=inner._preferred_aggregation,
        )
        self.inner = inner
        self.delivery = DeliveryCounter(label, "metrics")
        self._stop_once = threading.Lock()

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        points = point_count(metrics_data)
        if self.delivery.give_up:
            self.delivery.add_lost(SHUTDOWN_SKIPPED, points)
            return MetricExportResult.FAILURE
        self.delivery.start(points)
        reason: str | None = EXPORT_FAILED
        try:
            result = self.inner.export(metrics_data, timeout_millis=timeout_millis)
            reason = None if result is MetricExportResult.SUCCESS else _failure_reason(self.inner)
        except Exception as exc:
            logger.debug("Metric exporter %s raised", self.delivery.label, exc_info=True)
            reason = type(exc).__name__
        finally:
            self.delivery.finish(points, reason)
        return MetricExportResult.SUCCESS if reason is None else MetricExportResult.FAILURE

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self.inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        if self._stop_once.acquire(blocking=False):
            self.inner.shutdown(timeout_millis=timeout_millis)

    def abort(self) -> None:
        self.shutdown(timeout_millis=0)

"""The handle configure() returns: flush, bounded shutdown, delivery counts, the loss report."""

from __future__ import annotations

import atexit
import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider

from otel_langchain.config._delivery import (
    ENDED_AFTER_SHUTDOWN,
    QUEUE_FULL,
    SHUTDOWN_TIMEOUT,
    CountingMetricExporter,
    CountingSpanExporter,
    Delivery,
    EndedSpans,
)
from otel_langchain.config._signals import SignalFlush

logger = logging.getLogger(__name__)

SHUTDOWN_TIMEOUT_MILLIS = 8_000
_ABORT_GRACE_SECONDS = 1.0


class Telemetry:
    """The providers and exporters set up by :func:`configure`.

    ``shutdown()`` (or leaving a ``with`` block) flushes and stops them within
    a bounded time, then logs once per destination what could not be
    delivered. It also runs at interpreter exit, once. ``delivery()`` returns
    the counts at any time.
    """

    def __init__(
        self,
        tracer_provider: TracerProvider,
        meter_provider: MeterProvider,
        *,
        span_exporters: Sequence[CountingSpanExporter] = (),
        metric_exporters: Sequence[CountingMetricExporter] = (),
        ended: EndedSpans | None = None,
        flush_on_signals: bool = False,
    ) -> None:
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self._span_exporters = tuple(span_exporters)
        self._metric_exporters = tuple(metric_exporters)
        self._ended = ended or EndedSpans()
        # Reentrant: the SIGTERM handler runs in the main thread, which may hold it.
        self._lock = threading.RLock()
        self._stopped = False
        self._signals = SignalFlush(self._flush_bounded, self.shutdown)
        atexit.register(self.shutdown)
        if flush_on_signals:
            self._signals.install()

    def delivery(self) -> tuple[Delivery, ...]:
        """Per destination and signal: what was exported and lost (by reason) so far."""
        ended = self._ended.count
        reports = []
        for span_exporter in self._span_exporters:
            counter = span_exporter.delivery
            done = counter.exported + counter.lost_total + counter.in_flight
            pending = 0 if self._stopped else max(0, ended - done)
            late = {ENDED_AFTER_SHUTDOWN: self._ended.after_shutdown}
            reports.append(counter.snapshot(pending, also_lost=late))
        reports.extend(exporter.delivery.snapshot() for exporter in self._metric_exporters)
        return tuple(reports)

    def force_flush(self, timeout_millis: int = 10_000) -> bool:
        """Export everything buffered now; False if a provider did not finish."""
        traces_ok = self.tracer_provider.force_flush(timeout_millis)
        try:
            metrics_ok = self.meter_provider.force_flush(timeout_millis)
        except Exception as exc:  # the SDK raises when a reader times out
            logger.warning("Flushing metrics failed: %s", exc)
            metrics_ok = False
        return traces_ok and metrics_ok

    def shutdown(self, timeout_millis: int = SHUTDOWN_TIMEOUT_MILLIS) -> None:
        """Flush and stop both providers; returns within about ``timeout_millis``.

        Traces and metrics shut down in parallel. Once shutdown starts, a
        destination that already failed is not retried, and when the time is
        up, exports still retrying are cancelled. A SIGTERM handler installed
        by ``flush_on_signals`` is removed.
        """
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        atexit.unregister(self.shutdown)
        self._signals.uninstall()
        for exporter in self._exporters():
            exporter.delivery.closing = True
        self._ended.close()
        workers = [
            _start_quietly(self.tracer_provider.shutdown, "traces"),
            _start_quietly(
                functools.partial(self.meter_provider.shutdown, timeout_millis), "metrics"
            ),
        ]
        timed_out = not _join(workers, timeout_millis / 1000)
        if timed_out:
            for exporter in self._exporters():
                exporter.abort()
            _join(workers, _ABORT_GRACE_SECONDS)
        self._count_unexported(timed_out)
        self._report_losses()

    def _exporters(self) -> tuple[CountingSpanExporter | CountingMetricExporter, ...]:
        return (*self._span_exporters, *self._metric_exporters)

    def _flush_bounded(self, timeout_millis: int = SHUTDOWN_TIMEOUT_MILLIS) -> None:
        """force_flush() in a worker, waited for at most ``timeout_millis`` (signal handlers)."""
        worker = _start_quietly(functools.partial(self.force_flush, timeout_millis), "flush")
        worker.join(timeout_millis / 1000)

    def _count_unexported(self, timed_out: bool) -> None:
        """Spans that ended but never reached an exporter, and work cut off by the deadline."""
        ended = self._ended.count
        for span_exporter in self._span_exporters:
            counter = span_exporter.delivery
            in_flight = counter.in_flight
            never_sent = ended - counter.exported - counter.lost_total - in_flight
            counter.add_lost(SHUTDOWN_TIMEOUT if timed_out else QUEUE_FULL, never_sent)
            counter.add_lost(SHUTDOWN_TIMEOUT, in_flight)
        for metric_exporter in self._metric_exporters:
            metric_exporter.delivery.add_lost(SHUTDOWN_TIMEOUT, metric_exporter.delivery.in_flight)

    def _report_losses(self) -> None:
        for report in self.delivery():
            if not report.lost:
                continue
            what = "spans" if report.signal == "traces" else "metric data points"
            reasons = ", ".join(f"{reason}: {n}" for reason, n in report.lost_by_reason.items())
            logger.warning(
                "%d of %d %s were not exported to %s (%s)",
                report.lost,
                report.lost + report.exported,
                what,
                report.destination,
                reasons,
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


def _join(workers: list[threading.Thread], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    return not any(worker.is_alive() for worker in workers)


def _start_quietly(stop: Callable[[], object], what: str) -> threading.Thread:
    def run() -> None:
        try:
            stop()
        except Exception as exc:  # the SDK raises when a metric reader fails to stop
            logger.warning("Shutting down %s failed: %s", what, exc)

    worker = threading.Thread(target=run, name=f"otel-langchain-{what}", daemon=True)
    worker.start()
    return worker

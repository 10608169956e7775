"""Span and metric exporters that append OTLP/JSON lines to a file.

The file is what the OpenTelemetry Collector's ``otlpjsonfile`` receiver
reads, and what ``otel-langchain replay`` sends on to an OTLP endpoint.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import threading
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    MetricExporter,
    MetricExportResult,
    MetricsData,
)
from opentelemetry.sdk.metrics.view import Aggregation
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from otel_langchain.exporters.otlp_json import metrics_to_json, spans_to_json

__all__ = ["OTLPJsonFileMetricExporter", "OTLPJsonFileSpanExporter"]

logger = logging.getLogger(__name__)


class _FileState:
    """Shared by every exporter writing one file in this process: a lock, and one warning."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.warned = False


_states: dict[str, _FileState] = {}
_states_guard = threading.Lock()


def _state_for(path: str) -> _FileState:
    with _states_guard:
        return _states.setdefault(path, _FileState())


class _JsonLinesFile:
    """Appends whole JSON lines to one file; a line is never split or interleaved."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self._state = _state_for(os.path.realpath(self.path))
        self.failure_reason: str | None = None
        os.makedirs(os.path.dirname(self.path), exist_ok=True)

    def append(self, obj: dict[str, Any]) -> bool:
        """Write ``obj`` as one line and flush; False on an I/O error.

        The first error for a file is logged; later ones are only counted
        (see ``failure_reason`` and the delivery counts of ``configure()``).
        """
        line = json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n"
        try:
            with self._state.lock, open(self.path, "a", encoding="utf-8") as out:
                out.write(line)
                out.flush()
        except OSError as exc:
            code = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
            self.failure_reason = f"write_failed:{code}"
            with self._state.lock:
                first, self._state.warned = not self._state.warned, True
            if first:
                logger.warning(
                    "Cannot write telemetry to %s: %s; further failures for this file are "
                    "counted, not logged",
                    self.path,
                    exc.strerror or exc,
                )
            return False
        self.failure_reason = None
        return True


class OTLPJsonFileSpanExporter(SpanExporter):
    """Appends each batch of spans to ``path`` as one OTLP/JSON line.

    Args:
        path: the file to append to; its directory is created if missing.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._file = _JsonLinesFile(path)
        self._shutdown = False

    @property
    def path(self) -> str:
        """The absolute path written to."""
        return self._file.path

    @property
    def failure_reason(self) -> str | None:
        """Why the last write failed (``write_failed:ENOSPC``...), or None if it worked."""
        return self._file.failure_reason

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Append the batch; an empty batch writes nothing."""
        if self._shutdown:
            return SpanExportResult.FAILURE
        if not spans:
            return SpanExportResult.SUCCESS
        ok = self._file.append(spans_to_json(spans))
        return SpanExportResult.SUCCESS if ok else SpanExportResult.FAILURE

    def shutdown(self) -> None:
        """Refuse further batches; nothing is buffered."""
        self._shutdown = True

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Nothing is buffered: every batch is flushed as it is written."""
        return True


class OTLPJsonFileMetricExporter(MetricExporter):
    """Appends each metrics collection to ``path`` as one OTLP/JSON line.

    Args:
        path: the file to append to; may be shared with an
            ``OTLPJsonFileSpanExporter``.
        preferred_temporality: per instrument class, as for the SDK's OTLP
            metric exporters; default cumulative for every instrument.
        preferred_aggregation: per instrument class, as for the SDK exporters.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        preferred_temporality: dict[type, AggregationTemporality] | None = None,
        preferred_aggregation: dict[type, Aggregation] | None = None,
    ) -> None:
        super().__init__(
            preferred_temporality=preferred_temporality,
            preferred_aggregation=preferred_aggregation,
        )
        self._file = _JsonLinesFile(path)
        self._shutdown = False

    @property
    def path(self) -> str:
        """The absolute path written to."""
        return self._file.path

    @property
    def failure_reason(self) -> str | None:
        """Why the last write failed (``write_failed:ENOSPC``...), or None if it worked."""
        return self._file.failure_reason

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        """Append the collection; a collection without data points writes nothing."""
        if self._shutdown:
            return MetricExportResult.FAILURE
        obj = metrics_to_json(metrics_data)
        if not obj.get("resourceMetrics"):
            return MetricExportResult.SUCCESS
        ok = self._file.append(obj)
        return MetricExportResult.SUCCESS if ok else MetricExportResult.FAILURE

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        """Nothing is buffered: every collection is flushed as it is written."""
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        """Refuse further collections."""
        self._shutdown = True

"""Extra exporters: OTLP/JSON Lines files, and replaying them to an OTLP endpoint."""

from __future__ import annotations

from otel_langchain.exporters.file import OTLPJsonFileMetricExporter, OTLPJsonFileSpanExporter
from otel_langchain.exporters.otlp_json import (
    json_to_metrics_request,
    json_to_trace_request,
    metrics_to_json,
    read_otlp_json,
    spans_to_json,
)
from otel_langchain.exporters.replay import ReplayError, ReplayResult, replay

__all__ = [
    "OTLPJsonFileMetricExporter",
    "OTLPJsonFileSpanExporter",
    "ReplayError",
    "ReplayResult",
    "json_to_metrics_request",
    "json_to_trace_request",
    "metrics_to_json",
    "read_otlp_json",
    "replay",
    "spans_to_json",
]

"""OTLP/JSON encoding, as the OpenTelemetry Collector's file exporter writes it.

Each line of a file is one JSON object, ``{"resourceSpans": [...]}`` or
``{"resourceMetrics": [...]}``: the protobuf JSON mapping of an OTLP export
request, with the OTLP/JSON exceptions: trace and span ids are lowercase hex
(not base64) and enums are integers. Encoding uses the SDK's own OTLP
encoders, so the content is byte-for-byte what an OTLP exporter would send.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from google.protobuf import json_format  # type: ignore[import-untyped]
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.metrics.export import MetricsData
from opentelemetry.sdk.trace import ReadableSpan

__all__ = [
    "json_to_metrics_request",
    "json_to_trace_request",
    "metrics_to_json",
    "read_otlp_json",
    "spans_to_json",
]

# Bytes fields that OTLP/JSON writes as hex instead of protobuf-JSON base64
# (spans, span links, metric exemplars, log records).
_ID_FIELDS = frozenset({"traceId", "spanId", "parentSpanId"})
_TOP_LEVEL_KEYS = ("resourceSpans", "resourceMetrics", "resourceLogs")
_RequestT = TypeVar("_RequestT", ExportTraceServiceRequest, ExportMetricsServiceRequest)


def spans_to_json(spans: Sequence[ReadableSpan]) -> dict[str, Any]:
    """Encode SDK spans as one OTLP/JSON ``{"resourceSpans": [...]}`` object."""
    return _message_to_json(encode_spans(spans))


def metrics_to_json(metrics_data: MetricsData) -> dict[str, Any]:
    """Encode SDK metrics data as one OTLP/JSON ``{"resourceMetrics": [...]}`` object."""
    return _message_to_json(encode_metrics(metrics_data))


def json_to_trace_request(obj: dict[str, Any]) -> ExportTraceServiceRequest:
    """Decode an OTLP/JSON traces object back into an ``ExportTraceServiceRequest``.

    Raises:
        ValueError: if the object is not valid OTLP/JSON.
    """
    return _json_to_message(obj, ExportTraceServiceRequest)


def json_to_metrics_request(obj: dict[str, Any]) -> ExportMetricsServiceRequest:
    """Decode an OTLP/JSON metrics object back into an ``ExportMetricsServiceRequest``.

    Raises:
        ValueError: if the object is not valid OTLP/JSON.
    """
    return _json_to_message(obj, ExportMetricsServiceRequest)


def read_otlp_json(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Yield the object on each non-blank line of an OTLP/JSON Lines file.

    Raises:
        ValueError: naming the file and line number, for a line that is not a
            JSON object with ``resourceSpans``, ``resourceMetrics`` or
            ``resourceLogs``.
    """
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{os.fspath(path)}:{number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(obj, dict) or not any(key in obj for key in _TOP_LEVEL_KEYS):
                raise ValueError(
                    f"{os.fspath(path)}:{number}: not an OTLP/JSON object "
                    f"(expected one of the keys {', '.join(_TOP_LEVEL_KEYS)})"
                )
            yield obj


def _message_to_json(
    message: ExportTraceServiceRequest | ExportMetricsServiceRequest,
) -> dict[str, Any]:
    obj = json_format.MessageToDict(message, use_integers_for_enums=True)
    converted: dict[str, Any] = _convert_ids(obj, _base64_to_hex)
    return converted


def _json_to_message(obj: dict[str, Any], message_type: type[_RequestT]) -> _RequestT:
    try:
        converted = _convert_ids(obj, _hex_to_base64)
        message: _RequestT = json_format.ParseDict(
            converted, message_type(), ignore_unknown_fields=True
        )
    except (json_format.ParseError, binascii.Error, TypeError) as exc:
        raise ValueError(f"not a valid OTLP/JSON {message_type.__name__}: {exc}") from exc
    return message


def _convert_ids(value: Any, convert: Callable[[str], str]) -> Any:
    """Return a copy of ``value`` with every id field passed through ``convert``."""
    if isinstance(value, dict):
        return {
            key: convert(item)
            if key in _ID_FIELDS and isinstance(item, str)
            else _convert_ids(item, convert)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_convert_ids(item, convert) for item in value]
    return value


def _base64_to_hex(value: str) -> str:
    return base64.b64decode(value).hex()


def _hex_to_base64(value: str) -> str:
    try:
        raw = bytes.fromhex(value)
    except ValueError as exc:
        raise binascii.Error(f"id {value!r} is not hex") from exc
    return base64.b64encode(raw).decode("ascii")

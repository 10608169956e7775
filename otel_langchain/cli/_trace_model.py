"""Spans and traces read from OTLP/JSON files (ours or the Collector's).

The OTLP/JSON encoding is the protobuf JSON mapping with hex trace/span ids.
Enums may be written as numbers (the Collector) or names (protobuf's own
printer), and 64-bit integers as strings or numbers; both are accepted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from otel_langchain import _semconv as sc

STATUS_ERROR = 2
_STATUS_NAMES = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}
_KIND_NAMES = {
    1: "internal",
    2: "server",
    3: "client",
    4: "producer",
    5: "consumer",
    "SPAN_KIND_INTERNAL": "internal",
    "SPAN_KIND_SERVER": "server",
    "SPAN_KIND_CLIENT": "client",
    "SPAN_KIND_PRODUCER": "producer",
    "SPAN_KIND_CONSUMER": "consumer",
}


class TraceFileError(Exception):
    """The file cannot be read as OTLP/JSON; the message says why in one line."""


@dataclass
class SpanEvent:
    """A span event: name, time and attributes."""

    name: str
    time_ns: int
    attributes: dict[str, Any]


@dataclass
class SpanLink:
    """A span link: the linked span's ids and the link's attributes."""

    trace_id: str
    span_id: str
    attributes: dict[str, Any]

    @property
    def link_type(self) -> str:
        """``langchain.link.type`` (``tool_call``, ``resume``, ...), else ``"link"``."""
        value = self.attributes.get(sc.LANGCHAIN_LINK_TYPE)
        return str(value) if value else "link"


@dataclass
class Span:
    """One span, with its children once the trace is assembled."""

    trace_id: str
    span_id: str
    parent_id: str
    name: str
    kind: str
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]
    resource: dict[str, Any]
    status_code: int = 0
    status_message: str = ""
    events: list[SpanEvent] = field(default_factory=list)
    links: list[SpanLink] = field(default_factory=list)
    children: list[Span] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        """Duration in seconds (zero when the end precedes the start)."""
        return max(self.end_ns - self.start_ns, 0) / 1e9

    @property
    def is_error(self) -> bool:
        """True when the span's status is ERROR."""
        return self.status_code == STATUS_ERROR

    @property
    def error_text(self) -> str:
        """`error.type: message`, or whichever of the two is present."""
        etype = str(self.attributes.get(sc.ERROR_TYPE, ""))
        message = self.status_message
        if etype and message.startswith(etype):  # the SDK's "Type: message" form
            return message
        parts = [p for p in (etype, message) if p]
        return ": ".join(parts) if parts else "error"

    @property
    def model(self) -> str:
        """The response model, else the request model, else ``""``."""
        value = self.attributes.get(sc.GEN_AI_RESPONSE_MODEL) or self.attributes.get(
            sc.GEN_AI_REQUEST_MODEL
        )
        return str(value) if value else ""

    def int_attr(self, key: str) -> int:
        """An integer attribute, 0 when absent or not a number."""
        value = self.attributes.get(key)
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0

    def float_attr(self, key: str) -> float | None:
        """A numeric attribute as float, None when absent."""
        value = self.attributes.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        return None


@dataclass
class Trace:
    """The spans of one trace id, as a forest (usually one root)."""

    trace_id: str
    roots: list[Span]
    spans: list[Span]

    @property
    def start_ns(self) -> int:
        """Earliest span start."""
        return min(s.start_ns for s in self.spans)

    @property
    def end_ns(self) -> int:
        """Latest span end."""
        return max(s.end_ns for s in self.spans)

    @property
    def service(self) -> str:
        """``service.name`` of the first root's resource."""
        return str(self.roots[0].resource.get("service.name", "")) if self.roots else ""


@dataclass
class TraceFile:
    """Everything read from one file."""

    traces: list[Trace]
    metric_points: int

    @property
    def spans(self) -> list[Span]:
        """Every span of every trace."""
        return [s for t in self.traces for s in t.spans]


def any_value(value: Mapping[str, Any]) -> Any:
    """Decode an OTLP ``AnyValue`` into a plain Python value."""
    if "stringValue" in value:
        return str(value["stringValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "arrayValue" in value:
        return [any_value(v) for v in value["arrayValue"].get("values", [])]
    if "kvlistValue" in value:
        return attributes(value["kvlistValue"].get("values", []))
    if "bytesValue" in value:
        return str(value["bytesValue"])
    return None


def attributes(items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Decode a list of OTLP ``KeyValue`` into a dict."""
    return {str(kv["key"]): any_value(kv.get("value", {})) for kv in items}


def _status_code(raw: object) -> int:
    if isinstance(raw, str):
        return _STATUS_NAMES.get(raw, 0)
    return int(raw) if isinstance(raw, int) else 0


def _span(raw: Mapping[str, Any], resource: dict[str, Any]) -> Span:
    status = raw.get("status") or {}
    return Span(
        trace_id=str(raw["traceId"]).lower(),
        span_id=str(raw["spanId"]).lower(),
        parent_id=str(raw.get("parentSpanId") or "").lower(),
        name=str(raw.get("name", "")),
        kind=_KIND_NAMES.get(raw.get("kind", 1), "internal"),
        start_ns=int(raw.get("startTimeUnixNano", 0)),
        end_ns=int(raw.get("endTimeUnixNano", 0)),
        attributes=attributes(raw.get("attributes", [])),
        resource=resource,
        status_code=_status_code(status.get("code", 0)),
        status_message=str(status.get("message", "")),
        events=[
            SpanEvent(
                name=str(e.get("name", "")),
                time_ns=int(e.get("timeUnixNano", 0)),
                attributes=attributes(e.get("attributes", [])),
            )
            for e in raw.get("events", [])
        ],
        links=[
            SpanLink(
                trace_id=str(link.get("traceId", "")).lower(),
                span_id=str(link.get("spanId", "")).lower(),
                attributes=attributes(link.get("attributes", [])),
            )
            for link in raw.get("links", [])
        ],
    )


def spans_of(document: Mapping[str, Any]) -> Iterator[Span]:
    """The spans of one ``ExportTraceServiceRequest``-shaped document."""
    for rs in document.get("resourceSpans", []):
        resource = attributes((rs.get("resource") or {}).get("attributes", []))
        for ss in rs.get("scopeSpans", []):
            for raw in ss.get("spans", []):
                yield _span(raw, resource)


def count_points(document: Mapping[str, Any]) -> int:
    """How many metric data points one ``resourceMetrics`` document holds."""
    total = 0
    for rm in document.get("resourceMetrics", []):
        for sm in rm.get("scopeMetrics", []):
            for metric in sm.get("metrics", []):
                for kind in ("sum", "gauge", "histogram", "exponentialHistogram", "summary"):
                    total += len((metric.get(kind) or {}).get("dataPoints", []))
    return total


def _documents(path: Path) -> Iterator[tuple[int, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise TraceFileError(f"cannot read {path}: {reason}") from None
    try:  # one JSON document (pretty-printed), else JSON lines
        yield 1, json.loads(text)
        return
    except json.JSONDecodeError:
        pass
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise TraceFileError(f"{path}:{number}: not JSON ({exc.msg})") from None


def _assemble(spans: list[Span]) -> list[Trace]:
    by_trace: dict[str, list[Span]] = {}
    for span in sorted(spans, key=lambda s: (s.start_ns, s.end_ns)):
        by_trace.setdefault(span.trace_id, []).append(span)
    traces = []
    for trace_id, members in by_trace.items():
        ids = {s.span_id: s for s in members}
        roots = []
        for span in members:
            parent = ids.get(span.parent_id)
            if parent is None or parent is span:
                roots.append(span)
            else:
                parent.children.append(span)
        traces.append(Trace(trace_id=trace_id, roots=roots, spans=members))
    return sorted(traces, key=lambda t: t.start_ns)


def read_trace_file(path: Path) -> TraceFile:
    """Read an OTLP/JSON file (one document or JSON lines) into traces.

    Raises:
        TraceFileError: the file is missing, not JSON, or holds no OTLP data.
    """
    spans: list[Span] = []
    points = 0
    found = False
    for number, document in _documents(path):
        if not isinstance(document, dict):
            raise TraceFileError(f"{path}:{number}: expected a JSON object")
        if "resourceSpans" not in document and "resourceMetrics" not in document:
            continue
        found = True
        try:
            spans.extend(spans_of(document))
            points += count_points(document)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise TraceFileError(f"{path}:{number}: not valid OTLP/JSON ({exc!r})") from None
    if not found:
        raise TraceFileError(f"{path}: no OTLP/JSON resourceSpans or resourceMetrics found")
    return TraceFile(traces=_assemble(spans), metric_points=points)

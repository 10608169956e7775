"""Spans from the SDK, OTLP/JSON (Jaeger's API v3, the demo's file) and OTLP protobuf, as dicts.

Two sources hold the same tree when their dicts, keyed by span id, are equal:
parent link, name, kind, status and the compared attributes of every span.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

# OTLP's SpanKind numbers; the SDK's enum counts from 0 (INTERNAL).
_OTLP_KIND = {"INTERNAL": 1, "SERVER": 2, "CLIENT": 3, "PRODUCER": 4, "CONSUMER": 5}
_KIND_NAMES = {f"SPAN_KIND_{name}": number for name, number in _OTLP_KIND.items()}
_STATUS_NAMES = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}
STATUS_ERROR = 2


def compared(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes the trees are compared on: gen_ai.*, and error.type."""
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in attributes.items()
        if key.startswith("gen_ai.") or key == "error.type"
    }


def _span(
    *,
    trace_id: str,
    span_id: str,
    parent_id: str,
    name: str,
    kind: int,
    status: int,
    attributes: Mapping[str, Any],
    service: str,
) -> dict[str, Any]:
    return {
        "trace_id": trace_id,
        "span_id": span_id,
        "parent_id": parent_id,
        "name": name,
        "kind": kind,
        "status": status,
        "attributes": compared(attributes),
        "service": service,
    }


def from_sdk(spans: Iterable[ReadableSpan]) -> dict[str, dict[str, Any]]:
    """SDK spans (an in-memory exporter's), by span id."""
    out = {}
    for s in spans:
        assert s.context is not None
        parent = s.parent.span_id if s.parent is not None else 0
        span = _span(
            trace_id=format(s.context.trace_id, "032x"),
            span_id=format(s.context.span_id, "016x"),
            parent_id=format(parent, "016x") if parent else "",
            name=s.name,
            kind=_OTLP_KIND[s.kind.name],
            status=s.status.status_code.value,
            attributes=dict(s.attributes or {}),
            service=str(s.resource.attributes.get("service.name")),
        )
        out[span["span_id"]] = span
    return out


def _any_value(value: Mapping[str, Any]) -> Any:
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "arrayValue" in value:
        return [_any_value(v) for v in value["arrayValue"].get("values", [])]
    if "kvlistValue" in value:
        return _attributes(value["kvlistValue"].get("values", []))
    return None


def _attributes(items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return {kv["key"]: _any_value(kv.get("value", {})) for kv in items}


def _number(raw: object, names: Mapping[str, int]) -> int:
    return names[raw] if isinstance(raw, str) else int(raw or 0)  # type: ignore[call-overload]


def from_otlp_json(document: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Spans of an OTLP/JSON TracesData document (hex ids; enums as numbers or names)."""
    for resource_spans in document.get("resourceSpans", []):
        resource = _attributes(resource_spans.get("resource", {}).get("attributes", []))
        for scope_spans in resource_spans.get("scopeSpans", []):
            for raw in scope_spans.get("spans", []):
                yield _span(
                    trace_id=raw["traceId"].lower(),
                    span_id=raw["spanId"].lower(),
                    parent_id=raw.get("parentSpanId", "").lower(),
                    name=raw["name"],
                    kind=_number(raw.get("kind", 0), _KIND_NAMES),
                    status=_number(raw.get("status", {}).get("code", 0), _STATUS_NAMES),
                    attributes=_attributes(raw.get("attributes", [])),
                    service=str(resource.get("service.name")),
                )


def from_receiver(spans: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Spans an OTLP receiver (tests/integration/otlp_receiver.py) flattened, by span id."""
    out = {}
    for s in spans:
        span = _span(
            trace_id=s["trace_id"],
            span_id=s["span_id"],
            parent_id=s["parent_span_id"],
            name=s["name"],
            kind=int(s["kind"]),
            status=int(s["status"]),
            attributes=s["attributes"],
            service=str(s["resource"].get("service.name")),
        )
        out[span["span_id"]] = span
    return out


def by_id(spans: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Span dicts keyed by span id (a duplicate id fails loudly)."""
    out: dict[str, dict[str, Any]] = {}
    for span in spans:
        assert span["span_id"] not in out, f"span {span['span_id']} twice"
        out[span["span_id"]] = span
    return out


def trace_ids(spans: Mapping[str, dict[str, Any]]) -> set[str]:
    return {s["trace_id"] for s in spans.values()}


def differences(expected: Mapping[str, Any], actual: Mapping[str, Any], limit: int = 5) -> str:
    """A short account of how two span maps differ, for assertion messages."""
    lines = []
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    if missing:
        lines.append(
            f"{len(missing)} spans missing, e.g. {[expected[i]['name'] for i in missing[:limit]]}"
        )
    if extra:
        lines.append(
            f"{len(extra)} unexpected spans, e.g. {[actual[i]['name'] for i in extra[:limit]]}"
        )
    for span_id in sorted(set(expected) & set(actual)):
        if expected[span_id] != actual[span_id] and len(lines) < limit + 2:
            e, a = expected[span_id], actual[span_id]
            diff = {k: (e[k], a[k]) for k in e if e[k] != a.get(k)}
            lines.append(f"span {span_id} {e['name']!r}: expected vs got {diff}")
    return "\n".join(lines)

"""Reading OTLP/JSON into traces: ids, parents, attribute values, usage sums."""

from __future__ import annotations

import json
from pathlib import Path

from otel_langchain.cli._summary import summarize
from otel_langchain.cli._trace_model import any_value, read_trace_file


def _span(span_id: str, parent: str = "", **extra: object) -> dict[str, object]:
    return {
        "traceId": "AB" * 16,
        "spanId": span_id,
        "parentSpanId": parent,
        "name": f"span {span_id}",
        "startTimeUnixNano": str(1_000 + int(span_id[-1])),
        "endTimeUnixNano": "2000",
        **extra,
    }


def test_parents_children_and_orphans(tmp_path: Path) -> None:
    """Children hang under their parent; a span whose parent is not in the file becomes a root."""
    spans = [_span("00000001"), _span("00000002", "00000001"), _span("00000003", "0000beef")]
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}))
    (trace,) = read_trace_file(path).traces
    assert trace.trace_id == "ab" * 16
    assert [r.span_id for r in trace.roots] == ["00000001", "00000003"]
    assert [c.span_id for c in trace.roots[0].children] == ["00000002"]


def test_any_value_decodes_every_kind() -> None:
    """Strings, ints as strings, doubles, bools, arrays and key-value lists all decode."""
    assert any_value({"intValue": "42"}) == 42
    assert any_value({"doubleValue": 0.5}) == 0.5
    assert any_value({"boolValue": True}) is True
    assert any_value({"arrayValue": {"values": [{"stringValue": "stop"}]}}) == ["stop"]
    assert any_value({"kvlistValue": {"values": [{"key": "k", "value": {"intValue": 1}}]}}) == {
        "k": 1
    }
    assert any_value({}) is None


def test_summary_sums_usage_per_model(fixture_file: Path) -> None:
    """Usage and cost are summed per response model; unpriced calls are counted, not guessed."""
    summary = summarize(read_trace_file(fixture_file))
    (row,) = summary.rows
    assert row.model == "gpt-4o-mini-2024-07-18"
    assert (row.calls, row.input_tokens, row.output_tokens) == (4, 660, 120)
    assert row.cost_unknown_calls == 1
    assert abs(row.cost_usd - (0.0000288 + 0.0000288 + 0.0000567)) < 1e-12
    assert (summary.traces, summary.spans, summary.error_spans, summary.metric_points) == (
        2,
        11,
        1,
        1,
    )

"""Delivery counts: the handle configure() returns says what each destination got and lost."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from otel_langchain.config import Delivery, Telemetry
from otel_langchain.config._configure import build_telemetry
from otel_langchain.config._settings import resolve_settings

from .otlp_receiver import PROTOCOLS, OTLPReceiver


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts without OTEL_* settings from the outer environment."""
    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)


def build(**kwargs: Any) -> Telemetry:
    """Providers as configure() builds them, without making them global."""
    return build_telemetry(resolve_settings(**kwargs))


def spans(telemetry: Telemetry, count: int, prefix: str = "span") -> None:
    tracer = telemetry.tracer_provider.get_tracer("test")
    for index in range(count):
        with tracer.start_as_current_span(f"{prefix}-{index}"):
            pass


def by_signal(telemetry: Telemetry) -> dict[str, Delivery]:
    reports = telemetry.delivery()
    assert len({r.signal for r in reports}) == len(reports)
    return {report.signal: report for report in reports}


@pytest.mark.integration
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_delivered_spans_and_points_are_counted(protocol: str) -> None:
    """Every span and metric point the receiver got is counted as exported; nothing lost."""
    with OTLPReceiver(protocol) as receiver:
        telemetry = build(endpoint=receiver.endpoint, protocol=protocol)
        spans(telemetry, 7)
        counter = telemetry.meter_provider.get_meter("test").create_counter("c")
        for key in ("a", "b", "c"):
            counter.add(1, {"key": key})
        before = by_signal(telemetry)["traces"]
        telemetry.shutdown()

        reports = by_signal(telemetry)
        assert (before.exported, before.pending) == (0, 7)  # still in the batch queue
        assert reports["traces"] == Delivery(
            "traces", f"OTLP/{protocol} {receiver.endpoint}", exported=7, lost=0
        )
        assert (reports["metrics"].exported, reports["metrics"].lost) == (3, 0)
        assert len(receiver.spans()) == 7


def test_file_that_cannot_be_written_logs_once_then_counts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A file exporter that cannot write logs one warning, then counts the losses by reason."""
    path = tmp_path / "telemetry.jsonl"
    telemetry = build(exporter="file", metrics_exporter="none", file=path)
    spans(telemetry, 2, "written")
    assert telemetry.force_flush()
    path.unlink()
    path.mkdir()  # writes now fail with EISDIR, as a full or vanished disk would fail

    with caplog.at_level("WARNING"):
        for batch in range(3):
            spans(telemetry, 2, f"lost-{batch}")
            telemetry.force_flush()
        report = by_signal(telemetry)["traces"]
        telemetry.shutdown()

    assert (report.exported, report.lost) == (2, 6)
    assert report.lost_by_reason == {"write_failed:EISDIR": 6}
    messages = [r.getMessage() for r in caplog.records]
    cannot_write = [m for m in messages if m.startswith("Cannot write telemetry")]
    assert len(cannot_write) == 1
    assert "further failures for this file are counted, not logged" in cannot_write[0]
    assert f"6 of 8 spans were not exported to file {path} (write_failed:EISDIR: 6)" in messages
    shutil.rmtree(path)


@pytest.mark.integration
def test_spans_dropped_by_a_full_queue_are_counted_at_shutdown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Spans the batch queue drops while the backend is slow are lost as queue_full."""
    monkeypatch.setenv("OTEL_BSP_MAX_QUEUE_SIZE", "5")
    monkeypatch.setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "5")
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "60000")
    with OTLPReceiver("http/protobuf", delay=1.0) as receiver:
        telemetry = build(
            endpoint=receiver.endpoint, protocol="http/protobuf", metrics_exporter="none"
        )
        spans(telemetry, 25)
        telemetry.shutdown()

        report = by_signal(telemetry)["traces"]
        assert report.exported == len(receiver.spans())
    assert report.exported + report.lost == 25
    assert set(report.lost_by_reason) == {"queue_full"}
    assert report.lost_by_reason["queue_full"] >= 15  # at most two batches of 5 got through


def test_spans_that_end_after_shutdown_are_counted() -> None:
    """A span that ends after shutdown is reported lost (ended_after_shutdown), not silently."""
    telemetry = build(exporter="console", metrics_exporter="none")
    tracer = telemetry.tracer_provider.get_tracer("test")
    with tracer.start_as_current_span("late"):
        telemetry.shutdown()

    report = by_signal(telemetry)["traces"]
    assert (report.exported, report.lost_by_reason) == (0, {"ended_after_shutdown": 1})

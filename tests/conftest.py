"""Shared fixtures: real OTel SDK providers with in-memory readers, strict safety boundary."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_langchain import OTelCallbackHandler, _safety

# In CI a skipped test is a missing piece, not a pass: on the newest versions every test
# must run. The oldest-versions run (scripts/test --oldest sets OTEL_LANGCHAIN_TEST_VERSIONS)
# may skip only what its versions do not have: a reason that names a version floor.
_VERSION_FLOOR = (">=", "needs langgraph", "needs langchain")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or os.environ.get("CI", "").lower() != "true":
        return
    reason = str(report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr)
    oldest = os.environ.get("OTEL_LANGCHAIN_TEST_VERSIONS") == "oldest"
    if oldest and any(floor in reason for floor in _VERSION_FLOOR):
        return
    report.outcome = "failed"
    report.longrepr = f"skipped under CI=true (a missing piece, not a pass): {reason}"


class Telemetry:
    """A tracer provider and meter provider whose output the test can read."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def handler(self, **kwargs: Any) -> OTelCallbackHandler:
        return OTelCallbackHandler(
            tracer_provider=self.tracer_provider, meter_provider=self.meter_provider, **kwargs
        )

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def span(self, name: str) -> ReadableSpan:
        found = [s for s in self.spans() if s.name == name]
        assert len(found) == 1, f"expected one span {name!r}, got {[s.name for s in self.spans()]}"
        return found[0]

    def tree(self) -> dict[str, str | None]:
        """span name -> parent span name (names must be unique in the trace)."""
        by_id = {s.context.span_id: s for s in self.spans()}
        return {
            s.name: (
                by_id[s.parent.span_id].name if s.parent and s.parent.span_id in by_id else None
            )
            for s in self.spans()
        }

    def metrics(self) -> dict[str, list[Any]]:
        """metric name -> data points."""
        out: dict[str, list[Any]] = {}
        data = self.reader.get_metrics_data()
        if data is None:
            return out
        for rm in data.resource_metrics:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    out.setdefault(metric.name, []).extend(metric.data.data_points)
        return out


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    """Fresh providers per test."""
    t = Telemetry()
    yield t
    t.tracer_provider.shutdown()
    t.meter_provider.shutdown()


@pytest.fixture(autouse=True)
def strict_safety() -> Iterator[None]:
    """Our internal errors fail the test that caused them (the boundary records them)."""
    _safety.set_strict(True)
    _safety.recorded.clear()
    yield
    errors = list(_safety.recorded)
    _safety.recorded.clear()
    assert not errors, f"otel-langchain internal errors: {errors!r}"


class _ErrorCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def no_opentelemetry_errors() -> Iterator[None]:
    """Any ERROR log from opentelemetry (e.g. "Failed to detach context") fails the test."""
    collector = _ErrorCollector()
    otel_logger = logging.getLogger("opentelemetry")
    otel_logger.addHandler(collector)
    yield
    otel_logger.removeHandler(collector)
    messages = [r.getMessage() for r in collector.records]
    assert not messages, f"opentelemetry logged errors: {messages}"


@pytest.fixture(autouse=True)
def no_context_leak() -> Iterator[None]:
    """Tracing never leaves a span current in the test's own context."""
    from opentelemetry import trace

    yield
    leaked = trace.get_current_span()
    assert not leaked.get_span_context().is_valid, f"span left current: {leaked}"

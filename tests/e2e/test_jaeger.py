"""Jaeger v2 built from its Go module, running deploy/jaeger/config.yaml, fed by the Collector."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Run
from .spans import STATUS_ERROR, differences, from_receiver, trace_ids
from .workloads import DEMO_SERVICE, WORKLOAD_SERVICE

pytestmark = pytest.mark.integration


def _expected(run: Run, service: str) -> dict[str, dict[str, Any]]:
    return run.demo.spans if service == DEMO_SERVICE else run.workload.spans


@pytest.mark.parametrize("service", [DEMO_SERVICE, WORKLOAD_SERVICE])
def test_jaeger_returns_every_trace_with_the_in_process_tree(run: Run, service: str) -> None:
    """Every trace is in Jaeger with the same spans, parents, kinds, status, gen_ai.* attributes."""
    expected = _expected(run, service)
    stored = run.jaeger_spans[service]
    source = "the demo's own OTLP/JSON copy" if service == DEMO_SERVICE else "an in-memory exporter"
    print(
        f"{service}: {len(trace_ids(expected))} traces / {len(expected)} spans from {source};"
        f" Jaeger returned {len(trace_ids(stored))} traces / {len(stored)} spans"
    )
    assert len(trace_ids(expected)) >= 4
    assert stored == expected, differences(expected, stored)
    roots = sorted(s["name"] for s in stored.values() if not s["parent_id"])
    print(f"  roots: {roots}")
    assert len(roots) == len(trace_ids(expected))


def test_jaeger_lists_each_service_by_its_configured_name(run: Run) -> None:
    """service.name as each application set it (--service-name, a resource) is Jaeger's service."""
    services = run.jaeger.services()
    print(f"Jaeger services: {services}")
    # Only the applications: Jaeger does not trace itself (enable_tracing: false).
    assert set(services) == {DEMO_SERVICE, WORKLOAD_SERVICE}
    for service in (DEMO_SERVICE, WORKLOAD_SERVICE):
        assert {s["service"] for s in run.jaeger_spans[service].values()} == {service}


@pytest.mark.parametrize("service", [DEMO_SERVICE, WORKLOAD_SERVICE])
def test_jaeger_marks_the_error_spans(run: Run, service: str) -> None:
    """The spans that ended in error are ERROR in Jaeger, with their error.type."""
    expected = {i for i, s in _expected(run, service).items() if s["status"] == STATUS_ERROR}
    stored = run.jaeger_spans[service]
    marked = {i for i, s in stored.items() if s["status"] == STATUS_ERROR}
    kinds = sorted({stored[i]["attributes"].get("error.type", "?") for i in marked})
    print(
        f"{service}: {len(expected)} error spans exported, {len(marked)} marked in Jaeger: {kinds}"
    )
    assert expected and marked == expected
    assert all(stored[i]["attributes"].get("error.type") for i in marked)


def test_tempo_endpoint_received_the_same_spans(run: Run, tempo: Any) -> None:
    """The Collector's second trace destination (Tempo's OTLP endpoint) got every span too."""
    received = from_receiver(tempo.spans())
    expected = {**run.demo.spans, **run.workload.spans}
    print(
        f"Tempo's endpoint received {len(received)} spans;"
        f" the applications exported {len(expected)}"
    )
    assert received == expected, differences(expected, received)

"""Fixtures of the end-to-end test: the running stack, and the telemetry sent through it once.

Run it with ``scripts/e2e`` (it builds the programs first). A failing test
prints the last lines of every program's log.
"""

from __future__ import annotations

import importlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from .apis import Jaeger, PromAPI
from .spans import trace_ids
from .stack import Stack, StackError, running_stack, wait_until
from .workloads import (
    DEMO_SERVICE,
    WORKLOAD_SERVICE,
    DemoRun,
    WorkloadRun,
    run_demo,
    run_workload,
)

_running: list[Stack] = []
# Log tails go with the first few failures only; later ones would repeat them.
_TAILS_FOR_FAILURES = 3
_failures: list[str] = []


def _otlp_receiver_module() -> Any:
    try:  # tests/ as a package or as a rootdir on sys.path
        return importlib.import_module("tests.integration.otlp_receiver")
    except ImportError:  # pragma: no cover - depends on how pytest roots the suite
        return importlib.import_module("integration.otlp_receiver")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, Any]:
    """On a failure, attach the last lines of each program's log to the report."""
    report = yield
    if report.failed and _running:
        _failures.append(item.nodeid)
        if len(_failures) <= _TAILS_FOR_FAILURES:
            report.sections.append(("stack logs", _running[-1].tails()))
    return report


@pytest.fixture(scope="session")
def tempo() -> Iterator[Any]:
    """Where the Collector's Tempo exporter sends: a real OTLP gRPC receiver on 127.0.0.1.

    Tempo itself is not run (its Go module is AGPL); this receiver stands in for
    its OTLP endpoint, so the Collector's traces pipeline exports to both
    destinations as in compose and every span can be checked on both.
    """
    receiver = _otlp_receiver_module().OTLPReceiver("grpc")
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, tempo: Any) -> Iterator[Stack]:
    """Prometheus 3, Jaeger v2 and the Collector running with the shipped configs."""
    workdir = tmp_path_factory.mktemp("stack")
    try:
        with running_stack(workdir, tempo.endpoint) as running:
            _running.append(running)
            print(f"\nstack running in {workdir}: ports {running.ports}")
            yield running
    except StackError as exc:
        pytest.fail(str(exc), pytrace=False)


@dataclass
class Run:
    """The telemetry sent through the stack, and the stack's APIs."""

    stack: Stack
    prometheus: PromAPI
    jaeger: Jaeger
    started: datetime
    demo: DemoRun
    workload: WorkloadRun
    jaeger_spans: dict[str, dict[str, dict[str, Any]]]


@pytest.fixture(scope="session")
def run(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The demo and the second workload, sent once; waits until Jaeger and Prometheus hold them."""
    started = datetime.now(timezone.utc) - timedelta(seconds=5)
    demo = run_demo(stack.otlp_grpc, tmp_path_factory.mktemp("demo") / "demo.jsonl")
    workload = run_workload(stack.otlp_grpc)
    jaeger = Jaeger(stack.jaeger)
    prometheus = PromAPI(stack.prometheus)
    expected = {DEMO_SERVICE: demo.spans, WORKLOAD_SERVICE: workload.spans}
    found: dict[str, dict[str, dict[str, Any]]] = {}

    def jaeger_has_everything() -> bool:
        for service, spans in expected.items():
            found[service] = jaeger.spans(service, started)
            if set(found[service]) < set(spans):
                return False
        return True

    exported_cost = {
        DEMO_SERVICE: demo.exported.cost_usd,
        WORKLOAD_SERVICE: workload.totals.cost_usd,
    }

    def prometheus_has_the_last_export() -> bool:
        for service, cost in exported_cost.items():
            stored = prometheus.scalar(f'sum(langchain_llm_cost_total{{service_name="{service}"}})')
            if stored is None or abs(stored - cost) > 1e-9 * max(cost, 1.0):
                return False
            # Each recording rule group runs every evaluation_interval (15 s).
            rule = f'otel_langchain:llm_requests:rate5m{{service_name="{service}"}}'
            if not prometheus.has_data(rule):
                return False
        return True

    try:
        wait_until(jaeger_has_everything, 60, "Jaeger to return every exported span")
        wait_until(prometheus_has_the_last_export, 90, "the recording rules over both services")
    except TimeoutError as exc:
        missing = {s: len(set(expected[s]) - set(found.get(s, {}))) for s in expected}
        pytest.fail(f"{exc}; spans still missing per service: {missing}\n{stack.tails()}")
    print(
        f"\nsent {len(trace_ids(demo.spans))} demo traces,"
        f" {len(trace_ids(workload.spans))} workload traces"
    )
    return Run(stack, prometheus, jaeger, started, demo, workload, found)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Name the binaries under test."""
    import os

    from .stack import BIN_ENV

    path = os.environ.get(BIN_ENV)
    versions = Path(path, "versions") if path else None
    if versions and versions.is_file():
        return [f"stack: {line}" for line in versions.read_text(encoding="utf-8").splitlines()]
    return [f"stack: {BIN_ENV} not set (run scripts/e2e)"]

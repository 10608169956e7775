"""Every dashboard, data source and rule query, run by a real Prometheus on real metrics.

The workload runs through OTelCallbackHandler with the OpenTelemetry Prometheus
exporter; Debian's `prometheus` scrapes it every second and loads the shipped
rules. In the compose stack, metrics reach Prometheus over OTLP instead and
Prometheus promotes the resource attribute service.name to the `service_name`
label. Here the exporter's resource_attribute_filter copies service.name onto
every series as `service_name`, so the queries see the same labels on both paths.
"""

from __future__ import annotations

import math
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry, start_http_server

from otel_langchain import OTelCallbackHandler

from .conftest import RULES_DIR, find_binary
from .prom_api import PromAPI
from .queries import (
    Query,
    alert_rules,
    dashboard_promql,
    recording_rules,
    substitute,
    traces_to_metrics_promql,
    variable_queries,
)
from .workload import SERVICE_NAME, Workload

pytestmark = pytest.mark.integration

ROUNDS = 10
ROUND_PAUSE_S = 0.35
# CONTRACT.md: the Prometheus forms of the project's metrics.
HISTOGRAMS = (
    "gen_ai_client_token_usage",
    "gen_ai_client_operation_duration_seconds",
    "gen_ai_client_operation_time_to_first_chunk_seconds",
    "langchain_run_duration_seconds",
    "langchain_feedback_score",
)
CONTRACT_SERIES = {
    "langchain_llm_cost_total",
    "langchain_budget_exceeded_total",
    *(f"{h}_{s}" for h in HISTOGRAMS for s in ("bucket", "sum", "count")),
}
# Alerts that must stay quiet while the workload reports telemetry.
QUIET_WHILE_REPORTING = {"alert LLMTelemetryAbsent", "alert LLMServiceTelemetryStopped"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="module")
def prom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PromAPI]:
    """A real Prometheus that has scraped a few seconds of the workload's metrics."""
    binary = find_binary("prometheus")
    tmp = tmp_path_factory.mktemp("prometheus")

    registry = CollectorRegistry()
    reader = PrometheusMetricReader(
        registry=registry, resource_attribute_filter=lambda key: key == "service.name"
    )
    resource = Resource.create({"service.name": SERVICE_NAME})
    meter_provider = MeterProvider(metric_readers=[reader], resource=resource)
    tracer_provider = TracerProvider(resource=resource)
    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    app_port = server.server_port

    config = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES_DIR / "*.yml")],
        "scrape_configs": [
            {
                "job_name": "otel-langchain-app",
                "static_configs": [{"targets": [f"127.0.0.1:{app_port}"]}],
            },
        ],
    }
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    port = _free_port()
    log = (tmp / "prometheus.log").open("w")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--enable-feature=exemplar-storage",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    api = PromAPI(f"http://127.0.0.1:{port}")
    try:
        _wait(lambda: proc.poll() is None and api.ready(), 20, "Prometheus to be ready")
        _wait(
            lambda: api.query('up{job="otel-langchain-app"} == 1')["result"],
            10,
            "the first scrape of the workload's exporter",
        )
        workload = Workload(
            OTelCallbackHandler(tracer_provider=tracer_provider, meter_provider=meter_provider)
        )
        for i in range(ROUNDS):
            workload.round(i)
            time.sleep(ROUND_PAUSE_S)
        done = time.time()
        _wait(
            lambda: any(
                float(s["value"][1]) > done
                for s in api.query("timestamp(langchain_run_duration_seconds_count)")["result"]
            ),
            10,
            "a scrape after the workload",
        )
        _wait(
            lambda: api.query("otel_langchain:llm_requests:rate5m")["result"],
            10,
            "the recording rules' first evaluation",
        )
        yield api
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        server.shutdown()
        server.server_close()
        thread.join(5)
        meter_provider.shutdown()
        tracer_provider.shutdown()
        if proc.returncode not in (0, -15):
            print(Path(log.name).read_text(encoding="utf-8"))


def _assert_has_data(prom: PromAPI, query: Query, expr: str) -> None:
    data = prom.query(expr)
    assert data["resultType"] in {"vector", "scalar"}, query.where
    result = data["result"] if data["resultType"] == "vector" else [{"value": data["result"]}]
    assert result, f"{query.where}: no data for {expr}"
    values = [float(r["value"][1]) for r in result]
    assert any(math.isfinite(v) for v in values), f"{query.where}: only NaN/Inf for {expr}"


def test_exporter_names_match_the_contract(prom: PromAPI) -> None:
    """The exporter's series carry CONTRACT.md's Prometheus names and a service_name label."""
    names = set(prom.get("/api/v1/label/__name__/values"))
    assert names >= CONTRACT_SERIES, f"missing: {CONTRACT_SERIES - names}"
    ours = {n for n in names if n.startswith(("gen_ai_", "langchain_"))}
    assert ours == CONTRACT_SERIES, f"unexpected: {ours - CONTRACT_SERIES}"
    services = prom.get(
        "/api/v1/label/service_name/values", **{"match[]": "langchain_run_duration_seconds_count"}
    )
    assert services == [SERVICE_NAME]


@pytest.mark.parametrize("query", dashboard_promql(), ids=lambda q: q.where)
def test_dashboard_query_returns_data(prom: PromAPI, query: Query) -> None:
    """A dashboard panel's PromQL parses and returns data for the workload."""
    _assert_has_data(prom, query, substitute(query.expr))


@pytest.mark.parametrize(
    "where,selector,label", variable_queries(), ids=[v[0] for v in variable_queries()]
)
def test_dashboard_variable_has_values(
    prom: PromAPI, where: str, selector: str | None, label: str
) -> None:
    """A dashboard variable's label_values() query lists the workload's values."""
    params = {"match[]": substitute(selector)} if selector else {}
    values = prom.get(f"/api/v1/label/{label}/values", **params)
    assert values, f"{where}: no values for {label}"


@pytest.mark.parametrize("query", traces_to_metrics_promql(), ids=lambda q: q.where)
def test_trace_to_metrics_query_returns_data(prom: PromAPI, query: Query) -> None:
    """A Tempo/Jaeger trace-to-metrics query returns data for a span's service and model."""
    tags = f'service_name="{SERVICE_NAME}", gen_ai_request_model="gpt-4o-mini"'
    _assert_has_data(prom, query, substitute(query.expr, {"$__tags": tags}))


@pytest.mark.parametrize("query", recording_rules(), ids=lambda q: q.where)
def test_recording_rule_returns_data(prom: PromAPI, query: Query) -> None:
    """A recording rule's expression returns data for the workload."""
    _assert_has_data(prom, query, query.expr)


@pytest.mark.parametrize("query", alert_rules(), ids=lambda q: q.where)
def test_alert_expression_evaluates(prom: PromAPI, query: Query) -> None:
    """An alert's expression runs; the no-telemetry alerts stay quiet while data flows."""
    data = prom.query(query.expr)
    if query.where in QUIET_WHILE_REPORTING:
        assert data["result"] == [], f"{query.where} fires while telemetry flows"


def test_prometheus_evaluates_every_rule_healthily(prom: PromAPI) -> None:
    """Prometheus loaded every shipped rule and evaluates each without error."""
    groups = prom.get("/api/v1/rules")["groups"]
    rules = [r for g in groups for r in g["rules"]]
    expected = len(recording_rules()) + len(alert_rules())
    assert len(rules) == expected
    for rule in rules:
        assert rule["health"] == "ok", f"{rule['name']}: {rule.get('lastError')}"

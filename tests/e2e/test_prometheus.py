"""Prometheus 3 built from its Go module, fed over the shipped OTLP path, queried by dashboards."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import pytest

from .conftest import Run
from .spans import trace_ids
from .workloads import DEMO_SERVICE, WORKLOAD_SERVICE, Totals, describe

try:  # tests/ as a package or as a rootdir on sys.path
    from tests.deploy.conftest import load_dashboards
    from tests.deploy.queries import (
        Query,
        alert_rules,
        dashboard_promql,
        panel_targets,
        recording_rules,
        substitute,
        traces_to_metrics_promql,
        variable_queries,
    )
except ImportError:  # pragma: no cover - depends on how pytest roots the suite
    from deploy.conftest import load_dashboards  # type: ignore[no-redef]
    from deploy.queries import (  # type: ignore[no-redef]
        Query,
        alert_rules,
        dashboard_promql,
        panel_targets,
        recording_rules,
        substitute,
        traces_to_metrics_promql,
        variable_queries,
    )

pytestmark = pytest.mark.integration

# Panel targets whose data source is not Prometheus, and why they are not run here.
NOT_RUN = {"tempo": "TraceQL over Tempo, which is not run (its Go module is AGPL)"}
# Alerts that must stay quiet while telemetry flows.
QUIET_WHILE_REPORTING = {"alert LLMTelemetryAbsent", "alert LLMServiceTelemetryStopped"}
LATENCY_HISTOGRAMS = (
    "gen_ai_client_operation_duration_seconds_bucket",
    "langchain_run_duration_seconds_bucket",
)


def _check_has_data(run: Run, query: Query, expr: str) -> None:
    values = run.prometheus.values(expr)
    shown = ", ".join(f"{v:.6g}" for _, v in values[:4]) + (" ..." if len(values) > 4 else "")
    print(f"{query.where}: {len(values)} series [{shown}] <- {expr!r}")
    assert values, f"{query.where}: no data for {expr}"
    assert any(math.isfinite(v) for _, v in values), f"{query.where}: only NaN/Inf for {expr}"


def test_every_dashboard_target_is_run_here_or_listed_with_a_reason() -> None:
    """Each panel target is PromQL (run below) or of a data source listed with why it is not run."""
    kinds: dict[str, int] = {}
    for kind in ("prometheus", *NOT_RUN):
        kinds[kind] = len(list(panel_targets(kind)))
    for kind, reason in NOT_RUN.items():
        print(f"not run: {kinds[kind]} {kind} targets ({reason})")
    print(f"run: {kinds['prometheus']} PromQL targets")
    assert kinds["prometheus"] == len(dashboard_promql()) > 0
    total = sum(
        len(panel.get("targets", []))
        for dashboard in load_dashboards().values()
        for top in dashboard["panels"]
        for panel in [top, *top.get("panels", [])]
    )
    assert total == sum(kinds.values()), "a panel target of another data source type"


@pytest.mark.parametrize("query", dashboard_promql(), ids=lambda q: q.where)
def test_dashboard_query_returns_data(run: Run, query: Query) -> None:
    """A dashboard panel's PromQL returns data from metrics that arrived over OTLP."""
    _check_has_data(run, query, substitute(query.expr))


@pytest.mark.parametrize(
    "where,selector,label", variable_queries(), ids=[v[0] for v in variable_queries()]
)
def test_dashboard_variable_lists_both_services_values(
    run: Run, where: str, selector: str | None, label: str
) -> None:
    """A dashboard variable's label_values() lists values; $service lists both services."""
    params = {"match[]": substitute(selector)} if selector else {}
    values = run.prometheus.get(f"/api/v1/label/{label}/values", **params)
    print(f"{where}: {label} = {values}")
    assert values
    if label == "service_name":
        assert {DEMO_SERVICE, WORKLOAD_SERVICE} <= set(values)


@pytest.mark.parametrize("query", traces_to_metrics_promql(), ids=lambda q: q.where)
def test_trace_to_metrics_query_returns_data(run: Run, query: Query) -> None:
    """A Tempo/Jaeger trace-to-metrics query returns data for a demo span's service and model."""
    tags = f'service_name="{DEMO_SERVICE}", gen_ai_request_model="gpt-4o-mini"'
    _check_has_data(run, query, substitute(query.expr, {"$__tags": tags}))


@pytest.mark.parametrize("query", recording_rules(), ids=lambda q: q.where)
def test_recording_rule_expression_returns_data(run: Run, query: Query) -> None:
    """A recording rule's expression returns data."""
    _check_has_data(run, query, query.expr)


@pytest.mark.parametrize("query", alert_rules(), ids=lambda q: q.where)
def test_alert_expression_evaluates(run: Run, query: Query) -> None:
    """An alert's expression runs; the no-telemetry alerts stay quiet while data flows."""
    values = run.prometheus.values(query.expr)
    print(f"{query.where}: {len(values)} series would fire")
    if query.where in QUIET_WHILE_REPORTING:
        assert values == [], f"{query.where} fires while telemetry flows"


def test_prometheus_evaluates_every_shipped_rule_without_error(run: Run) -> None:
    """Prometheus loaded every rule of deploy/prometheus/rules and has evaluated each, healthily."""
    groups = run.prometheus.get("/api/v1/rules")["groups"]
    rules = [r for g in groups for r in g["rules"]]
    print(
        f"{len(groups)} groups, {len(rules)} rules:"
        f" {sorted((r['name'], r['health']) for r in rules)}"
    )
    assert len(rules) == len(recording_rules()) + len(alert_rules())
    for rule in rules:
        assert rule["health"] == "ok", f"{rule['name']}: {rule.get('lastError')}"
        assert not rule["lastEvaluation"].startswith("0001"), f"{rule['name']} never evaluated"


def test_service_name_is_promoted_to_a_label(run: Run) -> None:
    """The resource attribute service.name arrives as the label service_name (promoted)."""
    services = run.prometheus.get(
        "/api/v1/label/service_name/values", **{"match[]": "langchain_run_duration_seconds_count"}
    )
    print(f"service_name values on langchain_run_duration_seconds_count: {services}")
    assert set(services) == {DEMO_SERVICE, WORKLOAD_SERVICE}


@pytest.mark.parametrize("histogram", LATENCY_HISTOGRAMS)
def test_latency_exemplars_carry_trace_ids_jaeger_returns(run: Run, histogram: str) -> None:
    """Exemplars on the latency histograms carry trace_id labels of traces Jaeger holds."""
    data = run.prometheus.get(
        "/api/v1/query_exemplars",
        query=histogram,
        start=run.started.timestamp(),
        end=datetime.now(timezone.utc).timestamp(),
    )
    exemplar_ids = {
        e["labels"]["trace_id"]
        for series in data
        for e in series["exemplars"]
        if "trace_id" in e["labels"]
    }
    in_jaeger = set().union(*(trace_ids(spans) for spans in run.jaeger_spans.values()))
    print(
        f"{histogram}: {sum(len(s['exemplars']) for s in data)} exemplars in {len(data)} series,"
        f" {len(exemplar_ids)} trace ids, all in Jaeger: {exemplar_ids <= in_jaeger}"
    )
    assert exemplar_ids, f"no exemplar with a trace_id on {histogram}"
    assert exemplar_ids <= in_jaeger, f"not in Jaeger: {sorted(exemplar_ids - in_jaeger)[:5]}"


def _stored(run: Run, service: str) -> Totals:
    def total(expr: str) -> float:
        value = run.prometheus.scalar(expr)
        assert value is not None, f"no data for {expr}"
        return value

    selector = f'service_name="{service}"'
    return Totals(
        total(f'sum(gen_ai_client_token_usage_sum{{{selector}, gen_ai_token_type="input"}})'),
        total(f'sum(gen_ai_client_token_usage_sum{{{selector}, gen_ai_token_type="output"}})'),
        total(f"sum(langchain_llm_cost_total{{{selector}}})"),
    )


def test_demo_token_and_cost_totals_in_prometheus_equal_what_the_demo_printed(run: Run) -> None:
    """Prometheus's token and cost totals for the demo equal its printed table and its own copy."""
    stored, printed, exported = _stored(run, DEMO_SERVICE), run.demo.printed, run.demo.exported
    print(f"demo printed:        {describe(printed)}")
    print(f"demo exported:       {describe(exported)}")
    print(f"Prometheus holds:    {describe(stored)}")
    assert (stored.input_tokens, stored.output_tokens) == (
        printed.input_tokens,
        printed.output_tokens,
    )
    assert stored.input_tokens > 0 and stored.output_tokens > 0
    # The table prints dollars to 6 decimals.
    assert abs(stored.cost_usd - printed.cost_usd) <= 0.5e-6 + 1e-12
    assert stored.cost_usd == pytest.approx(exported.cost_usd, rel=1e-12)


def test_workload_token_and_cost_totals_in_prometheus_equal_the_in_process_reader(run: Run) -> None:
    """Prometheus's totals for the second workload equal an in-memory metric reader's."""
    stored, expected = _stored(run, WORKLOAD_SERVICE), run.workload.totals
    print(f"in-memory reader:    {describe(expected)}")
    print(f"Prometheus holds:    {describe(stored)}")
    assert (stored.input_tokens, stored.output_tokens) == (
        expected.input_tokens,
        expected.output_tokens,
    )
    assert stored.cost_usd == pytest.approx(expected.cost_usd, rel=1e-12)
    assert expected.cost_usd > 0

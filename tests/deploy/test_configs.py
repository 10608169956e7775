"""Collector, Jaeger, Tempo and Grafana provisioning configs: parsed and cross-checked."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from otel_langchain import _semconv as sc

from .conftest import (
    DASHBOARDS_DIR,
    DATASOURCES_FILE,
    DEPLOY,
    ENV_REFERENCE,
    GRAFANA,
    load_dashboards,
    load_with_env_defaults,
    load_yaml,
)
from .queries import alert_rules, dashboard_promql, panel_targets, recording_rules

COLLECTOR = DEPLOY / "otel-collector" / "config.yaml"
JAEGER = DEPLOY / "jaeger" / "config.yaml"
TEMPO = DEPLOY / "tempo" / "tempo.yaml"
DASHBOARD_PROVIDER = GRAFANA / "provisioning" / "dashboards" / "dashboards.yaml"

# CONTRACT.md's Prometheus series, and the recording rules built on them.
CONTRACT_FAMILIES = {
    "gen_ai_client_token_usage": ("_bucket", "_sum", "_count"),
    "gen_ai_client_operation_duration_seconds": ("_bucket", "_sum", "_count"),
    "gen_ai_client_operation_time_to_first_chunk_seconds": ("_bucket", "_sum", "_count"),
    "langchain_llm_cost_total": ("",),
    "langchain_run_duration_seconds": ("_bucket", "_sum", "_count"),
    "langchain_budget_exceeded_total": ("",),
    "langchain_feedback_score": ("_bucket", "_sum", "_count"),
}
CONTRACT_SERIES = {f + s for f, suffixes in CONTRACT_FAMILIES.items() for s in suffixes}
PROMQL_WORDS = {
    "sum", "by", "without", "rate", "increase", "histogram_quantile", "topk", "sort_desc",
    "scalar", "vector", "or", "and", "unless", "on", "group_left", "offset", "absent_over_time",
    "present_over_time", "group", "le", "max", "min", "avg", "count", "timestamp",
}  # fmt: skip


def _component_ids(section: dict[str, Any] | None) -> set[str]:
    return set(section or {})


def _check_pipelines(config: dict[str, Any], name: str) -> None:
    service = config["service"]
    for ext in service.get("extensions", []):
        assert ext in config["extensions"], f"{name}: extension {ext} not defined"
    for pipeline, spec in service["pipelines"].items():
        for kind in ("receivers", "processors", "exporters"):
            for component in spec.get(kind, []):
                assert component in _component_ids(config.get(kind)), (
                    f"{name}: pipeline {pipeline} uses undefined {kind[:-1]} {component}"
                )
        assert spec["receivers"] and spec["exporters"], f"{name}: {pipeline} is incomplete"


def _host_port(endpoint: str) -> tuple[str, int]:
    parsed = urlparse(endpoint if "://" in endpoint else f"//{endpoint}")
    assert parsed.hostname and parsed.port, endpoint
    return parsed.hostname, parsed.port


# Keys whose values are network addresses: each must be overridable by an env variable.
ADDRESS_KEYS = {"endpoint", "metrics_endpoint", "host", "port"}


def _addresses(node: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        out = []
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if key in ADDRESS_KEYS and not isinstance(value, (dict, list)):
                out.append((where, value))
            else:
                out.extend(_addresses(value, where))
        return out
    if isinstance(node, list):
        return [a for i, item in enumerate(node) for a in _addresses(item, f"{path}[{i}]")]
    return []


@pytest.mark.parametrize("path", [COLLECTOR, JAEGER], ids=["collector", "jaeger"])
def test_every_address_is_overridable_with_a_compose_default(path: Path) -> None:
    """Each endpoint, host and port is ``${env:NAME:-default}``, the default being compose's."""
    text = path.read_text(encoding="utf-8")
    assert "${" not in ENV_REFERENCE.sub("", text), "a ${...} without a default"
    names = [m["name"] for m in ENV_REFERENCE.finditer(text)]
    assert len(names) == len(set(names)), "an env variable is used twice"
    addresses = _addresses(load_yaml(path))
    assert addresses
    for where, value in addresses:
        assert ENV_REFERENCE.fullmatch(str(value)), f"{path.name}: {where} = {value!r} is fixed"
    # Named in the file's header comment, so a reader finds every override.
    header = "".join(itertools.takewhile(lambda line: line.startswith("#"), text.splitlines()))
    for name in names:
        assert name in header, f"{path.name}: {name} is not listed in the header comment"


def test_collector_pipelines_use_defined_components() -> None:
    """Every Collector pipeline names defined receivers, processors, exporters and extensions."""
    _check_pipelines(load_with_env_defaults(COLLECTOR), "collector")


@pytest.mark.integration
def test_collector_routes_traces_to_jaeger_and_tempo_and_metrics_to_prometheus(
    compose_model: dict[str, Any],
) -> None:
    """Traces reach Jaeger and Tempo, metrics Prometheus's OTLP endpoint, memory_limiter first."""
    config = load_with_env_defaults(COLLECTOR)
    pipelines = config["service"]["pipelines"]
    services = compose_model["services"]
    for pipeline in pipelines.values():
        assert pipeline["processors"][0] == "memory_limiter"
        assert pipeline["receivers"] == ["otlp"]
    trace_hosts = {
        _host_port(config["exporters"][e]["endpoint"]) for e in pipelines["traces"]["exporters"]
    }
    assert trace_hosts == {("jaeger", 4317), ("tempo", 4317)}
    (metrics_exporter,) = pipelines["metrics"]["exporters"]
    url = config["exporters"][metrics_exporter]["metrics_endpoint"]
    assert url == "http://prometheus:9090/api/v1/otlp/v1/metrics"
    assert "deltatocumulative" in pipelines["metrics"]["processors"]
    for host, _ in trace_hosts:
        assert host in services
    receivers = config["receivers"]["otlp"]["protocols"]
    assert {_host_port(p["endpoint"])[1] for p in receivers.values()} == {4317, 4318}
    assert "redaction/genai" in config["processors"], "the redaction example is missing"


def test_jaeger_config_is_consistent() -> None:
    """Jaeger's pipeline and storage extension refer to the same defined backend."""
    config = load_with_env_defaults(JAEGER)
    _check_pipelines(config, "jaeger")
    backends = set(config["extensions"]["jaeger_storage"]["backends"])
    assert config["extensions"]["jaeger_query"]["storage"]["traces"] in backends
    assert config["exporters"]["jaeger_storage_exporter"]["trace_storage"] in backends
    assert config["extensions"]["jaeger_query"]["http"]["endpoint"].endswith(":16686")
    assert config["extensions"]["healthcheckv2"]["http"]["endpoint"].endswith(":13133")
    assert config["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"].endswith(":4317")
    # Otherwise Jaeger sends its own spans to localhost:4317 (itself, in compose).
    assert config["extensions"]["jaeger_query"]["enable_tracing"] is False


def test_tempo_monolithic_with_metrics_generator_writing_to_prometheus() -> None:
    """Tempo 3 monolithic: OTLP in, span metrics and service graph remote-written to Prometheus."""
    config = load_yaml(TEMPO)
    assert config.get("target", "all") == "all"
    # Blocks removed in Tempo 3: their presence stops it from starting.
    assert not {"ingester", "ingester_client", "compactor", "metrics_generator_client"} & set(
        config
    )
    protocols = config["distributor"]["receivers"]["otlp"]["protocols"]
    assert _host_port(protocols["grpc"]["endpoint"])[1] == 4317
    generator = config["metrics_generator"]
    (remote,) = generator["storage"]["remote_write"]
    assert remote["url"] == "http://prometheus:9090/api/v1/write"
    assert remote["send_exemplars"] is True
    processors = config["overrides"]["defaults"]["metrics_generator"]["processors"]
    assert set(processors) == {"service-graphs", "span-metrics"}
    assert sc.GEN_AI_REQUEST_MODEL in generator["processor"]["span_metrics"]["dimensions"]
    # Tempo labels exemplars traceID unless told; Grafana links the trace_id label.
    generator_overrides = config["overrides"]["defaults"]["metrics_generator"]
    (exemplar,) = _datasources()["prometheus"]["jsonData"]["exemplarTraceIdDestinations"]
    exemplar_label = exemplar["name"]
    assert generator_overrides["trace_id_label_name"] == exemplar_label == "trace_id"
    assert config["server"]["http_listen_port"] == 3200
    assert config["storage"]["trace"]["wal"]["path"].startswith("/var/tempo")


def _datasources() -> dict[str, dict[str, Any]]:
    sources = load_yaml(DATASOURCES_FILE)["datasources"]
    uids = [d["uid"] for d in sources]
    assert len(uids) == len(set(uids)), "duplicate datasource uid"
    return {d["uid"]: d for d in sources}


@pytest.mark.integration
def test_datasources_point_at_the_compose_services(compose_model: dict[str, Any]) -> None:
    """Prometheus, Tempo and Jaeger data sources have fixed uids and reach their services."""
    sources = _datasources()
    expected = {"prometheus": ("prometheus", 9090), "tempo": ("tempo", 3200),
                "jaeger": ("jaeger", 16686)}  # fmt: skip
    for uid, (kind, port) in expected.items():
        assert sources[uid]["type"] == kind
        host, url_port = _host_port(sources[uid]["url"])
        assert (host, url_port) == (kind, port)
        assert host in compose_model["services"]
    assert sum(bool(d.get("isDefault")) for d in sources.values()) == 1


def test_links_between_datasources_use_provisioned_uids() -> None:
    """Exemplar, service-map and trace-to-metrics links name provisioned data sources."""
    sources = _datasources()
    prom = sources["prometheus"]["jsonData"]
    (exemplar,) = prom["exemplarTraceIdDestinations"]
    assert exemplar["name"] == "trace_id"
    assert sources[exemplar["datasourceUid"]]["type"] == "tempo"
    tempo = sources["tempo"]["jsonData"]
    assert sources[tempo["serviceMap"]["datasourceUid"]]["type"] == "prometheus"
    # httpMethod is a Prometheus data source setting; Grafana's Tempo data source has none.
    assert "httpMethod" not in tempo
    for uid in ("tempo", "jaeger"):
        t2m = sources[uid]["jsonData"]["tracesToMetrics"]
        assert sources[t2m["datasourceUid"]]["type"] == "prometheus"
        assert {t["key"] for t in t2m["tags"]} >= {"service.name", sc.GEN_AI_REQUEST_MODEL}
        for q in t2m["queries"]:
            assert "$__tags" in q["query"], q["name"]


@pytest.mark.integration
def test_dashboard_provider_loads_the_mounted_dashboards(compose_model: dict[str, Any]) -> None:
    """Grafana's file provider reads the directory compose mounts grafana/dashboards at."""
    (provider,) = load_yaml(DASHBOARD_PROVIDER)["providers"]
    mounts = {
        Path(m["source"]): m["target"]
        for m in compose_model["services"]["grafana"]["volumes"]
        if m["type"] == "bind"
    }
    assert mounts[DASHBOARDS_DIR] == provider["options"]["path"]
    home = compose_model["services"]["grafana"]["environment"][
        "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"
    ]
    assert home == f"{provider['options']['path']}/llm-overview.json"


def test_dashboards_are_well_formed() -> None:
    """Dashboards have unique uids and panel ids and the four filter variables."""
    dashboards = load_dashboards()
    assert {"llm-overview.json", "llm-traces.json"} <= set(dashboards)
    uids = [d["uid"] for d in dashboards.values()]
    assert len(uids) == len(set(uids))
    for name, dashboard in dashboards.items():
        ids = [p["id"] for p in dashboard["panels"]]
        assert len(ids) == len(set(ids)), name
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        assert {"datasource", "service", "provider", "model"} <= set(variables), name
        for var in ("service", "provider", "model"):
            assert variables[var]["includeAll"] and variables[var]["allValue"] == ".*"


def _resolve_uid(dashboard: dict[str, Any], uid: str) -> str:
    """A panel's datasource uid, following a ${variable} to its default value."""
    m = re.fullmatch(r"\$\{?(\w+)\}?", uid)
    if not m:
        return uid
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    var = variables[m[1]]
    assert var["type"] == "datasource", f"${m[1]} is not a datasource variable"
    return str(var["current"]["value"])


@pytest.mark.parametrize("kind", ["prometheus", "tempo"])
def test_dashboard_datasources_are_provisioned(kind: str) -> None:
    """Every panel and target uses a provisioned data source uid of the right type."""
    sources = _datasources()
    dashboards = load_dashboards()
    seen = 0
    for where, panel, target in panel_targets(kind):
        dashboard = dashboards[where.split(":")[0]]
        for ds in (panel["datasource"], target["datasource"]):
            uid = _resolve_uid(dashboard, ds["uid"])
            assert sources[uid]["type"] == kind, where
            seen += 1
    assert seen
    for name, dashboard in dashboards.items():
        for var in dashboard["templating"]["list"]:
            if var["type"] == "datasource":
                assert sources[var["current"]["value"]]["type"] == var["query"], name


def _series_names(expr: str) -> set[str]:
    without_strings = re.sub(r'"[^"]*"', '""', expr)
    without_labels = re.sub(r"\{[^}]*\}", "{}", without_strings)
    without_ranges = re.sub(r"\[[^\]]*\]", "[]", without_labels)
    without_grouping = re.sub(
        r"\b(by|without|on|ignoring|group_left)\s*\([^)]*\)", "", without_ranges
    )
    without_durations = re.sub(r"\b\d+[smhdwy]\b", "", without_grouping)
    words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", without_durations))
    return words - PROMQL_WORDS


def test_queries_use_only_metrics_the_project_emits() -> None:
    """No panel or rule queries a metric outside CONTRACT.md's list (or our recording rules)."""
    recorded = {q.where.removeprefix("record ") for q in recording_rules()}
    allowed = CONTRACT_SERIES | recorded
    queries = [*dashboard_promql(), *recording_rules(), *alert_rules()]
    used: set[str] = set()
    for query in queries:
        names = _series_names(query.expr)
        assert names <= allowed, f"{query.where}: unknown series {names - allowed}"
        used |= names
    unused = {f for f in CONTRACT_FAMILIES if not any(n.startswith(f) for n in used)}
    assert not unused, f"no panel or rule shows {unused}"


def test_latency_panels_show_exemplars() -> None:
    """Latency panels ask Prometheus for exemplars, which link to traces in Tempo."""
    latency = [
        (where, t) for where, _, t in panel_targets("prometheus")
        if "duration_seconds_bucket" in t["expr"] or "first_chunk_seconds_bucket" in t["expr"]
    ]  # fmt: skip
    timeseries = [(w, t) for w, t in latency if not t.get("instant")]
    assert timeseries
    for where, target in timeseries:
        assert target.get("exemplar") is True, where


def test_traceql_uses_the_project_span_attributes() -> None:
    """TraceQL panels search errors, slow calls and models by attributes the handler sets."""
    queries = [t["query"] for _, _, t in panel_targets("tempo")]
    assert queries
    known = {v for k, v in vars(sc).items() if k.isupper() and isinstance(v, str)}
    for query in queries:
        assert query.count("{") == query.count("}") and query.strip().startswith("{")
        for attr in re.findall(r"\bspan\.([a-z_.]+)", query):
            assert attr in known, f"{attr} is not an attribute the handler sets"
    joined = " ".join(queries)
    assert "status = error" in joined
    assert "duration > $slow" in joined
    assert f"span.{sc.GEN_AI_REQUEST_MODEL}" in joined
    assert f'"{sc.OP_EXECUTE_TOOL}"' in joined

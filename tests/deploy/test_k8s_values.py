"""deploy/k8s Helm values: agent -> gateway -> tail samplers -> Tempo, wired consistently."""

from __future__ import annotations

from typing import Any

from .conftest import DEPLOY, load_yaml

K8S = DEPLOY / "k8s"
# Components the opentelemetry-collector chart defines in its default config,
# plus what the kubernetesAttributes preset adds.
CHART_DEFAULTS = {
    "receivers": {"otlp", "jaeger", "zipkin", "prometheus"},
    "processors": {"batch", "memory_limiter", "k8sattributes"},
    "exporters": {"debug"},
}


def _values(name: str) -> dict[str, Any]:
    return load_yaml(K8S / f"{name}.values.yaml")  # type: ignore[no-any-return]


def _pipelines(values: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    pipelines = values["config"]["service"]["pipelines"]
    return {k: v for k, v in pipelines.items() if v is not None}


def _exporter(values: dict[str, Any], pipeline: str) -> tuple[str, dict[str, Any]]:
    (name,) = _pipelines(values)[pipeline]["exporters"]
    return name, values["config"]["exporters"][name]


def test_collector_values_pipelines_use_defined_components() -> None:
    """Each tier's pipelines name components its values or the chart defaults define."""
    for tier in ("collector-agent", "collector-gateway", "collector-sampler"):
        values = _values(tier)
        assert values["image"]["repository"] == "otel/opentelemetry-collector-contrib"
        for pipeline, spec in _pipelines(values).items():
            assert spec["processors"][0] == "memory_limiter", f"{tier} {pipeline}"
            for kind in ("receivers", "processors", "exporters"):
                defined = set(values["config"].get(kind, {})) | CHART_DEFAULTS[kind]
                missing = set(spec[kind]) - defined
                assert not missing, f"{tier} {pipeline}: undefined {kind} {missing}"


def test_agent_daemonset_forwards_to_the_gateway() -> None:
    """The agent runs on every node with Kubernetes metadata and exports to the gateway."""
    agent, gateway = _values("collector-agent"), _values("collector-gateway")
    assert agent["mode"] == "daemonset"
    assert agent["presets"]["kubernetesAttributes"]["enabled"] is True
    # The preset prepends k8sattributes (before memory_limiter) to pipelines that
    # do not list it; listed, it stays where the values put it.
    for pipeline in ("traces", "metrics"):
        processors = _pipelines(agent)[pipeline]["processors"]
        assert processors == ["memory_limiter", "k8sattributes", "batch"], pipeline
    assert agent["ports"]["otlp"]["hostPort"] == 4317
    for pipeline in ("traces", "metrics"):
        _, exporter = _exporter(agent, pipeline)
        assert exporter["endpoint"].startswith(f"{gateway['fullnameOverride']}.observability.")


def test_gateway_routes_traces_by_trace_id_to_the_samplers() -> None:
    """The gateway's load_balancing exporter hashes trace ids onto the sampler pods."""
    gateway, sampler = _values("collector-gateway"), _values("collector-sampler")
    assert gateway["mode"] == "deployment" and gateway["autoscaling"]["enabled"]
    name, lb = _exporter(gateway, "traces")
    assert name == "load_balancing"
    assert lb["routing_key"] == "traceID"
    hostname = lb["resolver"]["dns"]["hostname"]
    assert hostname.startswith(f"{sampler['fullnameOverride']}.observability.")
    assert sampler["service"]["clusterIP"] == "None", "the DNS resolver needs a headless service"
    _, metrics = _exporter(gateway, "metrics")
    assert metrics["metrics_endpoint"].endswith("/api/v1/otlp/v1/metrics")
    assert "deltatocumulative" in _pipelines(gateway)["metrics"]["processors"]


def test_samplers_keep_errors_and_slow_traces() -> None:
    """Tail sampling keeps every error trace and every trace over 5 s, then a sample of the rest."""
    sampler = _values("collector-sampler")
    assert sampler["mode"] == "statefulset"
    assert "tail_sampling" in _pipelines(sampler)["traces"]["processors"]
    policies = {p["type"]: p for p in sampler["config"]["processors"]["tail_sampling"]["policies"]}
    assert policies["status_code"]["status_code"]["status_codes"] == ["ERROR"]
    assert policies["latency"]["latency"]["threshold_ms"] == 5000
    assert 0 < policies["probabilistic"]["probabilistic"]["sampling_percentage"] < 100
    assert set(_pipelines(sampler)) == {"traces"}
    _, tempo = _exporter(sampler, "traces")
    assert tempo["endpoint"].startswith("tempo-distributor.tracing.")


def test_tempo_distributed_uses_the_tempo3_write_path() -> None:
    """Tempo 3 write path: Kafka, one block-builder and live-store per partition, span metrics."""
    tempo = _values("tempo-distributed")
    assert tempo["ingester"]["enabled"] is False
    partitions = tempo["ingest"]["kafka"]["auto_create_topic_default_partitions"]
    assert tempo["blockBuilder"]["replicas"] == partitions
    assert tempo["liveStore"]["replicas"] == partitions
    assert tempo["backendScheduler"]["enabled"] is True
    assert tempo["traces"]["otlp"]["grpc"]["enabled"] is True
    generator = tempo["metricsGenerator"]
    assert generator["enabled"] is True
    (remote,) = generator["config"]["storage"]["remote_write"]
    assert remote["url"].endswith("/api/v1/write") and remote["send_exemplars"] is True
    processors = tempo["overrides"]["defaults"]["metrics_generator"]["processors"]
    assert set(processors) == {"service-graphs", "span-metrics"}
    assert "gen_ai.request.model" in generator["config"]["processor"]["span_metrics"]["dimensions"]


def test_k8s_readme_explains_topology_and_sizing() -> None:
    """The k8s README covers every values file, the topology and sizing."""
    readme = (K8S / "README.md").read_text(encoding="utf-8")
    for path in K8S.glob("*.values.yaml"):
        assert path.name in readme
    for heading in ("## Why three Collector tiers", "## Sizing", "## Install"):
        assert heading in readme

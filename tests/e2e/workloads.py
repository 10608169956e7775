"""What the end-to-end test sends through the stack: the demo CLI, and a second workload in-process.

1. ``otel-langchain demo --endpoint <Collector> --out FILE``: the real CLI, in a
   subprocess; FILE is the SDK's own copy of what it exported, and the
   printed usage table gives the token and cost totals.
2. The deploy tests' workload (two providers, three models, a stream, tool
   errors, a model that always fails, cost) through ``OTelCallbackHandler``
   with OTLP exporters to the Collector, an in-memory span exporter and an
   in-memory metric reader in the same providers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_langchain import OTelCallbackHandler

from .spans import by_id, from_otlp_json, from_sdk

try:  # tests/ as a package or as a rootdir on sys.path
    from tests.deploy.workload import Workload
except ImportError:  # pragma: no cover - depends on how pytest roots the suite
    from deploy.workload import Workload  # type: ignore[no-redef]

DEMO_SERVICE = "otel-langchain-demo-e2e"
WORKLOAD_SERVICE = "otel-langchain-e2e-workload"
ROUNDS = 5
# Seconds between metric exports: rate() needs two samples of a series.
EXPORT_PAUSE_S = 1.0


@dataclass(frozen=True)
class Totals:
    """Input/output tokens and cost in USD."""

    input_tokens: float
    output_tokens: float
    cost_usd: float


@dataclass
class DemoRun:
    """What the demo printed and wrote."""

    stdout: str
    printed: Totals
    spans: dict[str, dict[str, Any]]
    exported: Totals


@dataclass
class WorkloadRun:
    """What the in-process workload's own exporters captured."""

    spans: dict[str, dict[str, Any]]
    totals: Totals


# -- the demo --------------------------------------------------------------------------


def _cells(line: str, sep: str) -> list[str]:
    return [c.strip() for c in line.strip().strip(sep).split(sep)]


def printed_totals(stdout: str) -> Totals:
    """The ``total`` row of the demo's usage table, by column header."""
    lines = stdout.splitlines()
    header = next(line for line in lines if "┃" in line and "model" in line)
    total = next(line for line in lines if line.startswith("│") and _cells(line, "│")[0] == "total")
    row = dict(zip(_cells(header, "┃"), _cells(total, "│"), strict=True))

    def number(text: str) -> float:
        return float(text.replace(",", "").replace("$", ""))

    return Totals(number(row["input tok"]), number(row["output tok"]), number(row["cost (USD)"]))


def _file_totals(documents: list[dict[str, Any]]) -> Totals:
    """Token and cost totals from the last cumulative points of an OTLP/JSON metrics file."""
    last: dict[tuple[str, str], tuple[str, float]] = {}
    for doc in documents:
        for rm in doc.get("resourceMetrics", []):
            for sm in rm.get("scopeMetrics", []):
                for metric in sm.get("metrics", []):
                    kind = "histogram" if "histogram" in metric else "sum"
                    for point in metric.get(kind, {}).get("dataPoints", []):
                        attrs = {a["key"]: a["value"] for a in point.get("attributes", [])}
                        token_type = attrs.get("gen_ai.token.type", {}).get("stringValue", "")
                        value = point.get("sum", point.get("asDouble", point.get("asInt", 0)))
                        key = (metric["name"], json.dumps(attrs, sort_keys=True))
                        last[key] = (token_type, float(value))

    def total(name: str, token_type: str | None = None) -> float:
        return sum(
            v
            for (n, _), (t, v) in last.items()
            if n == name and (token_type is None or t == token_type)
        )

    return Totals(
        total("gen_ai.client.token.usage", "input"),
        total("gen_ai.client.token.usage", "output"),
        total("langchain.llm.cost"),
    )


def run_demo(endpoint: str, out: Path) -> DemoRun:
    """Run ``otel-langchain demo --endpoint ... --out ...`` and read what it printed and wrote."""
    cli = Path(sys.executable).parent / "otel-langchain"
    argv = [str(cli), "demo", "--endpoint", endpoint, "--service-name", DEMO_SERVICE]
    argv += ["--out", str(out), "--no-color"]
    proc = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 0, f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stderr}"
    documents = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line]
    spans = by_id(span for doc in documents for span in from_otlp_json(doc))
    return DemoRun(proc.stdout, printed_totals(proc.stdout), spans, _file_totals(documents))


# -- the in-process workload -----------------------------------------------------------


def _reader_totals(reader: InMemoryMetricReader) -> Totals:
    data = reader.get_metrics_data()
    assert data is not None
    sums: dict[str, float] = {"input": 0.0, "output": 0.0, "cost": 0.0}
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                for point in metric.data.data_points:  # type: ignore[union-attr]
                    attrs = point.attributes or {}
                    if metric.name == "gen_ai.client.token.usage":
                        sums[str(attrs["gen_ai.token.type"])] += float(point.sum)  # type: ignore[union-attr]
                    elif metric.name == "langchain.llm.cost":
                        sums["cost"] += float(point.value)  # type: ignore[union-attr]
    return Totals(sums["input"], sums["output"], sums["cost"])


def run_workload(endpoint: str) -> WorkloadRun:
    """Run ROUNDS rounds of the workload, exporting over OTLP and capturing in memory."""
    resource = Resource.create({"service.name": WORKLOAD_SERVICE})
    memory = InMemorySpanExporter()
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer_provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, insecure=True))
    )
    otlp_reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=endpoint, insecure=True), export_interval_millis=3_600_000
    )
    in_memory = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[otlp_reader, in_memory], resource=resource)
    try:
        workload = Workload(
            OTelCallbackHandler(tracer_provider=tracer_provider, meter_provider=meter_provider)
        )
        for i in range(ROUNDS):
            workload.round(i)
            assert otlp_reader.force_flush(timeout_millis=10_000), "metric export timed out"
            time.sleep(EXPORT_PAUSE_S)
        assert tracer_provider.force_flush(timeout_millis=10_000), "span export timed out"
        totals = _reader_totals(in_memory)
    finally:
        tracer_provider.shutdown()
        meter_provider.shutdown()
    return WorkloadRun(from_sdk(memory.get_finished_spans()), totals)


def describe(totals: Totals) -> str:
    return (
        f"{totals.input_tokens:.0f} input tokens, {totals.output_tokens:.0f} output tokens,"
        f" ${totals.cost_usd:.9f}"
    )

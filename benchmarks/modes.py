"""The suite's modes: who traces the workload, over one SDK pipeline shared by all.

Every mode gets a fresh SDK ``TracerProvider`` with a ``SimpleSpanProcessor`` into
an exporter that counts (and, for the content check, keeps) spans, and a
``MeterProvider`` with an ``InMemoryMetricReader`` and the SDK's default exemplar
filter (trace-based); both are also the global providers, which is where the peers
look. Peers are installed as each project documents (``peers.install``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.runnables import RunnableConfig
from opentelemetry import metrics, trace
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.metrics import (
    AlwaysOffExemplarFilter,
    MeterProvider,
    TraceBasedExemplarFilter,
)
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import NoOpTracerProvider

PEERS = {  # name in the report -> (configuration name in peers.py, package)
    "OpenLLMetry": ("openllmetry", "opentelemetry-instrumentation-langchain"),
    "OpenInference": ("openinference", "openinference-instrumentation-langchain"),
    "OpenLIT": ("openlit", "openlit"),
}
# Mode name -> content capture (None: not applicable). Peers: "<peer> (content off|on)".
MAIN_MODES: dict[str, bool | None] = {
    "none": None,
    "floor": None,
    "floor M": None,
    "ours (content off)": False,
    "ours (content on)": True,
    **{f"{p} (content {c})": c == "on" for p in PEERS for c in ("off", "on")},
}
# Ablations of ours (content off) for the breakdown.
ABLATIONS = [
    "empty handler",
    "ours, exemplars off",
    "ours, no-op meter",
    "ours, no-op tracer and meter",
]
# Modes whose spans must be exactly one per LangChain run.
EXACT_SPANS = {"floor", "floor M", "ours (content off)", "ours (content on)"}
EXACT_SPANS |= {"ours, exemplars off", "ours, no-op meter"}
NO_SPANS = {"none", "empty handler", "ours, no-op tracer and meter"}


class CountingExporter(SpanExporter):
    """Counts exported spans; keeps them while ``keep`` is on (the content check)."""

    def __init__(self) -> None:
        self.exported = 0
        self.keep = False
        self.kept: list[Any] = []

    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        self.exported += len(spans)
        if self.keep:
            self.kept.extend(spans)
        return SpanExportResult.SUCCESS


class EmptyHandler(BaseCallbackHandler):
    """An inline handler with no hooks: LangChain's dispatch alone."""

    run_inline = True


@dataclass
class Mode:
    """A set-up mode: the run config to pass, and what to read afterwards."""

    name: str
    config: RunnableConfig
    exporter: CountingExporter
    reader: InMemoryMetricReader
    handler: Any = None
    providers: list[Any] = field(default_factory=list)

    def histogram_points(self) -> dict[str, int]:
        """Points recorded so far per histogram (the sum of its data points' counts)."""
        data = self.reader.get_metrics_data()
        out: dict[str, int] = {}
        for rm in data.resource_metrics if data else ():
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    points = metric.data.data_points
                    if all(hasattr(p, "count") for p in points):  # histograms: points recorded
                        n = sum(p.count for p in points)
                        out[metric.name] = out.get(metric.name, 0) + n
        return out

    def series(self) -> list[str]:
        """The metric names that hold at least one data point."""
        data = self.reader.get_metrics_data()
        return sorted(
            {
                metric.name
                for rm in (data.resource_metrics if data else ())
                for sm in rm.scope_metrics
                for metric in sm.metrics
                if metric.data.data_points
            }
        )

    def open_runs(self) -> int | None:
        return getattr(self.handler, "open_runs", None)


def _ours(name: str, tracer_provider: Any, meter_provider: Any) -> Any:
    """Ours as ``name`` says; ``"<mode>, skip=<entries>"`` adds ``skip`` (benchmarks/skip.py)."""
    from otel_langchain import OTelCallbackHandler

    name, _, skip = name.partition(", skip=")
    if name == "ours, no-op meter":
        meter_provider = NoOpMeterProvider()
    elif name == "ours, no-op tracer and meter":
        tracer_provider, meter_provider = NoOpTracerProvider(), NoOpMeterProvider()
    # ``skip`` only when asked for, so that the suite also counts a handler older than
    # it (a before/after comparison checks out an older ``otel_langchain/``).
    extra = {"skip": skip} if skip else {}
    return OTelCallbackHandler(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        capture_content=name == "ours (content on)",
        **extra,
    )


def setup(name: str) -> Mode:
    """Providers and instrumentation for the mode called ``name``."""
    import peers  # the peers' installers; importing it patches nothing

    for var in (*peers.CAPTURE_ENV, "OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED"):
        os.environ.pop(var, None)
    exporter = CountingExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    exemplars = AlwaysOffExemplarFilter() if name == "ours, exemplars off" else None
    meter_provider = MeterProvider(
        metric_readers=[reader], exemplar_filter=exemplars or TraceBasedExemplarFilter()
    )
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    mode = Mode(name, {}, exporter, reader, providers=[tracer_provider, meter_provider])
    handler: Any = None
    if name == "floor":
        from floor import Floor

        handler = Floor(tracer_provider)
    elif name == "floor M":
        from floor import FloorM

        handler = FloorM(tracer_provider, meter_provider)
    elif name == "empty handler":
        handler = EmptyHandler()
    elif name.startswith("ours"):
        handler = _ours(name, tracer_provider, meter_provider)
    elif name != "none":
        peer, _, content = name.partition(" (content ")
        config_name = PEERS[peer][0] + (" (content off)" if content == "off)" else "")
        peers.install(config_name, tracer_provider, meter_provider)
    if handler is not None:
        mode.handler = handler
        mode.config = {"callbacks": [handler]}
    return mode

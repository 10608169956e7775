"""opentelemetry-util-genai's inference invocation against the same telemetry made by hand.

Per model call: one span with the response facts and token counts, one duration and
two token-usage points. ``.venv/bin/python benchmarks/util_genai.py`` runs itself
under callgrind (only the measured loops counted) and prints k-instructions per call
of each. docs/architecture.md says what was decided from it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parent))

import callgrind
from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace import SpanKind
from opentelemetry.util.genai.handler import TelemetryHandler

CALLS = 200
ATTRS = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
}
INPUT = {**ATTRS, "gen_ai.token.type": "input"}
OUTPUT = {**ATTRS, "gen_ai.token.type": "output"}


class _Discard(SpanExporter):
    def export(self, spans: object) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def main() -> None:
    if len(sys.argv) == 1:  # the parent: run this file under callgrind, read its dumps
        work = Path(tempfile.mkdtemp())
        callgrind.build(work, regions=False)
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no",
             f"--callgrind-out-file={work}/cg.%p", sys.executable, __file__, str(work)],
            check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "0"},
        )  # fmt: skip
        dumps = sorted(work.glob("cg.*.[0-9]"))
        for name, dump in zip(("util-genai", "by hand"), dumps, strict=True):
            print(f"{name}: {callgrind.totals(dump) / CALLS / 1000:,.0f} k-instructions per call")
        return
    client = callgrind.Client(Path(sys.argv[1]))
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(_Discard()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    genai = TelemetryHandler(tracer_provider=tracer_provider, meter_provider=meter_provider)
    tracer = tracer_provider.get_tracer("by_hand")
    meter = meter_provider.get_meter("by_hand")
    duration = meter.create_histogram("gen_ai.client.operation.duration", unit="s")
    tokens = meter.create_histogram("gen_ai.client.token.usage", unit="{token}")

    def util_genai() -> None:
        invocation = genai.inference("openai", request_model="gpt-4o-mini")
        invocation.response_model_name = "gpt-4o-mini-2024-07-18"
        invocation.response_id = "chatcmpl-1"
        invocation.finish_reasons = ["stop"]
        invocation.input_tokens = 24
        invocation.output_tokens = 9
        invocation.stop()

    def by_hand() -> None:
        started = perf_counter()
        span = tracer.start_span(
            "chat gpt-4o-mini",
            kind=SpanKind.CLIENT,
            attributes={k: ATTRS[k] for k in list(ATTRS)[:3]},
        )
        ctx = trace.set_span_in_context(span)
        token = context_api.attach(ctx)
        span.set_attributes(
            {
                "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                "gen_ai.response.id": "chatcmpl-1",
                "gen_ai.response.finish_reasons": ["stop"],
                "gen_ai.usage.input_tokens": 24,
                "gen_ai.usage.output_tokens": 9,
            }
        )
        duration.record(perf_counter() - started, ATTRS, ctx)
        tokens.record(24, INPUT, ctx)
        tokens.record(9, OUTPUT, ctx)
        context_api.detach(token)
        span.end()

    for name, call in (("util_genai", util_genai), ("by_hand", by_hand)):
        for _ in range(30):  # warm-up
            call()
        client.start()
        for _ in range(CALLS):
            call()
        client.stop(name)


if __name__ == "__main__":
    main()

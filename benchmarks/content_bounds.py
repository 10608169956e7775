"""Content capture cost against input size: it must be bounded by the limit, not the input.

Each case invokes a one-step chain (``RunnableLambda``) with a large input, traced
by OTelCallbackHandler with content capture on (``max_content_length`` at its
default, 8192), so the input is captured as ``langchain.chain.inputs``; the chat
case sends a long history to a chat model, captured as ``gen_ai.input.messages``.
Per case: the median seconds per run over ``--runs`` runs, with capture on and off
(the difference is what capture costs), and the length of the recorded attribute.

Run: ``python benchmarks/content_bounds.py [--runs 5] [--json OUT]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage
from langchain_core.runnables import RunnableLambda
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from rich.console import Console
from rich.table import Table

from otel_langchain import OTelCallbackHandler

sys.path.insert(0, str(Path(__file__).parent))
from overhead import FakeOpenAIChat

CASES: dict[str, Callable[[], Any]] = {
    "10 MB string": lambda: "x" * 10_000_000,
    "1M-element list": lambda: list(range(1_000_000)),
    "200k-key dict": lambda: {f"key{i}": i for i in range(200_000)},
    "200k secret keys": lambda: {f"password{i}": "hunter22" for i in range(200_000)},
    "100k-message chat": lambda: [HumanMessage(f"message {i}") for i in range(100_000)],
}
ATTRIBUTES = ("langchain.chain.inputs", "gen_ai.input.messages")


def _run(case: str, value: Any, capture: bool, runs: int) -> tuple[float, int]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    handler = OTelCallbackHandler(tracer_provider=provider, capture_content=capture)
    runnable: Any = FakeOpenAIChat() if case.endswith("chat") else RunnableLambda(lambda _: "ok")
    config: Any = {"callbacks": [handler]}
    times = []
    for _ in range(runs):
        exporter.clear()
        start = time.perf_counter()
        runnable.invoke(value, config=config)
        times.append(time.perf_counter() - start)
    recorded = 0
    for span in exporter.get_finished_spans():
        for key in ATTRIBUTES:
            recorded = max(recorded, len(str((span.attributes or {}).get(key, ""))))
    provider.shutdown()
    return statistics.median(times), recorded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = []
    for case, make in CASES.items():
        value = make()
        on, recorded = _run(case, value, True, args.runs)
        off, _ = _run(case, value, False, args.runs)
        results.append(
            {"case": case, "capture_on_s": on, "capture_off_s": off, "recorded": recorded}
        )
    table = Table(title=f"seconds per run, median of {args.runs}")
    for column in ("input", "capture on", "capture off", "capture cost", "recorded chars"):
        table.add_column(column, justify="left" if column == "input" else "right")
    for r in results:
        table.add_row(
            r["case"],
            f"{r['capture_on_s']:.4f}",
            f"{r['capture_off_s']:.4f}",
            f"{r['capture_on_s'] - r['capture_off_s']:.4f}",
            str(r["recorded"]),
        )
    Console().print(table)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

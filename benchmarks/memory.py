"""Memory of a long-running app with OTelCallbackHandler: does it stay flat?

The workload mixes what a service does all day, each item a LangChain run tree
of the 4-step chain of ``overhead.py`` plus a word-splitting generator step (so
streams yield several chunks): ``invoke``, ``ainvoke``, ``batch`` (thread pool),
a failing ``invoke``, a sync ``stream`` consumed fully and one abandoned after
its first chunk (dropped without ``close()``), and the same two for ``astream``
(the abandoned one is closed by the event loop's generator finalizer).

For each configuration (``none``: no callbacks; ``ours``: OTelCallbackHandler
with an SDK TracerProvider, BatchSpanProcessor to a discarding exporter, and an
SDK MeterProvider with an InMemoryMetricReader), the script warms up, then runs
the workload in blocks and reads ``tracemalloc``'s traced memory after a full
``gc.collect()`` at each block end. Flat means the growth per block does not
trend upwards; the figure reported is the growth from the first to the last
checkpoint per 1000 workload items, next to the same for ``none`` (LangChain's
and Python's own caches).

A last phase checks the bound on runs the app never ends: it keeps references to
abandoned sync streams (so LangChain never ends their runs) with
``max_open_runs=1000`` and reports the handler's open runs.

``--probe objects`` reads, instead of tracemalloc (which slows the workload about
3x), the interpreter's allocated memory blocks (``sys.getallocatedblocks()``), the
number of gc-tracked objects and the RSS at each checkpoint: cheap enough for a run
of 100k run trees (``--blocks 10 --items 1250``, as ``benchmarks/suite.py`` does).

Run: ``python benchmarks/memory.py [--blocks 6] [--items 150] [--probe tracemalloc|objects]
[--configs none,ours] [--json OUT]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import sys
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig, RunnableGenerator, RunnableLambda
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from overhead import QUESTION, DiscardExporter, build_chain
from rich.console import Console
from rich.table import Table

from otel_langchain import OTelCallbackHandler


def _words(chunks: Iterator[str]) -> Iterator[str]:
    for chunk in chunks:
        yield from chunk.split()


async def _awords(chunks: AsyncIterator[str]) -> AsyncIterator[str]:
    async for chunk in chunks:
        for word in chunk.split():
            yield word


def _fail(_: Any) -> str:
    raise LookupError("no such order")


class Workload:
    """One item = eight run trees of the kinds a service runs."""

    def __init__(self, config: RunnableConfig) -> None:
        self.config = config
        self.chain: Runnable[Any, Any] = build_chain() | RunnableGenerator(_words, _awords)
        self.failing: Runnable[Any, Any] = build_chain() | RunnableLambda(_fail)

    def sync_part(self) -> None:
        cfg = self.config
        self.chain.invoke(QUESTION, cfg)
        self.chain.batch([QUESTION, QUESTION], cfg)
        with contextlib.suppress(LookupError):
            self.failing.invoke(QUESTION, cfg)
        for _chunk in self.chain.stream(QUESTION, cfg):
            pass
        abandoned = self.chain.stream(QUESTION, cfg)
        next(iter(abandoned))
        del abandoned  # dropped without close(): ended when the generator is collected

    async def async_part(self) -> None:
        cfg = self.config
        await self.chain.ainvoke(QUESTION, cfg)
        async for _chunk in self.chain.astream(QUESTION, cfg):
            pass
        abandoned = self.chain.astream(QUESTION, cfg)
        await abandoned.__anext__()
        del abandoned  # the event loop's finalizer closes it a few loop turns later
        for _ in range(10):
            await asyncio.sleep(0)

    def run(self, items: int) -> None:
        async def many() -> None:
            for _ in range(items):
                self.sync_part()
                await self.async_part()

        asyncio.run(many())


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def _checkpoint(providers: list[Any], probe: str) -> dict[str, int]:
    for provider in providers:  # empty the span queue and export metrics first
        provider.force_flush()
    gc.collect()
    if probe == "tracemalloc":
        return {"traced_bytes": tracemalloc.get_traced_memory()[0]}
    return {
        "allocated_blocks": sys.getallocatedblocks(),
        "gc_objects": len(gc.get_objects()),
        "rss_kib": _rss_kib(),
    }


def measure(name: str, blocks: int, items: int, probe: str = "tracemalloc") -> dict[str, Any]:
    """Checkpoints of memory for one configuration (after warm-up, then after each block)."""
    handler: OTelCallbackHandler | None = None
    providers: list[Any] = []
    config: RunnableConfig = {}
    if name == "ours":
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(BatchSpanProcessor(DiscardExporter()))
        meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
        providers = [tracer_provider, meter_provider]
        handler = OTelCallbackHandler(
            tracer_provider=tracer_provider, meter_provider=meter_provider
        )
        config = {"callbacks": [handler]}
    workload = Workload(config)
    workload.run(items)  # warm-up: caches, interned strings, metric streams
    checkpoints = [_checkpoint(providers, probe)]
    for _ in range(blocks):
        workload.run(items)
        checkpoints.append(_checkpoint(providers, probe))
    for provider in providers:
        provider.shutdown()
    result: dict[str, Any] = {"open_runs": handler.open_runs if handler else None}
    for key in checkpoints[0]:
        values = [c[key] for c in checkpoints]
        result[f"checkpoints_{key}"] = values
        result[f"growth_{key}"] = values[-1] - values[0]
        result[f"growth_{key}_per_1000_items"] = round(
            (values[-1] - values[0]) / (blocks * items) * 1000, 1
        )
    if probe == "tracemalloc":  # the figures as this script always reported them
        traced = result["checkpoints_traced_bytes"]
        result["checkpoints_kib"] = [round(c / 1024, 1) for c in traced]
        result["growth_kib"] = round((traced[-1] - traced[0]) / 1024, 1)
        result["growth_bytes_per_1000_items"] = result["growth_traced_bytes_per_1000_items"]
    return result


def bound_phase(streams: int) -> dict[str, Any]:
    """Runs the app never ends (abandoned streams kept alive) stay at max_open_runs."""
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(DiscardExporter()))
    handler = OTelCallbackHandler(
        tracer_provider=tracer_provider,
        meter_provider=MeterProvider(metric_readers=[InMemoryMetricReader()]),
        max_open_runs=1000,
    )
    chain = build_chain() | RunnableGenerator(_words, _awords)
    kept = []
    for _ in range(streams):
        stream = chain.stream(QUESTION, {"callbacks": [handler]})
        next(iter(stream))
        kept.append(stream)
    open_runs = handler.open_runs
    del stream
    kept.clear()
    gc.collect()
    result = {
        "streams_kept": streams,
        "runs_left_open_by_the_app": streams * 2,  # the sequence and the generator step
        "open_runs_at_the_bound": open_runs,
        "open_runs_after_the_app_drops_them": handler.open_runs,
    }
    tracer_provider.shutdown()
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--items", type=int, default=150, help="workload items per block")
    parser.add_argument("--probe", choices=("tracemalloc", "objects"), default="tracemalloc")
    parser.add_argument("--configs", default="none,ours", help="comma-separated: none, ours")
    parser.add_argument("--no-bound", action="store_true", help="skip the max_open_runs phase")
    parser.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    console = Console()
    if args.probe == "tracemalloc":
        tracemalloc.start()
    names = [n for n in args.configs.split(",") if n]
    results = {name: measure(name, args.blocks, args.items, args.probe) for name in names}
    tracemalloc.stop()
    bound = None if args.no_bound else bound_phase(3000)

    runs = args.blocks * args.items * 8
    table = Table(
        title=f"memory after gc, {args.blocks} blocks x {args.items} items "
        f"(8 run trees each, {runs:,} run trees after warm-up), probe: {args.probe}"
    )
    table.add_column("configuration")
    keys = [k.removeprefix("checkpoints_") for k in results[names[0]] if k.startswith("check")]
    keys = [k for k in keys if k != "kib"]
    for key in keys:
        table.add_column(f"{key} checkpoints")
        table.add_column("growth / 1000 items", justify="right")
    table.add_column("open runs", justify="right")
    for name, r in results.items():
        cells = [name]
        for key in keys:
            cells.append(" ".join(f"{c:.0f}" for c in r[f"checkpoints_{key}"]))
            cells.append(str(r[f"growth_{key}_per_1000_items"]))
        table.add_row(*cells, "-" if r["open_runs"] is None else str(r["open_runs"]))
    console.print(table)
    if bound is not None:
        console.print(f"bound (max_open_runs=1000): {bound}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"args": vars(args), "results": results, "bound": bound}, f, indent=2)


if __name__ == "__main__":
    main()

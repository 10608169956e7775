"""Per-invoke overhead of OTelCallbackHandler on a 4-step chain, against no tracing and a floor.

The chain is ``ChatPromptTemplate | chat model | StrOutputParser | RunnableLambda``
(five runs per invoke: the sequence and its four steps). The chat model is a fake
shaped like ``ChatOpenAI`` (provider, model names, usage, response id), so the
handler does its full work: spans, GenAI metrics, cost, context propagation.

Configurations, interleaved in rounds with a rotating order:

- ``none``: no callbacks at all.
- ``floor``: a bare handler (``run_inline=True``) that only maps run ids to spans,
  parents them by ``parent_run_id`` and ends them. Same TracerProvider as ours.
- ``ours``: OTelCallbackHandler with a real MeterProvider (SDK default exemplar
  filter, trace-based) and the built-in price table.
- ``ours, exemplars off``: the same with ``AlwaysOffExemplarFilter``
  (what ``OTEL_METRICS_EXEMPLAR_FILTER=always_off`` selects).

Spans go through a BatchSpanProcessor to an exporter that counts and discards them,
as in production minus the network. Metrics go to an InMemoryMetricReader that is
collected once at the end (collection is off the hot path).

For attribution, the sync run also times an empty inline handler (LangChain's
dispatch alone) and ours with no-op meter / tracer providers: ours minus "no
metrics" is the metrics cost, "no metrics" minus "no spans/metrics" the span cost,
"no spans/metrics" minus "empty handler" our own Python (context propagation,
attribute extraction, usage parsing, cost lookup).

Two clocks: cpu is the process's CPU time (all threads, so the span processor's
worker counts; robust to other processes on a shared machine), wall is elapsed time.

Run: ``python benchmarks/overhead.py [--rounds 15] [--invokes 300] [--json OUT]``;
``--profile N`` profiles N invokes with our handler and lists the hotspots.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import itertools
import json
import os
import platform
import pstats
import statistics
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
from typing import Any

from floor import Floor as BareHandler  # the floor: run id -> span, parent, end
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel, LangSmithParams
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.metrics import (
    AlwaysOffExemplarFilter,
    MeterProvider,
    TraceBasedExemplarFilter,
)
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import NoOpTracerProvider
from rich.console import Console
from rich.table import Table

from otel_langchain import OTelCallbackHandler

_ids = itertools.count(1)
QUESTION = {"question": "What is OpenTelemetry?"}
RUNS = 5  # per invoke: the sequence and its four steps
TARGET = 1.5  # ours' overhead at most this multiple of the floor's


class FakeOpenAIChat(BaseChatModel):
    """A chat model that answers at once and reports usage the way ChatOpenAI does."""

    model_name: str = "gpt-4o-mini"

    @property
    def _llm_type(self) -> str:
        return "openai-chat"

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        return LangSmithParams(
            ls_provider="openai",
            ls_model_name=self.model_name,
            ls_model_type="chat",
            ls_temperature=0.2,
            ls_max_tokens=256,
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        rid = f"chatcmpl-{next(_ids)}"
        message = AIMessage(
            content="OpenTelemetry is an observability framework.",
            id=rid,
            usage_metadata={"input_tokens": 24, "output_tokens": 9, "total_tokens": 33},
            response_metadata={
                "model_name": "gpt-4o-mini-2024-07-18",
                "finish_reason": "stop",
                "id": rid,
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


class DiscardExporter(SpanExporter):
    """Counts exported spans and drops them."""

    def __init__(self) -> None:
        self.exported = 0

    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        self.exported += len(spans)
        return SpanExportResult.SUCCESS


class EmptyHandler(BaseCallbackHandler):
    """Does nothing: what LangChain's dispatch to one inline handler costs."""

    run_inline = True


def shout(text: str) -> str:
    return text.upper()


def build_chain() -> Runnable[dict[str, str], str]:
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You answer in one sentence."), ("human", "{question}")]
    )
    return prompt | FakeOpenAIChat() | StrOutputParser() | RunnableLambda(shout)


class Setup:
    """Providers, handlers and the per-configuration run configs."""

    def __init__(self) -> None:
        self.exporter = DiscardExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(BatchSpanProcessor(self.exporter))
        self.readers = [InMemoryMetricReader(), InMemoryMetricReader()]
        mp_default = MeterProvider(
            metric_readers=[self.readers[0]], exemplar_filter=TraceBasedExemplarFilter()
        )
        mp_off = MeterProvider(
            metric_readers=[self.readers[1]], exemplar_filter=AlwaysOffExemplarFilter()
        )
        self.meter_providers = [mp_default, mp_off]
        self.ours = OTelCallbackHandler(
            tracer_provider=self.tracer_provider, meter_provider=mp_default
        )
        self.ours_off = OTelCallbackHandler(
            tracer_provider=self.tracer_provider, meter_provider=mp_off
        )
        self.floor = BareHandler(self.tracer_provider)
        self.handlers: dict[str, BaseCallbackHandler | None] = {
            "none": None,
            "floor": self.floor,
            "ours": self.ours,
            "ours, exemplars off": self.ours_off,
        }
        # Attribution: where ours spends its time (not part of the target).
        self.breakdown: dict[str, BaseCallbackHandler] = {
            "empty handler": EmptyHandler(),
            "ours, no metrics": OTelCallbackHandler(
                tracer_provider=self.tracer_provider, meter_provider=NoOpMeterProvider()
            ),
            "ours, no spans/metrics": OTelCallbackHandler(
                tracer_provider=NoOpTracerProvider(), meter_provider=NoOpMeterProvider()
            ),
        }
        self.configs: dict[str, RunnableConfig] = {
            name: {"callbacks": [h]} if h else {} for name, h in self.handlers.items()
        }
        self.breakdown_configs: dict[str, RunnableConfig] = {
            name: {"callbacks": [h]} for name, h in self.breakdown.items()
        }

    def shutdown(self) -> dict[str, Any]:
        """Flush, then report what was exported, for checking that nothing was lost."""
        self.tracer_provider.force_flush()
        points = 0
        for reader in self.readers:
            data = reader.get_metrics_data()
            for rm in data.resource_metrics if data else ():
                for sm in rm.scope_metrics:
                    points += sum(len(m.data.data_points) for m in sm.metrics)
        self.tracer_provider.shutdown()
        for mp in self.meter_providers:
            mp.shutdown()
        return {
            "spans_exported": self.exporter.exported,
            "metric_points": points,
            "open_runs": sum(
                h.open_runs
                for h in (self.ours, self.ours_off, *self.breakdown.values())
                if isinstance(h, OTelCallbackHandler)
            ),
        }


Sample = tuple[float, float]  # (wall, cpu) microseconds per invoke


def _now() -> Sample:
    return time.perf_counter_ns(), time.process_time_ns()


def _per_invoke(start: Sample, n: int) -> Sample:
    wall, cpu = _now()
    return (wall - start[0]) / n / 1000, (cpu - start[1]) / n / 1000


def _rounds(
    names: list[str], rounds: int, batch: Callable[[str], Sample]
) -> dict[str, list[Sample]]:
    samples: dict[str, list[Sample]] = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            gc.collect()
            samples[name].append(batch(name))
    return samples


def measure_sync(
    setup: Setup, chain: Runnable[Any, Any], rounds: int, invokes: int, warmup: int, breakdown: bool
) -> dict[str, list[Sample]]:
    configs = {**setup.configs, **(setup.breakdown_configs if breakdown else {})}

    def batch(name: str, n: int = invokes) -> Sample:
        config = configs[name]
        invoke = chain.invoke
        start = _now()
        for _ in range(n):
            invoke(QUESTION, config)
        return _per_invoke(start, n)

    for name in configs:
        batch(name, warmup)
    return _rounds(list(configs), rounds, batch)


def measure_async(
    setup: Setup, chain: Runnable[Any, Any], rounds: int, invokes: int, warmup: int
) -> dict[str, list[Sample]]:
    async def abatch(name: str, n: int) -> Sample:
        config = setup.configs[name]
        start = _now()
        for _ in range(n):
            await chain.ainvoke(QUESTION, config)
        return _per_invoke(start, n)

    async def main() -> dict[str, list[Sample]]:
        for name in setup.configs:
            await abatch(name, warmup)
        samples: dict[str, list[Sample]] = {n: [] for n in setup.configs}
        names = list(setup.configs)
        for r in range(rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                gc.collect()
                samples[name].append(await abatch(name, invokes))
        return samples

    return asyncio.run(main())


def _stats(values: list[float], base: list[float] | None) -> dict[str, float]:
    q = statistics.quantiles(values, n=4)
    row = {"median_us": statistics.median(values), "p25_us": q[0], "p75_us": q[2]}
    if base is not None:
        row["overhead_us"] = statistics.median(v - b for v, b in zip(values, base, strict=True))
    return row


def summarise(samples: dict[str, list[Sample]], base: str) -> dict[str, Any]:
    """Per clock: median and IQR per configuration, overhead = median of paired differences."""
    out: dict[str, Any] = {}
    for clock, i in (("cpu", 1), ("wall", 0)):
        col = {name: [s[i] for s in values] for name, values in samples.items()}
        rows = {
            name: _stats(values, col[base] if name != base else None)
            for name, values in col.items()
        }
        for name, row in rows.items():
            if name not in (base, "floor"):
                row["x_floor"] = row["overhead_us"] / rows["floor"]["overhead_us"]
        out[clock] = rows
    return out


def table(title: str, summary: dict[str, Any]) -> Table:
    t = Table(
        title=title,
        caption="us per invoke, medians over rounds; overhead = config"
        " minus none, paired per round; x floor = overhead / floor's overhead",
    )
    t.add_column("configuration")
    for clock in ("cpu", "wall"):
        t.add_column(f"{clock}\nper invoke", justify="right")
        t.add_column(f"{clock}\noverhead", justify="right")
        t.add_column(f"{clock}\nx floor", justify="right")
    for name in summary["cpu"]:
        if name == "empty handler":
            t.add_section()
        cells = [name]
        for clock in ("cpu", "wall"):
            row = summary[clock][name]
            cells.append(f"{row['median_us']:.1f}")
            cells.append(f"{row['overhead_us']:.1f}" if "overhead_us" in row else "-")
            cells.append(f"{row['x_floor']:.2f}x" if "x_floor" in row else "-")
        t.add_row(*cells)
    return t


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "langchain-core": version("langchain-core"),
        "opentelemetry-sdk": version("opentelemetry-sdk"),
        "otel-langchain": version("otel-langchain"),
    }


def profile(setup: Setup, chain: Runnable[Any, Any], invokes: int, console: Console) -> None:
    """cProfile ``invokes`` runs with our handler; list the hotspots in our code and the SDK."""
    config = setup.configs["ours"]
    for _ in range(200):
        chain.invoke(QUESTION, config)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(invokes):
        chain.invoke(QUESTION, config)
    prof.disable()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    rows = []
    for (path, line, func), (_cc, calls, tottime, cumtime, _callers) in stats.items():
        for marker in ("otel_langchain/", "opentelemetry/"):
            if marker in path:
                where = (marker + path.split(marker, 1)[1]).replace("/_internal", "")
                where = where.replace("opentelemetry/sdk/", "sdk/").replace(
                    "opentelemetry/", "api/"
                )
                rows.append((where, line, func, calls, tottime, cumtime))
    per = 1e6 / invokes
    for title, key in (("self time", 4), ("cumulative time", 5)):
        t = Table(title=f"Hotspots by {title}, us per invoke ({invokes} invokes, profiler on)")
        for col in ("function", "calls/invoke", "self us", "cum us"):
            t.add_column(col, justify="left" if col == "function" else "right")
        for where, line, func, calls, tot, cum in sorted(rows, key=lambda r: -r[key])[:25]:
            t.add_row(
                f"{where}:{line} {func}",
                f"{calls / invokes:.1f}",
                f"{tot * per:.1f}",
                f"{cum * per:.1f}",
            )
        console.print(t)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--invokes", type=int, default=300, help="invokes per round and config")
    parser.add_argument("--warmup", type=int, default=300, help="invokes per config before timing")
    parser.add_argument("--no-async", action="store_true", help="skip the ainvoke measurement")
    parser.add_argument(
        "--no-breakdown",
        action="store_true",
        help="skip the attribution configurations in the sync run",
    )
    parser.add_argument("--profile", type=int, metavar="N", help="only profile N invokes of ours")
    parser.add_argument("--json", metavar="OUT", help="also write the results as JSON")
    args = parser.parse_args(argv)
    if args.rounds < 2 or args.invokes < 1:
        parser.error("--rounds must be at least 2 and --invokes at least 1")

    console = Console(width=max(Console().width, 108))
    setup, chain = Setup(), build_chain()
    if args.profile:
        profile(setup, chain, args.profile, console)
        setup.shutdown()
        return
    results: dict[str, Any] = {
        "machine": machine(),
        "rounds": args.rounds,
        "invokes": args.invokes,
        "warmup": args.warmup,
    }
    started = time.perf_counter()
    what = f"{args.rounds} rounds x {args.invokes} invokes"
    results["sync"] = summarise(
        measure_sync(setup, chain, args.rounds, args.invokes, args.warmup, not args.no_breakdown),
        "none",
    )
    console.print(table(f"invoke: {what}", results["sync"]))
    if not args.no_async:
        results["async"] = summarise(
            measure_async(setup, chain, args.rounds, args.invokes, args.warmup), "none"
        )
        console.print(table(f"ainvoke: {what}", results["async"]))
    results["checks"] = setup.shutdown()
    traced = 3 + (0 if args.no_breakdown else 1) + (0 if args.no_async else 3)
    results["checks"]["spans_expected"] = RUNS * traced * (args.warmup + args.rounds * args.invokes)
    results["seconds"] = round(time.perf_counter() - started, 1)
    ratio = results["sync"]["cpu"]["ours"]["x_floor"]
    verdict = "met" if ratio <= TARGET else "NOT met"
    console.print(f"ours / floor (invoke, cpu): {ratio:.2f}x, target <= {TARGET}x: {verdict}")
    console.print(f"checks: {results['checks']}  wall time: {results['seconds']} s")
    console.print(f"machine: {results['machine']}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()

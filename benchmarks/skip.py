"""Spans and CPU saved by ``skip=``: the 4-step chain and LangGraph's prebuilt ReAct agent.

Configurations, interleaved in rounds with a rotating order (as in overhead.py):

- chain (prompt | model | parser | lambda, five runs): ``none``, ``ours``,
  ``ours, skip=prompt,parser,shout`` (the three inner steps);
- agent (``create_react_agent`` with one tool, a model that calls it once and then
  answers): ``none``, ``ours``, ``ours, skip=langgraph``.

Spans go through a BatchSpanProcessor to an exporter that counts and discards them;
spans per invoke are counted exactly (a flush after each configuration's batch).

Run: ``python benchmarks/skip.py [--rounds 11] [--invokes 200] [--json OUT]``.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel, LangSmithParams
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.tools import tool
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from overhead import QUESTION, DiscardExporter, build_chain, machine

from otel_langchain import OTelCallbackHandler

_ids = itertools.count(1)


class ToolCallingChat(BaseChatModel):
    """Calls ``weather`` when the last message is the user's, answers after the tool result."""

    model_name: str = "gpt-4o-mini"

    @property
    def _llm_type(self) -> str:
        return "openai-chat"

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        return LangSmithParams(ls_provider="openai", ls_model_name=self.model_name)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Runnable[Any, BaseMessage]:
        return self.bind(tools=[getattr(t, "name", str(t)) for t in tools], **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        rid = f"chatcmpl-{next(_ids)}"
        usage = {"input_tokens": 24, "output_tokens": 9, "total_tokens": 33}
        if messages[-1].type == "tool":
            message = AIMessage(content="Sunny.", id=rid, usage_metadata=usage)
        else:
            call = {"name": "weather", "args": {"city": "Paris"}, "id": f"call-{rid}"}
            message = AIMessage(content="", tool_calls=[call], id=rid, usage_metadata=usage)
        return ChatResult(generations=[ChatGeneration(message=message)])


@tool
def weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def build_agent() -> Runnable[Any, Any]:
    from langgraph.prebuilt import create_react_agent

    with warnings.catch_warnings():  # moved to langchain.agents in langgraph 1.0
        warnings.simplefilter("ignore", DeprecationWarning)
        return create_react_agent(ToolCallingChat(), [weather])  # type: ignore[no-any-return]


Sample = tuple[float, float]  # (cpu us per invoke, spans per invoke)


def measure(
    workload: Runnable[Any, Any],
    payload: Any,
    configs: dict[str, RunnableConfig],
    exporter: DiscardExporter,
    flush: Callable[[], object],
    rounds: int,
    invokes: int,
) -> dict[str, list[Sample]]:
    def batch(name: str, n: int) -> Sample:
        flush()
        before = exporter.exported
        start = time.process_time_ns()
        for _ in range(n):
            workload.invoke(payload, configs[name])
        cpu = (time.process_time_ns() - start) / n / 1000
        flush()
        return cpu, (exporter.exported - before) / n

    for name in configs:
        batch(name, max(invokes // 5, 10))
    names = list(configs)
    samples: dict[str, list[Sample]] = {n: [] for n in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            gc.collect()
            samples[name].append(batch(name, invokes))
    return samples


def summarise(samples: dict[str, list[Sample]]) -> dict[str, dict[str, float]]:
    base = [s[0] for s in samples["none"]]
    out = {}
    for name, values in samples.items():
        cpu = [s[0] for s in values]
        row = {"cpu_us": statistics.median(cpu), "spans": statistics.median(s[1] for s in values)}
        if name != "none":
            row["overhead_us"] = statistics.median(v - b for v, b in zip(cpu, base, strict=True))
        out[name] = row
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--invokes", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    exporter = DiscardExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])

    def handler(**kwargs: Any) -> OTelCallbackHandler:
        return OTelCallbackHandler(
            tracer_provider=tracer_provider, meter_provider=meter_provider, **kwargs
        )

    workloads = {
        "chain": (
            build_chain(),
            QUESTION,
            {
                "none": None,
                "ours": handler(),
                "ours, skip=prompt,parser,shout": handler(skip="prompt,parser,shout"),
            },
        ),
        "agent": (
            build_agent(),
            {"messages": [("user", "Weather in Paris?")]},
            {"none": None, "ours": handler(), "ours, skip=langgraph": handler(skip="langgraph")},
        ),
    }
    console = Console()
    results: dict[str, Any] = {"machine": machine(), "rounds": args.rounds, "invokes": args.invokes}
    for title, (workload, payload, handlers) in workloads.items():
        configs: dict[str, RunnableConfig] = {
            n: {"callbacks": [h]} if h else {} for n, h in handlers.items()
        }
        summary = summarise(
            measure(
                workload,
                payload,
                configs,
                exporter,
                tracer_provider.force_flush,
                args.rounds,
                args.invokes,
            )
        )
        results[title] = summary
        t = Table(title=f"{title}: per invoke (CPU us, medians over rounds)")
        for col in ("configuration", "spans", "cpu us", "overhead us"):
            t.add_column(col, justify="left" if col == "configuration" else "right")
        for name, row in summary.items():
            overhead = f"{row['overhead_us']:.1f}" if "overhead_us" in row else "-"
            t.add_row(name, f"{row['spans']:.0f}", f"{row['cpu_us']:.1f}", overhead)
        console.print(t)
    tracer_provider.shutdown()
    meter_provider.shutdown()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

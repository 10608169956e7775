"""One run's own cost: the handler's two hooks, driven directly, counted under callgrind.

``--kind chain`` (the default): the hooks of one chain run (``on_chain_start``
under an open parent, then ``on_chain_end``, as ``RunnableSequence`` calls them for
each step). ``--kind model``: the hooks of one chat model call as the agent
workload's model makes them (``on_chat_model_start`` with the messages, the
invocation parameters and LangChain's ``ls_*`` metadata, then ``on_llm_end`` with
a response carrying usage, a response id, a finish reason and one tool call),
recorded once from a real ``BaseChatModel.invoke`` and replayed. ``--kind tool``:
the hooks of the tool run answering that call (``on_tool_start`` with its
``tool_call_id``, ``on_tool_end`` with the ``ToolMessage``), recorded from a real
``BaseTool.invoke`` of the tool call, after that model call under the same root:
each run starts with its ``tool_call`` link to the chat span. In a loop, with
no-op tracer and meter providers (``noop``: only our own Python, plus the API's
no-op span) or with the SDK (``sdk``: TracerProvider without processors,
MeterProvider with an InMemoryMetricReader). Only the measured loop is counted
(client requests, after a warm-up loop of the same size); the script runs itself
under callgrind and prints k-instructions per run. Quicker than the suite while
tuning the hot path; the suite's figures are the ones to report.

    .venv-bench/bin/python benchmarks/own_code.py noop sdk
    .venv-bench/bin/python benchmarks/own_code.py --kind model noop sdk
    .venv-bench/bin/python benchmarks/own_code.py --kind tool noop sdk
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler

sys.path.insert(0, str(Path(__file__).resolve().parent))

import callgrind
import regions


def count(providers: str, runs: int, kind: str, functions: int) -> float:
    """k-instructions per run, counted in a child process under callgrind.

    With ``functions``, also prints that many of our functions with the most
    instructions (inclusive, per run; each wrapped call adds a few instructions).
    """
    work = Path(tempfile.mkdtemp(prefix="own-code-"))
    callgrind.build(work, regions=functions > 0)
    out = work / "callgrind.out"
    subprocess.run(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
         sys.executable, __file__, "--child", str(work), "--runs", str(runs), "--kind", kind,
         "--functions", str(functions), providers],
        check=True, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    counts = []
    for dump in work.glob("callgrind.out*"):
        try:
            counts.append((callgrind.totals(dump), dump))
        except ValueError:  # the dump at exit: nothing counted outside the loop
            continue
    if len(counts) != 1:
        raise SystemExit(f"expected one dump of the measured loop in {work}, found {len(counts)}")
    total, dump = counts[0]
    if functions:
        labels = {int(k): v for k, v in json.loads((work / "labels.json").read_text()).items()}
        found = callgrind.inclusive_regions(dump)
        top = sorted(((n, labels[i]) for i, n in found.items()), reverse=True)[:functions]
        for n, label in top:
            print(f"  {n / runs / 1000:8.1f}k  {label}")
    return total / runs / 1000


def _without_ids(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if k not in ("run_id", "parent_run_id")}


class Recorder(BaseCallbackHandler):
    """Keeps the arguments of a model call's or a tool run's two hooks (run ids left out)."""

    def __init__(self) -> None:
        self.start: tuple[Any, ...] = ()
        self.end: tuple[Any, ...] = ()

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.start = (serialized, messages, _without_ids(kwargs))

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        self.end = (response, _without_ids(kwargs))

    def on_tool_start(self, serialized: Any, input_str: Any, **kwargs: Any) -> None:
        self.start = (serialized, input_str, _without_ids(kwargs))

    def on_tool_end(self, output: Any, **kwargs: Any) -> None:
        self.end = (output, _without_ids(kwargs))


def model_call() -> Recorder:
    """One call of the agent workload's model (a tool call in its reply), as recorded."""
    from langchain_core.messages import HumanMessage
    from workloads import ToolCallingChat, get_local_time, get_weather

    recorder = Recorder()
    model = ToolCallingChat().bind_tools([get_weather, get_local_time])
    model.invoke([HumanMessage("What is the weather in Paris?")], {"callbacks": [recorder]})
    return recorder


def tool_call(asked: Recorder) -> Recorder:
    """The tool run answering the tool call of ``asked``'s response, as recorded."""
    from workloads import get_weather

    (call,) = asked.end[0].generations[0][0].message.tool_calls
    recorder = Recorder()
    get_weather.invoke({**call, "type": "tool_call"}, {"callbacks": [recorder]})
    return recorder


def child(work: Path, providers: str, runs: int, kind: str, functions: int) -> None:
    from opentelemetry.metrics import NoOpMeterProvider
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import NoOpTracerProvider

    from otel_langchain import OTelCallbackHandler

    client = callgrind.Client(work)
    if providers == "noop":
        handler = OTelCallbackHandler(
            tracer_provider=NoOpTracerProvider(), meter_provider=NoOpMeterProvider()
        )
    else:
        reader = InMemoryMetricReader()
        handler = OTelCallbackHandler(
            tracer_provider=TracerProvider(), meter_provider=MeterProvider(metric_readers=[reader])
        )
    serialized = {"name": "RunnableLambda", "id": ["langchain_core", "runnables", "RunnableLambda"]}
    root = uuid.uuid4()
    handler.on_chain_start(
        {"name": "RunnableSequence"}, {"x": 1}, run_id=root, tags=[], metadata={},
        name="RunnableSequence",
    )  # fmt: skip
    ids = [uuid.uuid4() for _ in range(2 * runs)]

    def chain_loop(run_ids: list[uuid.UUID]) -> None:
        for run_id in run_ids:
            handler.on_chain_start(
                serialized, {"x": 1}, run_id=run_id, parent_run_id=root,
                tags=["seq:step:2"], metadata={}, name="step",
            )  # fmt: skip
            handler.on_chain_end({"y": 1}, run_id=run_id, parent_run_id=root, tags=["seq:step:2"])

    call = model_call()
    model, messages, start = call.start
    response, end = call.end

    def model_loop(run_ids: list[uuid.UUID]) -> None:
        for run_id in run_ids:
            handler.on_chat_model_start(model, messages, run_id=run_id, parent_run_id=root, **start)
            handler.on_llm_end(response, run_id=run_id, parent_run_id=root, **end)

    tool = tool_call(call)
    serialized_tool, input_str, tool_start = tool.start
    output, tool_end = tool.end

    def tool_loop(run_ids: list[uuid.UUID]) -> None:
        for run_id in run_ids:
            handler.on_tool_start(
                serialized_tool, input_str, run_id=run_id, parent_run_id=root, **tool_start
            )
            handler.on_tool_end(output, run_id=run_id, parent_run_id=root, **tool_end)

    if kind == "tool":  # the call the tool runs answer, asked under the same root
        model_loop([uuid.uuid4()])
    loop = {"model": model_loop, "tool": tool_loop}.get(kind, chain_loop)
    if functions:
        sys.path.insert(0, str(work))
        labels = callgrind.wrap_all(regions.ours(), ("otel_langchain",))
        (work / "labels.json").write_text(json.dumps(labels))

    loop(ids[:runs])
    client.start()
    loop(ids[runs:])
    client.stop("loop")
    if handler.open_runs != 1:  # the root
        raise SystemExit(f"{handler.open_runs - 1} {kind} runs left open")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("providers", nargs="+", choices=["noop", "sdk"])
    parser.add_argument(
        "--kind", choices=["chain", "model", "tool"], default="chain", help="run kind"
    )
    parser.add_argument("--runs", type=int, default=200, help="runs measured")
    parser.add_argument(
        "--functions", type=int, default=0, metavar="N",
        help="also print the N functions of ours with the most instructions per run",
    )  # fmt: skip
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.providers[0], args.runs, args.kind, args.functions)
        return
    for providers in args.providers:
        figure = count(providers, args.runs, args.kind, args.functions)
        print(f"{providers}: {figure:.1f} k-instructions per {args.kind} run")


if __name__ == "__main__":
    main()

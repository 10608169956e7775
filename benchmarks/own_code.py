"""A chain run's own cost: the handler's two hooks, driven directly, counted under callgrind.

The hooks of one chain run (``on_chain_start`` under an open parent, then
``on_chain_end``, as ``RunnableSequence`` calls them for each step) in a loop, with
no-op tracer and meter providers (``noop``: only our own Python, plus the API's
no-op span) or with the SDK (``sdk``: TracerProvider without processors,
MeterProvider with an InMemoryMetricReader). Only the measured loop is counted
(client requests, after a warm-up loop of the same size); the script runs itself
under callgrind and prints k-instructions per run. Quicker than the suite while
tuning the hot path; the suite's figures are the ones to report.

    .venv-bench/bin/python benchmarks/own_code.py noop sdk
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import callgrind


def count(providers: str, runs: int) -> float:
    """k-instructions per chain run, counted in a child process under callgrind."""
    work = Path(tempfile.mkdtemp(prefix="own-code-"))
    callgrind.build(work, regions=False)
    out = work / "callgrind.out"
    subprocess.run(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
         sys.executable, __file__, "--child", str(work), "--runs", str(runs), providers],
        check=True, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    counts = []
    for dump in work.glob("callgrind.out*"):
        try:
            counts.append(callgrind.totals(dump))
        except ValueError:  # the dump at exit: nothing counted outside the loop
            continue
    if len(counts) != 1:
        raise SystemExit(f"expected one dump of the measured loop in {work}, found {len(counts)}")
    return counts[0] / runs / 1000


def child(work: Path, providers: str, runs: int) -> None:
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

    def loop(run_ids: list[uuid.UUID]) -> None:
        for run_id in run_ids:
            handler.on_chain_start(
                serialized, {"x": 1}, run_id=run_id, parent_run_id=root,
                tags=["seq:step:2"], metadata={}, name="step",
            )  # fmt: skip
            handler.on_chain_end({"y": 1}, run_id=run_id, parent_run_id=root, tags=["seq:step:2"])

    loop(ids[:runs])
    client.start()
    loop(ids[runs:])
    client.stop("loop")
    if handler.open_runs != 1:  # the root
        raise SystemExit(f"{handler.open_runs - 1} chain runs left open")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("providers", nargs="+", choices=["noop", "sdk"])
    parser.add_argument("--runs", type=int, default=200, help="chain runs measured")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.providers[0], args.runs)
        return
    for providers in args.providers:
        print(f"{providers}: {count(providers, args.runs):.1f} k-instructions per chain run")


if __name__ == "__main__":
    main()

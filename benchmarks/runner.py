"""One measurement per process: a fork server, and what each forked child does.

The server imports LangChain, LangGraph, the OpenTelemetry SDK and otel-langchain
once, then forks one child per job (under callgrind the server itself runs with
instrumentation off, so the imports cost no counted instructions and are paid
once). A child sets up its mode (a peer patches LangChain in that child only),
builds its workload, counts the LangChain runs of one unit with a counting
handler, warms up, measures, checks what was exported, writes its result as
JSON and exits.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

CONTENT_MARKERS = {  # text of each workload's input that only content capture records
    "chain4": "what is opentelemetry",
    "agent": "what is the weather",
    "concurrent100": "what is opentelemetry",
    "stream20": "what is opentelemetry",
    "stream1": "what is opentelemetry",
    "batch16": "what is opentelemetry",
}


@dataclass
class Job:
    """One measurement: a workload under a mode, counted (cg) or timed (cpu)."""

    id: str
    kind: str  # "cg" or "cpu"
    mode: str
    workloads: list[str]
    units: int = 0  # cg: measured units; cpu: 0 = as many as fill ``seconds``
    warmup: int = 2
    warmups: dict[str, int] = field(default_factory=dict)  # per workload, over ``warmup``
    seconds: float = 0.3
    blocks: int = 1  # cpu: the measured units are timed in this many blocks, each on its own
    regions: str = ""  # cg breakdown: "sdk" (SDK, LangChain, our hooks), "attrs" or "ours"
    meta: dict[str, Any] = field(default_factory=dict)


class RunCounter(BaseCallbackHandler):
    """Counts the LangChain runs started (every kind) and the model runs."""

    run_inline = True

    def __init__(self) -> None:
        self.runs: set[UUID] = set()
        self.models = 0

    def _seen(self, run_id: UUID) -> None:
        self.runs.add(run_id)

    def on_chain_start(self, *a: Any, run_id: UUID, **kw: Any) -> None:
        self._seen(run_id)

    def on_tool_start(self, *a: Any, run_id: UUID, **kw: Any) -> None:
        self._seen(run_id)

    def on_retriever_start(self, *a: Any, run_id: UUID, **kw: Any) -> None:
        self._seen(run_id)

    def on_chat_model_start(self, *a: Any, run_id: UUID, **kw: Any) -> None:
        self._seen(run_id)
        self.models += 1

    on_llm_start = on_chat_model_start


def _count_runs(workload: str, mode: Any) -> tuple[int, int]:
    import workloads

    counter = RunCounter()
    callbacks = [*mode.config.get("callbacks", []), counter]
    w = workloads.build(workload, {"callbacks": callbacks})
    try:
        w.unit()
    finally:
        w.close()
    return len(counter.runs), counter.models


def _content_seen(workload: str, mode: Any, unit: Any) -> bool | None:
    marker = CONTENT_MARKERS.get(workload)
    if marker is None:
        return None
    mode.exporter.keep = True
    unit()
    mode.exporter.keep = False
    texts: list[str] = []
    for span in mode.exporter.kept:
        for attrs in [span.attributes, *(e.attributes for e in span.events)]:
            texts.extend(str(v).lower() for v in (attrs or {}).values())
    mode.exporter.kept.clear()
    return any(marker in t for t in texts)


def _measure_cg(job: Job, unit: Any, out_dir: Path, regions: dict[int, str]) -> dict[str, Any]:
    import callgrind

    client = callgrind.Client(out_dir)
    tag = f"{job.id}"
    client.start()
    for _ in range(job.units):
        unit()
    client.stop(tag)
    dump = out_dir / f"cg.{os.getpid()}.1"
    result: dict[str, Any] = {"instructions": callgrind.totals(dump), "units": job.units}
    if regions:
        result["dump"] = str(dump)
        result["region_labels"] = regions
    elif client.running:
        dump.unlink()
    return result


def _measure_cpu(job: Job, unit: Any, units: int) -> dict[str, Any]:
    """``units`` units in ``job.blocks`` blocks, each block's process CPU time on its own.

    The objects alive after the warm-up (LangChain's, the SDK's, the workload's) are
    frozen out of the collector while the blocks run: a full collection then walks
    only what the measured units made, not a heap of imports whose size and timing
    differ between processes (without it, one process's 0.25 s varied by up to 40%).
    """
    gc.collect()
    gc.freeze()
    per_block = max(1, units // job.blocks)
    blocks = []
    try:
        for _ in range(job.blocks):
            start = time.process_time_ns()
            for _ in range(per_block):
                unit()
            blocks.append(time.process_time_ns() - start)
    finally:
        gc.unfreeze()
    return {
        "cpu_ns": sum(blocks),
        "units": per_block * job.blocks,
        "block_ns": blocks,
        "units_per_block": per_block,
    }


def _cpu_units(job: Job, unit: Any) -> int:
    """Units that fill ``job.seconds``, from one timed warm-up unit."""
    start = time.process_time_ns()
    unit()
    one = max(time.process_time_ns() - start, 1)
    return job.units or max(3, int(job.seconds * 1e9 / one))


def _wrap_regions(kind: str, handler: Any) -> dict[int, str]:
    import callgrind
    import regions as targets

    if kind == "sdk":
        found = targets.sdk_and_hooks(handler)
    elif kind == "attrs":
        found = targets.span_attributes()
    else:
        found = targets.ours()
    return callgrind.wrap_all(found, targets.HOLDERS)


def _one(job: Job, workload: str, mode: Any, out_dir: Path) -> dict[str, Any]:
    import workloads

    runs, models = _count_runs(workload, mode) if job.kind == "cg" else (0, 0)
    w = workloads.build(workload, mode.config)
    try:
        labels = _wrap_regions(job.regions, mode.handler) if job.regions else {}
        for _ in range(job.warmups.get(workload, job.warmup)):
            w.unit()
        cpu_units = _cpu_units(job, w.unit) if job.kind == "cpu" else 0
        spans, points = mode.exporter.exported, mode.histogram_points()
        gc.collect()
        if job.kind == "cg":
            result = _measure_cg(job, w.unit, out_dir, labels)
        else:
            result = _measure_cpu(job, w.unit, cpu_units)
        units = result["units"]
        after = mode.histogram_points()
        result |= {
            "invokes_per_unit": w.invokes,
            "chunks": w.chunks,
            "runs_per_unit": runs,
            "model_runs_per_unit": models,
            "spans_per_unit": (mode.exporter.exported - spans) / units,
            "points_per_unit": {k: (v - points.get(k, 0)) / units for k, v in after.items()},
            "open_runs": mode.open_runs(),
            "series": mode.series(),
        }
        if job.kind == "cg":
            result["content_seen"] = _content_seen(workload, mode, w.unit)
        return result
    finally:
        w.close()


def child(job: Job, out_dir: Path) -> None:
    """Run one job in this (forked) process and write ``<out_dir>/<id>.json``."""
    import modes

    log = os.open(out_dir / f"{job.id}.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(log, 1)  # peers' and LangChain's warnings stay out of the suite's output
    os.dup2(log, 2)
    started = time.perf_counter()
    out: dict[str, Any] = {"job": asdict(job)}
    try:
        mode = modes.setup(job.mode)
        out["results"] = {w: _one(job, w, mode, out_dir) for w in job.workloads}
    except BaseException:  # a failed measurement is reported, never silently dropped
        out["error"] = traceback.format_exc()
    out["seconds"] = round(time.perf_counter() - started, 1)
    (out_dir / f"{job.id}.json").write_text(json.dumps(out))


def serve(jobs: list[Job], out_dir: Path, parallel: int) -> None:
    """Fork one child per job, at most ``parallel`` at a time; wait for all."""
    import callgrind  # noqa: F401  (imported before forking, like everything shared)
    import modes  # noqa: F401
    import workloads  # noqa: F401

    from otel_langchain import OTelCallbackHandler  # noqa: F401

    running: dict[int, Job] = {}
    done, total, t0 = 0, len(jobs), time.perf_counter()
    pending = list(jobs)
    while pending or running:
        while pending and len(running) < parallel:
            job = pending.pop(0)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                try:
                    child(job, out_dir)
                finally:
                    os._exit(0)
            running[pid] = job
        pid, _status = os.wait()
        job = running.pop(pid)
        done += 1
        print(
            f"  [{done}/{total}] {job.id} ({time.perf_counter() - t0:.0f} s)",
            file=sys.stderr,
            flush=True,
        )


def main(argv: list[str]) -> None:
    """``runner.py PLAN.json OUT_DIR PARALLEL``: serve the plan's jobs."""
    plan, out_dir, parallel = argv
    sys.path.insert(0, str(Path(__file__).parent))
    sys.path.insert(0, out_dir)
    jobs = [Job(**j) for j in json.loads(Path(plan).read_text())]
    serve(jobs, Path(out_dir), int(parallel))


if __name__ == "__main__":
    main(sys.argv[1:])

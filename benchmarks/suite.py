"""The benchmark suite: every workload x mode, counted under callgrind, timed, and memory.

One command (see ``benchmarks/README.md``) runs the stages and writes the results
into ``benchmarks/RESULTS.md`` between the suite's markers:

- ``cg`` (primary): each workload x mode in its own process under
  ``valgrind --tool=callgrind --instr-atstart=no``; only the measured loop is
  counted (client requests after the warm-up). Also a second run of ``none`` and
  ours on every workload (repeatability), and stream of 1 chunk (per-chunk cost).
- ``breakdown``: for ``ours`` on the 4-step chain and the agent: ablations
  (empty handler, no-op meter, no-op tracer and meter, exemplars off) and
  inclusive counts of cost regions (SDK span and metric calls, LangChain dispatch,
  our hooks, each of our functions).
- ``cpu`` (secondary): process CPU time, rounds of one process per mode running
  every workload, the order of modes rotated each round; overhead = median of the
  per-round paired differences to ``none``.
- ``memory``: ``memory.py --probe objects`` over 100k run trees.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import callgrind  # noqa: E402
import figures  # noqa: E402
import modes  # noqa: E402
import report  # noqa: E402
from runner import Job  # noqa: E402
from workloads import WORKLOADS  # noqa: E402

# Measured units and warm-up units per workload under callgrind (instruction counts
# are deterministic, so a few units give figures stable to well under 1%).
CG_UNITS = {"chain4": 10, "seq20": 4, "nested20": 4, "agent": 2, "concurrent100": 1}
CG_UNITS |= {"stream20": 10, "batch16": 1, "stream1": 10}
CG_WARMUP = {"chain4": 5, "seq20": 3, "nested20": 3, "agent": 2, "concurrent100": 1}
CG_WARMUP |= {"stream20": 5, "batch16": 2, "stream1": 5}
CPU_WARMUP = {"chain4": 30, "seq20": 10, "nested20": 10, "agent": 5, "concurrent100": 2}
CPU_WARMUP |= {"stream20": 30, "batch16": 4}
REPEATED = ["none", "ours (content off)"]
AUX_MODES = ["none", "floor", "floor M", "ours (content off)", "ours (content on)"]
BREAKDOWN_WORKLOADS = ["chain4", "agent"]
STAGES = ("cg", "breakdown", "cpu", "memory")


def available_modes(names: list[str]) -> tuple[list[str], list[str]]:
    """The modes whose packages are installed, and those skipped."""
    from importlib.util import find_spec

    keep, skipped = [], []
    modules = {"OpenLLMetry": "opentelemetry.instrumentation.langchain"}
    modules |= {"OpenInference": "openinference.instrumentation.langchain", "OpenLIT": "openlit"}
    for name in names:
        peer = name.partition(" (content ")[0]
        if peer in modules and find_spec(modules[peer]) is None:
            skipped.append(name)
        else:
            keep.append(name)
    return keep, skipped


def plan_cg(args: argparse.Namespace, stages: set[str]) -> list[Job]:
    jobs: list[Job] = []

    def add(workload: str, mode: str, tag: str = "", regions: str = "") -> None:
        jobs.append(
            Job(
                id=f"c{len(jobs):03d}",
                kind="cg",
                mode=mode,
                workloads=[workload],
                units=max(1, round(CG_UNITS[workload] * args.scale)),
                warmup=CG_WARMUP[workload],
                regions=regions,
                meta={"workload": workload, "mode": mode, "tag": tag},
            )
        )

    if "cg" in stages:
        for w in args.workloads:
            for m in args.modes:
                add(w, m)
            for m in REPEATED:
                if m in args.modes and not args.no_repeat:
                    add(w, m, "repeat")
        if "stream20" in args.workloads:
            for m in AUX_MODES:
                if m in args.modes:
                    add("stream1", m)
    if "breakdown" in stages:
        for w in args.breakdown:
            for m in modes.ABLATIONS:
                add(w, m)
            if "cg" not in stages:
                add(w, "none")
                add(w, "ours (content off)")
            add(w, "ours (content off)", "regions:sdk", "sdk")
            add(w, "ours (content off)", "regions:ours", "ours")
            add(w, "ours (content on)", "regions:ours", "ours")
            if "cg" not in stages:
                add(w, "ours (content on)")
        # The bound under the targets: what the SDK spends on span attributes, floor M's
        # (none of its own) and ours, on every workload.
        for w in args.workloads:
            for m in ("floor M", "ours (content off)"):
                add(w, m, "regions:attrs", "attrs")
        # Where a streamed chunk's instructions go (the hooks' share of the per-chunk cost).
        add("stream20", "ours (content off)", "regions:sdk", "sdk")
    # Longest first, so that two at a time finish together.
    weight = {"concurrent100": 9, "agent": 4, "batch16": 3, "seq20": 2, "nested20": 2}
    return sorted(jobs, key=lambda j: -weight.get(j.workloads[0], 1))


def plan_cpu(args: argparse.Namespace) -> list[Job]:
    jobs = []
    names = list(args.modes)
    for r in range(args.rounds):
        for m in names[r % len(names) :] + names[: r % len(names)]:
            jobs.append(
                Job(
                    id=f"t{len(jobs):03d}",
                    kind="cpu",
                    mode=m,
                    workloads=list(args.workloads),
                    warmups=CPU_WARMUP,
                    seconds=args.cpu_seconds,
                    blocks=args.cpu_blocks,
                    meta={"round": r, "mode": m},
                )
            )
    return jobs


def serve(jobs: list[Job], work: Path, parallel: int, under_valgrind: bool) -> dict[str, Any]:
    """Run the jobs through the fork server; results by job id."""
    plan = work / f"plan-{jobs[0].kind}.json"
    plan.write_text(json.dumps([asdict(j) for j in jobs]))
    cmd = [sys.executable, str(HERE / "runner.py"), str(plan), str(work), str(parallel)]
    if under_valgrind:
        cmd = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={work}/cg.%p",
            f"--log-file={work}/valgrind.%p.log",
            *cmd,
        ]
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run(["nice", "-n", "10", *cmd], env=env, check=True)
    out = {}
    for job in jobs:
        path = work / f"{job.id}.json"
        got = json.loads(path.read_text()) if path.exists() else {"error": "no result"}
        if "error" in got:
            log = work / f"{job.id}.log"
            got["log_tail"] = log.read_text()[-2000:] if log.exists() else ""
        out[job.id] = got
    return out


def regions_of(results: dict[str, Any]) -> None:
    """Replace each breakdown dump by its regions' inclusive counts."""
    for got in results.values():
        for r in (got.get("results") or {}).values():
            dump = r.pop("dump", None)
            if dump:
                counts = callgrind.inclusive_regions(Path(dump))
                labels = r.pop("region_labels")
                r["regions"] = {labels[str(i)]: n for i, n in counts.items() if str(i) in labels}


def run_memory(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """``memory.py --probe objects``: ours over 100k run trees, ``none`` shorter (reference)."""
    out: dict[str, Any] = {"results": {}, "args": {}}
    for name, items in (("none", max(1, args.memory_items // 5)), ("ours", args.memory_items)):
        path = work / f"memory-{name}.json"
        cmd = [sys.executable, str(HERE / "memory.py"), "--probe", "objects", "--configs", name]
        cmd += ["--blocks", str(args.memory_blocks), "--items", str(items), "--json", str(path)]
        cmd += ["--no-bound"] if name == "none" else []
        subprocess.run(["nice", "-n", "10", *cmd], check=True, stdout=subprocess.DEVNULL)
        got = json.loads(path.read_text())
        out["results"][name] = got["results"][name]
        out["args"][name] = got["args"]
        out["bound"] = got["bound"] or out.get("bound")
    return out


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version
    from platform import python_version

    out = {"python": python_version()}
    for package in (
        "otel-langchain",
        "langchain-core",
        "langgraph",
        "langchain",
        "opentelemetry-api",
        "opentelemetry-sdk",
        *(package for _, package in modes.PEERS.values()),
    ):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "-"
    out["valgrind"] = subprocess.run(
        ["valgrind", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return out


def commit() -> str:
    """The last commit of the handler's code (``otel_langchain/``), and whether it is modified."""

    def git(*a: str) -> str:
        return subprocess.run(
            ["git", "-C", str(HERE), *a], capture_output=True, text=True, check=False
        ).stdout.strip()

    core = str(HERE.parent / "otel_langchain")
    rev = git("log", "-1", "--format=%h", "--", core) or "unknown"
    return rev + (" (otel_langchain/ modified)" if git("status", "--porcelain", "--", core) else "")


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--stages", default=",".join(STAGES), help=f"subset of {','.join(STAGES)}")
    p.add_argument(
        "--breakdown",
        default=",".join(BREAKDOWN_WORKLOADS),
        help="workloads the breakdown stage takes apart (ablations, cost regions)",
    )
    p.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated subset")
    p.add_argument("--modes", default=",".join(modes.MAIN_MODES), help="comma-separated subset")
    p.add_argument("--parallel", type=int, default=2, help="callgrind processes at a time")
    p.add_argument("--scale", type=float, default=1.0, help="multiply the measured units")
    p.add_argument("--no-repeat", action="store_true", help="skip the repeatability runs")
    p.add_argument("--rounds", type=int, default=5, help="cpu stage: rounds")
    p.add_argument("--cpu-seconds", type=float, default=0.25, help="cpu: timed s per workload")
    p.add_argument("--cpu-blocks", type=int, default=5, help="cpu: timed blocks per workload")
    p.add_argument("--memory-blocks", type=int, default=10)
    p.add_argument("--memory-items", type=int, default=1250, help="x 8 run trees per block")
    p.add_argument(
        "--results",
        help="file to write the section into (default: RESULTS.md after a full run; a "
        "partial run, with fewer stages, workloads or modes or another --scale, prints it)",
    )
    p.add_argument("--no-write", action="store_true", help="print the section only")
    p.add_argument("--json", metavar="OUT", help="also write every figure as JSON")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    p.add_argument("--from-json", metavar="IN", help="only render a --json file of a run")
    args = p.parse_args(argv)
    args.workloads = [w for w in args.workloads.split(",") if w]
    asked = [m for m in args.modes.split(",") if m]
    args.breakdown = [w for w in args.breakdown.split(",") if w]
    unknown = {w for w in [*args.workloads, *args.breakdown] if w not in WORKLOADS}
    unknown |= {m for m in asked if m not in modes.MAIN_MODES}
    stages = {s for s in args.stages.split(",") if s}
    unknown |= stages - set(STAGES)
    if unknown:
        p.error(f"unknown workload, mode or stage: {', '.join(sorted(unknown))}")
    args.stages = stages
    for option, value in (("--rounds", args.rounds), ("--cpu-blocks", args.cpu_blocks)):
        if value < 1:
            p.error(f"{option} must be at least 1, got {value}")
    if not args.cpu_seconds > 0:
        p.error(f"--cpu-seconds must be above 0, got {args.cpu_seconds}")
    for required in ("ours (content off)", "none"):
        if required not in asked:
            asked.insert(0, required)
    args.modes, args.skipped = available_modes(asked)
    full = stages == set(STAGES) and args.scale == 1 and not args.no_repeat
    full = full and args.workloads == list(WORKLOADS) and asked == list(modes.MAIN_MODES)
    full = full and args.breakdown == BREAKDOWN_WORKLOADS
    if args.results is None and (full or args.from_json):
        args.results = str(HERE / "RESULTS.md")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    if args.from_json:
        data = json.loads(Path(args.from_json).read_text())
        report.write_section(Path(args.results), report.render(data))
        return
    if {"cg", "breakdown"} & args.stages and shutil.which("valgrind") is None:
        raise SystemExit("the cg and breakdown stages need valgrind (apt-get install valgrind)")
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="otel-langchain-bench-"))
    from overhead import machine

    data: dict[str, Any] = {"versions": versions(), "commit": commit(), "argv": sys.argv[1:]}
    data["machine"] = {k: machine()[k] for k in ("nproc", "cpu")}
    data["date"] = time.strftime("%Y-%m-%d")
    data |= {"skipped_modes": args.skipped, "stages": sorted(args.stages), "timings": {}}
    data["breakdown"] = args.breakdown
    data |= {"cg_units": CG_UNITS, "cg_warmup": CG_WARMUP, "scale": args.scale}
    try:
        callgrind.build(work, regions="breakdown" in args.stages)
        cg_jobs = plan_cg(args, args.stages)
        if cg_jobs:
            t0 = time.perf_counter()
            print(
                f"callgrind: {len(cg_jobs)} processes, {args.parallel} at a time", file=sys.stderr
            )
            data["cg"] = serve(cg_jobs, work, args.parallel, under_valgrind=True)
            regions_of(data["cg"])
            data["timings"]["cg"] = round(time.perf_counter() - t0)
        if "cpu" in args.stages:
            t0 = time.perf_counter()
            cpu_jobs = plan_cpu(args)
            print(f"cpu: {len(cpu_jobs)} processes, one at a time", file=sys.stderr)
            data["cpu"] = serve(cpu_jobs, work, 1, under_valgrind=False)
            data["timings"]["cpu"] = round(time.perf_counter() - t0)
        if "memory" in args.stages:
            t0 = time.perf_counter()
            print("memory: memory.py --probe objects", file=sys.stderr)
            data["memory"] = run_memory(args, work)
            data["timings"]["memory"] = round(time.perf_counter() - t0)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    data["timings"]["total"] = round(time.perf_counter() - started)
    section = report.render(data)
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=1))
    if args.no_write or args.results is None:
        print(section)
    else:
        report.write_section(Path(args.results), section)
        print(f"wrote {args.results} ({data['timings']['total']} s)", file=sys.stderr)
    failed, _ = figures.check_lines(figures.Figures(data), data)
    if failed:
        print("failed checks:\n" + "\n".join(failed), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()

"""Spans and instructions saved by ``skip=``, counted under callgrind as the suite counts.

Each workload runs under ``none``, ``ours (content off)`` and ours with a ``skip``
setting, one process per workload x configuration through the suite's fork server
(``runner.py``: only the measured loop is counted, spans per invoke come from the
exporter):

- ``chain4`` (prompt | model | parser | lambda, 5 runs): ``skip=prompt,parser,shout``
  (the three inner steps);
- ``react_agent`` (LangGraph's ``create_react_agent``, two tool calls):
  ``skip=langgraph``;
- ``agent`` (the suite's agent: ``langchain.agents.create_agent`` when installed):
  ``skip=langgraph``.

Run: ``.venv-bench/bin/python benchmarks/skip.py [--json OUT]`` (about 5 minutes on
2 vCPUs); it prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import callgrind  # noqa: E402
from runner import Job  # noqa: E402
from suite import serve, versions  # noqa: E402

NONE, OURS = "none", "ours (content off)"
PLAN = {  # workload -> (label, skip setting, measured units, warm-up units)
    "chain4": ("4-step chain", "prompt,parser,shout", 10, 5),
    "react_agent": ("LangGraph prebuilt ReAct agent, 2 tool calls", "langgraph", 2, 2),
    "agent": ("LangGraph agent (create_agent), 2 tool calls", "langgraph", 2, 2),
}


def jobs() -> list[Job]:
    out: list[Job] = []
    for workload, (_, skip, units, warmup) in PLAN.items():
        for mode in (NONE, OURS, f"{OURS}, skip={skip}"):
            out.append(
                Job(
                    id=f"s{len(out):03d}",
                    kind="cg",
                    mode=mode,
                    workloads=[workload],
                    units=units,
                    warmup=warmup,
                    meta={"workload": workload, "mode": mode},
                )
            )
    return out


def figures(results: dict[str, Any]) -> dict[str, dict[str, dict[str, float]]]:
    """workload -> mode -> k-instructions and spans per invoke."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for got in results.values():
        if "error" in got:
            raise SystemExit(f"{got['job']['id']} failed:\n{got.get('log_tail') or got['error']}")
        ((workload, r),) = got["results"].items()
        invokes = r["units"] * r["invokes_per_unit"]
        out.setdefault(workload, {})[got["job"]["mode"]] = {
            "k_instructions": r["instructions"] / invokes / 1000,
            "spans": r["spans_per_unit"] / r["invokes_per_unit"],
            "runs": r["runs_per_unit"] / r["invokes_per_unit"],
            "open_runs": r["open_runs"] or 0,
        }
    return out


def table(data: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = [
        "| workload | runs | spans, ours | spans, with skip | skip | overhead, ours "
        "(k-instr) | overhead, with skip | saved |",
        "|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    for workload, (label, skip, _, _) in PLAN.items():
        rows = data[workload]
        none, ours, skipped = rows[NONE], rows[OURS], rows[f"{OURS}, skip={skip}"]
        over = ours["k_instructions"] - none["k_instructions"]
        over_skip = skipped["k_instructions"] - none["k_instructions"]
        saved = f"{over - over_skip:,.0f} ({(over - over_skip) / over:.0%})"
        lines.append(
            f"| {label} | {ours['runs']:g} | {ours['spans']:g} | {skipped['spans']:g} | "
            f"`{skip}` | {over:,.0f} | {over_skip:,.0f} | {saved} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("needs valgrind (apt-get install valgrind)")
    work = Path(tempfile.mkdtemp(prefix="otel-langchain-skip-"))
    started = time.perf_counter()
    try:
        callgrind.build(work, regions=False)
        data = figures(serve(jobs(), work, 2, under_valgrind=True))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for workload, rows in data.items():
        for mode, row in rows.items():
            if row["open_runs"]:
                raise SystemExit(f"{workload} / {mode}: {row['open_runs']:g} runs left open")
    print(table(data))
    print(f"\n{time.perf_counter() - started:.0f} s; versions: {versions()}")
    if args.json:
        args.json.write_text(json.dumps({"versions": versions(), "figures": data}, indent=1))


if __name__ == "__main__":
    main()
